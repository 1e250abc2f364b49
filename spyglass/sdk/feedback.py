"""Background delivery of user feedback to ``POST /api/v1/feedback``.

Contract: :meth:`FeedbackSender.submit` never blocks and never raises; it enqueues (bounded,
dropping and counting when full) and a daemon thread posts with a short timeout and a few
retries with backoff. Uses only the standard library so the SDK stays dependency-light.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from typing import Any

logger = logging.getLogger("spyglass.sdk")

_RETRYABLE = {408, 429, 500, 502, 503, 504}


class FeedbackSender:
    def __init__(
        self, base_url: str, api_key: str | None, *, timeout_s: float = 3.0, max_queue: int = 1000
    ) -> None:
        self._url = base_url.rstrip("/") + "/api/v1/feedback"
        self._api_key = api_key
        self._timeout = timeout_s
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._start_lock = threading.Lock()
        self._closed = False
        self.sent = 0
        self.dropped = 0
        self.failed = 0

    def submit(self, payload: dict[str, Any]) -> bool:
        """Queue one feedback record; False if it was dropped (queue full or shut down)."""
        if self._closed:
            self.dropped += 1
            return False
        self._ensure_worker()
        try:
            self._queue.put_nowait(payload)
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def _ensure_worker(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._start_lock:
            if self._pid != os.getpid():  # forked: the parent's thread does not exist here
                self._pid = os.getpid()
                self._queue = queue.Queue(maxsize=self._queue.maxsize)
                self._thread = None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="spyglass-feedback", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(item)
            finally:
                self._queue.task_done()

    def _deliver(self, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        delay = 0.2
        for attempt in range(3):
            try:
                req = urllib.request.Request(self._url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self._timeout) as resp:
                    resp.read()
                self.sent += 1
                return
            except urllib.error.HTTPError as exc:
                if exc.code not in _RETRYABLE:
                    logger.warning("spyglass feedback rejected: HTTP %s %s", exc.code, exc.read()[:200])
                    self.failed += 1
                    return
            except Exception as exc:  # network down, timeout …
                logger.debug("spyglass feedback attempt %d failed: %s", attempt + 1, exc)
            if self._closed:
                break
            time.sleep(delay)
            delay *= 2
        self.failed += 1

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for queued feedback to be delivered."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            if self._thread is None or not self._thread.is_alive():
                return False
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def shutdown(self, timeout: float) -> None:
        self.flush(timeout)
        self._closed = True
        thread = self._thread
        if thread is not None and thread.is_alive():
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                return
            thread.join(timeout=max(0.1, timeout))
