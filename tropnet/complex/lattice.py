"""The face lattice of the activation cells of a :class:`~tropnet.RegionSet`, as arrays.

Every face of a polytope is the set of its vertices on some of its facet rows, so the faces
come from the vertex/facet incidences alone: a cell's facets are the inclusion-maximal
vertex sets of its rows, and the facets of a face ``S`` are the inclusion-maximal proper
non-empty sets ``S & T_i`` over the rows ``i`` (the rule of
:func:`tropnet.kernels.volume.polytope_volume`).  A face of the complex is the same point
set seen from every cell that contains it, so faces are keyed by their sets of *global*
vertex ids: exact vertices (``exact=True``) are equal exactly (``Fraction`` tuples); float
vertices are merged when they agree to a relative ``1e-9``.  In exact mode no float decides
anything: vertices are solved in rationals, incidences are exact zero tests.

*Unbounded cells* (a domain that is all of R^n or an unbounded polyhedron) are clipped by
the box ``[-R, R]^n``, ``R`` an integer larger than twice every vertex coordinate and every
interior point, so every vertex of the complex (for cells containing lines: a point of every
minimal face) lies strictly inside.  Each face ``F`` of the complex on the unbounded domain
meets the box's interior, in a face ``F n B`` of the clipped complex that does not lie in the
box's boundary; the other faces of the clipped complex lie in one facet of the box (*faces at
infinity*: kept for topology, hidden from counts; a convex set in the boundary of a box lies
in one of its facets).  A face is *unbounded* when ``F n B`` has a vertex on the box's
boundary.  Clipped vertices come from the exact double description of
:mod:`tropnet.kernels.dd` (the rows of a float region set enter as the dyadic rationals they
store).

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])  # |x| on R
>>> K = build_complex(tropnet.linear_regions(net, kind="activation"))
>>> K.f_vector()
(1, 2)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from ..kernels.volume import _bits, _fmpq_array, _maximal_faces, _tight_masks

__all__ = ["build_complex"]

_TOL = 1e-9


def _float_tight(A: np.ndarray, b: np.ndarray, V: np.ndarray) -> list[int]:
    Af, bf, Vf = (np.asarray(x, dtype=np.float64) for x in (A, b, V))
    scale = np.abs(Af).sum(axis=1) * max(1.0, float(np.abs(Vf).max()) if Vf.size else 1.0) + np.abs(bf)
    on = np.abs(Vf.dot(Af.T) - bf).T <= _TOL * scale[:, None]
    packed = np.packbits(on, axis=1, bitorder="little")
    return [int.from_bytes(r.tobytes(), "little") for r in packed]


def _well_posed(A: np.ndarray, b: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Float mode: which vertices the float rows resolve (their tight rows have a condition number
    below ``1e8``).  Nearly parallel rows (exactly parallel ones rounded apart) meet far away; such
    a vertex is an artefact of rounding, so it does not size the clipping box (it lies outside)."""
    Af, bf = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    sa = np.linalg.svd(Af, compute_uv=False)
    rank = int((sa > 1e-9 * sa.max()).sum()) if sa.size else 0  # n minus the lineality dimension
    ok = np.ones(len(V), dtype=bool)
    for j, v in enumerate(np.asarray(V, dtype=np.float64)):
        r = np.abs(Af @ v - bf) <= _TOL * (np.abs(Af).sum(axis=1) * max(1.0, np.abs(v).max()) + np.abs(bf))
        s = np.linalg.svd(Af[r], compute_uv=False) if r.any() else np.zeros(0)
        ok[j] = rank == 0 or (len(s) >= rank and s[rank - 1] >= 1e-8 * s[0])
    return ok


