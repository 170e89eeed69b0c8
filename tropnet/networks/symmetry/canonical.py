"""Canonical forms, equivalence, interpolation and alignment of networks up to their
hidden-unit permutations (and positive rescaling).

>>> from tropnet import random_mlp
>>> net = random_mlp([2, 3, 2, 1], seed=0)
>>> from tropnet.networks.symmetry.orbits import random_equivalent
>>> equivalent(net, random_equivalent(net, seed=1))
True
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from ..._numbers import to_float
from ..equivariant import EquivariantLinear
from ..layers import Layer, _param_equal
from ..network import Network
from .orbits import _row_keys
from .slots import (
    _Edit,
    _flat,
    _incoming,
    _is_affine,
    _layer,
    _outgoing,
    _params,
    _Slot,
    _slots,
    _transform,
    _values,
    _where,
    _with_params,
    affine_layers,
)


# ---------------------------------------------------------------------------- canonical form
def _lex_order(keys: np.ndarray, tol: float) -> np.ndarray:
    """Indices sorting the rows of ``keys`` lexicographically; float entries closer than
    ``tol`` count as equal (so rounding noise does not decide the order)."""
    n = keys.shape[0]
    if keys.dtype == object:
        return np.array(sorted(range(n), key=lambda i: tuple(keys[i])), dtype=np.int64)

    def cmp(i: int, j: int) -> int:
        d = keys[i] - keys[j]
        big = np.flatnonzero(np.abs(d) > tol)
        return 0 if big.size == 0 else (1 if d[big[0]] > 0 else -1)

    return np.array(sorted(range(n), key=functools.cmp_to_key(cmp)), dtype=np.int64)


def _absmax(a: np.ndarray, axis: Any) -> np.ndarray:
    """Max of ``|a|`` over ``axis`` (0 for empty), exact for object arrays of Fractions."""
    zero = Fraction(0) if a.dtype == object else 0.0
    return np.maximum.reduce(np.abs(a), axis=axis, initial=zero)


def _normalize(net: Network, slots: list[_Slot]) -> tuple[Network, list[np.ndarray | None]]:
    """Rescale every unit of every rescalable hidden layer to norm 1; return the network
    and the factors ``lam`` used (per unit, per group for Maxout).

    Forward, layer by layer: a unit's incoming vector (weights and bias) gets max-abs
    norm 1, where weights from *dead* units of the previous layer are left out — a dead
    unit has a zero incoming vector (so left out) and outputs the constant 0, and its
    outgoing weights are not fixed yet.  Backward: each dead unit gets outgoing weights of
    max-abs norm 1, read in rows that are all normalised by then.  Every step is
    equivariant under permutations, so the result is a function of the orbit up to the
    order of the units."""
    scales: list[np.ndarray | None] = [None] * len(slots)
    dead: list[np.ndarray | None] = [None] * len(slots)
    for i, s in enumerate(slots):
        if not s.homogeneous:
            continue
        m = s.n // s.k
        prod = _layer(net, s.producer)
        prev_dead = dead[s.source] if s.source is not None else None
        if prev_dead is None or not prev_dead.any():
            norms = _absmax(_incoming(prod).reshape(m, -1), axis=1)
        else:
            prev = slots[s.source]
            m_prev = prev.n // prev.k
            blocks = _outgoing(prod, m_prev, prev.interleaved).reshape(m_prev, s.n, -1)[~prev_dead]
            per_unit = np.maximum(_absmax(blocks, axis=(0, 2)), np.abs(prod.bias))
            norms = _absmax(per_unit.reshape(m, -1), axis=1)
        dead[i] = np.array([v == 0 for v in norms], dtype=bool)
        one = Fraction(1) if norms.dtype == object else 1.0
        lam = np.array([one / v if v != 0 else one for v in norms], dtype=norms.dtype)
        net = _transform(net, [s], [None], [lam])
        scales[i] = lam
    for i in reversed(range(len(slots))):
        s = slots[i]
        if dead[i] is None or not dead[i].any():
            continue
        m = s.n // s.k
        out = _absmax(_outgoing(_layer(net, s.consumer), m, s.interleaved), axis=1)
        one = Fraction(1) if out.dtype == object else 1.0
        lam = np.array([o if d and o != 0 else one for d, o in zip(dead[i], out)], dtype=out.dtype)
        net = _transform(net, [s], [None], [lam])
        scales[i] = scales[i] * lam
    return net, scales


def _scale_tol(rows: np.ndarray, rtol: float) -> float:
    if rows.dtype == object or rows.size == 0:
        return 0.0
    return rtol * float(np.abs(rows).max())


def _canonical_perm(net: Network, s: _Slot, rtol: float) -> np.ndarray:
    inc = _incoming(_layer(net, s.producer))
    out = _outgoing(_layer(net, s.consumer), s.n // s.k, s.interleaved)
    out_sorted = np.sort(out, axis=1)
    if s.k == 1:
        keys = np.concatenate([inc, out_sorted], axis=1)
        tol = _scale_tol(keys, rtol)
        perm = np.arange(s.n)
        for c in np.unique(s.cells):
            idx = np.flatnonzero(s.cells == c)
            perm[idx] = idx[_lex_order(keys[idx], tol)]
        return perm
    m, k = s.n // s.k, s.k
    tol = _scale_tol(np.concatenate([inc.ravel(), out.ravel()]), rtol)
    within = [j * k + _lex_order(inc[j * k : (j + 1) * k], tol) for j in range(m)]
    gkeys = np.concatenate([np.stack([inc[w].ravel() for w in within]), out_sorted], axis=1)
    return np.concatenate([within[g] for g in _lex_order(gkeys, tol)])


_MAX_TIE_CANDIDATES = 5040


def _tie_perms(net: Network, s: _Slot, rtol: float) -> list[np.ndarray]:
    """After sorting slot ``s``: the rearrangements of runs of units (Maxout: groups) with
    equal sort keys that are not twins (identical outgoing weights too), one permutation
    per distinct arrangement; ``[identity]`` when there is nothing to decide."""
    from sympy.utilities.iterables import multiset_permutations

    m, k = s.n // s.k, s.k
    inc = _incoming(_layer(net, s.producer)).reshape(m, -1)  # a Maxout group's rows, in sorted order
    out = _outgoing(_layer(net, s.consumer), m, s.interleaved)
    keys = np.concatenate([inc, np.sort(out, axis=1)], axis=1)
    tol = _scale_tol(keys, rtol)
    twin = {key: i for i, key in enumerate(dict.fromkeys(_row_keys(out)))}
    labels = np.array([twin[key] for key in _row_keys(out)])
    cells = s.cells[::k]

    def same(i: int, j: int) -> bool:
        if cells[i] != cells[j]:
            return False
        if keys.dtype == object:
            return bool(np.all(keys[i] == keys[j]))
        return bool(np.all(np.abs(keys[i] - keys[j]) <= tol))

    identity = np.arange(s.n)
    runs, start = [], 0
    for i in range(1, m + 1):
        if i == m or not same(start, i):
            if len(set(labels[start:i].tolist())) > 1:
                runs.append(np.arange(start, i))
            start = i
    if not runs:
        return [identity]
    choices = [list(multiset_permutations(labels[r].tolist())) for r in runs]
    if math.prod(len(c) for c in choices) > _MAX_TIE_CANDIDATES:
        import warnings

        warnings.warn(
            f"canonical_form: hidden layer at {_where(s.producer)} has too many tied, non-identical units "
            "to resolve; its canonical form may not be unique",
            RuntimeWarning,
            stacklevel=3,
        )
        return [identity]
    perms = []
    for combo in itertools.product(*choices):
        gperm = np.arange(m)
        for r, arrangement in zip(runs, combo):
            pool = {lab: [int(u) for u in r if labels[u] == lab] for lab in set(arrangement)}
            gperm[r] = [pool[lab].pop(0) for lab in arrangement]
        perms.append((gperm[:, None] * k + np.arange(k)[None, :]).ravel())
    return perms


def _param_key(net: Network) -> tuple:
    return tuple(v for _, layer in affine_layers(net) for p in _params(layer) for v in p.ravel().tolist())


def _canonical_candidates(net: Network, slots: list[_Slot], i: int, rtol: float) -> list[Network]:
    if i == len(slots):
        return [net]
    s = slots[i]
    net = _transform(net, [s], [_canonical_perm(net, s, rtol)], [None])
    ties = _tie_perms(net, s, rtol)
    out: list[Network] = []
    for p in ties:
        nxt = net if np.array_equal(p, np.arange(s.n)) else _transform(net, [s], [p], [None])
        out.extend(_canonical_candidates(nxt, slots, i + 1, rtol))
        if len(out) > _MAX_TIE_CANDIDATES:
            break
    return out


def canonical_form(net: Network, rescale: bool = True, rtol: float = 1e-9) -> Network:
    """The canonical representative of the orbit of ``net``.

    When ``rescale``, every rescalable unit is first scaled to an incoming vector (weights
    and bias) of max-abs norm 1 — the max-abs norm keeps exact networks exact — and its
    outgoing weights are scaled back (a dead unit, with zero incoming vector, gets outgoing
    weights of norm 1 instead).  Then, hidden layer by hidden layer (so the columns are
    already in canonical order), the units are sorted lexicographically by their incoming
    vector, ties broken by the sorted outgoing weights (Maxout: rows inside each group
    first, then the groups).  Two networks are equivalent under permutations (and
    rescalings) iff their canonical forms are equal.

    Units (Maxout groups) with equal sort keys but different outgoing weights (possible at
    degenerate points only) are not ordered by their keys: every arrangement of such ties is followed
    through the later layers and the candidate with the lexicographically smallest
    parameters is returned (exponential in the ties; beyond 5040 candidates a
    ``RuntimeWarning`` says the form may not be unique).  Units that are identical
    (twins) need no choice.

    Exact networks: exactly.  Float networks: entries closer than ``rtol`` times the largest
    entry of the layer count as equal when sorting (scale-invariant), so rounding noise
    does not change the order.  Not resolved: with ``rescale``, *inert chains* — a dead
    unit whose outgoing weights reach only units that are themselves dead and have zero
    outgoing weights (the scales along such a chain are a matrix-scaling problem); there
    two equivalent networks may get different forms.

    >>> a = Network.from_arrays([[[2, 0], [0, 1]], [[1, 1]]])
    >>> b = Network.from_arrays([[[0, 3], [1, 0]], [[Fraction(1, 3), 2]]])
    >>> canonical_form(a) == canonical_form(b)
    True
    """
    slots = _slots(net)
    if rescale:
        net = _normalize(net, slots)[0]
    candidates = _canonical_candidates(net, slots, 0, rtol)
    return candidates[0] if len(candidates) == 1 else min(candidates, key=_param_key)


# ---------------------------------------------------------------------------- comparisons
def _hyper(layer: Layer) -> dict[str, Any]:
    """Everything of a layer but its weight and bias."""
    state = layer._state() if hasattr(layer, "_state") else {s: getattr(layer, s) for s in layer.__slots__}
    drop = {"weight", "bias", "lam", "gamma", "exact", "_idx", "_groups", "_divisor"}
    return {k: v for k, v in state.items() if k not in drop}


def _check_same_architecture(a: Any, b: Any, what: str) -> None:
    for name, net in (("first", a), ("second", b)):
        if not isinstance(net, Network):
            raise TypeError(f"{what}: the {name} argument is {type(net).__name__}, not a tropnet Network")
    if a.input_dim != b.input_dim or len(a) != len(b):
        raise ValueError(
            f"{what} needs two networks of the same architecture; got {len(a)} layers on {a.input_dim} "
            f"inputs and {len(b)} layers on {b.input_dim} inputs"
        )
    (fa, oa), (fb, ob) = _flat(a), _flat(b)
    if len(fa) != len(fb) or oa != ob or any(x.addr != y.addr or x.ins != y.ins for x, y in zip(fa, fb)):
        raise ValueError(f"{what} needs two networks of the same architecture; their graph layers differ")
    for na, nb in zip(fa, fb):
        i, la, lb = _where(na.addr), na.op, nb.op
        if type(la) is not type(lb):
            raise ValueError(
                f"{what}: {i} is {type(la).__name__} in one network, {type(lb).__name__} in the other"
            )
        if not isinstance(la, Layer):  # Add, Concat
            if la != lb:
                raise ValueError(f"{what}: {i} differs: {la!r} vs {lb!r}")
            continue
        pa, pb = _params(la), _params(lb)
        if _is_affine(la):
            if any(x.shape != y.shape for x, y in zip(pa, pb)):
                raise ValueError(
                    f"{what}: {i} ({type(la).__name__}) has parameter shapes "
                    f"{[x.shape for x in pa]} in one network and {[y.shape for y in pb]} in the other"
                )
            ha, hb = _hyper(la), _hyper(lb)
            if ha.keys() != hb.keys() or any(not _param_equal(ha[k], hb[k]) for k in ha):
                raise ValueError(
                    f"{what}: {i} ({type(la).__name__}) differs in its settings: {la!r} vs {lb!r}"
                )
        elif la.num_parameters or lb.num_parameters:
            raise TypeError(
                f"{what}: {i} ({type(la).__name__}) has parameters tropnet's symmetry functions do not "
                "know how to read"
            )
        elif la != lb:
            raise ValueError(f"{what}: {i} differs: {la!r} vs {lb!r}")


def _close(x: np.ndarray, y: np.ndarray, tol: float) -> bool:
    if x.dtype == object and y.dtype == object:
        return bool(np.all(x == y))
    xf, yf = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return bool(np.all(np.abs(xf - yf) <= tol))


def equivalent(net_a: Network, net_b: Network, rescale: bool = True, rtol: float = 1e-9) -> bool:
    """Whether two networks of the same architecture are related by hidden-unit
    permutations (and, when ``rescale``, positive rescalings of rescalable units).

    Decided by comparing canonical forms (:func:`canonical_form`): exactly for exact
    networks; for float networks each layer's parameters may differ by ``rtol`` times the
    largest parameter of that layer (scale-invariant).  ``ValueError`` for different
    architectures.

    >>> from tropnet import random_equivalent, random_mlp
    >>> net = random_mlp([3, 6, 1], seed=2)
    >>> equivalent(net, random_equivalent(net, seed=5)), equivalent(net, random_mlp([3, 6, 1], seed=3))
    (True, False)
    """
    _check_same_architecture(net_a, net_b, "equivalent")
    ca, cb = canonical_form(net_a, rescale, rtol), canonical_form(net_b, rescale, rtol)
    for (_, la), (_, lb) in zip(affine_layers(ca), affine_layers(cb)):
        pa, pb = _params(la), _params(lb)
        if not pa:
            continue
        scale = max(float(np.max(np.abs(np.asarray(p, dtype=np.float64)))) for p in pa + pb)
        if not all(_close(x, y, rtol * scale) for x, y in zip(pa, pb)):
            return False
    return True


# ---------------------------------------------------------------------------- interpolation
def _check_t(t: Any) -> Fraction | float:
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Real):
        raise TypeError(f"t must be a real number, got {t!r} ({type(t).__name__})")
    if isinstance(t, numbers.Rational):
        return Fraction(int(t.numerator), int(t.denominator))
    return to_float(t, name="t")


def interpolate(net_a: Network, net_b: Network, t: Any) -> Network:
    """The network with parameters ``(1 - t) theta_a + t theta_b`` (same architecture).

    Exact when both networks and ``t`` (an int or ``Fraction``) are exact.  ``TypeError``
    when ``t`` is not a real number, ``ValueError`` for NaN/inf or different architectures.

    >>> a = Network.from_arrays([[[1, 0]], [[2]]])
    >>> b = Network.from_arrays([[[3, 4]], [[0]]])
    >>> interpolate(a, b, Fraction(1, 2)).layers[0].weight.tolist()
    [[Fraction(2, 1), Fraction(2, 1)]]
    """
    tt = _check_t(t)
    _check_same_architecture(net_a, net_b, "interpolate")
    exact = isinstance(tt, Fraction) and net_a.exact and net_b.exact
    out = _Edit(net_a)
    for (addr, la), (_, lb) in zip(affine_layers(net_a), affine_layers(net_b)):
        if exact:
            params = [(1 - tt) * x + tt * y for x, y in zip(_params(la), _params(lb))]
        else:
            tf = float(tt)
            pairs = zip(_params(la.to_float()), _params(lb.to_float()))
            params = [(1 - tf) * x + tf * y for x, y in pairs]
        out[addr] = _with_params(la, params)
    return out.network()


# ---------------------------------------------------------------------------- alignment
def _match_groups(sim: np.ndarray, extra: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Best assignment of ``m`` groups of ``k`` units: unit similarities ``sim`` (n x n),
    group similarities ``extra`` (m x m).  Returns (group assignment, unit permutation)."""
    from scipy.optimize import linear_sum_assignment

    m = sim.shape[0] // k
    if k == 1:
        _, col = linear_sum_assignment(sim + extra, maximize=True)
        return col, col
    s4 = sim.reshape(m, k, m, k)
    perms = np.array(list(itertools.permutations(range(k))))
    # score[i, j, q] = sum_r sim[i*k + r, j*k + perms[q, r]]
    score = s4[:, np.arange(k)[None, :], :, perms].sum(axis=1).transpose(1, 2, 0)
    best = score.argmax(axis=2)
    _, col = linear_sum_assignment(score.max(axis=2) + extra, maximize=True)
    unit = np.concatenate([col[i] * k + perms[best[i, col[i]]] for i in range(m)])
    return col, unit


