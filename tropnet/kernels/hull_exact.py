"""The exact mode of :mod:`tropnet.kernels.hull`: integer points, float proposals (Qhull, HiGHS),
integer certificates decide; what no certificate settles goes to :mod:`tropnet.kernels.hull_oracle`.

>>> L = np.array([[0, 0], [1, 0], [2, -1]])
>>> _exact_fulldim(L).tolist()          # max(0, x, 2x - 1): all three lifted points are vertices
[0, 1, 2]
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from .hull_float import LP_TOL, QHULL_MAX_DIM, _direction_vertices, _witness_lp
from .hull_oracle import decide_vertices, upper_cells, upper_vertices
from .merge import group_max
from .scaled import as_int_array, fits_int64, int_matmul


def _flint():
    import flint

    return flint


def _rank_and_pivots(D: np.ndarray) -> tuple[int, list[int]]:
    """Exact rank of an integer matrix and pivot columns of its row echelon form."""
    flint = _flint()
    if D.shape[0] == 0 or D.shape[1] == 0:
        return 0, []
    R, _, rank = flint.fmpz_mat(D.tolist()).rref()
    pivots = []
    for k in range(rank):
        for j in range(D.shape[1]):
            if R[k, j] != 0:
                pivots.append(j)
                break
    return int(rank), pivots


def _matmul_int(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Exact integer product: int64 when the entries cannot overflow, else Python ints
    (:func:`tropnet.kernels.scaled.int_matmul`)."""
    return int_matmul(X, Y)


