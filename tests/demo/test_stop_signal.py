"""The demo's SIGINT/SIGTERM handler must not wait for a lock: it runs in the main thread,
which may hold the stop event's lock at that moment (inside ``Event.wait``)."""

from __future__ import annotations

import threading

import pytest

from spyglass.demo.orchestrator import Demo, DemoOptions

pytestmark = pytest.mark.unit


def test_stop_from_signal_returns_while_the_main_thread_holds_the_event_lock(tmp_path) -> None:  # type: ignore[no-untyped-def]
    demo = Demo(DemoOptions(data_dir=tmp_path))
    returned = threading.Event()

    def as_if_signalled_inside_wait() -> None:
        # what the interpreter does when a signal lands between Event.wait's timeout and its
        # return: the handler runs in the thread that holds the event's condition lock
        with demo._stop._cond:
            demo.stop_from_signal()
            returned.set()

    t = threading.Thread(target=as_if_signalled_inside_wait, daemon=True)
    t.start()
    assert returned.wait(5), "the signal handler blocked on the stop event's lock"
    assert demo._stop.wait(5)  # and the stop was requested once the lock was free
