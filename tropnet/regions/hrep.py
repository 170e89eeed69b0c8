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

from .cells import Cells, RegionLimitError
from .program import Stage
from .vertex import _Program

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
) -> Cells:
    """Layer-wise refinement in the H-representation, for high input dimension (float only).

    Each cell is its list of cutting halfspaces (the box ``[lo, hi]`` stays the LP's variable
    bounds) and a point ``x`` inside it at distance ``r`` from them.  A unit whose
    pre-activation (affine on the cell: one batched walk per stage for all cells) keeps one
    sign over the whole box leaves the cell alone with no LP; otherwise the side holding ``x``
    is witnessed by ``x`` when the hyperplane is farther than ``rtol`` times the box size, and
    one HiGHS LP (a point of the box farthest from the cell's hyperplanes on the other side)
    decides the other side.  A side that is empty adds no row.  Returns cells with interior
    points and no vertices.

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
    tol = rtol * float(np.max(hi - lo))
    mid, rad = (lo + hi) / 2, (hi - lo) / 2
    scale = float(np.max(np.abs(np.r_[lo, hi])))
    rcap = 2.0 * float(np.max(hi - lo)) + 1.0  # keeps every LP bounded (its point in the box)
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
    from .affine import _walk

    def maps(si):  # the pre-activations of stage si on every cell: (C, width, d), (C, width)
        pats = np.array([c[2] for c in cells], dtype=np.int32)
        J, inv, _, _ = _walk(stages[:si], pats, d, False)  # float: denominator 1
        return J[inv, :, :d], J[inv, :, d]

    def other_side(A, b, w, beta):  # the cell intersected with w x + beta <= 0: (A, b, x, r) or None
        A1 = np.vstack([A, w[None, :]])
        b1 = np.concatenate([b, [-beta]])
        x, r = chebyshev_center(A1, b1, lo=lo, hi=hi, rmax=rcap)
        return (A1, b1, x, r) if r > tol else None

    for si, st in enumerate(stages):
        if st.kind == "affine" or not cells:
            continue
        col0 = prog.col_base[si]
        Wz, cz = maps(si)
        if st.kind in ("threshold", "leaky"):
            level = st.param if st.kind == "threshold" else 0.0
            for j, u in enumerate(st.idx):
                W = Wz[:, u, :]  # (C, d)
                beta = cz[:, u] - level
                spread = np.abs(W).dot(rad)
                centre = W.dot(mid) + beta
                keep_on = centre - spread > tol * np.linalg.norm(W, axis=1)  # active on the whole box
                flat = np.abs(W).max(axis=1) * scale + np.abs(beta) <= tol  # identically at the level
                X = np.array([c[3] for c in cells])
                v = np.einsum("cd,cd->c", W, X) + beta
                out, wout = [], []
                for k, cell in enumerate(cells):
                    if limits is not None and k % 256 == 0:
                        held = len(out) + len(cells) - k
                        _check(limits, held, held * (cell[0].nbytes + cell[1].nbytes))
                    A, b, pat, x, r = cell
                    if flat[k] or centre[k] + spread[k] < -tol * np.linalg.norm(W[k]) and not keep_on[k]:
                        out.append(cell)  # inactive on the whole box
                        wout.append(k)
                        continue
                    if keep_on[k]:
                        pat = pat.copy()
                        pat[col0 + j] = 1
                        out.append([A, b, pat, x, r])
                        wout.append(k)
                        continue
                    w, bt = W[k], beta[k]
                    nw = float(np.linalg.norm(w))
                    side = 1 if v[k] > 0 else 0
                    dist = abs(v[k]) / nw
                    # the side of x, with x as its witness when far enough from the hyperplane
                    if min(r, dist) > tol:
                        mine = (np.vstack([A, (w if side == 0 else -w)[None, :]]),
                                np.concatenate([b, [-bt if side == 0 else bt]]), x, min(r, dist))
                    else:
                        mine = other_side(A, b, w, bt) if side == 0 else other_side(A, b, -w, -bt)
                    theirs = other_side(A, b, -w, -bt) if side == 0 else other_side(A, b, w, bt)
                    children = [(side, mine), (1 - side, theirs)]
                    alive = [(s, c) for s, c in children if c is not None]
                    for s, c in alive:
                        p2 = pat.copy()
                        p2[col0 + j] = s
                        if len(alive) == 1:  # the hyperplane does not cut the cell: no row
                            out.append([A, b, p2, x, r] if c[2] is x else [A, b, p2, c[2], c[3]])
                        else:
                            out.append([c[0], c[1], p2, c[2], c[3]])
                        wout.append(k)
                cells = out
                if max_cells is not None and len(cells) > max_cells:
                    raise RegionLimitError(f"more than {max_cells} cells")
                if cells:
                    Wz, cz = Wz[wout], cz[wout]
        else:
            for g, members in enumerate(st.groups):
                out, wout = [], []
                for k, (A, b, pat, _x, _r) in enumerate(cells):
                    firsts = [j for j in range(len(members)) if members[j] not in members[:j]]
                    for j in firsts:
                        Aj, bj = A, b
                        ok = True
                        for i in firsts:
                            if i == j:
                                continue
                            w = Wz[k, members[i]] - Wz[k, members[j]]
                            beta = cz[k, members[i]] - cz[k, members[j]]
                            if np.abs(w).max() <= tol and abs(beta) <= tol:  # tie everywhere
                                if i < j:
                                    ok = False
                                    break
                                continue
                            Aj = np.vstack([Aj, w[None, :]])
                            bj = np.concatenate([bj, [-beta]])
                        if not ok:
                            continue
                        xj, rj = chebyshev_center(Aj, bj, lo=lo, hi=hi, rmax=rcap)
                        if rj > tol:
                            p2 = pat.copy()
                            p2[col0 + g] = j
                            out.append([Aj, bj, p2, xj, rj])
                            wout.append(k)
                cells = out
                if max_cells is not None and len(cells) > max_cells:
                    raise RegionLimitError(f"more than {max_cells} cells")
                if cells:
                    Wz, cz = Wz[wout], cz[wout]
    if not cells:
        return Cells(patterns=np.zeros((0, prog.ncols), dtype=np.int32), points=np.zeros((0, d)))
    # the points lie in the closed box, at distance r from their cells' hyperplanes: moved part of
    # the way to the box's centre (by at most r / 2) they are interior to the box too
    X = np.array([c[3] for c in cells])
    r = np.array([c[4] for c in cells])
    gap = np.linalg.norm(mid[None, :] - X, axis=1)
    lam = np.minimum(0.5, np.divide(r, 2 * gap, out=np.full(len(r), 0.5), where=gap > 0))
    X = X + lam[:, None] * (mid[None, :] - X)
    return Cells(patterns=np.array([c[2] for c in cells], dtype=np.int32), points=X)


def _check(limits: Any, cells: int, nbytes: int) -> None:
    """Raise :class:`RegionLimitError` when ``limits`` (:class:`tropnet._limits.Limits`) is passed
    by the cells held or the bytes of their halfspaces."""
    hit = limits.passed(count=cells, nbytes=nbytes, what="cells")
    if hit is not None:
        name, message, reached = hit
        raise RegionLimitError(f"the enumeration stopped: {message}", name, reached)