def _exact_lift(Az: np.ndarray, cz: np.ndarray) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Integer version of :func:`_float_lift` (exact ranks): ``("point" | "flat" | "full", Y, L)``
    with Y the exponents restricted to pivot coordinates of their affine hull (an injective
    projection on it) and ``L = [Y, cz]``."""
    D = Az - Az[0]
    r, cols = _rank_and_pivots(D)
    if r == 0:
        return "point", None, None
    Y = as_int_array(Az[:, cols])
    lifted_rank, _ = _rank_and_pivots(np.hstack([D[:, cols], (cz - cz[0])[:, None]]))
    if lifted_rank == r:
        return "flat", Y, None
    if Y.dtype == object or cz.dtype == object:
        return "full", Y, as_int_array(np.hstack([Y.astype(object), cz.astype(object)[:, None]]))
    return "full", Y, np.hstack([Y, cz[:, None]])


def _exact_int_vertices(Az: np.ndarray, cz: np.ndarray) -> np.ndarray:
    """Upper-hull vertices of integer points with distinct exponent rows (exact)."""
    if len(cz) <= 1:
        return np.arange(len(cz))
    kind, Y, L = _exact_lift(Az, cz)
    if kind == "point":
        return np.array([int(np.argmax(cz))])
    if kind == "flat":
        return _exact_polytope_vertices(Y)
    return _exact_fulldim(L)


def _exact_polytope_vertices(Y: np.ndarray) -> np.ndarray:
    """Vertices of a full-dimensional integer point set: upper and lower hull in the last axis."""
    if Y.shape[1] == 1:
        col = [int(v) for v in Y[:, 0]]
        return np.unique([int(np.argmin(col)), int(np.argmax(col))])
    base, last = Y[:, :-1], Y[:, -1]
    found = []
    for sign in (1, -1):
        reps = group_max(base, as_int_array(sign * last))
        found.append(reps[_exact_int_vertices(as_int_array(base[reps]), as_int_array(sign * last[reps]))])
    return np.unique(np.concatenate(found))


def _simplex_planes(L: np.ndarray, simplices: np.ndarray) -> np.ndarray:
    """Integer vectors ``v`` (S, d+1), gcd-reduced, with ``v[:d] . p + v[d] = 0`` on the points of
    each simplex (rows of L); zero rows for degenerate simplices.

    The normal is the generalized cross product of the edge vectors ``p_j - p_0``; its
    (d-1)x(d-1) minors are computed in float64 in one batch when Hadamard's bound keeps them
    below 2**40 (then rounding is exact), else with python-flint.  Callers check the planes
    exactly anyway.
    """
    S, d = simplices.shape
    out = np.zeros((S, d + 1), dtype=object)
    slow = np.ones(S, dtype=bool)
    if L.dtype != object and S:
        # normal w: generalized cross product of the edge vectors p_j - p_0 (small within a
        # facet), then the offset -w.p_0 in integers
        P = L[simplices]
        delta = (P[:, 1:, :] - P[:, :1, :]).astype(np.float64)
        ok = np.prod(np.linalg.norm(delta, axis=2), axis=1) < 2.0**40
        ok &= np.abs(P).max(axis=(1, 2)) < 2**19  # |w.p_0| < d * 2**59 < 2**62 for d <= 6
        if ok.any():
            Do = delta[ok]
            w = np.empty((len(Do), d))
            for k in range(d):
                w[:, k] = (-1) ** k * (np.linalg.det(np.delete(Do, k, axis=2)) if d > 1 else 1.0)
            w = np.round(w).astype(np.int64)
            v = np.concatenate([w, -np.einsum("sk,sk->s", w, P[ok, 0, :])[:, None]], axis=1)
            g = np.gcd.reduce(np.abs(v), axis=1)
            g[g == 0] = 1
            out[ok] = (v // g[:, None]).astype(object)
            slow = ~ok
    if slow.any():
        flint = _flint()
        for i in np.flatnonzero(slow):
            rows = [[*(int(x) for x in L[j]), 1] for j in simplices[i]]
            basis, nullity = flint.fmpz_mat(rows).nullspace()
            if nullity != 1:
                continue
            v = [int(basis[k, 0]) for k in range(d + 1)]
            g = math.gcd(*v)
            out[i] = [x // g for x in v]
    return as_int_array(out)


def _exact_planes(L: np.ndarray):
    """Qhull's facets of the integer points L (m, d), recomputed exactly and checked on all points.

    Returns ``(N, b, tight, simplices_per_plane, upper)`` for the distinct valid planes
    ``N @ p <= b`` (``tight[j, h]``: point j lies on plane h; each listed simplex lies on its
    plane), or ``None`` when Qhull fails.
    """
    m, d = L.shape
    Lf = L.astype(np.float64)
    mu = Lf.mean(axis=0)
    scale = np.abs(Lf - mu).max(axis=0)
    scale[scale == 0] = 1.0
    try:
        hull = ConvexHull((Lf - mu) / scale)
    except QhullError:
        return None
    simplices = np.asarray(hull.simplices)
    V = _simplex_planes(L, simplices)
    # orient like Qhull's outward normals (eq is for the scaled coordinates)
    direction = np.einsum("ij,ij->i", V[:, :d].astype(np.float64), hull.equations[:, :d] / scale)
    flip = direction < 0
    V = as_int_array(np.where(flip[:, None], -V, V))
    nonzero = np.any(V != 0, axis=1)
    simplices, V = simplices[nonzero], V[nonzero]
    if not len(V):
        return None
    if V.dtype == object:
        index: dict[tuple, int] = {}
        inverse = np.array([index.setdefault(tuple(row), len(index)) for row in V.tolist()], dtype=np.int64)
        planes = as_int_array(np.array(list(index), dtype=object).reshape(len(index), d + 1))
    else:
        planes, inverse = np.unique(V, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
    N = as_int_array(planes[:, :d])
    b = as_int_array(-planes[:, d])
    valid, tight_all = _slack_scan(L, N, b)
    on_plane = _simplices_on_planes(L, simplices, planes[inverse])
    plane_simplices: list[list[np.ndarray]] = [[] for _ in range(len(planes))]
    for simplex, h, ok in zip(simplices, inverse, on_plane):
        if ok:
            plane_simplices[h].append(simplex)
    tight = tight_all[:, np.flatnonzero(valid)]
    N, b = N[valid], b[valid]
    plane_simplices = [sl for sl, ok in zip(plane_simplices, valid) if ok]
    upper = np.array([int(x) > 0 for x in N[:, d - 1]], dtype=bool) if len(N) else np.zeros(0, bool)
    return N, b, tight, plane_simplices, upper


def _slack_scan(L: np.ndarray, N: np.ndarray, b: np.ndarray):
    """Exact slacks ``b - N p`` of all points at all planes, in chunks of points: which planes
    are valid (no negative slack), and the (points x planes) 0/1 matrix of zero slacks (dense
    int32 when small, else scipy.sparse CSR).

    A float filter decides the sign of most slacks: with every input exactly representable in
    float64, ``|fl(s) - s| <= 2 (d + 2) u (|b| + |N| |p|)`` (u = 2**-53); larger integers are
    rounded to float64 first (relative error ``u`` each, so ``2 (d + 4) u`` bounds the error,
    as long as no product nears float64's range), and only slacks within the bound of zero
    are recomputed in integers.
    """
    from scipy import sparse

    m, h = len(L), len(N)
    d = L.shape[1]
    valid = np.ones(h, dtype=bool)
    rows, cols = [], []
    bits = [int(np.abs(a).max(initial=0)).bit_length() for a in (L, N, b)]
    representable = max(bits) <= 53
    exact_floats = bits[0] + bits[1] + d.bit_length() < 1000 and bits[2] < 1000
    if exact_floats:
        Lf, Nf, bf = L.astype(np.float64), N.astype(np.float64).T, b.astype(np.float64)
        absN, absb = np.abs(Nf), np.abs(bf)
        gamma = 2.0 * (d + (2 if representable else 4)) * 2.0**-53 * (1.0 + 1e-9)
    step = max(1, (1 << (16 if exact_floats else 22)) // max(1, h))  # float: cache-sized blocks
    for s0 in range(0, m, step):
        if exact_floats:
            Pf = Lf[s0 : s0 + step]
            S = Pf @ Nf
            np.subtract(bf, S, out=S)
            err = np.abs(Pf) @ absN
            err += absb
            err *= gamma
            valid &= (S >= -err).all(axis=0)
            np.abs(S, out=S)
            r, c = np.nonzero(S <= err)
            if len(r):  # undecided signs: exact integers for these entries only
                dots = (L[s0 + r].astype(object) * N[c].astype(object)).sum(axis=1)
                exact = b[c].astype(object) - dots
                valid[np.unique(c[exact < 0])] = False
                zero = (exact == 0).astype(bool)
                r, c = r[zero], c[zero]
        else:
            S = _subtract(b[None, :], _matmul_int(L[s0 : s0 + step], N.T))
            valid &= np.all(S >= 0, axis=0)
            r, c = np.nonzero(S == 0)
        rows.append(r + s0)
        cols.append(c)
    r, c = np.concatenate(rows), np.concatenate(cols)
    if m * h <= _DENSE_TIGHT:  # small: a dense matrix avoids scipy.sparse's per-call overhead
        dense = np.zeros((m, h), dtype=np.int32)
        dense[r, c] = 1
        return valid, dense
    return valid, sparse.csr_matrix((np.ones(len(r), dtype=np.int32), (r, c)), shape=(m, h))


_DENSE_TIGHT = 1 << 20


def _simplices_on_planes(L: np.ndarray, simplices: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Exactly: do all points of simplex s satisfy ``V[s, :d] . p + V[s, d] == 0``?"""
    d = L.shape[1]
    P = L[simplices]  # (S, d, d)
    if P.dtype != object and V.dtype != object:
        bound = int(np.abs(P).max(initial=0)) * int(np.abs(V).max(initial=0)) * (d + 1)
        if fits_int64(bound):
            return np.all(np.einsum("sk,sjk->sj", V[:, :d], P) + V[:, d : d + 1] == 0, axis=1)
    out = np.empty(len(simplices), dtype=bool)
    for i in range(len(simplices)):
        v = [int(x) for x in V[i]]
        out[i] = all(sum(v[k] * int(P[i, j, k]) for k in range(d)) + v[d] == 0 for j in range(d))
    return out


def _float_safe(L: np.ndarray) -> bool:
    """Can float proposals be made on the integer points L (m, d)?  Plane normals are products of
    ``d - 1`` coordinates and are rounded to floats, so every such product must stay well inside
    float64's range (2**1024); beyond it the exact oracles decide without proposals.

    >>> _float_safe(np.array([[1, 2]])), _float_safe(np.array([[10**400, 1]], dtype=object))
    (True, False)
    """
    bits = int(np.abs(L).max(initial=0)).bit_length()
    return bits * L.shape[1] < 900


def _exact_fulldim(L: np.ndarray) -> np.ndarray:
    """Upper-hull vertices of integer points L (m, d) whose lift is full-dimensional."""
    m, d = L.shape
    if not _float_safe(L):  # numbers beyond float range: the exact double description decides
        return upper_vertices(L)
    if d > QHULL_MAX_DIM:
        return _exact_lp(L)
    found = _exact_planes(L)
    if found is None:
        return decide_vertices(L, np.zeros(0, dtype=np.int64), np.arange(m))
    N, b, tight, plane_simplices, upper = found
    Lf = L.astype(np.float64)

    # vertex certificates: i lies on a valid upper plane, and the valid planes through i (upper,
    # vertical or lower) meet in no other point; a positive combination weighted towards the
    # upper planes then has last component > 0 and exposes i alone in P.
    is_vertex = np.zeros(m, dtype=bool)
    T = tight if isinstance(tight, np.ndarray) else tight.tocsr()
    on_upper = np.asarray(T[:, np.flatnonzero(upper)].sum(axis=1)).ravel() > 0
    cand = np.flatnonzero(on_upper)
    if len(cand):
        deg = np.asarray(T[cand].sum(axis=1)).ravel()
        common = T @ T[cand].T  # common[j, k]: planes shared by point j and cand[k]
        if isinstance(common, np.ndarray):
            counts = (common == deg[None, :]).sum(axis=0)
        else:
            common = common.tocoo()
            full = common.data == deg[common.col]
            counts = np.bincount(common.col[full], minlength=len(cand))
        is_vertex[cand[counts == 1]] = True

    # non-vertex certificates: exponent inside an upper facet simplex that does not contain it
    non_vertex = np.zeros(m, dtype=bool)
    rest = np.flatnonzero(~is_vertex)
    up_idx = np.flatnonzero(upper)
    if len(rest) and len(up_idx):
        # the upper plane lowest above a point's exponent is the facet over it (float guess;
        # the barycentric check below is exact)
        Nu = N[up_idx].astype(np.float64)
        bu = b[up_idx].astype(np.float64)
        best = np.empty(len(rest), dtype=np.int64)
        step = max(1, (1 << 22) // len(up_idx))
        for s0 in range(0, len(rest), step):
            pts = Lf[rest[s0 : s0 + step], : d - 1]
            heights = (bu[None, :] - pts @ Nu[:, : d - 1].T) / Nu[:, d - 1][None, :]
            best[s0 : s0 + step] = np.argmin(heights, axis=1)
        for p in np.unique(best):
            pts = rest[best == p]
            for simplex in plane_simplices[up_idx[p]]:
                todo = pts[~non_vertex[pts] & ~np.isin(pts, simplex)]
                if not len(todo):
                    break
                inside = _inside_simplex(L[simplex, : d - 1], L[todo, : d - 1])
                non_vertex[todo[inside]] = True
    undecided = np.flatnonzero(~is_vertex & ~non_vertex)
    if len(undecided):
        return decide_vertices(L, np.flatnonzero(is_vertex), undecided)
    return np.flatnonzero(is_vertex)


def _subtract(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    if X.dtype == object or Y.dtype == object:
        return as_int_array(X.astype(object) - Y.astype(object))
    bound = int(np.abs(X).max(initial=0)) + int(np.abs(Y).max(initial=0))
    if fits_int64(bound):
        return X - Y
    return as_int_array(X.astype(object) - Y.astype(object))


def _inside_simplex(V: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Exactly: which rows of P lie in conv(rows of V)?  V is (k+1, k), affinely independent."""
    flint = _flint()
    k1 = V.shape[0]
    M = flint.fmpz_mat(np.hstack([V.astype(object), np.ones((k1, 1), dtype=object)]).tolist())
    det = int(M.det())
    if det == 0:
        return np.zeros(len(P), dtype=bool)
    inv = M.inv()  # fmpq_mat; adj = det * inv is integral
    adj = np.array([[int(inv[i, j] * det) for j in range(k1)] for i in range(k1)], dtype=object)
    Ph = np.hstack([P.astype(object), np.ones((len(P), 1), dtype=object)])
    lam = _matmul_int(as_int_array(Ph), as_int_array(adj))  # barycentric coordinates times det
    if det < 0:
        lam = -lam
    return np.all(lam >= 0, axis=1)


def _exact_lp(L: np.ndarray) -> np.ndarray:
    """High-dimensional exact path: LPs propose, exact witnesses and convex combinations decide.

    Random directions propose vertices with witnesses x.  Every other point j first gets the
    convex-combination LP (weights ``lambda >= 0`` on the other points with ``sum lambda_i a_i =
    a_j``, ``sum lambda_i = 1``, maximal ``sum lambda_i c_i``); the weights are recomputed
    exactly on their support (flint) and, when ``sum lambda_i c_i >= c_j`` holds exactly, j is a
    certified non-vertex.  Otherwise the witness LP proposes an x.  A witness (rounded to the
    grid 2**-40) certifies j when exactly ``c_j + <a_j, x> > c_i + <a_i, x>`` for every other i.
    Anything left goes to :func:`_decide_with_cdd`.
    """
    m, d = L.shape
    r = d - 1
    Lf = L.astype(np.float64)
    mu = Lf.mean(axis=0)
    scale = np.abs(Lf - mu).max(axis=0)
    scale[scale == 0] = 1.0
    Ln = (Lf - mu) / scale
    is_v, witness = _direction_vertices(Ln)
    vertex = np.zeros(m, dtype=bool)
    non_vertex = np.zeros(m, dtype=bool)
    for j in np.flatnonzero(is_v):
        vertex[j] = _exact_witness(L, j, witness[j] * scale[r] / scale[:r])
    for j in np.flatnonzero(~vertex):
        # weights on the known vertices first (a small LP), then on every point still in play
        known = np.flatnonzero(vertex)
        pool = np.flatnonzero(~non_vertex)
        if _exact_combination(L, Ln, j, known) or _exact_combination(L, Ln, j, pool[pool != j]):
            non_vertex[j] = True
            continue
        rows = np.flatnonzero(~non_vertex)
        t, x = _witness_lp(Ln, j, rows[rows != j])
        if t > LP_TOL:
            vertex[j] = _exact_witness(L, j, x * scale[r] / scale[:r])
    undecided = np.flatnonzero(~vertex & ~non_vertex)
    if len(undecided):
        return decide_vertices(L, np.flatnonzero(vertex), undecided)
    return np.flatnonzero(vertex)


_U = 2.0**-52


def _exact_witness(L: np.ndarray, j: int, x: np.ndarray) -> bool:
    """Exactly: does monomial j strictly win at x (rounded to the grid 2**-40)?  A float
    filter with a rigorous error bound decides clear gaps; close ones are redone in integers."""
    m, d = L.shape
    r = d - 1
    if not np.all(np.isfinite(x)) or np.abs(x).max(initial=0) >= 2.0**12:
        return False
    xz = np.round(x * 2.0**40)  # integers below 2**52: exact as floats
    Af = L[:, :r].astype(np.float64)
    cf = L[:, r].astype(np.float64) * 2.0**40
    vals = Af @ xz + cf
    err = (r + 4) * _U * (np.abs(Af) @ np.abs(xz) + np.abs(cf)) * (1.0 + 1e-6)
    gap = vals[j] - vals
    clear = gap > err + err[j]
    clear[j] = True
    if clear.all():
        return True
    close = np.flatnonzero(~clear)
    if np.any(gap[close] < -(err[close] + err[j])):
        return False
    xi = [int(v) for v in xz]
    val = [sum(int(L[i, k]) * xi[k] for k in range(r)) + (int(L[i, r]) << 40) for i in (j, *close)]
    return all(v < val[0] for v in val[1:])


def _exact_combination(L: np.ndarray, Ln: np.ndarray, j: int, others: np.ndarray) -> bool:
    """Exactly certify that point j lies in conv(others) + ray, from LP weights on their support."""
    from .lp import solve_lp

    flint = _flint()
    r = L.shape[1] - 1
    if len(others) == 0:
        return False
    M = np.vstack([Ln[others, :r].T, np.ones(len(others))])
    rhs = np.concatenate([Ln[j, :r], [1.0]])
    status, lam = solve_lp(
        -Ln[others, r],
        np.vstack([M, -M]),
        np.concatenate([rhs + 1e-12, -rhs + 1e-12]),
        np.zeros(len(others)),
        np.full(len(others), np.inf),
    )
    if status != "optimal":
        return False
    S = others[lam > 1e-10]
    if len(S) == 0 or len(S) > r + 1:
        return False
    MS = flint.fmpq_mat([[int(v) for v in L[S, k]] for k in range(r)] + [[1] * len(S)])
    b = flint.fmpq_mat([[int(v)] for v in L[j, :r]] + [[1]])
    G = MS.transpose() * MS
    if G.rank() < len(S):
        return False
    sol = G.solve(MS.transpose() * b)
    if MS * sol != b:
        return False
    weights = [sol[i, 0] for i in range(len(S))]
    return min(weights) >= 0 and sum(w * int(L[i, r]) for w, i in zip(weights, S)) >= int(L[j, r])


def _exact_cells(L: np.ndarray) -> list[tuple[int, ...]]:
    flint = _flint()
    d = L.shape[1]
    found = _exact_planes(L) if _float_safe(L) else None
    if found is not None:
        N, b, tight, plane_simplices, upper = found

        def projected_volume(planes) -> int:
            total = 0
            for h in planes:
                for simplex in plane_simplices[h]:
                    rows = [[*(int(x) for x in L[i, : d - 1]), 1] for i in simplex]
                    total += abs(int(flint.fmpz_mat(rows).det()))
            return total

        up = np.flatnonzero(upper)
        low = np.flatnonzero(np.array([int(x) < 0 for x in N[:, d - 1]], dtype=bool))
        vol_up = projected_volume(up)
        if vol_up > 0 and vol_up == projected_volume(low):
            return sorted(tuple(sorted(tight[:, [h]].nonzero()[0].tolist())) for h in up)
    return upper_cells(L)
