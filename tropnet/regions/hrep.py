"""The H-representation engine, for float runs in high input dimension: every cell is its
list of cutting halfspaces (the box stays the LPs' variable bounds) and a point inside it; a unit
splits a cell when both sides hold a point farther than a tolerance from the cell's hyperplanes
(the cell's own point witnesses its side, one HiGHS LP decides the other; units that keep one
sign over the whole box need none).  Interface: one call, :func:`refine_hrep` (no resumable
states, no vertices).

>>> import numpy as np
>>> from tropnet import random_mlp
>>> from tropnet.regions.program import stages_from_network
>>> len(refine_hrep(stages_from_network(random_mlp([3, 4, 1], seed=1)), 3, -np.ones(3), np.ones(3)))
9
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._limits import progress_bar
from .cells import Cells, RegionLimitError, check_passed
from .program import Stage, _magnitude_bounds
from .vertex import _Program, undecided

#: Above this input dimension the H-representation engine (one LP per cell and unit) runs.
HREP_DIM = 12


#: Exact runs use the vertex engine (exact decisions) up to this input dimension and are
#: refused above it (the engine starts from the 2^d corners of the box).
EXACT_MAX_DIM = 16


def uses_hrep(d: int, exact: bool) -> bool:
    """Whether a run in input dimension ``d`` takes this engine: float runs above
    :data:`HREP_DIM` (exact runs use the vertex engine up to :data:`EXACT_MAX_DIM`).

    >>> uses_hrep(13, False), uses_hrep(13, True), uses_hrep(4, False)
    (True, False, False)
    """
    return d > HREP_DIM and not exact


def refine_hrep(
    stages: list[Stage],
    d: int,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    max_cells: int | None = None,
    rtol: float = 1e-9,
    limits: Any = None,
    progress: bool | None = False,
) -> Cells:
    """Layer-wise refinement in the H-representation, for high input dimension (float only).

    Each cell is its list of cutting halfspaces (the box ``[lo, hi]`` stays the LP's variable
    bounds; rows scaled to unit norm) and a point ``x`` inside it at distance ``r`` from them.
    A unit whose pre-activation (affine on the cell: one batched walk per stage for all cells)
    keeps one sign over the whole box leaves the cell alone with no LP; otherwise the side
    holding ``x`` is witnessed by ``x`` when the hyperplane is farther than the tolerance, and
    one HiGHS LP (a point of the box farthest from the cell's hyperplanes on the other side)
    decides the other side.  A side that is empty adds no row.  Returns cells with interior
    points and no vertices.

    *Ties* are decided locally, at the unit's own scale, by the vertex engine's rule: a side
    whose point at distance ``r`` gives the unit a value ``r ||w||`` at most ``rtol`` times the
    magnitude of the unit's terms near the cell (the bound ``A ||x||_inf + B`` of
    :func:`~tropnet.regions.program._magnitude_bounds` at ``||x||_inf + r``) is empty (when
    neither side holds such a point the cell stays whole, on the side of ``x``), and a unit
    whose value over the whole box stays within ``rtol`` times its terms is at its threshold
    everywhere (inactive).  A decision inside that band but above rounding noise
    (:func:`~tropnet.regions.vertex.undecided`) is counted in ``Cells.ambiguous``; the plan
    then warns (:class:`~tropnet.AmbiguousGeometryWarning`).  ``progress``: a bar over the units.

    >>> from tropnet import random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> from tropnet.regions.refine import refine
    >>> st = stages_from_network(random_mlp([3, 4, 1], seed=1))
    >>> len(refine_hrep(st, 3, -np.ones(3), np.ones(3))) == len(refine(st, 3, -np.ones(3), np.ones(3)))
    True
    """
    from ..kernels.lp import chebyshev_center

    lo = np.asarray(lo, dtype=np.float64).ravel()
    hi = np.asarray(hi, dtype=np.float64).ravel()
    width = float(np.max(hi - lo))
    tol = rtol * width  # only for the domain itself (empty or not)
    mid, rad = (lo + hi) / 2, (hi - lo) / 2
    scale = float(np.max(np.abs(np.r_[lo, hi])))
    rcap = 2.0 * width + 1.0  # keeps every LP bounded (its point in the box)
    prog = _Program(d, 0, stages)
    if halfspaces is not None:
        A0 = np.asarray(halfspaces[0], dtype=np.float64).reshape(-1, d)
        b0 = np.asarray(halfspaces[1], dtype=np.float64).ravel()
        x0, r0 = chebyshev_center(A0, b0, lo=lo, hi=hi, rmax=rcap)
    else:
        A0, b0 = np.zeros((0, d)), np.zeros(0)
        x0, r0 = mid, (np.inf if np.min(hi - lo) > tol else -1.0)
    if np.min(hi - lo) <= tol:
        r0 = -1.0
    # a cell: [rows A, b, pattern, point x, its distance r to the rows]
    cells = [] if r0 <= tol else [[A0, b0, np.zeros(prog.ncols, dtype=np.int32), x0, r0]]
    ambiguous = 0
    from .affine import _walk

    def maps(si):  # the pre-activations of stage si on every cell: (C, width, d), (C, width)
        pats = np.array([c[2] for c in cells], dtype=np.int32)
        J, inv, _, _ = _walk(stages[:si], pats, d, False)  # float: denominator 1
        return J[inv, :, :d], J[inv, :, d]

    def cut(A, b, rows, rhs):  # the cell cut by rows x <= rhs, scaled to unit norm: (A, b, x, r)
        norms = np.linalg.norm(rows, axis=1)
        A1 = np.vstack([A, rows / norms[:, None]])
        b1 = np.concatenate([b, rhs / norms])
        x, r = chebyshev_center(A1, b1, lo=lo, hi=hi, rmax=rcap)
        return A1, b1, x, r

    def tie(v, mag, cell=None):
        # value v (>= 0 above a tie) within its band (rtol times the terms ``mag`` where the value
        # is taken) or below the rounding noise of the LP it came from (whose terms are ``cell``):
        # a tie; and an undecided one (inside the band, above the noise)?
        cell = mag if cell is None else cell
        above = bool(v > 0 and undecided(np.array([v]), np.array([mag]), np.array([cell]))[0])
        return v <= rtol * mag or not above, above and v <= rtol * mag

    def local(x, r):  # the size of the coordinates near a cell's point
        return float(np.abs(x).max(initial=0.0)) + min(float(r), width)

    bar = progress_bar(sum(_steps(st) for st in stages), progress, "regions (H-rep)", "unit")

    def visit(k, out, cells, A, b):  # before cell k of a unit: the limits, the bar's note
        if limits is not None and k % 256 == 0:
            held = len(out) + len(cells) - k
            check_passed(limits, held, held * (A.nbytes + b.nbytes))
        _note(bar, k, len(cells))

    def finish(out, wout, Wz, cz):  # a unit or group done: its cells, the maps narrowed to them
        if bar is not None:
            bar.update(1)
        if max_cells is not None and len(out) > max_cells:
            raise RegionLimitError(f"more than {max_cells} cells", "max_regions", {"cells": max_cells + 1})
        return (out, Wz[wout], cz[wout]) if out else (out, Wz, cz)
    try:
        for si, st in enumerate(stages):
            if st.kind == "affine" or not cells:
                if bar is not None:
                    bar.update(_steps(st))
                continue
            col0 = prog.col_base[si]
            MA, MB = _magnitude_bounds(stages[:si], d)
            Wz, cz = maps(si)
            if st.kind in ("threshold", "leaky"):
                level = float(st.param) if st.kind == "threshold" else 0.0
                for j, u in enumerate(st.idx):
                    W = Wz[:, u, :]  # (C, d)
                    beta = cz[:, u] - level
                    norms = np.linalg.norm(W, axis=1)
                    spread = np.abs(W).dot(rad)
                    centre = W.dot(mid) + beta
                    keep_on = centre - spread > tol * norms  # active on the whole box
                    off = centre + spread < -tol * norms  # inactive on the whole box
                    # at the level on the whole box, at the unit's own scale (its terms)
                    flat_v = np.abs(W).sum(axis=1) * scale + np.abs(beta)
                    flat_m = MA[u] * scale + MB[u] + abs(level)
                    X = np.array([c[3] for c in cells])
                    v = np.einsum("cd,cd->c", W, X) + beta
                    out, wout = [], []
                    for k, cell in enumerate(cells):
                        visit(k, out, cells, cell[0], cell[1])
                        A, b, pat, x, r = cell
                        is_flat, unsure = tie(flat_v[k], flat_m)
                        if is_flat or (off[k] and not keep_on[k]):
                            ambiguous += is_flat and unsure
                            out.append(cell)  # inactive on the whole box
                            wout.append(k)
                            continue
                        if keep_on[k] or norms[k] == 0.0:  # active on the whole box (or constant > 0)
                            pat = pat.copy()
                            pat[col0 + j] = 1
                            out.append([A, b, pat, x, r])
                            wout.append(k)
                            continue
                        w, bt = W[k], beta[k]
                        nw = float(norms[k])
                        mag = MA[u] * local(x, r) + MB[u] + abs(level)
                        side = 1 if v[k] > 0 else 0
                        dist = abs(v[k]) / nw
                        # the side of x, with x as its witness when far enough from the hyperplane
                        if not tie(min(r, dist) * nw, mag)[0]:
                            sw = -w if side == 1 else w
                            mine = (np.vstack([A, (sw / nw)[None, :]]),
                                    np.concatenate([b, [(-bt if side == 0 else bt) / nw]]), x, min(r, dist))
                        else:
                            mine = cut(A, b, w[None, :], np.array([-bt])) if side == 0 else cut(
                                A, b, -w[None, :], np.array([bt]))
                        theirs = cut(A, b, -w[None, :], np.array([bt])) if side == 0 else cut(
                            A, b, w[None, :], np.array([-bt]))
                        children = [(side, mine), (1 - side, theirs)]
                        # each side at its own scale (its point and radius), the noise at the cell's
                        ties = [tie(c[3] * nw, MA[u] * local(c[2], c[3]) + MB[u] + abs(level), mag)
                                for _, c in children]
                        alive = [(s, c) for (s, c), t in zip(children, ties) if not t[0]]
                        ambiguous += sum(t[1] for t in ties if t[0])
                        if not alive:  # no side holds a point above the band: the cell stays whole
                            alive = [(side, (A, b, x, r))]
                        for s, c in alive:
                            p2 = pat.copy()
                            p2[col0 + j] = s
                            if len(alive) == 1:  # the hyperplane does not cut the cell: no row
                                out.append([A, b, p2, x, r] if c[2] is x else [A, b, p2, c[2], c[3]])
                            else:
                                out.append([c[0], c[1], p2, c[2], c[3]])
                            wout.append(k)
                    cells, Wz, cz = finish(out, wout, Wz, cz)
            else:
                for g, members in enumerate(st.groups):
                    out, wout = [], []
                    firsts = [j for j in range(len(members)) if members[j] not in members[:j]]
                    for k, (A, b, pat, x, r) in enumerate(cells):
                        visit(k, out, cells, A, b)
                        size = local(x, r)
                        copies = []
                        for j in firsts:
                            rows, rhs, mags, lost = [], [], [], False
                            for i in firsts:
                                if i == j:
                                    continue
                                mi, mj = members[i], members[j]
                                w = Wz[k, mi] - Wz[k, mj]
                                beta = cz[k, mi] - cz[k, mj]
                                is_tie, unsure = tie(np.abs(w).sum() * scale + abs(beta),
                                                     (MA[mi] + MA[mj]) * scale + MB[mi] + MB[mj])
                                if is_tie:  # z_i = z_j on the whole box: the earlier member wins
                                    if i < j:
                                        ambiguous += unsure
                                        lost = True
                                        break
                                    continue
                                if not np.any(w):  # a constant difference: z_i beats z_j everywhere, or never
                                    if beta > 0:
                                        lost = True
                                        break
                                    continue
                                rows.append(w)
                                rhs.append(-beta)
                                mags.append((MA[mi] + MA[mj], MB[mi] + MB[mj]))
                            if lost:
                                continue
                            if not rows:
                                copies.append((j, A, b, x, r, np.inf, 0.0, 0.0))
                                continue
                            rows_a = np.array(rows)
                            Aj, bj, xj, rj = cut(A, b, rows_a, np.array(rhs))
                            least = float(np.linalg.norm(rows_a, axis=1).min())
                            ab = np.array(mags)  # the copy's scale at its own point, the noise at the cell's
                            own, cell_m = ab[:, 0] * local(xj, rj) + ab[:, 1], ab[:, 0] * size + ab[:, 1]
                            copies.append((j, Aj, bj, xj, rj, rj * least, float(own.max()),
                                           float(cell_m.max())))
                        ties = [tie(c[5], c[6], c[7]) for c in copies]
                        keep = [c for c, t in zip(copies, ties) if not t[0]]
                        ambiguous += sum(t[1] for t in ties if t[0])
                        if not keep and copies:  # no copy above the band: the cell stays whole
                            best = max(copies, key=lambda c: c[4])
                            keep = [(best[0], A, b, x, r)]
                        for c in keep:
                            p2 = pat.copy()
                            p2[col0 + g] = c[0]
                            out.append([c[1], c[2], p2, c[3], c[4]])
                            wout.append(k)
                    cells, Wz, cz = finish(out, wout, Wz, cz)
    finally:
        if bar is not None:
            bar.close()
    if not cells:
        return Cells(patterns=np.zeros((0, prog.ncols), dtype=np.int32), points=np.zeros((0, d)),
                     ambiguous=ambiguous)
    # the points lie in the closed box, at distance r from their cells' hyperplanes: moved part of
    # the way to the box's centre (by at most r / 2) they are interior to the box too
    X = np.array([c[3] for c in cells])
    r = np.array([c[4] for c in cells])
    gap = np.linalg.norm(mid[None, :] - X, axis=1)
    lam = np.minimum(0.5, np.divide(r, 2 * gap, out=np.full(len(r), 0.5), where=gap > 0))
    X = X + lam[:, None] * (mid[None, :] - X)
    return Cells(patterns=np.array([c[2] for c in cells], dtype=np.int32), points=X, ambiguous=ambiguous)


def _steps(st: Stage) -> int:
    """The bar's steps of one stage: its units, or its groups."""
    if st.kind in ("threshold", "leaky"):
        return len(st.idx)
    return len(st.groups) if st.kind == "group" else 0


def _note(bar: Any, k: int, n: int) -> None:
    """Say which cell a long unit is at (every 64 cells; redrawn when the bar is shown)."""
    if bar is not None and k % 64 == 0 and n > 64:
        bar.note(f"cell {k}/{n}", redraw=True)
