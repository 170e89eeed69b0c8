"""From activation cells to linear regions: local affine maps, facets, facet adjacency, and
the union of facet-adjacent cells with one affine map.

Each cell's candidate halfspaces are the domain's rows and one row per unit (the sign the
cell's pattern gives the unit's pre-activation, an affine function on the cell).  A row is
a *facet* when the set of the cell's vertices tight at it is maximal by inclusion among
those sets and contains a finite point; this needs no rank computation and is exact when
the incidences are exact.  For an unbounded cell the vertices are the homogeneous points
``(x, t)`` of the cone over the cell (``t = 0``: directions), and the same test applies.

The neighbour across a unit facet has the cell's pattern with that unit flipped, unless
another unit vanishes on the whole facet; then the pattern is read at a point just across
the facet.  Linear regions are the connected components of the graph of facet-adjacent
cells with equal affine maps (exactly equal in exact mode).

>>> from tropnet import Network
>>> from tropnet.regions.program import stages_from_network
>>> st = stages_from_network(Network.from_arrays([[[1.0]], [[2.0]]], [[0.0], [1.0]]))
>>> W, c = output_maps(st, np.array([[1], [0]], dtype=np.int32), 1)
>>> W[:, 0, 0].tolist(), c[:, 0].tolist()
([2.0, 0.0], [1.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd, lcm
from typing import Any

import numpy as np

from ..kernels.merge import row_keys
from .program import Stage

__all__ = [
    "CellAffine",
    "cell_affine",
    "unit_rows",
    "output_maps",
    "maps_and_rows",
    "cell_facets",
    "hrep_facets",
    "facet_point",
    "merge_linear",
    "patterns_at",
]


def _affine_parts(st: Stage, exact: bool):
    """``(W, b, q)`` with the stage's map ``z -> (W z + b) / q``: integers over their least
    common denominator when exact, the float arrays and ``q = 1`` otherwise."""
    if not exact:
        return np.asarray(st.W, dtype=np.float64), np.asarray(st.b, dtype=np.float64), 1.0
    W = np.asarray(st.W, dtype=object)
    b = np.asarray(st.b, dtype=object).ravel()
    fr = [_ratio(v) for v in W.ravel().tolist() + b.tolist()]
    q = lcm(*[den for _, den in fr]) if fr else 1
    M = np.array([num * (q // den) for num, den in fr], dtype=object)
    return M[: W.size].reshape(W.shape), M[W.size :], q


def _integer_dot(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """``W @ X`` for object arrays of Python integers: FLINT's multimodular product (python-flint
    ``fmpz_mat``) for large ones, about 5x numpy's element-by-element object loop even with
    the conversions; numpy for small ones."""
    if W.size * X.shape[1] < 20_000:
        return W.dot(X)
    import flint

    P = flint.fmpz_mat(W.tolist()) * flint.fmpz_mat(X.tolist())
    out = np.empty(W.shape[0] * X.shape[1], dtype=object)
    out[:] = [int(v) for v in P.entries()]
    return out.reshape(W.shape[0], X.shape[1])


def _ratio_parts(v: Any, exact: bool):
    """``(p, q)`` with ``v = p / q`` (integers when exact; ``(v, 1)`` in floats)."""
    return _ratio(v) if exact else (float(v), 1.0)


def _walk(stages: list[Stage], patterns: np.ndarray, d: int, exact: bool):
    """The affine map of every stage on every cell, in homogeneous form: numerators
    ``J (U, k, d + 1)`` over one common denominator ``D`` (``z = J (x, 1) / D``), one per
    *class* of cells with equal pattern so far (``inv (C,)`` gives each cell's class), since a
    stage's map depends only on the pattern entries of the stages before it.  Exact mode
    computes in Python integers — every stage's rationals scaled once by their common
    denominator, so no gcd is ever taken in the loop — and float mode in float64 with
    ``D = 1``.  Returns ``(J, inv, D, blocks)``: ``blocks`` holds, per activation stage, the
    pre-activations its halfspaces need (:class:`_Block`)."""
    C = patterns.shape[0]
    dt = object if exact else np.float64
    J = np.zeros((1, d, d + 1), dtype=dt)
    J[:] = 0 if exact else 0.0
    for i in range(d):
        J[:, i, i] = 1 if exact else 1.0
    inv = np.zeros(C, dtype=np.int64)
    D = 1 if exact else 1.0
    col = 0
    blocks = []
    for st in stages:
        if st.kind == "affine":
            W, b, q = _affine_parts(st, exact)
            U, k = J.shape[0], J.shape[1]
            # one GEMM for all classes: (m, k) @ (k, U * (d + 1))
            Jt = np.ascontiguousarray(J.transpose(1, 0, 2)).reshape(k, U * (d + 1))
            J = (_integer_dot(W, Jt) if exact else W.dot(Jt)).reshape(W.shape[0], U, d + 1).transpose(1, 0, 2)
            J[:, :, d] += b * D
            D = D * q
            continue
        ncol = len(st.idx) if st.kind in ("threshold", "leaky") else st.groups.shape[0]
        cols = patterns[:, col : col + ncol]
        # split the classes by this stage's pattern entries
        key = np.concatenate([inv[:, None].astype(np.int64), cols.astype(np.int64)], axis=1)
        _, rep, inv_new = np.unique(row_keys(key), return_index=True, return_inverse=True)
        inv_new = inv_new.ravel()
        parent = inv[rep]
        sub = cols[rep]
        if st.kind in ("threshold", "leaky"):
            act = sub.astype(bool)
            p, q = _ratio_parts(st.param, exact)
            if st.kind == "threshold":
                if exact and D % q:  # bring the level to the common denominator
                    s = q // gcd(D, q)
                    J = J * s
                    D = D * s
                level = p * (D // q) if exact else p
                Z = J[:, st.idx, :].copy()
                Z[:, :, d] -= level
                blocks.append(_Block("unit", col, Z, inv, D, None))
                J = J[parent]
                const = np.zeros(d + 1, dtype=dt)
                const[:] = 0 if exact else 0.0
                const[d] = level
                J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], const)
            else:
                blocks.append(_Block("unit", col, J[:, st.idx, :].copy(), inv, D, None))
                J = J[parent]
                Ji = J[:, st.idx, :]
                if q != 1:  # slope p / q: every row times q, the inactive ones times p instead
                    J = J * q
                    D = D * q
                J[:, st.idx, :] = np.where(act[:, :, None], J[:, st.idx, :], p * Ji)
        else:
            blocks.append(_Block("group", col, J, inv, D, st.groups))
            G = st.groups.shape[0]
            mem = st.groups[np.arange(G)[None, :], sub.astype(np.int64)]  # (U, G) the winners
            Jg = J[parent[:, None], mem, :]
            if len(st.idx):
                Jg = np.concatenate([Jg, J[parent][:, st.idx, :]], axis=1)
            J = Jg
        inv = inv_new
        col += ncol
    return J, inv, D, blocks


@dataclass(frozen=True)
class _Block:
    """The pre-activations of one activation stage: ``Z[inv[c]]`` on cell ``c`` over ``D``
    (unit stages: minus the threshold; group stages: the members' inputs, ``groups``)."""

    kind: str
    col: int
    Z: np.ndarray
    inv: np.ndarray
    D: Any
    groups: np.ndarray | None


@dataclass(frozen=True)
class CellAffine:
    """The affine data of every cell, as numerators over shared denominators (exact: Python
    integers, no gcd taken; float: denominator 1), computed once per class of cells with equal
    pattern so far and read per cell on demand.

    Rows ``r = 0 .. R-1`` are the unit halfspaces in the order of :func:`unit_rows`: one per
    threshold/leaky unit, ``k`` per group of ``k`` members (member ``i`` against the winner);
    ``row_col[r]`` is the row's pattern column.

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[0.5]], [[3.0]]], [[0.25], [1.0]]), exact=True)
    >>> ca = cell_affine(st, np.array([[1]], dtype=np.int32), 1, exact=True)
    >>> [str(v) for v in ca.maps()[0].ravel()], [str(v) for v in ca.maps()[1].ravel()]  # 1.5 x + 1.75
    (['3/2'], ['7/4'])
    >>> [[str(v) for v in row] for row in ca.rows(np.array([0]), np.array([0]))[0]]  # x >= -1/2
    [['-1/2']]
    """

    patterns: np.ndarray
    J: np.ndarray
    inv: np.ndarray
    D: Any
    blocks: tuple
    row_block: np.ndarray
    row_unit: np.ndarray
    row_col: np.ndarray
    row_member: np.ndarray

    @property
    def nrows(self) -> int:
        return len(self.row_col)

    def map_numerators(self, cells: Any = slice(None)) -> np.ndarray:
        """``(n, out, d + 1)`` numerators of the output maps over ``D``."""
        return self.J[self.inv[cells]]

    def maps(self, cells: Any = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """``(W (n, out, d), c (n, out))`` values (``Fraction`` when exact)."""
        N = self.map_numerators(cells)
        d = N.shape[2] - 1
        vals = _divide(N, self.D)
        return vals[:, :, :d], vals[:, :, d]

    def numerators(self, cells: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For pairs ``(cells[i], rows[i])``: ``(h (n, d + 1), den (n,))`` with the halfspace
        ``h . (x, 1) <= 0`` and its values ``h / den``."""
        d = self.J.shape[2] - 1
        n = len(cells)
        out = np.empty((n, d + 1), dtype=self.J.dtype)
        den = np.empty(n, dtype=object if self.J.dtype == object else np.float64)
        for bi, blk in enumerate(self.blocks):
            sel = np.flatnonzero(self.row_block[rows] == bi)
            if len(sel) == 0:
                continue
            c, r = cells[sel], rows[sel]
            cls = blk.inv[c]
            den[sel] = blk.D
            if blk.kind == "unit":
                z = blk.Z[cls, self.row_unit[r]]
                act = self.patterns[c, self.row_col[r]].astype(bool)
                # active: z >= 0, i.e. -z <= 0; inactive: z <= 0
                out[sel] = np.where(act[:, None], -z, z)
            else:
                g = self.row_col[r] - blk.col
                win = self.patterns[c, self.row_col[r]].astype(np.int64)
                out[sel] = blk.Z[cls, blk.groups[g, self.row_member[r]]] - blk.Z[cls, blk.groups[g, win]]
        return out, den

    def rows(self, cells: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(A (n, d), b (n,))`` values of the halfspaces ``A x <= b`` of the pairs."""
        h, den = self.numerators(cells, rows)
        d = h.shape[1] - 1
        vals = _divide(h, den[:, None])
        return vals[:, :d], -vals[:, d]

    def flips(self, cells: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The flip code of each pair (see :func:`unit_rows`)."""
        col = self.row_col[rows]
        val = self.patterns[cells, col].astype(np.int64)
        grp = self.row_member[rows] >= 0
        out = col * (1 << 20) + np.where(grp, self.row_member[rows], 1 - val)
        for bi, blk in enumerate(self.blocks):
            if blk.kind != "group":
                continue
            sel = np.flatnonzero(grp & (self.row_block[rows] == bi))
            g = col[sel] - blk.col
            # a member equal to the winner gives the zero row: no halfspace, no neighbour
            same = blk.groups[g, self.row_member[rows[sel]]] == blk.groups[g, val[sel]]
            out[sel[same]] = -1
        return out


def _divide(N: np.ndarray, D: Any) -> np.ndarray:
    """``N / D`` entrywise (``D`` broadcast): ``Fraction`` in lowest terms for integer
    arrays, floats otherwise."""
    if N.dtype != object:
        return N / np.asarray(D, dtype=np.float64)
    Dn = np.broadcast_to(np.asarray(D, dtype=object), N.shape)
    g = np.gcd(N, Dn)
    num, den = (N // g).ravel().tolist(), (Dn // g).ravel().tolist()
    out = np.empty(N.shape, dtype=object)
    out.ravel()[:] = [_coprime_fraction(a, b) for a, b in zip(num, den)]
    return out


def _coprime_fraction(p: int, q: int) -> Fraction:
    """``Fraction(p, q)`` for coprime ``p`` and ``q > 0`` without a second gcd."""
    try:
        return Fraction(p, q, _normalize=False)
    except TypeError:  # pragma: no cover - Python >= 3.12 dropped _normalize
        return Fraction._from_coprime_ints(p, q)


def cell_affine(stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False) -> CellAffine:
    """The output maps and unit rows of every cell as :class:`CellAffine` (exact mode in
    Python integers).

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]]), exact=True)
    >>> ca = cell_affine(st, np.array([[1, 0], [0, 1]], dtype=np.int32), 1, exact=True)
    >>> [str(w) for w in ca.maps()[0].ravel()]  # |x|
    ['1', '-1']
    """
    J, inv, D, blocks = _walk(stages, patterns, d, exact)
    rb, ru, rc, rm = [], [], [], []
    for bi, blk in enumerate(blocks):
        if blk.kind == "unit":
            m = blk.Z.shape[1]
            rb.append(np.full(m, bi))
            ru.append(np.arange(m))
            rc.append(blk.col + np.arange(m))
            rm.append(np.full(m, -1))
        else:
            G, k = blk.groups.shape
            rb.append(np.full(G * k, bi))
            ru.append(np.zeros(G * k, dtype=np.int64))
            rc.append(np.repeat(blk.col + np.arange(G), k))
            rm.append(np.tile(np.arange(k), G))

    def cat(parts):
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)

    return CellAffine(
        patterns, J, inv, D, tuple(blocks), cat(rb), cat(ru), cat(rc), cat(rm)
    )


def output_maps(stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False):
    """The affine map ``x -> W x + c`` of the network on each cell: ``(W (C, out, d), c (C, out))``
    (``Fraction`` entries when ``exact``).

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]]))
    >>> output_maps(st, np.array([[1, 0], [0, 1]], dtype=np.int32), 1)[0][:, 0, 0].tolist()  # |x|
    [1.0, -1.0]
    """
    ca = cell_affine(stages, patterns, d, exact=exact)
    return ca.maps()


def unit_rows(stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False):
    """Halfspaces ``a x <= b`` given by the units on each cell.

    Returns ``(A (C, R, d), b (C, R), flip (C, R))``: ``flip[c, r]`` is ``(column, value)``
    packed as ``column * 2**20 + value`` (the pattern entry of the neighbour across the row),
    or ``-1`` for a row that is identically zero (a group member equal to the winner).

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0]], [[1.0]]]))
    >>> A, b, flip = unit_rows(st, np.array([[1]], dtype=np.int32), 1)
    >>> A[0].tolist(), b[0].tolist()  # active: x >= 0, i.e. -x <= 0
    ([[-1.0]], [0.0])
    """
    return maps_and_rows(stages, patterns, d, exact=exact)[2:]


def maps_and_rows(stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False):
    """:func:`output_maps` and :func:`unit_rows` from one pass: ``(W, c, A, b, flip)``.

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0]], [[2.0]]]))
    >>> [a.shape for a in maps_and_rows(st, np.array([[1]], dtype=np.int32), 1)]
    [(1, 1, 1), (1, 1), (1, 1, 1), (1, 1), (1, 1)]
    """
    ca = cell_affine(stages, patterns, d, exact=exact)
    W, c = ca.maps()
    C, R = patterns.shape[0], ca.nrows
    cells, rows = np.repeat(np.arange(C), R), np.tile(np.arange(R), C)
    A, b = ca.rows(cells, rows)
    return W, c, A.reshape(C, R, d), b.reshape(C, R), ca.flips(cells, rows).reshape(C, R)


def cell_facets(
    A: np.ndarray,
    b: np.ndarray,
    vert_off: np.ndarray,
    vert_ids: np.ndarray,
    X: np.ndarray,
    tvals: np.ndarray,
    d: int,
    *,
    exact: bool,
    rtol: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Facets of the candidate rows ``A[c] x <= b[c]`` of every cell, given the cell's
    (homogeneous) vertices ``X[vert_ids[vert_off[c]:vert_off[c+1]]]`` with scale ``tvals``
    (1 for points, 0 for directions).

    Returns ``(facet (C, R) bool, coincident (C, R) bool, centre)``: rows with equal tight
    sets define one facet and only the first is kept; ``coincident`` marks kept rows that had
    such twins, and ``centre[(c, r)]`` is then a homogeneous point in the facet's relative
    interior (the mean of its tight vertices).

    >>> # the square [0, 1]^2 with a redundant row x <= 2 and a duplicate of y <= 1
    >>> A = np.array([[[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 0], [0, 2]]])
    >>> b = np.array([[1.0, 0, 1, 0, 2, 2]])
    >>> X = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    >>> f, twin, _ = cell_facets(A, b, np.array([0, 4]), np.arange(4), X, np.ones(4), 2, exact=False)
    >>> f[0].tolist(), twin[0].tolist()
    ([True, True, True, True, False, False], [False, False, True, False, False, False])
    """
    C, R = b.shape
    out = np.zeros((C, R), dtype=bool)
    coinc = np.zeros((C, R), dtype=bool)
    centre: dict = {}
    if R == 0 or C == 0:
        return out, coinc, centre
    if not exact:
        scale = float(np.abs(X).max()) if X.size else 1.0
        norms = np.linalg.norm(A, axis=2)
    else:  # float copies of the vertex pool, once (cells share vertices)
        Xf, tf = X.astype(np.float64), tvals.astype(np.float64)
    counts = np.diff(vert_off)
    order = np.argsort(counts, kind="stable")  # similar sizes share one padded block
    lower = np.tril(np.ones((R, R), dtype=bool), -1)
    offdiag = ~np.eye(R, dtype=bool)
    pos = 0
    while pos < C:
        vm = int(counts[order[min(C - 1, pos + 63)]])
        k = max(1, min(C - pos, 4_000_000 // (R * vm * (d + 3))))
        cs = order[pos : pos + k]
        vm = int(counts[cs].max())
        pos += k
        ar = np.arange(vm)
        valid = ar[None, :] < counts[cs][:, None]
        gidx = np.minimum(vert_off[cs][:, None] + ar[None, :], vert_off[cs + 1][:, None] - 1)
        ids = vert_ids[gidx]
        P = X[ids]  # (k, vm, d)
        tt = tvals[ids]  # (k, vm)
        if exact:
            tight = _exact_zero_slacks(A[cs], b[cs], X, tvals, ids, valid, Xf[ids], tf[ids])
        else:
            sl = np.matmul(A[cs], np.swapaxes(P, 1, 2)) - b[cs][:, :, None] * tt[:, None, :]
            tol = rtol * (norms[cs] * scale + np.abs(b[cs]))
            tight = np.abs(sl) <= tol[:, :, None]
        tight &= valid[:, None, :]
        nz = tight.any(axis=2)
        full = (tight | ~valid[:, None, :]).all(axis=2)
        has_point = (tight & (tt != 0)[:, None, :]).any(axis=2)
        cand = nz & ~full & has_point
        # compare only the candidate rows of each cell (gathered to the front, in row order)
        rc = max(1, int(cand.sum(axis=1).max()))
        crow = np.argsort(~cand, axis=1, kind="stable")[:, :rc]  # (k, rc) row indices
        cv = np.take_along_axis(cand, crow, axis=1)
        bits = np.packbits(np.take_along_axis(tight, crow[:, :, None], axis=1), axis=2)  # (k, rc, nb)
        sub = ~((bits[:, :, None, :] & ~bits[:, None, :, :]) != 0).any(axis=3)  # S_i within S_j
        sub &= cv[:, :, None] & cv[:, None, :]
        eq = sub & np.swapaxes(sub, 1, 2)
        strict = sub & ~eq
        maximal = cv & ~strict.any(axis=2)
        keep_c = maximal & ~(eq & lower[None, :rc, :rc]).any(axis=2)
        twin_c = keep_c & (eq & offdiag[None, :rc, :rc]).any(axis=2)
        keep = np.zeros((len(cs), R), dtype=bool)
        twin = np.zeros((len(cs), R), dtype=bool)
        np.put_along_axis(keep, crow, keep_c, axis=1)
        np.put_along_axis(twin, crow, twin_c, axis=1)
        out[cs] = keep
        coinc[cs] = twin
        for ci, r in zip(*np.nonzero(twin)):
            sel = tight[ci, r]
            centre[(int(cs[ci]), int(r))] = (P[ci][sel].sum(axis=0), tt[ci][sel].sum())
    return out, coinc, centre


def hrep_facets(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Facets of the float polyhedra ``{x : A[c] x <= b[c]}`` of cells without a vertex list
    (the H-representation engine): one reused LP model per cell
    (:func:`tropnet.kernels.lp.irredundant_rows`); rows with the same hyperplane count once, the
    first kept.  Returns ``(facet (C, R), coincident (C, R), bounded (C,))``.

    (Qhull on the polar points, the other textbook route, computes every vertex of the cell on
    the way: a cube of dimension 13 already has 8192, and it took 0.8 s per cell here.)

    >>> A = np.array([[[1.0, 0], [-1, 0], [0, 1], [0, -1], [1, 0], [0, 2]]])
    >>> b = np.array([[1.0, 0, 1, 0, 2, 2]])
    >>> f, twin, bounded = hrep_facets(A, b)
    >>> f[0].tolist(), twin[0].tolist(), bounded.tolist()
    ([True, True, True, True, False, False], [False, False, True, False, False, False], [True])
    """
    from ..kernels.lp import irredundant_rows, is_bounded

    C, R = b.shape
    out = np.zeros((C, R), dtype=bool)
    coinc = np.zeros((C, R), dtype=bool)
    bounded = np.zeros(C, dtype=bool)
    for c in range(C):
        Ac, bc = np.asarray(A[c], dtype=np.float64), np.asarray(b[c], dtype=np.float64)
        out[c] = irredundant_rows(Ac, bc)
        norms = np.linalg.norm(Ac, axis=1)
        rows = np.round(np.c_[Ac, bc] / np.where(norms > 0, norms, 1.0)[:, None], 12)
        for r in np.flatnonzero(out[c]):
            coinc[c, r] = int((rows == rows[r]).all(axis=1).sum()) > 1
        bounded[c] = is_bounded(Ac[out[c]])
    return out, coinc, bounded


def facet_point(A: np.ndarray, b: np.ndarray, r: int) -> np.ndarray | None:
    """A point in the relative interior of facet ``r`` of the float polyhedron ``{A x <= b}``
    (the Chebyshev centre of the facet inside its hyperplane; one LP), ``None`` if it has none.

    >>> facet_point(np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]]), np.array([1.0, 0, 1, 0]), 0).tolist()
    [1.0, 0.5]
    """
    from ..kernels.lp import chebyshev_center

    a = np.asarray(A[r], dtype=np.float64)
    x_p = a * float(b[r]) / float(a.dot(a))
    N = np.linalg.svd(a[None, :])[2][1:].T  # (d, d - 1) basis of the hyperplane's directions
    others = np.arange(len(b)) != r
    Ao = np.asarray(A, dtype=np.float64)[others]
    bo = np.asarray(b, dtype=np.float64)[others]
    z, rad = chebyshev_center(Ao.dot(N), bo - Ao.dot(x_p), rmax=1e6)
    return None if rad <= 0 else x_p + N.dot(z)


def _exact_zero_slacks(A, b, X, tvals, ids, valid, Pf, tf) -> np.ndarray:
    """``A P^T - b t == 0`` for exact (Fraction) blocks (``P = X[ids]``, ``t = tvals[ids]``;
    ``Pf``, ``tf`` their float roundings), deciding most entries in floats: a float slack
    farther from zero than a rigorous bound on its error is not zero, and only the rest is
    evaluated exactly, in python-flint rationals (each row and vertex converted once)."""
    Af, bf = A.astype(np.float64), b.astype(np.float64)
    d = A.shape[2]
    sl = np.matmul(Af, np.swapaxes(Pf, 1, 2)) - bf[:, :, None] * tf[:, None, :]
    mag = (
        np.matmul(np.abs(Af), np.swapaxes(np.abs(Pf), 1, 2)) + np.abs(bf)[:, :, None] * np.abs(tf)[:, None, :]
    )
    # inputs rounded to nearest (relative u each), then a (d+1)-term dot product: a generous 4(d+3) u
    maybe = (np.abs(sl) <= 4 * (d + 3) * 2.0**-53 * mag * (1 + 1e-6) + 1e-300) & valid[:, None, :]
    ci, r, v = np.nonzero(maybe)
    tight = np.zeros(sl.shape, dtype=bool)
    if len(ci):
        R = A.shape[1]
        rows, ri = np.unique(ci * R + r, return_inverse=True)
        verts, vi = np.unique(ids[ci, v], return_inverse=True)
        # (a, -b) and (x, t) scaled by positive integers to integer vectors: the slack is zero
        # iff their integer dot product is (no gcd in the loop, unlike rational arithmetic)
        ra, rb = rows // R, rows % R
        Ai = _integer_rows(np.concatenate([A[ra, rb, :], -b[ra, rb][:, None]], axis=1))
        Xi = _integer_rows(np.concatenate([X[verts], tvals[verts][:, None]], axis=1))
        Ar, Xv = Ai[ri], Xi[vi]
        ex = Ar[:, d] * Xv[:, d]
        for j in range(d):  # column by column: numpy reduces short object axes slowly
            ex += Ar[:, j] * Xv[:, j]
        tight[ci, r, v] = ex == 0
    return tight


def _ratio(v) -> tuple[int, int]:
    if isinstance(v, (int, Fraction)):
        return v.as_integer_ratio()
    if hasattr(v, "p") and hasattr(v, "q"):  # a python-flint rational
        return int(v.p), int(v.q)
    return Fraction(v).as_integer_ratio()


def _integer_rows(M: np.ndarray) -> np.ndarray:
    """Each row of exact numbers times the least common multiple of its denominators: an
    object array of Python integers, each row a positive multiple of the original."""
    out = np.empty(M.shape, dtype=object)
    for i, row in enumerate(M.tolist()):
        fr = [_ratio(v) for v in row]
        D = lcm(*[q for _, q in fr])
        out[i] = [p * (D // q) for p, q in fr]
    return out


def patterns_at(stages: list[Stage], X: np.ndarray) -> np.ndarray:
    """Activation patterns at points ``X`` (float or exact), in the convention of
    :mod:`tropnet.regions.cells`.

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0]], [[1.0]]]))
    >>> patterns_at(st, np.array([[2.0], [-1.0]])).tolist()
    [[1], [0]]
    """
    from .program import _apply

    z = X
    cols = []
    for st in stages:
        if st.kind in ("threshold", "leaky"):
            level = st.param if st.kind == "threshold" else 0
            cols.append((z[:, st.idx] > level).astype(np.int32))
        elif st.kind == "group":
            vals = z[:, st.groups]  # (n, G, k)
            mx = vals.max(axis=2)
            cols.append(np.argmax(vals == mx[:, :, None], axis=2).astype(np.int32))
        z = _apply(st, z)
    if not cols:
        return np.zeros((X.shape[0], 0), dtype=np.int32)
    return np.concatenate(cols, axis=1)


class _UnionFind:
    def __init__(self, n: int):
        self.parent = np.arange(n)

    def roots(self) -> np.ndarray:
        p = self.parent
        while True:
            q = p[p]
            if np.array_equal(q, p):
                return p
            p = q

    def union_all(self, a: np.ndarray, b: np.ndarray) -> None:
        # repeated hooking of larger roots onto smaller ones until stable (vectorised)
        while len(a):
            self.parent = self.roots()
            ra, rb = self.parent[a], self.parent[b]
            diff = ra != rb
            if not diff.any():
                return
            ra, rb = ra[diff], rb[diff]
            lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
            np.minimum.at(self.parent, hi, lo)
            a, b = a[diff], b[diff]


def merge_linear(n: int, edges: np.ndarray, same_map: np.ndarray) -> np.ndarray:
    """Component label (0..k-1, in order of first cell) of each of ``n`` cells, joining the
    facet-adjacent pairs ``edges (E, 2)`` where ``same_map`` is True.

    >>> merge_linear(4, np.array([[0, 1], [1, 2], [2, 3]]), np.array([True, False, True])).tolist()
    [0, 0, 1, 1]
    """
    uf = _UnionFind(n)
    e = edges[same_map]
    if len(e):
        uf.union_all(e[:, 0].astype(np.int64), e[:, 1].astype(np.int64))
    roots = uf.roots()
    _, first, inv = np.unique(roots, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inv]