def _assign(s: _Slot, unit_sim: np.ndarray, group_sim: np.ndarray) -> np.ndarray:
    """A permutation of B's units (inside each cell) maximising the similarity."""
    if s.k > 1:
        return _match_groups(unit_sim, group_sim, s.k)[1]
    total = unit_sim + group_sim
    perm = np.arange(s.n)
    for c in np.unique(s.cells):
        idx = np.flatnonzero(s.cells == c)
        perm[idx] = idx[_match_groups(total[np.ix_(idx, idx)], np.zeros((idx.size, idx.size)), 1)[1]]
    return perm


def _as_float(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def align(
    net_a: Network,
    net_b: Network,
    method: str = "weights",
    data: Any = None,
    rescale: bool = False,
    max_iter: int = 100,
) -> tuple[Network, list[np.ndarray]]:
    """Permute the hidden units of ``net_b`` to match ``net_a``; returns ``(b_aligned, perms)``
    with ``b_aligned = permute_hidden(net_b, perms)`` (same function as ``net_b``).

    ``method="weights"``: weight matching (Ainsworth, Hayase & Srinivasa, *Git Re-Basin*,
    2023): for each hidden layer, the permutation maximising ``<W_a, P W_b P_prev^T>`` of the
    layer plus the same for the next layer, solved with scipy's ``linear_sum_assignment``,
    one hidden layer at a time and repeated until no permutation changes (at most
    ``max_iter`` sweeps); the first sweep matches incoming weights only, which recovers the
    permutation exactly when ``net_b`` is a permuted copy with distinct units.
    ``method="activations"``: match the correlations of the units' pre-activations on the
    batch ``data`` (shape (N, n_in)).  With ``rescale``, units are first normalised (as in
    :func:`canonical_form`) and ``b_aligned`` gets ``net_a``'s unit scales, so that a
    permuted and rescaled copy is recovered exactly.  Maxout groups are matched as wholes,
    with the best permutation inside each group.

    >>> from tropnet import random_equivalent, random_mlp
    >>> net = random_mlp([3, 8, 8, 1], seed=1)
    >>> back, perms = align(net, random_equivalent(net, seed=4))
    >>> all(np.allclose(x.weight, y.weight) for x, y in zip(back.layers[::2], net.layers[::2]))
    True
    """
    _check_same_architecture(net_a, net_b, "align")
    if method not in ("weights", "activations"):
        raise ValueError(f"method must be 'weights' or 'activations', got {method!r}")
    slots = _slots(net_a)
    if rescale:
        a_n, scales_a = _normalize(net_a, slots)
        b_n, scales_b = _normalize(net_b, slots)
    else:
        a_n, b_n = net_a, net_b
    if method == "activations":
        perms = _align_activations(a_n, b_n, slots, data)
    else:
        perms = _align_weights(a_n, b_n, slots, max_iter)
    if not rescale:
        return _transform(net_b, slots, perms, [None] * len(slots)), perms
    # b_aligned = (normalised b, permuted) with a's unit scales undone
    out = _transform(b_n, slots, perms, [None] * len(slots))
    for s, lam in reversed(list(zip(slots, scales_a))):
        if lam is not None:
            out = _transform(out, [s], [None], [1 / lam])
    return out, perms




def _align_weights(a: Network, b: Network, slots: list[_Slot], max_iter: int) -> list[np.ndarray]:
    perms = [np.arange(s.n) for s in slots]

    def sims(i: int, current: Network, with_next: bool) -> tuple[np.ndarray, np.ndarray]:
        s = slots[i]
        m = s.n // s.k
        ia = _as_float(_incoming(_layer(a, s.producer)))
        ib = _as_float(_incoming(_layer(current, s.producer)))
        unit = ia @ ib.T
        if not with_next:
            return unit, np.zeros((m, m))
        oa = _as_float(_outgoing(_layer(a, s.consumer), m, s.interleaved))
        ob = _as_float(_outgoing(_layer(current, s.consumer), m, s.interleaved))
        return unit, oa @ ob.T

    for sweep in range(max_iter):
        changed = False
        for i, s in enumerate(slots):
            current = _transform(b, slots, perms, [None] * len(slots))
            new = _assign(s, *sims(i, current, with_next=sweep > 0))
            if not np.array_equal(new, np.arange(s.n)):
                perms[i] = perms[i][new]
                changed = True
        if not changed and sweep > 0:
            break
    return perms


def _align_activations(a: Network, b: Network, slots: list[_Slot], data: Any) -> list[np.ndarray]:
    if data is None:
        raise ValueError("align(method='activations') needs data=..., a batch of inputs of shape (N, n_in)")
    xa, xb = _values(a, data), _values(b, data)
    perms = []
    for s in slots:
        za, zb = xa[s.producer], xb[s.producer]  # pre-activations (N, n * P)
        if type(_layer(a, s.producer)) is EquivariantLinear:  # element-major: (N, elements, n)
            za, zb = za.reshape(-1, s.n), zb.reshape(-1, s.n)
        else:
            za = za.reshape(za.shape[0], s.n, -1).transpose(0, 2, 1).reshape(-1, s.n)
            zb = zb.reshape(zb.shape[0], s.n, -1).transpose(0, 2, 1).reshape(-1, s.n)
        za = (za - za.mean(0)) / np.maximum(za.std(0), 1e-12)
        zb = (zb - zb.mean(0)) / np.maximum(zb.std(0), 1e-12)
        corr = za.T @ zb / za.shape[0]
        perms.append(_assign(s, corr, np.zeros((s.n // s.k, s.n // s.k))))
    return perms


