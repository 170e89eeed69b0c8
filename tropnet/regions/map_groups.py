"""Cells grouped by their output maps: the first step of a linear merge.

A linear region is a connected union of activation cells with one affine output map, so only
cells whose maps come close can merge.  :func:`float_maps` computes every cell's map from its
pattern (one float walk, in chunks), :func:`near_groups` puts maps within a tolerance into one
group (sorted random projections, no pairwise comparison) and :func:`map_groups` picks that
tolerance for float and exact runs; :func:`~tropnet.regions.geometry.linear_labels` then reads
facets only for the cells of groups of two or more.  In exact mode, :func:`silent_units` shows
most equal maps of neighbouring cells without exact arithmetic (no path from the unit between
them to an output).

>>> near_groups(np.array([[0.0], [1e-12], [1.0]]), 1e-9).tolist()
[0, 0, 1]
"""

from __future__ import annotations

import numpy as np

from .affine import cell_affine

__all__ = ["MAPS_CHUNK", "float_maps", "map_groups", "near_groups", "silent_units"]


#: cells per float walk of :func:`float_maps` (its temporaries stay a few MB: fresh memory for
#: one walk of all cells cost more system time than the walk itself at 600k cells)
MAPS_CHUNK = 1 << 15


def float_maps(stages, patterns: np.ndarray, d: int) -> np.ndarray:
    """``(C, out * (d + 1))``: every cell's output map from the float walk
    (:func:`~tropnet.regions.affine.cell_affine`, ``maps_only``), :data:`MAPS_CHUNK` cells at a
    time (each entry within the walk's rounding bound, however the cells are chunked)."""
    C = len(patterns)
    F = None
    for a in range(0, C, MAPS_CHUNK):
        chunk = patterns[a : a + MAPS_CHUNK]
        Fa = cell_affine(stages, chunk, d, exact=False, maps_only=True).map_numerators()
        Fa = Fa.reshape(len(Fa), -1)
        if C <= MAPS_CHUNK:
            return Fa
        if F is None:
            F = np.empty((C, Fa.shape[1]))
        F[a : a + len(Fa)] = Fa
    return F


def map_groups(F: np.ndarray, err: float, exact: bool) -> tuple[np.ndarray, float, float]:
    """The groups of the cells' float maps ``F`` that
    :func:`~tropnet.regions.geometry.linear_labels` merges within (:func:`near_groups`), the
    tolerance ``tol`` and float mode's requested resolution ``rel``: exact maps group within
    twice the walk's rounding bound ``err``; float maps within ``1e-9`` times the largest entry,
    or ``2 err`` where that is larger (equal maps are never split by rounding).  A cell alone in
    its group is a linear region by itself.  Group ids are not ordered
    (``near_groups(..., ordered=False)``).

    >>> gid, tol, rel = map_groups(np.array([[1.0, 0.0], [1.0, 1e-12], [2.0, 0.0]]), 1e-16, False)
    >>> bool(gid[0] == gid[1] != gid[2]), tol == rel == 2e-9
    (True, True)
    """
    if exact:  # equal exact maps have float maps this close
        return near_groups(F, 2 * err, ordered=False), 2 * err, 2 * err
    scale = float(np.abs(F).max()) if F.size else 0.0
    rel = 1e-9 * max(scale, 1e-300)
    tol = max(rel, 2 * err)  # equal maps may differ by the walk's rounding 2 err: never split them for less
    return near_groups(F, tol, ordered=False), tol, rel


