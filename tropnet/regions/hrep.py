"""The H-representation engine, for float runs in high input dimension: every cell is its
list of halfspaces and a unit splits it when both children hold a Chebyshev ball (one HiGHS LP
per child).  Interface: one call, :func:`refine_hrep` (no resumable states, no vertices).

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
from .cells import Cells, RegionLimitError
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

    Each cell is its list of halfspaces; a unit splits a cell when both children hold a
    Chebyshev ball (one HiGHS LP per child, rows scaled to unit norm).  A unit's
    pre-activation is affine on a cell, so its gradient comes from the program evaluated at the
    cell's centre and ``d`` nearby points.  Returns cells with interior points (the Chebyshev
    centres) and no vertices.

    *Ties* are decided locally and at the unit's own scale, by the vertex engine's rule: a child
    whose ball of radius ``r`` gives the unit a value ``r ||w||`` at most ``rtol`` times the
    magnitude of the unit's terms near the cell (the bound ``A ||x||_inf + B`` of
    :func:`~tropnet.regions.program._magnitude_bounds`, at the cell's centre plus its radius)
    is no child (if neither child is one, the cell stays whole, on its larger side); a unit
    whose value on the whole box stays within ``rtol`` times its terms is a tie everywhere
    (inactive).  A decision inside that band but above rounding noise
    (:func:`~tropnet.regions.vertex.undecided`) is counted in ``Cells.ambiguous``: the plan
    warns (:class:`~tropnet.AmbiguousGeometryWarning`).

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
    eye = np.eye(d)
    A0 = np.vstack([eye, -eye])
    b0 = np.concatenate([hi, -lo])
    if halfspaces is not None:
        A0 = np.vstack([A0, np.asarray(halfspaces[0], dtype=np.float64)])
        b0 = np.concatenate([b0, np.asarray(halfspaces[1], dtype=np.float64).ravel()])
    x0, r0 = chebyshev_center(A0, b0)
    prog = _Program(d, 0, stages)
    # a cell: (rows A, b, pattern, Chebyshev centre, radius)
    empty = r0 <= rtol * float(np.max(hi - lo))
    cells = [] if empty else [(A0, b0, np.zeros(prog.ncols, dtype=np.int32), x0, r0)]
    xbox = float(np.max(np.abs(np.r_[lo, hi])))
    ambiguous = 0
    from .affine import _walk

    def affine_of(si, pat):
        # the pre-activations of stage si on the cell: the earlier units' pattern fixes them
        J, inv, _, _ = _walk(stages[:si], pat[None, :], d, False)  # float: denominator 1
        return J[inv[0], :, :d], J[inv[0], :, d]

    def ball(A, b, rows, rhs):  # the cell cut by rows x <= rhs (scaled to unit norm): centre, radius
        norms = np.linalg.norm(rows, axis=1)
        A1 = np.vstack([A, rows / norms[:, None]])
        b1 = np.concatenate([b, rhs / norms])
        x, r = chebyshev_center(A1, b1)
        return A1, b1, x, r

    def tie(v, mag):  # a value |v| within its band: a tie, and whether it is an undecided one
        return v <= rtol * mag, bool(v > 0 and undecided(np.array([v]), np.array([mag]), np.array([mag]))[0])

    def check(k, out, held_cells, A, b):
        if limits is not None and k % 256 == 0:
            held = len(out) + held_cells - k
            _check(limits, held, held * (A.nbytes + b.nbytes))

    bar = progress_bar(sum(_steps(st) for st in stages), progress, "regions (H-rep)", "unit")
    try:
        for si, st in enumerate(stages):
            if st.kind == "affine" or not cells:
                if bar is not None:
                    bar.update(_steps(st))
                continue
            col0 = prog.col_base[si]
            MA, MB = _magnitude_bounds(stages[:si], d)
            if st.kind in ("threshold", "leaky"):
                level = float(st.param) if st.kind == "threshold" else 0.0
                for j, u in enumerate(st.idx):
                    out = []
                    for k, (A, b, pat, x, R) in enumerate(cells):
                        check(k, out, len(cells), A, b)
                        _note(bar, k, len(cells))
                        Wz, cz = affine_of(si, pat)
                        w, beta = Wz[u], cz[u] - level
                        # identically at the threshold on the box (at the unit's own scale): inactive
                        scale = MA[u] * xbox + MB[u] + abs(level)
                        is_tie, unsure = tie(np.abs(w).sum() * xbox + abs(beta), scale)
                        nw = float(np.linalg.norm(w))
                        if is_tie:
                            ambiguous += unsure
                            out.append((A, b, pat, x, R))
                            continue
                        if nw == 0.0:  # constant on the cell, not at the threshold: its sign decides
                            p2 = pat.copy()
                            p2[col0 + j] = int(beta > 0)
                            out.append((A, b, p2, x, R))
                            continue
                        mag = MA[u] * (float(np.abs(x).max()) + R) + MB[u] + abs(level)
                        kids = []
                        for side, row, rhs in ((1, -w, beta), (0, w, -beta)):
                            A1, b1, x1, r1 = ball(A, b, row[None, :], np.array([rhs]))
                            kids.append((side, A1, b1, x1, r1))
                        ties = [tie(c[4] * nw, mag) for c in kids]
                        keep = [c for c, t in zip(kids, ties) if not t[0]]
                        if not keep:  # neither side holds a ball above the band: the cell stays whole
                            keep = [max(kids, key=lambda c: c[4])]
                        ambiguous += sum(t[1] for c, t in zip(kids, ties) if all(c is not q for q in keep))
                        for side, A1, b1, x1, r1 in keep:
                            p2 = pat.copy()
                            p2[col0 + j] = side
                            out.append((A1, b1, p2, x1, r1))
                    cells = out
                    if bar is not None:
                        bar.update(1)
                    if max_cells is not None and len(cells) > max_cells:
                        raise RegionLimitError(f"more than {max_cells} cells")
            else:
                for g, members in enumerate(st.groups):
                    out = []
                    firsts = [j for j in range(len(members)) if members[j] not in members[:j]]
                    for k, (A, b, pat, x, R) in enumerate(cells):
                        check(k, out, len(cells), A, b)
                        _note(bar, k, len(cells))
                        Wz, cz = affine_of(si, pat)
                        X = float(np.abs(x).max()) + R
                        copies = []
                        for j in firsts:
                            rows, rhs, mags, lost = [], [], [], False
                            for i in firsts:
                                if i == j:
                                    continue
                                mi, mj = members[i], members[j]
                                w, beta = Wz[mi] - Wz[mj], cz[mi] - cz[mj]
                                is_tie, unsure = tie(np.abs(w).sum() * xbox + abs(beta),
                                                     (MA[mi] + MA[mj]) * xbox + MB[mi] + MB[mj])
                                if is_tie:  # z_i = z_j everywhere: the earlier member wins
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
                                mags.append((MA[mi] + MA[mj]) * X + MB[mi] + MB[mj])
                            if lost:
                                continue
                            if not rows:
                                copies.append((j, A, b, x, R, np.inf, 0.0))
                                continue
                            rows_a = np.array(rows)
                            A1, b1, x1, r1 = ball(A, b, rows_a, np.array(rhs))
                            v = r1 * float(np.linalg.norm(rows_a, axis=1).min())
                            copies.append((j, A1, b1, x1, r1, v, max(mags)))
                        ties = [tie(c[5], c[6]) for c in copies]
                        keep = [c for c, t in zip(copies, ties) if not t[0]]
                        if not keep and copies:  # no copy above the band: the cell stays whole
                            keep = [max(copies, key=lambda c: c[4])]
                        ambiguous += sum(t[1] for c, t in zip(copies, ties) if all(c is not q for q in keep))
                        for j, A1, b1, x1, r1, _, _ in keep:
                            p2 = pat.copy()
                            p2[col0 + g] = j
                            out.append((A1, b1, p2, x1, r1))
                    cells = out
                    if bar is not None:
                        bar.update(1)
                    if max_cells is not None and len(cells) > max_cells:
                        raise RegionLimitError(f"more than {max_cells} cells")
    finally:
        if bar is not None:
            bar.close()
    if not cells:
        return Cells(patterns=np.zeros((0, prog.ncols), dtype=np.int32), points=np.zeros((0, d)),
                     ambiguous=ambiguous)
    return Cells(
        patterns=np.array([c[2] for c in cells], dtype=np.int32), points=np.array([c[3] for c in cells]),
        ambiguous=ambiguous,
    )


def _steps(st: Stage) -> int:
    """The bar's steps of one stage: its units, or its groups."""
    if st.kind in ("threshold", "leaky"):
        return len(st.idx)
    return len(st.groups) if st.kind == "group" else 0


def _note(bar: Any, k: int, n: int) -> None:
    """Say which cell a long unit is at (every 64 cells; redrawn when the bar is shown)."""
    if bar is not None and k % 64 == 0 and n > 64:
        bar.note(f"cell {k}/{n}", redraw=True)


def _check(limits: Any, cells: int, nbytes: int) -> None:
    """Raise :class:`RegionLimitError` when ``limits`` (:class:`tropnet._limits.Limits`) is passed
    by the cells held or the bytes of their halfspaces."""
    hit = limits.passed(count=cells, nbytes=nbytes, what="cells")
    if hit is not None:
        name, message, reached = hit
        raise RegionLimitError(f"the enumeration stopped: {message}", name, reached)