def _clip_vertices(A: np.ndarray, b: np.ndarray, R: int | None, exact: bool) -> tuple[np.ndarray, list[int]]:
    """Vertices of ``{A x <= b}`` (clipped by ``|x_i| <= R`` when ``R`` is given) and, per row
    (cell rows first, then the box rows ``x_i <= R``, ``-x_i <= R``), the bitmask of the
    vertices on it.  Without ``R`` only points are returned: the vertices, or for a cell
    containing lines one point of every minimal face (the vertices of its slice by the
    coordinates of the pivot columns of ``A``).  Exact double description
    (:func:`tropnet.kernels.dd.halfspace_vertices`) on the rows as given (a float is its dyadic
    rational), so the incidences of neighbouring cells agree."""
    from ..kernels.dd import halfspace_vertices

    m, n = A.shape

    def q(v):
        return v if isinstance(v, (int, Fraction)) else Fraction(float(v))

    Aq = [[q(v) for v in row] for row in A.tolist()]
    bq = [q(v) for v in b.tolist()]
    if R is not None:
        for j in range(n):
            for s in (1, -1):
                e = [0] * n
                e[j] = s
                Aq.append(e)
                bq.append(R)
        V, masks = halfspace_vertices(Aq, bq)
    else:
        import flint

        rows = [[flint.fmpq(Fraction(v).numerator, Fraction(v).denominator) for v in row] for row in Aq]
        rref, rank = flint.fmpq_mat(rows).rref() if m else (None, 0)
        piv = []
        for k in range(rank):
            piv.append(next(j for j in range(n) if rref[k, j] != 0))
        V = np.zeros((0, n), dtype=object)
        if rank == 0:  # no constraint on x: the origin is a point of the only face
            if all(v >= 0 for v in bq):
                V = np.zeros((1, n), dtype=object)
        else:
            W, _ = halfspace_vertices([[row[j] for j in piv] for row in Aq], bq)
            V = np.zeros((len(W), n), dtype=object)
            V[:, piv] = W
        masks = []
    V = np.array([[Fraction(x) for x in p] for p in V.tolist()], dtype=object).reshape(-1, n)
    if not exact:
        V = V.astype(np.float64)
    return V, masks


def _merge_float(P: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cluster float points that agree to ``1e-9`` relative to their size (points are bucketed by
    the binary exponent of their largest coordinate, each bucket compared with the next one);
    returns (representatives, label per point)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    if len(P) == 0:
        return P, np.zeros(0, dtype=np.int64)
    e = np.floor(np.log2(np.maximum(1.0, np.abs(P).max(axis=1)))).astype(np.int64)
    pairs = [np.zeros((0, 2), dtype=np.int64)]
    for x in np.unique(e):
        idx = np.flatnonzero((e == x) | (e == x + 1))
        pr = cKDTree(P[idx]).query_pairs(_TOL * 2.0 ** (x + 2), output_type="ndarray")
        pairs.append(idx[pr])
    pairs = np.vstack(pairs)
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(P), len(P)))
    k, lab = connected_components(g, directed=False)
    first = np.full(k, -1, dtype=np.int64)
    order = np.arange(len(P))[::-1]
    first[lab[order]] = order
    return P[first], lab.astype(np.int64)


