"""Resource limits of one long computation: a count, seconds and bytes, checked between steps.

The compiler and the region enumerator take ``max_seconds=`` and ``max_memory=`` (bytes of the
arrays the computation itself holds) beside their own count limit; each step that is about to
hold more calls :meth:`Limits.passed`, and the caller raises its own named error
(:class:`tropnet.CompileLimitError`, :class:`~tropnet.regions.refine.RegionLimitError`) with
the message and the ``reached`` record.

>>> lim = Limits(max_count=10, count_name="max_regions")
>>> lim.passed(count=12, nbytes=100) is not None
True
>>> lim.passed(count=5) is None
True
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import Any

__all__ = [
    "Limits", "check_limit_value", "progress_bar", "progress_call", "progress_phase", "Bar", "ProgressCall",
]


def check_limit_value(name: str, value: Any, *, integer: bool = False) -> Any:
    """``value`` if it is ``None`` or a positive number (an int when ``integer``), else a
    ``ValueError`` naming ``name``.

    >>> check_limit_value("max_seconds", 2.5)
    2.5
    """
    if value is None:
        return None
    number = (int,) if integer else (int, float)
    import numpy as np

    number = number + ((np.integer,) if integer else (np.integer, np.floating))
    if isinstance(value, bool) or not isinstance(value, number) or not value > 0:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{name} must be {kind} or None, got {value!r}")
    return value


class Limits:
    """The limits of one run and its clock (started at construction).

    ``max_count`` bounds the things counted (regions, cells, monomials: ``count_name`` says
    which limit it is), ``max_seconds`` the wall time, ``max_memory`` the bytes of arrays the
    run holds (its own estimate).  ``None`` is no limit.

    >>> Limits(max_seconds=1e-9).passed(count=0)[0]
    'max_seconds'
    """

    def __init__(
        self,
        max_count: int | None = None,
        max_seconds: float | None = None,
        max_memory: int | None = None,
        count_name: str = "max_regions",
    ) -> None:
        self.max_count = max_count
        self.max_seconds = max_seconds
        self.max_memory = max_memory
        self.count_name = count_name
        self.start = time.perf_counter()

    @property
    def any(self) -> bool:
        """True when some limit is set."""
        return self.max_count is not None or self.max_seconds is not None or self.max_memory is not None

    def seconds(self) -> float:
        return time.perf_counter() - self.start

    def __getstate__(self) -> dict:
        # the clock travels as the seconds elapsed: perf_counter's origin is per machine, so a
        # Dask worker elsewhere goes on counting from where the sender was
        state = dict(self.__dict__)
        state["start"] = -self.seconds()
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.start = time.perf_counter() + state["start"]

    def passed(
        self, *, count: int = 0, nbytes: int = 0, what: str = "regions"
    ) -> tuple[str, str, dict] | None:
        """``None`` while every limit holds, else ``(limit name, message, reached)``: the first
        limit passed, a sentence saying so, and a record of what was reached (the count under
        the name ``what``, seconds, bytes)."""
        secs = self.seconds()
        reached = {what: int(count), "seconds": round(secs, 6), "bytes": int(nbytes)}
        if self.max_count is not None and count > self.max_count:
            return (self.count_name, f"more than {self.count_name}={self.max_count} {what} "
                    f"(reached {count} after {secs:.1f} s)", reached)
        if self.max_seconds is not None and secs > self.max_seconds:
            return ("max_seconds", f"ran {secs:.1f} s > max_seconds={self.max_seconds} "
                    f"(reached {count} {what})", reached)
        if self.max_memory is not None and nbytes > self.max_memory:
            return ("max_memory", f"would hold {int(nbytes)} bytes of arrays > max_memory={self.max_memory} "
                    f"(reached {count} {what} after {secs:.1f} s)", reached)
        return None


#: a bar shows once a call has run this many seconds (``progress=None``; ``True``: at once)
PROGRESS_DELAY = 2.0
#: the least seconds between two redraws asked for by :meth:`Bar.note`
REDRAW_INTERVAL = 0.5

_CALL: contextvars.ContextVar = contextvars.ContextVar("tropnet_progress_call", default=None)


def _tqdm_class():
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm


class Bar:
    """One progress bar (a ``tqdm`` bar, made lazily) or one phase of a call's bar.

    ``update(n)`` advances it, ``note(text)`` says something beside it (a prediction, the cell a
    long unit is at: redrawn at once when the bar is shown, so that a slow step still shows it
    is alive), ``close()`` ends it.  A phase of a :func:`progress_call` adds its ``total`` to the
    call's bar when it starts and ticks the step the call reserved for it when it closes, so the
    call's bar reaches its total only when the call's last phase is done.

    >>> with progress_call(False, "demo") as call:
    ...     call is None
    True
    """

    def __init__(self, total: int | None, desc: str, unit: str, delay: float, call: Any = None,
                 step: int = 1) -> None:
        self.call = call
        self.desc = desc
        self.closed = False
        self.reserved = 0
        self.step = step  # bar positions per step of this phase (its weight in the call's bar)
        if call is not None:
            self._bar = call.bar
            self.reserved = call.take_reservation()
            call.bar.total = (call.bar.total or 0) + int(total) * step
            self.label = call.desc if desc == call.desc else f"{call.desc}: {desc}"
            call.bar.set_description_str(self.label, refresh=False)
        else:
            cls = _tqdm_class()
            self._bar = cls(total=total, desc=desc, unit=unit, delay=delay, leave=False)
        # the bar is due (redrawn by ``note``) once the call, or this bar, has run ``delay`` s
        self.start = call.start if call is not None else time.perf_counter()
        self.delay = delay if call is None else (0.0 if call.progress else PROGRESS_DELAY)
        self.redrawn = -float("inf")

    @property
    def n(self) -> float:
        return self._bar.n

    @property
    def total(self) -> int | None:
        return self._bar.total

    @property
    def postfix(self) -> Any:
        return self._bar.postfix

    def update(self, n: int = 1) -> None:
        if not self.closed and n:
            if self.call is not None and self._bar.desc != self.label:  # phases can interleave
                self._bar.set_description_str(self.label, refresh=False)
            self._bar.update(n * self.step)

    def note(self, text: str, *, redraw: bool = False) -> None:
        """Show ``text`` beside the bar (``redraw``: now, when the bar is already due)."""
        if self.closed:
            return
        self._bar.set_postfix_str(text, refresh=False)
        if redraw:
            now = time.perf_counter()
            # at most one redraw per REDRAW_INTERVAL: a note per few cells must not flood a log
            if now - self.start >= self.delay and now - self.redrawn >= REDRAW_INTERVAL:
                self.redrawn = now
                self._bar.refresh()

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        self.note(text, redraw=refresh)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.call is None:
            self._bar.close()
        elif self.reserved:
            self._bar.update(self.reserved)


class ProgressCall:
    """One bar for one long call made of phases (engine runs, facets, merging): see
    :func:`progress_call`."""

    def __init__(self, progress: bool | None, desc: str, unit: str) -> None:
        self.progress = progress
        self.desc = desc
        self.start = time.perf_counter()
        self.pending = 0
        cls = _tqdm_class()
        self.bar = None if cls is None else cls(
            total=0, desc=desc, unit=unit, delay=self.delay(), leave=False)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def delay(self) -> float:
        return 0.0 if self.progress else max(0.0, PROGRESS_DELAY - self.elapsed())

    def expect(self, phases: int) -> None:
        """Announce ``phases`` more phases: one step each is reserved in the total now (and
        ticked when the phase ends), so the bar cannot reach its total between phases."""
        if self.bar is not None and phases > 0:
            self.pending += phases
            self.bar.total = (self.bar.total or 0) + phases

    def take_reservation(self) -> int:
        if self.pending:
            self.pending -= 1
            return 1
        return 0

    def close(self) -> None:
        if self.bar is None:
            return
        left = (self.bar.total or 0) - self.bar.n
        if left > 0:  # phases announced that did not run
            self.bar.update(left)
        self.bar.close()


@contextlib.contextmanager
def progress_call(progress: bool | None, desc: str, *, phases: int = 0, unit: str = "step") -> Iterator[Any]:
    """One progress bar for the whole of a call (``progress``: ``True`` shows it at once,
    ``None`` once the call has run :data:`PROGRESS_DELAY` seconds, ``False`` never): the bars
    that :func:`progress_bar` and :func:`progress_phase` make inside the ``with`` block are its
    phases.  ``phases`` announces the phases to come (see :meth:`ProgressCall.expect`).  A call
    inside another one joins the outer call's bar.  Yields the :class:`ProgressCall` or
    ``None``.

    >>> with progress_call(True, "demo", phases=1) as call:
    ...     bar = progress_bar(3, True, "step", "unit")
    ...     for _ in range(3):
    ...         bar.update(1)
    ...     (bar.n, bar.total)
    ...     bar.close()
    (3, 4)
    """
    outer = _CALL.get()
    if progress is False or outer is not None or _tqdm_class() is None:
        if outer is not None and progress is not False:
            outer.expect(phases)
        yield outer if progress is not False else None
        return
    call = ProgressCall(progress, desc, unit)
    call.expect(phases)
    token = _CALL.set(call)
    try:
        yield call
    finally:
        _CALL.reset(token)
        call.close()


def progress_bar(total: int | None, progress: bool | None, desc: str, unit: str) -> Bar | None:
    """A bar for a long run (a :class:`Bar`): ``True`` at once, ``None`` after 2 s (long runs
    only), ``False`` never (nor without tqdm); ``total=None`` counts up without an end.  Inside
    a :func:`progress_call` a bar with a total is a phase of the call's bar.

    >>> progress_bar(10, False, "regions", "unit") is None
    True
    """
    if progress is False or _tqdm_class() is None:
        return None
    call = _CALL.get()
    if call is not None and total is not None and call.bar is not None:
        return Bar(total, desc, unit, call.delay(), call)
    delay = 0.0 if progress else (call.delay() if call is not None else PROGRESS_DELAY)
    return Bar(total, desc, unit, delay)


def progress_phase(total: int, desc: str, share: float = 0.0) -> Bar | None:
    """A phase of ``total`` steps of the running :func:`progress_call`'s bar, or ``None`` outside
    one (work that runs on demand, outside a call, shows no bar).  ``share``: the phase weighs
    that many times the steps the bar holds so far (a few coarse steps that take as long as
    the run before them), else one position per step.

    >>> with progress_call(True, "demo") as call:
    ...     a = progress_bar(8, True, "units", "unit"); a.update(8); a.close()
    ...     b = progress_phase(2, "facets", share=1.0); b.update(1); (b.n, b.total)
    ...     b.close()
    (12, 16)
    >>> progress_phase(3, "facets") is None
    True
    """
    call = _CALL.get()
    if call is None or call.bar is None:
        return None
    step = max(1, round(share * (call.bar.total or 0) / max(total, 1))) if share else 1
    return Bar(total, desc, "step", call.delay(), call, step)
