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
    "patterns_at",
]


def _affine_parts(st: Stage, exact: bool):
    """``(W, b, q)`` with the stage's map ``z -> (W z + b) / q``: integers over their least
    common denominator when exact, the float arrays and ``q = 1`` otherwise."""
    if not exact:
        return np.asarray(st.W, dtype=np.float64), np.asarray(st.b, dtype=np.float64), 1.0
    if np.asarray(st.W).dtype.kind in "fiu" and np.asarray(st.b).dtype.kind in "fiu":
        # float (dyadic) or integer arrays: numerators from mantissas and exponents, no Fraction
        from ..kernels.scaled import to_scaled

        Wz, qw = to_scaled(np.asarray(st.W))
        bz, qb = to_scaled(np.asarray(st.b).ravel())
        q = lcm(qw, qb)
        return (Wz.astype(object) * (q // qw), bz.astype(object) * (q // qb), q)
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
    fresh = True  # J is still the identity: the first affine stage is its own map
    for st in stages:
        if st.kind == "affine" and fresh:
            W, b, q = _affine_parts(st, exact)
            J = np.empty((1, W.shape[0], d + 1), dtype=dt)
            J[0, :, :d] = W
            J[0, :, d] = b * D
            D = D * q
            fresh = False
            continue
        fresh = False
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


