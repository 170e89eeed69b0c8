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

    Each cell is its list of halfspaces; a unit splits a cell when both children have a
    Chebyshev ball of radius above ``rtol`` times the box size (one HiGHS LP per child, on one
    reused model).  A unit's pre-activation is affine on a cell, so its gradient comes from
    the program evaluated at the cell's centre and ``d`` nearby points.  Returns cells with
    interior points (the Chebyshev centres) and no vertices.

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
    tol = rtol * float(np.max(hi - lo))
    x0, r0 = chebyshev_center(A0, b0)
    prog = _Program(d, 0, stages)
    cells = [] if r0 <= tol else [(A0, b0, np.zeros(prog.ncols, dtype=np.int32), x0)]
    from .affine import _walk

    def affine_of(si, pat):
        # the pre-activations of stage si on the cell: the earlier units' pattern fixes them
        J, inv, _, _ = _walk(stages[:si], pat[None, :], d, False)  # float: denominator 1
        return J[inv[0], :, :d], J[inv[0], :, d]

    def child(A, b, w, beta):  # cell intersected with w x + beta <= 0
        A1 = np.vstack([A, w[None, :]])
        b1 = np.concatenate([b, [-beta]])
        x, r = chebyshev_center(A1, b1)
        return (A1, b1, x) if r > tol else None

    for si, st in enumerate(stages):
        if st.kind == "affine" or not cells:
            continue
        col0 = prog.col_base[si]
        if st.kind in ("threshold", "leaky"):
            for j, u in enumerate(st.idx):
                level = st.param if st.kind == "threshold" else 0.0
                out = []
                for k, (A, b, pat, x) in enumerate(cells):
                    if limits is not None and k % 256 == 0:
                        held = len(out) + len(cells) - k
                        _check(limits, held, held * (A.nbytes + b.nbytes))
                    Wz, cz = affine_of(si, pat)
                    w, beta = Wz[u], cz[u] - level
                    if np.abs(w).max() * float(np.max(np.abs(np.r_[lo, hi]))) + abs(beta) <= tol:
                        out.append((A, b, pat, x))  # identically at the threshold: inactive
                        continue
                    for side, c in ((1, child(A, b, -w, -beta)), (0, child(A, b, w, beta))):
                        if c is not None:
                            p2 = pat.copy()
                            p2[col0 + j] = side
                            out.append((c[0], c[1], p2, c[2]))
                cells = out
                if max_cells is not None and len(cells) > max_cells:
                    raise RegionLimitError(f"more than {max_cells} cells")
        else:
            for g, members in enumerate(st.groups):
                out = []
                for A, b, pat, _x in cells:
                    Wz, cz = affine_of(si, pat)
                    firsts = [j for j in range(len(members)) if members[j] not in members[:j]]
                    for j in firsts:
                        Aj, bj = A, b
                        ok = True
                        for i in firsts:
                            if i == j:
                                continue
                            w = Wz[members[i]] - Wz[members[j]]
                            beta = cz[members[i]] - cz[members[j]]
                            if np.abs(w).max() <= tol and abs(beta) <= tol:  # tie everywhere
                                if i < j:
                                    ok = False
                                    break
                                continue
                            Aj = np.vstack([Aj, w[None, :]])
                            bj = np.concatenate([bj, [-beta]])
                        if not ok:
                            continue
                        xj, rj = chebyshev_center(Aj, bj)
                        if rj > tol:
                            p2 = pat.copy()
                            p2[col0 + g] = j
                            out.append((Aj, bj, p2, xj))
                cells = out
                if max_cells is not None and len(cells) > max_cells:
                    raise RegionLimitError(f"more than {max_cells} cells")
    if not cells:
        return Cells(patterns=np.zeros((0, prog.ncols), dtype=np.int32), points=np.zeros((0, d)))
    return Cells(
        patterns=np.array([c[2] for c in cells], dtype=np.int32), points=np.array([c[3] for c in cells])
    )


def _check(limits: Any, cells: int, nbytes: int) -> None:
    """Raise :class:`RegionLimitError` when ``limits`` (:class:`tropnet._limits.Limits`) is passed
    by the cells held or the bytes of their halfspaces."""
    hit = limits.passed(count=cells, nbytes=nbytes, what="cells")
    if hit is not None:
        name, message, reached = hit
        raise RegionLimitError(f"the enumeration stopped: {message}", name, reached)
