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

import time
from typing import Any

__all__ = ["Limits", "check_limit_value", "progress_bar"]


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


def progress_bar(total: int | None, progress: bool | None, desc: str, unit: str) -> Any:
    """A tqdm bar for a long run: ``True`` at once, ``None`` after 2 s (long runs only),
    ``False`` never (nor without tqdm); ``total=None`` counts up without an end.

    >>> progress_bar(10, False, "regions", "unit") is None
    True
    """
    if progress is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, desc=desc, unit=unit, delay=0.0 if progress else 2.0, leave=False)
