"""``persistence``: persistent homology of the sublevel filtration of a piecewise-linear function.

``f`` is affine on every cell of the complex, so each sublevel set ``{f <= t}`` is homotopy
equivalent to the subcomplex of faces whose vertices all have ``f <= t``
(:mod:`tropnet.complex.homology`); the filtration by ``t`` is finite, its critical values are
values at vertices, and a face enters at the largest value of ``f`` on its vertices.  The
persistence pairs of that cell filtration are computed by GUDHI on its order complex (the
barycentric subdivision: one vertex per face, one simplex per chain of faces, entering with
its top face), which is a simplicial complex homeomorphic to the cell complex at every ``t``.
Filtration values enter GUDHI as their ranks (integers, exact in a double), so exact mode
compares values in rationals and reports them as ``Fraction``.  On an unbounded domain the
complex is the one clipped by the box of :mod:`tropnet.complex.lattice`; values at the box
that lie below (above) every value at a true vertex are reported as ``-inf`` (``inf``): a
class born there exists for all low ``t``.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1], [-1]], [[-1, -1]]], [[0, 0], [1]])   # 1 - |x|
>>> persistence(net, tropnet.Box(-2, 2), exact=True)                # two ends merge at the top
[(0, Fraction(-1, 1), inf), (0, Fraction(-1, 1), Fraction(1, 1))]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .polyhedral import PolyhedralComplex

__all__ = ["persistence"]


def _order_complex(K: PolyhedralComplex) -> list[list[int]]:
    """The maximal chains of the face poset of ``K`` (faces numbered dimension by dimension)."""
    n = K.ambient_dim
    sizes = [K._nfaces(k) for k in range(n + 1)]
    base = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    facets = []
    has_coface = np.zeros(int(base[-1]), dtype=bool)
    for k in range(n + 1):
        off, ids = K._fc[k]
        rows = [(ids[off[i] : off[i + 1]] + (base[k - 1] if k else 0)).tolist() for i in range(sizes[k])]
        facets.extend(rows)
        for r in rows:
            has_coface[r] = True
    chains: list[list[int]] = []

    def walk(f: int, chain: list[int]) -> None:
        down = facets[f]
        if not down:
            chains.append(chain)
            return
        for g in down:
            walk(g, chain + [g])

    for f in np.flatnonzero(~has_coface).tolist():
        walk(f, [f])
    return chains


def persistence(
    obj: Any, domain: Any = None, *, exact: bool = False, output: int = 0, field: int = 2
) -> list[tuple[int, Any, Any]]:
    """The persistence pairs ``(dimension, birth, death)`` of the sublevel filtration of output
    ``output`` of ``obj`` (a network or tropical object, enumerated on ``domain``; or a region
    set or :class:`PolyhedralComplex`, then ``domain`` and ``exact`` are not used), with
    coefficients in GF(``field``), ``field`` a prime.  Pairs of zero length are left out;
    an essential class dies at ``inf``.  Needs GUDHI (``pip install tropnet[topology]``).

    >>> import tropnet
    >>> bump = tropnet.Network.from_arrays(    # 1 - |x| - |y| on [-2, 2]^2
    ...     [[[1, 0], [-1, 0], [0, 1], [0, -1]], [[-1, -1, -1, -1]]], [[0, 0, 0, 0], [1]])
    >>> [(d, float(b), float(e)) for d, b, e in persistence(bump, tropnet.Box(-2, 2))]
    [(0, -3.0, inf), (0, -3.0, -1.0), (0, -3.0, -1.0), (0, -3.0, -1.0), (1, -1.0, 1.0)]
    """
    try:
        import gudhi
    except ImportError as err:  # pragma: no cover - optional
        raise ImportError("persistence() needs GUDHI: pip install tropnet[topology]") from err
    from ..regions.regionset import RegionSet
    from .lattice import build_complex

    if not isinstance(field, int) or field < 2 or any(field % p == 0 for p in range(2, int(field**0.5) + 1)):
        raise ValueError(f"field must be a prime, got {field!r}")
    if isinstance(obj, PolyhedralComplex):
        K = obj
    elif isinstance(obj, RegionSet):
        K = build_complex(obj)
    else:
        from ..regions.api import linear_regions

        K = build_complex(linear_regions(obj, domain, kind="activation", exact=exact))
    vals = K.vertex_values(output)
    distinct = sorted(set(vals.tolist()))
    rank = {v: i for i, v in enumerate(distinct)}
    vrank = np.array([rank[v] for v in vals.tolist()], dtype=np.int64)
    face_rank = [
        np.array([vrank[r].max() for r in _face_rows(K, k)], dtype=np.int64) for k in range(K.ambient_dim + 1)
    ]
    node_rank = np.concatenate(face_rank) if face_rank else np.zeros(0, dtype=np.int64)
    st = gudhi.SimplexTree()
    for chain in _order_complex(K):
        st.insert(chain, filtration=float(node_rank[chain].max()))
    for simplex, _ in list(st.get_simplices()):
        st.assign_filtration(simplex, float(node_rank[simplex].max()))
    st.make_filtration_non_decreasing()
    pairs = st.persistence(homology_coeff_field=field, min_persistence=0)
    genuine = ~K._vinf.astype(bool)
    lo = min((rank[v] for v in vals[genuine].tolist()), default=None)
    hi = max((rank[v] for v in vals[genuine].tolist()), default=None)

    def value(r: float) -> Any:
        if math.isinf(r):
            return math.inf
        i = int(r)
        if lo is not None and i < lo:
            return -math.inf
        if hi is not None and i > hi:
            return math.inf
        return distinct[i]

    out = [(int(d), value(b), value(e)) for d, (b, e) in pairs]
    out = [p for p in out if p[1] != p[2]]
    return sorted(out, key=lambda p: (p[0], p[1], -math.inf if p[2] == math.inf else 0, p[2]))


def _face_rows(K: PolyhedralComplex, k: int):
    off, ids = K._fv[k]
    return (ids[off[i] : off[i + 1]] for i in range(len(off) - 1))
