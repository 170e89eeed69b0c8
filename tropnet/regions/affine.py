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
from .exactness import _coprime_fraction
from .program import Stage

__all__ = [
    "CellAffine",
    "cell_affine",
    "unit_rows",
    "output_maps",
    "maps_and_rows",
    "map_magnitude",
    "patterns_at",
    "patterns_beyond",
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


def _walk(stages: list[Stage], patterns: np.ndarray, d: int, exact: bool, fuse: bool = False):
    """The affine map of every stage on every cell, in homogeneous form: numerators
    ``J (U, k, d + 1)`` over one common denominator ``D`` (``z = J (x, 1) / D``), one per
    *class* of cells with equal pattern so far (``inv (C,)`` gives each cell's class), since a
    stage's map depends only on the pattern entries of the stages before it.  Exact mode
    computes in Python integers — every stage's rationals scaled once by their common
    denominator, so no gcd is ever taken in the loop — and float mode in float64 with
    ``D = 1``.  Returns ``(J, inv, D, blocks)``: ``blocks`` holds, per activation stage, the
    pre-activations its halfspaces need (:class:`_Block`).

    Inside, ``J`` is kept unit-major, ``(k, U, d + 1)`` (so an affine stage is one GEMM with no
    transposition), and handed out as ``(U, k, d + 1)`` views.  With ``fuse`` (float mode, for
    the output maps only), an activation stage that splits classes and the affine stage after
    it are one step when the stage has more than one parent class (:func:`_fused_step`: 1.1-2x
    faster on every network tried; a single parent is masked by broadcasting instead); the later
    rows then carry rounding where they would be exact zeros, which the geometry must not see."""
    C = patterns.shape[0]
    dt = object if exact else np.float64
    J = np.zeros((d, 1, d + 1), dtype=dt)
    J[:] = 0 if exact else 0.0
    for i in range(d):
        J[i, :, i] = 1 if exact else 1.0
    inv = np.zeros(C, dtype=np.int64)
    D = 1 if exact else 1.0
    col = 0
    blocks = []
    fused = False
    fresh = True  # J is still the identity: the first affine stage is its own map
    for si, st in enumerate(stages):
        if fused:  # this affine stage was applied with the activation before it
            fused = False
            continue
        if st.kind == "affine" and fresh:
            W, b, q = _affine_parts(st, exact)
            J = np.empty((W.shape[0], 1, d + 1), dtype=dt)
            J[:, 0, :d] = W
            J[:, 0, d] = b * D
            D = D * q
            fresh = False
            continue
        fresh = False
        if st.kind == "affine":
            W, b, q = _affine_parts(st, exact)
            J = _affine_step(W, J, exact)
            J[:, :, d] += b[:, None] * D
            D = D * q
            continue
        ncol = len(st.idx) if st.kind in ("threshold", "leaky") else st.groups.shape[0]
        cols = patterns[:, col : col + ncol]
        # split the classes by this stage's pattern entries
        rep, inv_new = _split_classes(inv, cols)
        parent = inv[rep]
        sub = cols[rep]
        if st.kind in ("threshold", "leaky"):
            act = sub.astype(bool).T  # (n, U_new)
            p, q = _ratio_parts(st.param, exact)
            if st.kind == "threshold":
                if exact and D % q:  # bring the level to the common denominator
                    s = q // gcd(D, q)
                    J = J * s
                    D = D * s
                level = p * (D // q) if exact else p
                Z = _rows(J, st.idx)  # the walk never writes into an array it has handed on
                if level != 0:
                    Z = Z.copy()
                    Z[:, :, d] -= level
                blocks.append(_Block("unit", col, Z.transpose(1, 0, 2), inv, D, None))
            else:
                blocks.append(_Block("unit", col, _rows(J, st.idx).transpose(1, 0, 2), inv, D, None))
            nxt = stages[si + 1] if si + 1 < len(stages) else None
            split = len(parent) > J.shape[1] > 1  # more than one parent, and new classes
            if fuse and not exact and nxt is not None and nxt.kind == "affine" and split:
                J = _fused_step(st, nxt, J, parent, act, float(p))
                fused = True
            elif st.kind == "threshold":
                const = np.zeros(d + 1, dtype=dt)
                const[:] = 0 if exact else 0.0
                const[d] = level
                if J.shape[1] == 1 and _rows(J, st.idx) is J:  # one parent: broadcast, no gather
                    J = np.where(act[:, :, None], J, const)
                else:
                    J = np.take(J, parent, axis=1)  # C-contiguous, unlike J[:, parent]
                    if not exact and level == 0 and _rows(J, st.idx) is J:
                        J *= act[:, :, None]  # finite floats: x * 1 = x, x * 0 = 0
                    else:
                        J[st.idx] = np.where(act[:, :, None], J[st.idx], const)
            else:
                J = np.take(J, parent, axis=1)
                Ji = J[st.idx]
                if q != 1:  # slope p / q: every row times q, the inactive ones times p instead
                    J = J * q
                    D = D * q
                J[st.idx] = np.where(act[:, :, None], J[st.idx], p * Ji)
        else:
            blocks.append(_Block("group", col, J.transpose(1, 0, 2), inv, D, st.groups))
            G = st.groups.shape[0]
            mem = st.groups[np.arange(G)[None, :], sub.astype(np.int64)]  # (U_new, G) the winners
            Jg = J[mem.T, parent[None, :]]  # (G, U_new, d + 1)
            if len(st.idx):
                Jg = np.concatenate([Jg, J[st.idx][:, parent]], axis=0)
            J = Jg
        inv = inv_new
        col += ncol
    return np.ascontiguousarray(J.transpose(1, 0, 2)), inv, D, blocks


def _affine_step(W: np.ndarray, J: np.ndarray, exact: bool) -> np.ndarray:
    """``W J[:, u]`` for every class ``u`` (unit-major ``J (k, U, d + 1)``): one GEMM
    ``(m, k) @ (k, U * (d + 1))``."""
    k, U, e = J.shape
    Jf = J.reshape(k, U * e)
    return (_integer_dot(W, Jf) if exact else W.dot(Jf)).reshape(W.shape[0], U, e)


def _split_classes(inv: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classes of cells with equal ``(inv, cols)``: ``(rep, inv_new)``, a representative cell
    of each class and each cell's class.  One 64-bit hash per row (0/1 columns packed to bits
    first), sorted, every row then checked against its representative (the byte-string sort of
    the rows only if two hashes collide)."""
    C = len(inv)
    if C == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if cols.size and cols.min() >= 0 and cols.max() <= 1:
        words = np.packbits(cols.astype(bool), axis=1)
        pad = -words.shape[1] % 8
        if pad:
            words = np.concatenate([words, np.zeros((C, pad), dtype=np.uint8)], axis=1)
        words = np.ascontiguousarray(words).view(np.uint64)
    else:
        words = cols.astype(np.uint64)
    rng = np.random.default_rng(11)
    R = rng.integers(1, np.iinfo(np.uint64).max, size=words.shape[1] + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        # each word mixed (splitmix64's finaliser) before the sum: a sum of words times constants
        # alone collides whenever two words differ in their top bits only
        x = np.concatenate([inv.astype(np.uint64)[:, None], words], axis=1) ^ R
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
        h = (x * R).sum(axis=1, dtype=np.uint64)
    _, rep, inv_new = np.unique(h, return_index=True, return_inverse=True)
    inv_new = inv_new.ravel()
    r = rep[inv_new]
    if not ((inv[r] == inv).all() and (words[r] == words).all()):  # pragma: no cover - a collision
        key = np.concatenate([inv[:, None].astype(np.int64), cols.astype(np.int64)], axis=1)
        _, rep, inv_new = np.unique(row_keys(key), return_index=True, return_inverse=True)
        inv_new = inv_new.ravel()
    return rep, inv_new


def _rows(J: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``J[idx]`` (unit-major): ``J`` itself (no copy) when ``idx`` is every row in order."""
    if len(idx) == J.shape[0] and np.array_equal(idx, np.arange(J.shape[0])):
        return J
    return J[idx]


def _fused_step(st: Stage, nxt: Stage, J: np.ndarray, parent: np.ndarray, act: np.ndarray, p: float):
    """Float mode: a threshold or leaky stage (activations ``act (n, U_new)`` of the new
    classes, whose parents are ``parent``) and the affine stage after it, in one step (``J``
    unit-major).  Each parent class's first new class is masked and multiplied in full; every
    other new class differs from it in a few units, each adding ``+-W[:, i] (x) delta_i``
    (``delta_i``: the change of unit ``i``'s row when it switches on), summed by one sparse
    product per homogeneous column."""
    from scipy.sparse import csr_matrix

    _, U, e = J.shape
    d = e - 1
    Un = len(parent)
    W = np.asarray(nxt.W, dtype=np.float64)
    b = np.asarray(nxt.b, dtype=np.float64)
    idx = np.asarray(st.idx)
    first = np.full(U, -1, dtype=np.int64)
    first[parent[::-1]] = np.arange(Un)[::-1]
    Ji = _rows(J, idx)
    if st.kind == "threshold":
        const = np.zeros(e)
        const[d] = p
        delta = Ji - const if p != 0 else Ji  # on minus off
        off = const
    else:
        delta = (1.0 - p) * Ji
        off = p * Ji
    ref_act = act[:, first]  # (n, U) the first new class of each parent
    if Ji is J:
        Jr = np.where(ref_act[:, :, None], J, off)
    else:
        Jr = J.copy()
        Jr[idx] = np.where(ref_act[:, :, None], Ji, off)
    R = _affine_step(W, Jr, False)
    R[:, :, d] += b[:, None]
    out = np.take(R, parent, axis=1)  # (m, U_new, d + 1)
    u, i = np.nonzero((act != ref_act[:, parent]).T)  # (new class, unit) pairs, by class
    if len(u):
        sgn = np.where(act[i, u], 1.0, -1.0)
        Wt = np.ascontiguousarray(W[:, idx].T)  # (n, m)
        dl = delta[i, parent[u], :] * sgn[:, None]  # (pairs, d + 1)
        # one sparse matrix with a row per (new class, column j): row u * e + j
        rows_of = ((u * e)[:, None] + np.arange(e)[None, :]).ravel()
        S = csr_matrix((dl.ravel(), (rows_of, np.repeat(i, e))), shape=(Un * e, len(idx)))
        out += (S @ Wt).reshape(Un, e, -1).transpose(2, 0, 1)
    return out


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


def cell_affine(
    stages: list[Stage], patterns: np.ndarray, d: int, *, exact: bool = False, maps_only: bool = False
) -> CellAffine:
    """The output maps and unit rows of every cell as :class:`CellAffine` (exact mode in
    Python integers).  ``maps_only``: a faster float walk for the output maps, whose rows are
    not to be used (see :func:`_walk`'s ``fuse``).

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]]), exact=True)
    >>> ca = cell_affine(st, np.array([[1, 0], [0, 1]], dtype=np.int32), 1, exact=True)
    >>> [str(w) for w in ca.maps()[0].ravel()]  # |x|
    ['1', '-1']
    """
    J, inv, D, blocks = _walk(stages, patterns, d, exact, fuse=maps_only)
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


def map_magnitude(stages: list[Stage], d: int) -> tuple[float, int]:
    """``(M, K)``: every entry of every cell's map ``(W, c)`` is at most ``M`` in absolute value
    even with all the products' terms taken positive (one walk of a single ``(k, d + 1)`` matrix
    of magnitudes: ``|W|``, every unit passing its larger piece, a group its largest member), and
    ``K`` is the number of rounded operations along any path of the float walk (weights rounded
    to floats, then ``2 fan-in + 4`` per affine stage: the float walk also adds the changes of a
    cell from its class representative, :func:`cell_affine`), so the float walk's maps are within
    ``gamma(2 K) * M`` of the exact ones (:func:`float_map_error`).

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> map_magnitude(stages_from_network(Network.from_arrays([[[1.0], [-2.0]], [[3.0, 1.0]]])), 1)
    (5.0, 16)
    """
    J, K = _abs_walk(stages, d)
    return (float(J.max()) if J.size else 0.0), K


def _abs_walk(stages: list[Stage], d: int,
              start: tuple[np.ndarray, int] | None = None) -> tuple[np.ndarray, int]:
    """:func:`map_magnitude`'s walk of magnitudes: ``(J (k, d + 1), K)``, a bound on every entry
    of row ``i`` of every cell's map of ``stages`` (all terms taken positive), and the number of
    rounded operations along any path of the float walk; ``start``: the walk of the stages
    before (``stages`` then goes on from it; the ``J`` returned may be its own, unchanged)."""
    if start is None:
        J = np.zeros((d, d + 1))
        J[np.arange(d), np.arange(d)] = 1.0
        K = 0
    else:
        J, K = start
    for st in stages:
        if st.kind == "affine":
            W = np.abs(np.asarray(st.W, dtype=np.float64))
            J = W.dot(J)
            J[:, d] += np.abs(np.asarray(st.b, dtype=np.float64)).ravel()
            K += 2 * W.shape[1] + 4
            continue
        if st.kind == "threshold":
            if float(st.param) != 0.0:  # (adding 0 to the entries, all >= 0, changes none)
                J = J.copy()
                J[st.idx, d] += abs(float(st.param))
            K += 2
            continue
        J = J.copy()
        if st.kind == "leaky":
            J[st.idx] *= max(1.0, abs(float(st.param)))
        else:  # a group passes one member: the largest magnitude bounds it
            top = J[st.groups].max(axis=1)  # (G, d + 1)
            J = np.concatenate([top, J[st.idx]], axis=0) if len(st.idx) else top
        K += 2
    return J, K


def float_map_error(stages: list[Stage], d: int, magnitude: tuple[float, int] | None = None) -> float:
    """A rigorous bound on ``|float map - exact map|`` for every entry of every cell's map computed
    by the float walk (:func:`cell_affine` with ``exact=False``) on ``stages`` (exact or float
    weights: a float weight is its dyadic rational), to first order with a factor 2 to spare:
    ``2 gamma(2 K) M`` from :func:`map_magnitude` (``magnitude``: its ``(M, K)``, if known).

    >>> from tropnet import random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> 0 < float_map_error(stages_from_network(random_mlp([2, 8, 1], seed=0)), 2) < 1e-12
    True
    """
    M, K = map_magnitude(stages, d) if magnitude is None else magnitude
    u = 2.0**-53
    n = 2 * K
    return 2.0 * (n * u / (1 - n * u)) * M * (1 + 1e-6) + 1e-300


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


def patterns_beyond(stages: list[Stage], X: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Activation patterns at ``X + eps V`` for every small enough ``eps > 0`` (exact: object
    arrays of rationals), in the convention of :func:`patterns_at`, with no ``eps`` chosen.

    Along a ray the program is piecewise linear in ``eps``, so near ``eps = 0`` every entry is
    ``a + b eps`` exactly: the value ``a`` at ``X`` and the slope ``b``.  A unit is on where
    ``(a - level, b)`` is lexicographically positive, a group's winner is the lexicographic
    maximum; an entry with ``a = b = 0`` is zero all along the start of the ray (off).  This is
    the cell just across a facet point ``X`` in the direction ``V`` however thin that cell is,
    where a finite step ``X + 2^-k V`` may jump over it (a sliver narrower than the step).

    >>> from fractions import Fraction
    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> net = Network.from_arrays([[[1.0], [1.0]], [[1.0, 1.0]]], [[0.0, -2.0 ** -60], [0.0]])
    >>> st = stages_from_network(net, exact=True)      # relu(x) + relu(x - 2^-60)
    >>> x0 = np.array([[Fraction(0)]], dtype=object)
    >>> patterns_beyond(st, x0, np.array([[Fraction(1)]], dtype=object)).tolist()  # in the sliver
    [[1, 0]]
    >>> patterns_at(st, x0 + Fraction(1, 2 ** 40)).tolist()                         # past it
    [[1, 1]]
    """
    from .program import _apply

    a, b = X, V
    cols = []
    for st in stages:
        if st.kind in ("threshold", "leaky"):
            level = st.param if st.kind == "threshold" else 0
            va, vb = a[:, st.idx] - level, b[:, st.idx]
            on = (va > 0) | ((va == 0) & (vb > 0))
            cols.append(on.astype(np.int32))
            # the entry's value and slope: itself where on, the stage's image of it where off
            if st.kind == "threshold":
                a, b = a.copy(), b.copy()
                a[:, st.idx] = np.where(on, a[:, st.idx], st.param)
                b[:, st.idx] = np.where(on, b[:, st.idx], 0 * b[:, st.idx])
            else:
                a, b = a.copy(), b.copy()
                a[:, st.idx] = np.where(on, a[:, st.idx], st.param * a[:, st.idx])
                b[:, st.idx] = np.where(on, b[:, st.idx], st.param * b[:, st.idx])
            continue
        if st.kind == "group":
            va, vb = a[:, st.groups], b[:, st.groups]  # (n, G, k)
            ma = va.max(axis=2)
            top = va == ma[:, :, None]
            mb = np.where(top, vb, vb.min(axis=2)[:, :, None]).max(axis=2)
            win = np.argmax(top & (vb == mb[:, :, None]), axis=2)
            cols.append(win.astype(np.int32))
            pick = np.asarray(st.groups)[np.arange(win.shape[1])[None, :], win]  # (n, G) entries
            ga = np.take_along_axis(a, pick, axis=1)
            gb = np.take_along_axis(b, pick, axis=1)
            a = np.concatenate([ga, a[:, st.idx]], axis=1) if len(st.idx) else ga
            b = np.concatenate([gb, b[:, st.idx]], axis=1) if len(st.idx) else gb
            continue
        a = _apply(st, a)  # affine: the value through the map, the slope through its linear part
        b = _apply(Stage("affine", W=st.W, b=0 * np.asarray(st.b)), b)
    if not cols:
        return np.zeros((X.shape[0], 0), dtype=np.int32)
    return np.concatenate(cols, axis=1)


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


