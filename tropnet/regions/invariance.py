"""Is a network or tropical function invariant under a symmetry group?  Exact checks for
:mod:`tropnet.regions.symmetric`: a tropical object by composing its polynomials with each
generator; a network at random rational points, then by enumerating the linear regions of
``f(g x) - f(x)`` exactly (every region must carry the zero map).

>>> import tropnet
>>> from tropnet.geometry.groups import symmetric_group
>>> x, y = tropnet.variables("x y")
>>> check_invariance(x + y + 0, symmetric_group(2))
'tropical form'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._numbers import as_exact_array
from ..geometry.domains import Box, Domain
from ..geometry.groups import SymmetryGroup
from ..networks.layers import GroupMax, LeakyReLU, Linear, Threshold
from ..networks.network import Network
from .plan import make_plan

__all__ = ["check_invariance", "unit_permutations", "NotEquivariantError"]


def _is_tropical(obj: Any) -> bool:
    from ..algebra.polynomial import TropicalPolynomial
    from ..algebra.rational import TropicalRational, TropicalRationalMap

    return isinstance(obj, (TropicalPolynomial, TropicalRational, TropicalRationalMap))


def _input_dim(obj: Any) -> int:
    if isinstance(obj, Network):
        return obj.input_dim
    if _is_tropical(obj):
        return obj.nvars
    raise TypeError(
        "symmetry= needs a Network, TropicalPolynomial, TropicalRational or TropicalRationalMap, "
        f"got {type(obj).__name__}"
    )


def _check_group(obj: Any, group: Any) -> int:
    if not isinstance(group, SymmetryGroup):
        raise TypeError(f"symmetry must be a tropnet SymmetryGroup, got {type(group).__name__}")
    n = _input_dim(obj)
    if group.n != n:
        raise ValueError(f"the group acts on R^{group.n}, but the object has {n} inputs")
    return n


def _compose_poly(p: Any, M: np.ndarray) -> Any:
    from ..algebra.polynomial import TropicalPolynomial

    E = p.exponents
    E = E.dot(M.astype(object)) if E.dtype == object else E @ M
    return TropicalPolynomial(E, p.coefficients, p.variables)


def _tropical_invariant(obj: Any, M: np.ndarray) -> bool:
    from ..algebra.polynomial import TropicalPolynomial
    from ..algebra.rational import TropicalRational

    if isinstance(obj, TropicalPolynomial):
        return _compose_poly(obj, M) == obj
    items = [obj] if isinstance(obj, TropicalRational) else list(obj)
    for r in items:
        p, q = r.numerator, r.denominator
        # p(gx) - q(gx) = p(x) - q(x)  <=>  p(gx) + q(x) = p(x) + q(gx) (tropical products)
        if not (_compose_poly(p, M) * q == p * _compose_poly(q, M)):
            return False
    return True


def _random_rational_points(n: int, domain: Domain | None, k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if isinstance(domain, Box):
        lo, hi = domain.bounds(n)
        X = lo + (hi - lo) * rng.random((k, n))
    else:
        X = rng.normal(size=(k, n)) * 4
    return as_exact_array(np.round(X * 64) / 64)


def _difference_network(net: Network, M: np.ndarray) -> Network:
    """The network ``x -> f(x) - f(M x)`` built from two parallel copies of ``net``."""
    layers = net.lowered().layers
    out: list[Any] = []
    first = True
    for li, layer in enumerate(layers):
        last = li == len(layers) - 1
        if isinstance(layer, Linear):
            W, b = layer.weight, layer.bias
            obj = W.dtype == object
            if first:
                WM = W.dot(M.astype(object)) if obj else W @ M
                top, bottom = W, WM
                if last:
                    Wn, bn = top - bottom, b - b
                else:
                    Wn, bn = np.vstack([top, bottom]), np.concatenate([b, b])
            else:
                Z = np.zeros_like(W)
                if last:
                    Wn, bn = np.hstack([W, -W]), b - b
                else:
                    Wn, bn = np.block([[W, Z], [Z, W]]), np.concatenate([b, b])
            first = False
            out.append(Linear(Wn, bn))
        elif isinstance(layer, GroupMax):
            out.append(
                GroupMax(np.vstack([layer.groups, layer.groups + layer.in_features]), 2 * layer.in_features)
            )
        else:
            out.append(layer)
    if not isinstance(layers[-1], Linear):
        w = net.output_dim
        eye = np.eye(w, dtype=np.int64)
        out.append(Linear(np.hstack([eye, -eye])))
    return Network(out, net.input_dim)


def check_invariance(obj: Any, group: SymmetryGroup, domain: Domain | None = None, *, seed: int = 0) -> str:
    """Decide exactly that ``obj(g x) = obj(x)`` for every generator g (on ``domain``).

    Returns how it was decided (``"equivariant layers"``, ``"tropical form"`` or
    ``"exact enumeration"``); raises ``ValueError`` naming the first generator that breaks
    invariance (with an exact rational witness point when one is found).

    >>> from tropnet.geometry.groups import symmetric_group
    >>> from tropnet.networks.equivariant import deepsets
    >>> check_invariance(deepsets(3), symmetric_group(3))
    'equivariant layers'
    """
    _check_group(obj, group)
    n = group.n
    gens = [group.generator_matrix(k) for k in range(len(group.generators))]
    if _is_tropical(obj):
        for k, M in enumerate(gens):
            if not _tropical_invariant(obj, M):
                raise ValueError(
                    f"the object is not invariant under generator {k} of the group: f(g x) != f(x)"
                )
        return "tropical form"
    try:
        unit_permutations(obj, group)
        return "equivariant layers"
    except NotEquivariantError:
        pass
    exact_net = obj.to_exact()
    X = _random_rational_points(n, domain, 32, seed)
    fx = exact_net(X)
    for k, M in enumerate(gens):
        gX = X.dot(M.T.astype(object))
        bad = np.flatnonzero(np.any(exact_net(gX) != fx, axis=1))
        if len(bad):
            x = [str(v) for v in X[bad[0]]]
            raise ValueError(
                f"the network is not invariant under generator {k} of the group: f(g x) != f(x) at x = {x}"
            )
    for k, M in enumerate(gens):
        diff = _difference_network(exact_net, M)
        rs = make_plan(diff, domain, kind="linear", exact=True).run()
        for r in rs:
            W, c = r.affine_map
            if any(v != 0 for v in np.ravel(W)) or any(v != 0 for v in np.ravel(c)):
                x = [str(v) for v in np.ravel(r.interior_point)]
                raise ValueError(
                    f"the network is not invariant under generator {k} of the group: "
                    f"f(g x) != f(x) near x = {x}"
                )
    return "exact enumeration"


class NotEquivariantError(ValueError):
    """A generator does not permute the units of some layer."""


def _match_rows(
    W: np.ndarray, b: np.ndarray, WP: np.ndarray, signed: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """(q, sigma) with ``WP[i] = sigma_i W[q_i]`` and ``b[i] = sigma_i b[q_i]``, a bijection, or None."""
    table: dict[tuple, list[int]] = {}
    for j in range(W.shape[0]):
        table.setdefault((tuple(W[j].tolist()), b[j]), []).append(j)
    q = np.empty(W.shape[0], dtype=np.int64)
    sig = np.ones(W.shape[0], dtype=np.int64)
    for i in range(W.shape[0]):
        key = (tuple(WP[i].tolist()), b[i])
        hit = table.get(key)
        if hit:
            q[i] = hit.pop()
            continue
        if signed:
            key = (tuple((-WP[i]).tolist()), -b[i])
            hit = table.get(key)
            if hit:
                q[i] = hit.pop()
                sig[i] = -1
                continue
        return None
    return q, sig


def unit_permutations(net: Network, group: SymmetryGroup) -> list[np.ndarray]:
    """For each generator g, the permutation ``q`` of activation units with
    ``pattern(g x) = pattern(x)[q]`` for every x; it proves ``f(g x) = f(x)`` exactly.

    Works on the lowered network: every ``Linear`` layer must satisfy ``W P = Q W``, ``Q b = b``
    for the signed permutation P acting on its input and some permutation Q of its outputs
    (unsigned when an activation follows; Q = identity at the output).  Raises
    :class:`NotEquivariantError` naming the generator and the layer otherwise; ``GroupMax``
    layers are not supported.

    >>> from tropnet.networks.equivariant import deepsets
    >>> from tropnet.geometry.groups import symmetric_group
    >>> [q.shape for q in unit_permutations(deepsets(3, (1, 2, 1)), symmetric_group(3))]
    [(6,), (6,)]
    """
    layers = net.lowered().layers
    out = []
    for k, (p, s) in enumerate(group.generators):
        perm, sign = p.copy(), s.copy()  # current action on the layer input: (P z)_i = s_i z_{p_i}
        pattern_perm: list[np.ndarray] = []
        offset = 0
        for li, layer in enumerate(layers):
            if isinstance(layer, Linear):
                W = layer.weight
                # (W P)[:, p_i] = s_i W[:, i]
                WP = np.empty_like(W)
                WP[:, perm] = W * sign[None, :]
                nxt = layers[li + 1] if li + 1 < len(layers) else None
                last = nxt is None
                match = _match_rows(W, np.asarray(layer.bias), WP, signed=isinstance(nxt, Linear) or last)
                if match is None or (
                    last
                    and not (np.array_equal(match[0], np.arange(len(match[0]))) and np.all(match[1] == 1))
                ):
                    where = "the output" if last else f"lowered layer {li}"
                    raise NotEquivariantError(
                        f"generator {k} of the group does not permute the units of {where} "
                        f"({layer!r}); the network is not layer-wise equivariant under it"
                    )
                perm, sign = match
            elif isinstance(layer, (Threshold, LeakyReLU)):
                if np.any(sign != 1):
                    raise NotEquivariantError(
                        f"generator {k} flips the sign of units entering lowered layer {li} ({layer!r})"
                    )
                pattern_perm.append(perm + offset)
                offset += len(perm)
            elif isinstance(layer, GroupMax):
                raise NotEquivariantError(
                    f"lowered layer {li} is a GroupMax; unit permutations are only found for "
                    "Linear/ReLU/Threshold/LeakyReLU networks"
                )
            else:  # pragma: no cover - lowered networks hold primitives only
                raise NotEquivariantError(f"unsupported lowered layer {layer!r}")
        if not isinstance(layers[-1], Linear) and not (
            np.array_equal(perm, np.arange(len(perm))) and np.all(sign == 1)
        ):
            raise NotEquivariantError(f"generator {k} of the group permutes the outputs of the network")
        out.append(np.concatenate(pattern_perm) if pattern_perm else np.zeros(0, dtype=np.int64))
    return out