def near_groups(F: np.ndarray, tol: float, rounds: int = 3, ordered: bool = True) -> np.ndarray:
    """A group id for each row of ``F`` such that any two rows within ``tol`` of each other
    (max norm) share it, and rows far apart rarely do: the rows sorted by a random projection
    ``s = F r`` break into runs wherever two consecutive values are more than
    ``tol * |r|_1`` (plus the projection's own rounding) apart, since two rows within ``tol``
    have projections that close and so does every row sorted between them; ``rounds``
    projections, each splitting the runs of the one before (a row alone in its run stays alone,
    so later rounds sort only the rows of runs of two or more).  ``ordered``: ids in order of
    each group's first row (else any ids, the same groups).

    >>> near_groups(np.array([[0.0, 1.0], [5.0, 5.0], [1e-12, 1.0], [5.0, 6.0]]), 1e-9).tolist()
    [0, 1, 0, 2]
    """
    C, m = F.shape
    gid = np.zeros(C, dtype=np.int64)
    if C <= 1 or m == 0:
        return gid
    rng = np.random.default_rng(2026)
    u = 2.0**-53
    Rm = rng.uniform(0.5, 1.0, (m, rounds)) * rng.choice([-1.0, 1.0], (m, rounds))
    Sm = F.dot(Rm)  # every projection in one product
    # |s_a - s_b| <= |r . (F_a - F_b)| + the rounding of both products
    g = (m + 2) * u / (1 - (m + 2) * u)
    bound = g * np.abs(F).dot(np.abs(Rm)).max(axis=0)
    rows = np.arange(C)  # the rows still in runs of two or more
    ngroups = 0  # ids of the rows left alone so far: 0 .. ngroups - 1
    for k in range(rounds):
        s = Sm[rows, k] if k else Sm[:, k]
        w = tol * float(np.abs(Rm[:, k]).sum()) * (1 + 1e-9) + 2 * float(bound[k]) * (1 + 1e-9)
        if k:
            g_ = gid[rows]
            order = np.lexsort((s, g_))
            brk = (g_[order][1:] != g_[order][:-1]) | (s[order][1:] - s[order][:-1] > w)
        else:
            order = np.argsort(s, kind="stable")
            ss = s[order]
            brk = ss[1:] - ss[:-1] > w
        brk = np.concatenate([[True], brk])
        start = np.flatnonzero(brk)
        size = np.diff(np.append(start, len(order)))
        run = np.cumsum(brk) - 1
        alone = (size == 1)[run]  # by position in order
        many = ~alone
        # rows alone get final ids; the others keep running ids above them
        gid[rows[order[alone]]] = ngroups + np.arange(int(alone.sum()))
        ngroups += int(alone.sum())
        big = np.cumsum(size > 1) - 1  # the runs of two or more, numbered
        rest = order[many]
        gid[rows[rest]] = ngroups + big[run[many]]
        rows = rows[rest]
        if len(rows) == 0:
            break
    if not ordered:
        return gid
    # groups in order of first row, so ids do not depend on the projections
    _, first, inv = np.unique(gid, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inv.ravel()]


def silent_units(stages, patterns: np.ndarray, which: np.ndarray | None, cols: np.ndarray) -> np.ndarray:
    """For each cell ``which[i]`` (a row of ``patterns``; ``which=None``: row ``i``) and pattern
    column ``cols[i]`` (a unit of a threshold or leaky stage): True when no path of nonzero
    weights leads from that unit's output to an output of the program through units that pass
    it on in that cell (active ones, and inactive leaky ones with a nonzero slope).  Then the
    output does not depend on the unit there, so the two cells of patterns that differ in that
    column alone have one map (the difference of their maps is the unit's column of the
    downstream Jacobian times its row).
    False means "not shown" (also for every column of a program with a group stage).  Exact:
    path counts of 0/1 matrices, clipped to 1 after every product.

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0], [-1.0]], [[1.0, 0.0]], [[1.0]]]))
    >>> P = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 1]], dtype=np.int32)
    >>> silent_units(st, P, np.arange(3), np.array([0, 0, 1])).tolist()  # read by an inactive unit, ...
    [True, False, True]
    >>> silent_units(st, P, None, np.array([0, 0, 1])).tolist()  # (the same cells: row i for i)
    [True, False, True]
    """
    n = len(patterns) if which is None else len(which)
    out = np.zeros(n, dtype=bool)
    if n == 0 or any(st.kind == "group" for st in stages):
        return out
    if which is None:
        cells, inv = patterns, np.arange(n)
    else:
        rows, inv = np.unique(which, return_inverse=True)
        cells, inv = patterns[rows], inv.ravel()
    width = None
    starts, col = [], 0
    for st in stages:
        if st.kind == "affine":
            width = np.asarray(st.W).shape[0]
        else:
            starts.append(col)
            col += len(st.idx)
    r = np.ones((len(cells), width))
    found = np.zeros(n, dtype=bool)
    a = len(starts)
    for st in reversed(stages):
        if st.kind == "affine":
            r = np.minimum(r @ (np.asarray(st.W) != 0).astype(np.float64), 1.0)
            continue
        a -= 1
        idx = np.asarray(st.idx)
        c0 = starts[a]
        mine = (cols >= c0) & (cols < c0 + len(idx))
        if mine.any():
            out[mine] = r[inv[mine], idx[cols[mine] - c0]] == 0
            found |= mine
            if found.all():  # (the stages before read no column asked for)
                break
        passes = cells[:, c0 : c0 + len(idx)] == 1
        if st.kind == "leaky" and st.param != 0:
            passes[:] = True
        r[:, idx] *= passes
    return out & found
