"""Do two networks (or tropical objects) compute the same function, and how do the regions
change along a path between two parameter points?

:func:`same_function` decides equality exactly (compiled tropical forms, witnesses checked in
rational arithmetic, or the exact activation cells of the difference network on a domain);
:func:`region_path` counts regions along the straight path between two networks, before and
after aligning their hidden units (:func:`~tropnet.networks.symmetry.canonical.align`).

>>> from tropnet import random_mlp
>>> from tropnet.networks.symmetry import random_equivalent
>>> net = random_mlp([2, 3, 1], seed=0)
>>> bool(same_function(net, random_equivalent(net, seed=2)))
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..algebra.polynomial import TropicalPolynomial, union_names
from ..algebra.rational import TropicalRational
from ..compiler import tropicalize
from ..kernels.lp import new_highs
from ..networks.layers import GroupMax, Layer, LeakyReLU, Linear, Threshold
from ..networks.network import Network
from ..networks.symmetry.canonical import _check_same_architecture, equivalent, interpolate
from ..networks.symmetry.canonical import align as _align_networks  # region_path's `align` flag shadows it
from ..regions.api import count_linear_regions, linear_regions


# ---------------------------------------------------------------------------- same function
@dataclass(frozen=True)
class FunctionComparison:
    """The verdict of :func:`same_function`; true in a boolean context iff the functions agree.

    ``witness`` is a point where they differ (``None`` when they agree), ``values`` the two
    outputs there.

    >>> from tropnet import random_mlp
    >>> r = same_function(random_mlp([2, 3, 1], seed=0), random_mlp([2, 3, 1], seed=1))
    >>> bool(r), r.witness is not None
    (False, True)
    """

    equal: bool
    witness: np.ndarray | None = None
    values: tuple[np.ndarray, np.ndarray] | None = None

    def __bool__(self) -> bool:
        return self.equal


def _rational_pairs(obj: Any, what: str) -> tuple[list[tuple[Any, Any]], int]:
    """(numerator, denominator) per output of a network or tropical object, and the input
    dimension.  Networks are compiled exactly (float weights as the dyadic rationals they
    store), so that rounding in the compiler cannot decide the verdict."""

    if isinstance(obj, Network):
        obj = tropicalize(obj.to_exact())
    if isinstance(obj, TropicalPolynomial):
        one = TropicalPolynomial.constant(0 if obj.is_exact else 0.0, obj.nvars)
        return [(obj, one)], obj.nvars
    if hasattr(obj, "numerator") and hasattr(obj, "denominator"):
        return [(obj.numerator, obj.denominator)], obj.numerator.nvars
    try:
        pairs = [(r.numerator, r.denominator) for r in obj]
    except (TypeError, AttributeError):
        raise TypeError(
            f"same_function: the {what} argument is {type(obj).__name__}; expected a Network, a "
            "TropicalPolynomial, a TropicalRational or a TropicalRationalMap"
        ) from None
    if not pairs:
        raise ValueError(f"same_function: the {what} argument has no outputs")
    return pairs, pairs[0][0].nvars


def _values(obj: Any, pairs: list[tuple[Any, Any]] | None, x: np.ndarray) -> np.ndarray:
    """Outputs of ``obj`` at the exact point ``x``: the network's own forward pass for a
    network (an independent check of the compiler), else numerator minus denominator."""
    if isinstance(obj, Network):
        return obj.to_exact()(x)
    return np.array([num(x) - den(x) for num, den in pairs], dtype=object)


def _interior_point(E: np.ndarray, c: np.ndarray, i: int, bound: float = 1e6) -> np.ndarray | None:
    """A point where monomial ``i`` of ``max_j (c_j + <E_j, x>)`` beats every other one by
    the largest margin (an LP, solved with HiGHS), or None when it wins nowhere."""
    import highspy

    E = np.asarray(E, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    n = E.shape[1]
    others = np.delete(np.arange(E.shape[0]), i)
    if others.size == 0:
        return np.zeros(n)
    # (E_j - E_i) x + t <= c_i - c_j,  maximise t <= 1
    A = np.hstack([E[others] - E[i], np.ones((others.size, 1))])

    h = new_highs(presolve=True)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + 1, int(others.size)
    lp.col_cost_ = np.r_[np.zeros(n), -1.0]
    lp.col_lower_ = np.r_[np.full(n, -bound), -inf]
    lp.col_upper_ = np.r_[np.full(n, bound), 1.0]
    lp.row_lower_ = np.full(others.size, -inf)
    lp.row_upper_ = c[i] - c[others]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, A.size + 1, A.shape[1])
    lp.a_matrix_.index_ = np.tile(np.arange(n + 1), others.size)
    lp.a_matrix_.value_ = A.ravel()
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    sol = np.array(h.getSolution().col_value)
    return sol[:n] if sol[n] > 0 else None


def _monomial_keys(p: Any) -> set:
    s = p.simplify()
    return {(tuple(e), c) for e, c in zip(s.exponents.tolist(), s.coefficients.tolist())}


def _witness_candidates(p: Any, q: Any, rng: np.random.Generator) -> Any:
    """Points where ``p`` and ``q`` (max-plus polynomials, different as functions) may
    differ: inside the region of each monomial that one has and the other has not.  On such
    a region the other polynomial equals this monomial on no open set, so a random point
    near the most interior one differs with probability one."""
    kp, kq = _monomial_keys(p), _monomial_keys(q)
    for poly, theirs in ((p, kq), (q, kp)):
        s = poly.simplify()
        for i, (e, c) in enumerate(zip(s.exponents.tolist(), s.coefficients.tolist())):
            if (tuple(e), c) in theirs:
                continue
            for bound in (10.0, 1e3, 1e6):  # prefer a small witness
                x = _interior_point(s.exponents, s.coefficients, i, bound)
                if x is not None:
                    break
            if x is None:
                continue
            yield x
            for scale in (1e-3, 1e-6):
                yield x + scale * max(1.0, float(np.abs(x).max())) * rng.uniform(-1, 1, size=x.shape)


def _in_domain(domain: Any, x: np.ndarray) -> bool:
    if domain is None:
        return True
    A, b = domain.halfspaces(x.shape[0])
    return bool(np.all(np.asarray(A, dtype=np.float64) @ x <= np.asarray(b, dtype=np.float64)))


def _differ(va: np.ndarray, vb: np.ndarray) -> bool:
    return bool(np.any(np.asarray(va != vb)))


def same_function(a: Any, b: Any, domain: Any = None, method: str = "auto") -> FunctionComparison:
    """Whether ``a`` and ``b`` (networks or tropical objects with the same numbers of inputs
    and outputs) compute the same function, on R^n or on ``domain``.

    Decided exactly from the tropical forms: ``f_a - f_b`` is zero iff, for every output,
    ``num_a * den_b == num_b * den_a`` as max-plus polynomials (equality of their pruned
    monomials).  Networks are compiled with :func:`tropnet.tropicalize` in exact arithmetic
    — a float weight counts as the dyadic rational it stores, so a float rescaling
    ``w * lam, v / lam``, which rounds, is generally *not* the same function, while a
    permutation is.  This sees equalities no permutation explains (dead units, zero output
    weights, mergeable units).

    ``method="regions"`` decides by region enumeration instead: for two networks, the
    exact activation cells (:func:`tropnet.linear_regions` with ``exact=True``) of one
    network computing ``a - b`` (both side by side, in Linear and GroupMax layers) on the
    domain (R^n when ``domain`` is None), and its affine map on each cell must be zero; for
    tropical objects, the cells of ``(num_a * den_b) / (num_b * den_a)``, comparing the
    winning monomials of both products.  ``method="auto"`` uses the tropical forms on R^n
    and region enumeration on a ``domain`` (``Box``/``Polyhedron``).

    Networks of one architecture whose parameters are related by a permutation of hidden
    units (and, for exact networks, a positive rescaling) are recognised from their
    canonical forms (:func:`equivalent` with no tolerance) without compiling.

    Two tropical polynomials or rationals are compared as functions of their NAMED variables,
    written in the union of both (``x + 0`` and ``y + 0`` differ); a network's inputs, and
    a :class:`~tropnet.TropicalRationalMap`, are matched by position.

    When the functions differ, ``witness`` is a point (in the domain) where they do, checked
    by exact evaluation of both (the networks' own forward pass), and ``values`` holds
    the two outputs there.  Random points (Gaussian, or uniform in a box) are tried first,
    so most different functions are told apart before anything is compiled.

    >>> from tropnet import Network
    >>> a = Network.from_arrays([[[1], [-1]], [[1, 1]]])          # |x|
    >>> b = Network.from_arrays([[[-1], [1], [2]], [[1, 1, 0]]])  # |x|, plus a unit read with weight 0
    >>> bool(same_function(a, b))
    True
    >>> c = Network.from_arrays([[[1], [-1]], [[1, 2]]])
    >>> r = same_function(a, c)
    >>> r.equal, bool(r.values[0] != r.values[1])
    (False, True)
    """
    if method not in ("auto", "tropical", "regions"):
        raise ValueError(f"method must be 'auto', 'tropical' or 'regions', got {method!r}")
    if hasattr(a, "with_variables") and hasattr(b, "with_variables") and a.variables != b.variables:
        # tropical polynomials and rationals are functions of NAMED variables (x + 0 and y + 0
        # differ): compare them in the union of their variables
        names = union_names(a.variables, b.variables)
        a, b = a.with_variables(names), b.with_variables(names)
    if method == "tropical" and domain is not None:
        raise ValueError("method='tropical' decides on all of R^n; use method='regions' with a domain")
    (na, ma), (nb, mb) = _shape_of(a, "first"), _shape_of(b, "second")
    if na != nb or ma != mb:
        raise ValueError(
            f"same_function: the first object maps R^{na} to R^{ma}, the second R^{nb} to R^{mb}"
        )
    if _provably_equivalent(a, b):
        return FunctionComparison(True)
    # cheap first: exact values at random points (most different functions differ there)
    pa = None if isinstance(a, Network) else _rational_pairs(a, "first")[0]
    pb = None if isinstance(b, Network) else _rational_pairs(b, "second")[0]
    for x in _sample_points(domain, na, np.random.default_rng(0)):
        w = _check_witness(a, b, pa, pb, x, domain)
        if w is not None:
            return w
    networks = isinstance(a, Network) and isinstance(b, Network)
    if networks and (method == "regions" or (method == "auto" and domain is not None)):
        return _same_by_regions(a, b, domain)
    pa, pb = _rational_pairs(a, "first")[0], _rational_pairs(b, "second")[0]
    prods = [(num_a * den_b, num_b * den_a) for (num_a, den_a), (num_b, den_b) in zip(pa, pb)]
    if domain is None and method != "regions":
        unequal = [i for i, (p, q) in enumerate(prods) if p != q]
        if not unequal:
            return FunctionComparison(True)
        rng = np.random.default_rng(0)
        for i in unequal:
            for x in _witness_candidates(*prods[i], rng):
                w = _check_witness(a, b, pa, pb, x, domain)
                if w is not None:
                    return w
        raise RuntimeError(  # pragma: no cover - would be a bug in the monomial argument
            "same_function: the tropical forms differ but no witness point was found"
        )
    return _same_on_domain(a, b, pa, pb, prods, domain)


def _provably_equivalent(a: Any, b: Any) -> bool:
    """True when ``b`` is a hidden-unit permutation of ``a`` (exactly equal canonical forms
    without rescaling: no arithmetic involved), or an exact rescaling too (exact networks)."""
    if not (isinstance(a, Network) and isinstance(b, Network)):
        return False
    try:
        _check_same_architecture(a, b, "same_function")
        if a.exact and b.exact:
            return equivalent(a, b, rescale=True, rtol=0.0)
        return equivalent(a, b, rescale=False, rtol=0.0)
    except (TypeError, ValueError):
        return False


def _shape_of(obj: Any, what: str) -> tuple[int, int]:
    if isinstance(obj, Network):
        return obj.input_dim, obj.output_dim
    pairs, n = _rational_pairs(obj, what)
    return n, len(pairs)


def _sample_points(domain: Any, n: int, rng: np.random.Generator, k: int = 16) -> list[np.ndarray]:
    """Random points (in the domain): Gaussian at scales 1 and 10 for R^n, uniform in a box."""
    if domain is None:
        return list(np.vstack([rng.normal(size=(k, n)), 10 * rng.normal(size=(k, n))]))
    lo_hi = getattr(domain, "bounds", None)
    if lo_hi is not None:
        lo, hi = domain.bounds(n)
        return list(rng.uniform(lo, hi, size=(2 * k, n)))
    pts = np.vstack([rng.normal(size=(k, n)), 10 * rng.normal(size=(k, n))])
    return [x for x in pts if _in_domain(domain, x)]


def _check_witness(
    a: Any, b: Any, pa: list, pb: list, x: np.ndarray, domain: Any
) -> FunctionComparison | None:
    if not _in_domain(domain, x):
        return None
    xe = np.array([Fraction(float(v)) for v in x], dtype=object)
    va, vb = _values(a, pa, xe), _values(b, pb, xe)
    if _differ(va, vb):
        return FunctionComparison(False, np.asarray(x, dtype=np.float64), (va, vb))
    return None


def _same_on_domain(a: Any, b: Any, pa: list, pb: list, prods: list, domain: Any) -> FunctionComparison:

    rng = np.random.default_rng(0)
    for p, q in prods:
        regions = linear_regions(TropicalRational(p, q), domain, kind="activation")
        pts = np.asarray(regions.interior_points, dtype=np.float64)
        xe = np.array([[Fraction(float(v)) for v in row] for row in pts], dtype=object).reshape(pts.shape)
        ip = np.argmax(np.asarray(_affine_values(p, xe), dtype=object), axis=1) if len(pts) else []
        iq = np.argmax(np.asarray(_affine_values(q, xe), dtype=object), axis=1) if len(pts) else []
        ps, qs = p.simplify(), q.simplify()
        for k, (i, j) in enumerate(zip(ip, iq)):
            if np.array_equal(ps.exponents[i], qs.exponents[j]) and ps.coefficients[i] == qs.coefficients[j]:
                continue
            x = pts[k]
            for cand in (x, *(x + s * rng.uniform(-1, 1, size=x.shape) for s in (1e-6, 1e-4, 1e-2))):
                w = _check_witness(a, b, pa, pb, cand, domain)
                if w is not None:
                    return w
    return FunctionComparison(True)


def _eye(n: int) -> np.ndarray:
    out = np.full((n, n), Fraction(0), dtype=object)
    np.fill_diagonal(out, Fraction(1))
    return out


_Block = tuple[np.ndarray, np.ndarray, np.ndarray]


def _max_blocks(net: Network) -> tuple[list[_Block], tuple[np.ndarray, np.ndarray]]:
    """``net`` (exact, lowered) as blocks ``h -> GroupMax(groups)(W h + b)`` and a final
    affine map: ``max(z, t)`` is the max of ``z`` and a constant unit ``t``, ``max(z, a z)``
    the max of ``z`` and a unit ``a z``; consecutive affine maps are composed."""
    W, b = _eye(net.input_dim), np.full(net.input_dim, Fraction(0), dtype=object)
    blocks = []
    for layer in net.to_exact().lowered().layers:
        w = W.shape[0]
        pairs = np.stack([np.arange(w), np.arange(w, 2 * w)], axis=1)
        if isinstance(layer, Linear):
            W, b = layer.weight.dot(W), layer.weight.dot(b) + layer.bias
            continue
        if isinstance(layer, Threshold):
            zero = np.full(W.shape, Fraction(0), dtype=object)
            t = np.full(w, layer.t, dtype=object)
            blocks.append((np.vstack([W, zero]), np.concatenate([b, t]), pairs))
        elif isinstance(layer, LeakyReLU):
            blocks.append((np.vstack([W, layer.alpha * W]), np.concatenate([b, layer.alpha * b]), pairs))
        else:  # GroupMax
            blocks.append((W, b, np.asarray(layer.groups)))
        width = blocks[-1][2].shape[0]
        W, b = _eye(width), np.full(width, Fraction(0), dtype=object)
    return blocks, (W, b)


def _difference_network(a: Network, b: Network) -> Network:
    """An exact network of Linear and GroupMax layers computing ``a(x) - b(x)``: both run
    side by side (block-diagonal weights, the shorter padded with identity blocks)."""
    (ba, (wa, ca)), (bb, (wb, cb)) = _max_blocks(a), _max_blocks(b)
    n = a.input_dim

    def width(blocks: list) -> int:
        return blocks[-1][2].shape[0] if blocks else n

    for blocks in (ba, bb):
        while len(blocks) < max(len(ba), len(bb)):
            k = width(blocks)
            blocks.append((_eye(k), np.full(k, Fraction(0), dtype=object), np.arange(k)[:, None]))
    layers: list[Layer] = []
    for i, ((w1, b1, g1), (w2, b2, g2)) in enumerate(zip(ba, bb)):
        if i == 0:
            w = np.vstack([w1, w2])
        else:
            w = np.full((w1.shape[0] + w2.shape[0], w1.shape[1] + w2.shape[1]), Fraction(0), dtype=object)
            w[: w1.shape[0], : w1.shape[1]] = w1
            w[w1.shape[0] :, w1.shape[1] :] = w2
        k = max(g1.shape[1], g2.shape[1])
        g1 = np.hstack([g1, np.repeat(g1[:, :1], k - g1.shape[1], axis=1)])  # max(z, z) = z
        g2 = np.hstack([g2, np.repeat(g2[:, :1], k - g2.shape[1], axis=1)]) + w1.shape[0]
        layers += [Linear(w, np.concatenate([b1, b2])), GroupMax(np.vstack([g1, g2]), w.shape[0])]
    final = np.hstack([wa, -wb]) if layers else wa - wb
    layers.append(Linear(final, ca - cb))
    return Network(layers, n)


def _same_by_regions(a: Network, b: Network, domain: Any) -> FunctionComparison:
    """Decide ``a == b`` on the domain from the exact activation cells of ``a - b``."""

    rng = np.random.default_rng(0)
    diff = _difference_network(a, b)
    # float cells first: a cell with a clearly nonzero map gives a witness cheaply; the exact
    # (certified) enumeration then proves equality, or finds the witness float missed
    for exact in (False, True):
        for region in linear_regions(diff, domain, kind="activation", exact=exact):
            W, c = region.affine_map
            entries = np.concatenate([np.ravel(W), np.ravel(c)])
            if all(v == 0 for v in entries) if exact else np.abs(entries.astype(np.float64)).max() < 1e-9:
                continue
            x = np.asarray(region.interior_point, dtype=np.float64)
            scale = max(1.0, float(np.abs(x).max()))
            for step in (0.0, 1e-9, 1e-6, 1e-3):
                w = _check_witness(a, b, None, None, x + step * scale * rng.uniform(-1, 1, x.shape), domain)
                if w is not None:
                    return w
    return FunctionComparison(True)


def _affine_values(p: Any, xe: np.ndarray) -> np.ndarray:
    """Every pruned monomial of ``p`` at the points ``xe``: shape (points, monomials)."""
    s = p.simplify()
    E = np.asarray(s.exponents, dtype=object)
    c = np.asarray(s.coefficients, dtype=object)
    return xe.dot(E.T) + c


@dataclass(frozen=True)
class RegionPath:
    """Region counts (and losses) along the straight path between two networks.

    ``t`` the path parameters; ``regions[i]`` the number of linear regions of
    ``interpolate(a, b, t[i])`` on the domain; ``loss`` the mean squared error on the data
    (None without data); ``*_aligned`` the same on the path to ``b`` aligned to ``a``
    (None when ``align=False``).

    >>> from tropnet import Box, random_mlp
    >>> path = region_path(random_mlp([2, 3, 1], seed=0), random_mlp([2, 3, 1], seed=1), Box(-2, 2), steps=3)
    >>> len(path.t), len(path.regions)
    (3, 3)
    """

    t: np.ndarray
    regions: np.ndarray
    loss: np.ndarray | None = None
    regions_aligned: np.ndarray | None = None
    loss_aligned: np.ndarray | None = None


def _loss(net: Network, data: tuple[Any, Any], loss: Any) -> float:
    x, y = data
    out = net.to_float()(np.asarray(x, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64).reshape(out.shape)
    if loss is None:
        return float(np.mean((out - y) ** 2))
    return float(loss(out, y))


def region_path(
    net_a: Network,
    net_b: Network,
    domain: Any,
    steps: int = 11,
    align: bool | str = True,
    data: Any = None,
    kind: str = "linear",
    loss: Any = None,
) -> RegionPath:
    """Linear-region counts (and loss, when ``data=(X, Y)`` is given) along the straight
    path ``interpolate(net_a, net_b, t)``, ``t`` in ``[0, 1]`` (``steps`` points), and, when
    ``align``, along the path to ``net_b`` matched to ``net_a`` by :func:`align` (``True`` or
    ``"weights"``: weight matching; ``"activations"``: activation matching on ``data``'s
    inputs).

    The tropical view of linear mode connectivity: the two ends compute the functions of
    ``net_a`` and ``net_b``; in between the parameters, and so the pieces, change.  Exact
    networks give exact interpolants (``t = i / (steps - 1)`` as Fractions).  The loss is
    ``loss(outputs, Y)`` (outputs of shape (N, n_out), ``Y`` reshaped alike), by default the
    mean squared error.  ``kind`` is passed to :func:`tropnet.count_linear_regions`.

    >>> from tropnet import Box, random_equivalent, random_mlp
    >>> a = random_mlp([2, 4, 1], seed=0)
    >>> path = region_path(a, random_equivalent(a, seed=1), Box(-3, 3), steps=3)
    >>> path.regions_aligned.tolist() == [path.regions[0]] * 3
    True
    """

    _check_same_architecture(net_a, net_b, "region_path")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    if data is not None and (not isinstance(data, (tuple, list)) or len(data) != 2):
        raise TypeError("data must be a pair (X, Y) of inputs and targets")
    if align not in (True, False, "weights", "activations"):
        raise ValueError(f"align must be True, False, 'weights' or 'activations', got {align!r}")
    if align == "activations" and data is None:
        raise ValueError("region_path(align='activations') needs data=(X, Y)")
    if loss is not None and not callable(loss):
        raise TypeError(f"loss must be a callable loss(outputs, targets), got {type(loss).__name__}")
    exact = net_a.exact and net_b.exact
    ts = [Fraction(i, steps - 1) if exact else i / (steps - 1) for i in range(steps)]

    def walk(b: Network) -> tuple[np.ndarray, np.ndarray | None]:
        nets = [interpolate(net_a, b, t) for t in ts]
        counts = np.array([count_linear_regions(n, domain, kind=kind) for n in nets], dtype=np.int64)
        losses = None if data is None else np.array([_loss(n, data, loss) for n in nets])
        return counts, losses

    regions, losses = walk(net_b)
    regions_al = loss_al = None
    if align:
        method = "activations" if align == "activations" else "weights"
        x = None if data is None else data[0]
        regions_al, loss_al = walk(_align_networks(net_a, net_b, method=method, data=x)[0])
    return RegionPath(np.array([float(t) for t in ts]), regions, losses, regions_al, loss_al)

