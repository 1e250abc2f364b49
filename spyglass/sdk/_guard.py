"""The "never hurt the app" guard: Spyglass code on the caller's path runs inside it.

Contract: a function decorated with :func:`never_raise` (or a block inside :func:`guarded`)
never lets an ``Exception`` out; it logs it (at most once per call site, then at debug level)
and returns ``None``. ``BaseException`` (KeyboardInterrupt, SystemExit, GeneratorExit) still
propagates: those are the app's, not ours.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

logger = logging.getLogger("spyglass.sdk")

P = ParamSpec("P")
R = TypeVar("R")

_reported: set[str] = set()


def report_internal_error(where: str) -> None:
    """Log an internal error once per ``where`` at WARNING, later repeats at DEBUG."""
    if where in _reported:
        logger.debug("spyglass internal error in %s", where, exc_info=True)
    else:
        _reported.add(where)
        logger.warning("spyglass internal error in %s (further ones logged at debug)", where, exc_info=True)


def never_raise(fn: Callable[P, R]) -> Callable[P, R | None]:
    """Decorate ``fn`` so that an exception inside it is logged and swallowed (returns None)."""
    where = getattr(fn, "__qualname__", repr(fn))

    @functools.wraps(fn)
    def _guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return fn(*args, **kwargs)
        except Exception:
            report_internal_error(where)
            return None

    return _guarded


@contextmanager
def guarded(where: str) -> Iterator[None]:
    """Run a block whose exceptions are Spyglass's own problem, never the caller's."""
    try:
        yield
    except Exception:
        report_internal_error(where)
