"""Region counts against width, depth or parameters, with error bars over seeds.

>>> import matplotlib; matplotlib.use("Agg")
>>> rows = [{"parameters": 10, "linear_regions": 5}, {"parameters": 10, "linear_regions": 7},
...         {"parameters": 20, "linear_regions": 12}]
>>> ax = region_counts(rows)
>>> ax.get_lines()[0].get_ydata().tolist()  # means over the seeds at each x
[6.0, 12.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .style import OKABE_ITO, new_axes

__all__ = ["region_counts"]


def _records(table: Any) -> list[dict[str, Any]]:
    if hasattr(table, "to_dict") and hasattr(table, "columns"):  # a pandas DataFrame
        return list(table.to_dict("records"))
    if isinstance(table, dict):
        keys = list(table)
        n = len(table[keys[0]]) if keys else 0
        return [{k: table[k][i] for k in keys} for i in range(n)]
    rows = list(table)
    if rows and not all(isinstance(r, dict) for r in rows):
        raise TypeError("table must be a list of dicts, a dict of columns or a pandas DataFrame")
    return rows


def _key(v: Any) -> Any:
    if isinstance(v, (list, tuple, np.ndarray)):
        return tuple(np.asarray(v).tolist())
    return v


def region_counts(
    table: Any,
    x: str = "parameters",
    y: str = "linear_regions",
    *,
    yerr: str | None = None,
    by: str | None = None,
    ax: Any = None,
    logx: bool = False,
    logy: bool = True,
    label: str | None = None,
) -> Any:
    """Plot region counts (``y``) against ``x`` with error bars; return the axes.

    Parameters
    ----------
    table
        Rows as a list of dicts, a dict of columns, or a pandas DataFrame (for instance the
        table of :func:`tropnet.compare_algebras` or of a sweep).
    x, y
        Column names.  Rows sharing ``x`` (and ``by``) are averaged and their standard
        deviation drawn as an error bar, unless ``yerr`` names a column of ready-made errors.
        Non-numeric ``x`` values (such as width lists) are placed in order of appearance.
    by
        A column whose values split the rows into separately coloured series (e.g. ``"algebra"``).
        Calling again on the same axes adds series in the next colour and marker.

    >>> import matplotlib; matplotlib.use("Agg")
    >>> rows = [{"w": 2, "n": 4, "alg": "R"}, {"w": 4, "n": 11, "alg": "R"}, {"w": 2, "n": 3, "alg": "C"}]
    >>> ax = region_counts(rows, x="w", y="n", by="alg", logy=False)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['R', 'C']
    """
    rows = _records(table)
    if not rows:
        raise ValueError("region_counts: the table is empty")
    for col in [c for c in (x, y, yerr, by) if c is not None]:
        if col not in rows[0]:
            raise KeyError(f"region_counts: the table has no column {col!r} (columns: {', '.join(rows[0])})")
    ax = new_axes(ax, figsize=(5.0, 3.6))
    n_before = len(ax.containers)
    series: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault(_key(r[by]) if by else None, []).append(r)
    xs_all = [_key(r[x]) for r in rows]
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) for v in xs_all)
    categories: list[Any] = []
    if not numeric:
        for v in xs_all:
            if v not in categories:
                categories.append(v)
    for k, (name, rs) in enumerate(series.items()):
        groups: dict[Any, list[dict[str, Any]]] = {}
        for r in rs:
            groups.setdefault(_key(r[x]), []).append(r)
        xv = sorted(groups) if numeric else [c for c in categories if c in groups]
        pos = (
            np.array([float(v) for v in xv])
            if numeric
            else np.array([categories.index(v) for v in xv], float)
        )
        mean = np.array([np.mean([float(r[y]) for r in groups[v]]) for v in xv])
        if yerr is not None:
            err = np.array([np.mean([float(r[yerr]) for r in groups[v]]) for v in xv])
        else:
            err = np.array([np.std([float(r[y]) for r in groups[v]]) for v in xv])
        j = k + n_before  # series already on the axes (earlier calls) keep their style
        color = OKABE_ITO[j % len(OKABE_ITO)]
        markers = "osD^v<>p"
        ax.errorbar(
            pos,
            mean,
            yerr=err,
            color=color,
            marker=markers[j % len(markers)],
            markersize=4,
            capsize=3,
            linewidth=1.2,
            label=str(name) if by else label,
        )
    if not numeric:
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(
            [str(list(c)) if isinstance(c, tuple) else str(c) for c in categories], rotation=30
        )
    if logx and numeric:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if by or label or n_before:
        ax.legend(frameon=False)
    return ax