def build_complex(rs: Any):
    """The :class:`~tropnet.complex.polyhedral.PolyhedralComplex` of the activation cells of
    ``rs`` (a :class:`~tropnet.RegionSet`, any kind: a linear region's cells are used).

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])  # relu(x) + relu(y)
    >>> build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1), exact=True)).f_vector()
    (9, 12, 4)
    """
    from .polyhedral import PolyhedralComplex

    act = rs._activation_view()
    n, exact = int(rs.dim), bool(rs.exact)
    C = act.num_cells
    off, A_all, b_all, nbr = act._facet_off, act._facet_A, act._facet_b, act._facet_nbr
    bounded = np.asarray(act._bounded, dtype=bool)
    # ---- 1. vertices of every cell and the bitmask of vertices on each row
    verts: list[np.ndarray] = [None] * C  # type: ignore[list-item]
    for c in np.flatnonzero(bounded):
        verts[c] = act._cell_vertices(int(c))
    R = None
    if not bounded.all():
        big = 1.0
        for c in np.flatnonzero(bounded):
            if len(verts[c]):
                big = max(big, float(np.abs(np.asarray(verts[c], dtype=np.float64)).max()))
        for c in np.flatnonzero(~bounded):
            lo, hi = off[c], off[c + 1]
            V, _ = _clip_vertices(A_all[lo:hi], b_all[lo:hi], None, exact)
            if not exact:
                V = V[_well_posed(A_all[lo:hi], b_all[lo:hi], V)]
            if len(V):
                big = max(big, float(np.abs(np.asarray(V, dtype=np.float64)).max()))
        R = 2 * math.ceil(big) + 1
    masks: list[list[int]] = [None] * C  # type: ignore[list-item]
    for c in range(C):
        lo, hi = off[c], off[c + 1]
        A, b = A_all[lo:hi], b_all[lo:hi]
        if bounded[c]:
            V = verts[c]
            if exact:
                masks[c] = _tight_masks(
                    _fmpq_array(A, "A", 2), _fmpq_array(b, "b", 1), _fmpq_array(V, "V", 2)
                )
            else:
                masks[c] = _float_tight(A, b, V)
        else:
            verts[c], masks[c] = _clip_vertices(A, b, R, exact)
    # ---- 2. global vertex ids
    sizes = np.array([len(v) for v in verts], dtype=np.int64)
    voff = np.concatenate([[0], np.cumsum(sizes)])
    allV = np.vstack([np.asarray(v).reshape(-1, n) for v in verts]) if C else np.zeros((0, n))
    if exact:
        index: dict = {}
        lab = np.array([index.setdefault(tuple(p), len(index)) for p in allV.tolist()], dtype=np.int64)
        coords = np.array(list(index), dtype=object).reshape(-1, n)
    else:
        coords, lab = _merge_float(np.asarray(allV, dtype=np.float64))
    # per vertex, the bitmask of the box facets x_i = R (bit 2i) and x_i = -R (bit 2i + 1) it is on
    if R is None:
        vinf = np.zeros(len(coords), dtype=np.int64)
    else:
        if exact:
            hi = np.array([[x == R for x in p] for p in coords.tolist()], dtype=bool).reshape(-1, n)
            lo = np.array([[x == -R for x in p] for p in coords.tolist()], dtype=bool).reshape(-1, n)
        else:
            hi, lo = coords >= R * (1 - _TOL), coords <= -R * (1 - _TOL)
        w = 1 << (2 * np.arange(n, dtype=np.int64))
        vinf = hi.astype(np.int64) @ w + lo.astype(np.int64) @ (2 * w)
    # ---- 3. the lattice of every cell, faces keyed by their global vertex sets
    keys: list[dict] = [{} for _ in range(n + 1)]
    facet_pairs: list[set] = [set() for _ in range(n + 1)]
    cell_pairs: list[list] = [[] for _ in range(n + 1)]
    on_domain: set = set()  # (n-1)-faces on a facet row of the domain's boundary
    for c in range(C):
        gid = lab[voff[c] : voff[c + 1]]
        ms = masks[c]
        rows = [(m, i, None) for i, m in enumerate(ms)]
        nrow = off[c + 1] - off[c]

        def key(S: int, gid=gid) -> tuple:
            return tuple(sorted(int(gid[i]) for i in _bits(S)))

        full = (1 << len(gid)) - 1
        top = keys[n].setdefault(key(full), len(keys[n]))
        cell_pairs[n].append((top, c))
        current = {full: top}
        for k in range(n, 0, -1):
            nxt: dict[int, int] = {}
            for S, fid in current.items():
                for U, i, _ in _maximal_faces(S, rows):
                    if U not in nxt:
                        g = keys[k - 1].setdefault(key(U), len(keys[k - 1]))
                        nxt[U] = g
                        cell_pairs[k - 1].append((g, c))
                    facet_pairs[k].add((fid, nxt[U]))
                    if k == n and i < nrow and nbr[off[c] + i] < 0:
                        on_domain.add(nxt[U])
            current = nxt
    K = PolyhedralComplex._from_lattice(
        dim=n,
        exact=exact,
        coords=coords,
        vinf=vinf,
        keys=keys,
        facet_pairs=facet_pairs,
        cell_pairs=cell_pairs,
        on_domain=on_domain,
        box=R,
        patterns=act.patterns,
        maps=(act._maps_W, act._maps_c),
    )
    _check_ridges(K, exact)
    return K


def _check_ridges(K: Any, exact: bool) -> None:
    """Every (n-1)-face inside the domain lies in exactly two cells, one on its boundary in one;
    the Euler characteristic is that of the domain (1 for a bounded one, ``(-1)^n`` for R^n, 0 for
    an unbounded pointed polyhedron, all with compact supports)."""
    n = K.ambient_dim
    if n == 0:
        return
    off = K._cells[n - 1][0]
    cnt = np.diff(off)[: K._gen[n - 1]]
    want = np.where(K._on_domain[n - 1][: K._gen[n - 1]], 1, 2)
    bad = np.flatnonzero(cnt != want)
    chi = K.euler_characteristic()
    expect = 1 if K.box is None else ((-1) ** n if not K._on_domain[n - 1].any() else 0)
    if not len(bad) and chi != expect:
        raise ValueError(
            f"the Euler characteristic of the complex is {chi}, not {expect}: "
            + ("float vertices were merged wrongly; use exact=True" if not exact else "inconsistent cells")
        )
    if len(bad):
        i = int(bad[0])
        why = (
            "float vertices that should coincide were not merged (or were merged wrongly); use exact=True"
            if not exact
            else "the cells do not meet face to face"
        )
        raise ValueError(
            f"{len(bad)} facet(s) of the complex lie in the wrong number of cells (facet {i}: "
            f"{int(cnt[i])} cell(s), expected {int(want[i])}): {why}"
        )
