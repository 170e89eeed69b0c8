"""The training-curve picture of :func:`tropnet.studies.complexity_curve`.

>>> import matplotlib; matplotlib.use("Agg")
>>> table = {"checkpoint": np.arange(3), "lc_mean": np.array([2.0, 3.0, 5.0]),
...          "lc_q25": np.array([1.0, 2.0, 3.0]), "lc_q75": np.array([3.0, 4.0, 6.0]),
...          "segment_mean": np.array([4.0, 6.0, 9.0]), "plane_regions": np.array([50, 80, 120])}
>>> ax = complexity_curve(table)
>>> [line.get_label() for line in ax.get_lines()]
['local complexity (mean)', 'regions per segment (mean)']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .style import OKABE_ITO, new_axes

__all__ = ["complexity_curve"]


def complexity_curve(table: Any, ax: Any = None, *, x: str = "checkpoint") -> Any:
    """Draw a :func:`tropnet.studies.complexity_curve` table (a DataFrame or a dict of
    arrays): the mean local complexity with its interquartile band and the mean count along
    segments on the left axis, the regions on the fixed plane on a right axis.  Returns the
    left axes (the right one is ``ax.right``)."""
    cols = {c: np.asarray(table[c]) for c in table}
    for need in (x, "lc_mean"):
        if need not in cols:
            raise ValueError(f"the table has no column {need!r} (columns: {sorted(cols)})")
    ax = new_axes(ax, figsize=(6.0, 3.6))
    t = cols[x]
    ax.plot(t, cols["lc_mean"], "-o", color=OKABE_ITO[5], lw=1.8, ms=4, label="local complexity (mean)")
    if "lc_q25" in cols and "lc_q75" in cols:
        ax.fill_between(t, cols["lc_q25"], cols["lc_q75"], color=OKABE_ITO[5], alpha=0.2, lw=0)
    if "segment_mean" in cols and np.isfinite(cols["segment_mean"]).any():
        ax.plot(t, cols["segment_mean"], "-s", color=OKABE_ITO[6], lw=1.5, ms=4,
                label="regions per segment (mean)")
    ax.set_xlabel(x)
    ax.set_ylabel("regions")
    handles, labels = ax.get_legend_handles_labels()
    right = None
    if "plane_regions" in cols and (cols["plane_regions"] >= 0).any():
        right = ax.twinx()
        (pl,) = right.plot(t, cols["plane_regions"], "--^", color=OKABE_ITO[3], lw=1.5, ms=4,
                           label="regions on the plane")
        right.set_ylabel("regions on the plane")
        handles.append(pl)
        labels.append(pl.get_label())
    # below the axes: a legend inside would hide the curves
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=len(handles),
              fontsize=8, frameon=False)
    ax.right = right
    for side in ("top",):
        ax.spines[side].set_visible(False)
    return ax
