"""The orbit of a parameter point: how many equivalent copies it has, and a random one.

>>> from tropnet import random_mlp
>>> equivalent_parameter_count(random_mlp([2, 3, 2, 1], seed=0)).architecture
12
"""

from __future__ import annotations

import math
from collections import Counter
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

from ..network import Network
from .slots import _incoming, _layer, _outgoing, _Slot, _slots, _transform


# ---------------------------------------------------------------------------- counting
class ParameterCount(NamedTuple):
    """``architecture``: the order of the permutation group (Michelucci's count);
    ``orbit``: the number of distinct parameter points it makes from these parameters.

    >>> from tropnet import random_mlp
    >>> equivalent_parameter_count(random_mlp([2, 2, 3, 1]))
    ParameterCount(architecture=12, orbit=12)
    """

    architecture: int
    orbit: int


def _row_keys(rows: np.ndarray) -> list[bytes | tuple]:
    if rows.dtype == object:
        return [tuple(r) for r in rows]
    return [(r + 0.0).tobytes() for r in rows]  # + 0.0 turns -0.0 into 0.0


def _multiplicity_factorials(keys: list) -> int:
    return math.prod(math.factorial(c) for c in Counter(keys).values())


class _UnitGraph:
    """The hidden units of a network as a layered, edge-labelled graph with fixed inputs
    and outputs; a Maxout group is one node.  ``unit[s]`` labels each node of hidden layer
    ``s`` by what does not depend on the order of other hidden units (cell, biases, weights
    from the inputs for ``s = 0``, weights to the outputs for the last layer; for a group,
    the multisets of these over its rows), ``edge[s]`` (``s >= 1``) labels the weights
    between node ``u`` of layer ``s`` and node ``v`` of layer ``s - 1`` (for a group, the
    multiset over its rows).  A group's rows must also match as whole vectors, which
    :meth:`is_automorphism` checks.  The stabiliser of the parameters is the automorphism
    group times, for every group, the permutations of its identical rows (:attr:`within`)."""

    def __init__(self, net: Network, slots: list[_Slot]) -> None:
        ids: dict[Any, int] = {}

        def label(keys: list) -> np.ndarray:
            return np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=np.int64)

        def grouped(keys: list, k: int) -> list:
            return [tuple(sorted(keys[j : j + k])) for j in range(0, len(keys), k)]

        self.unit, self.edge, self.rows, self.k = [], [], [], [s.k for s in slots]
        # the slot a slot reads (its producer's inputs) and the slot reading it; in a graph
        # network the slots form chains, a sequential one is a single chain
        self.src, self.nxt = [s.source for s in slots], [s.next for s in slots]
        self.within = 1
        for s in slots:
            prod, m = _layer(net, s.producer), s.n // s.k
            inc = _incoming(prod)
            if s.source is None:
                row_ids = label([("r", key) for key in _row_keys(inc)])[:, None]
            else:
                prev = slots[s.source]
                m_prev = prev.n // prev.k
                blocks = _outgoing(prod, m_prev, prev.interleaved).reshape(m_prev, s.n, -1)  # [v, row, :]
                flat = _row_keys(blocks.transpose(1, 0, 2).reshape(s.n * m_prev, -1))
                row_ids = label([("e", key) for key in flat]).reshape(s.n, m_prev)
                bias = label([("b", key) for key in _row_keys(prod.bias[:, None])])
                row_ids = np.hstack([row_ids, bias[:, None]])  # last column: the bias
            self.rows.append(row_ids)  # (rows, m_prev + 1) or (rows, 1) for s = 0
            row_keys = [tuple(r) for r in row_ids.tolist()]
            for j in range(m):
                self.within *= _multiplicity_factorials(row_keys[j * s.k : (j + 1) * s.k])
            own = grouped([tuple(r) if s.source is None else tuple(r[-1:]) for r in row_ids.tolist()], s.k)
            keys = [("u", int(c), key) for c, key in zip(s.cells[:: s.k], own)]
            if s.next is None:  # its outgoing weights reach fixed units
                out = _row_keys(_outgoing(_layer(net, s.consumer), m, s.interleaved))
                keys = [key + (o,) for key, o in zip(keys, out)]
            self.unit.append(label(keys))
            if s.source is not None:
                cols = [grouped(row_ids[:, v].tolist(), s.k) for v in range(row_ids.shape[1] - 1)]
                self.edge.append(label([("g", c) for col in cols for c in col]).reshape(-1, m).T)
            else:
                self.edge.append(None)

    def _rows_match(self, s: int, sigma: list[np.ndarray]) -> bool:
        """Maxout layer ``s``: every group ``g`` has the rows of group ``sigma(g)`` (as a
        multiset of whole rows, read through the previous layer's permutation)."""
        k, rows, src = self.k[s], self.rows[s], self.src[s]
        cols = np.r_[sigma[src], rows.shape[1] - 1] if src is not None else np.arange(rows.shape[1])
        moved = rows[:, cols]
        for g, h in enumerate(sigma[s]):
            mine = sorted(map(tuple, rows[g * k : (g + 1) * k].tolist()))
            if mine != sorted(map(tuple, moved[h * k : (h + 1) * k].tolist())):
                return False
        return True

    def refine(self, colors: list[np.ndarray]) -> list[np.ndarray]:
        """Colour refinement (1-WL) until stable; colours are canonical ranks of signatures."""
        while True:
            new = []
            for s, col in enumerate(colors):
                parts = [col[:, None]]
                src, nxt = self.src[s], self.nxt[s]
                if src is not None:
                    codes = self.edge[s] * (colors[src].max() + 1) + colors[src][None, :]
                    parts.append(np.sort(codes, axis=1))
                if nxt is not None:
                    codes = self.edge[nxt].T * (colors[nxt].max() + 1) + colors[nxt][None, :]
                    parts.append(np.sort(codes, axis=1))
                new.append(np.unique(np.hstack(parts), axis=0, return_inverse=True)[1].ravel())
            if all(len(np.unique(a)) == len(np.unique(b)) for a, b in zip(new, colors)):
                return new
            colors = new

    def is_automorphism(self, sigma: list[np.ndarray]) -> bool:
        for s, sg in enumerate(sigma):
            if not np.array_equal(self.unit[s][sg], self.unit[s]):
                return False
            src = self.src[s]
            if src is not None and not np.array_equal(self.edge[s][np.ix_(sg, sigma[src])], self.edge[s]):
                return False
            if self.k[s] > 1 and not self._rows_match(s, sigma):
                return False
        return True

    @staticmethod
    def _split(colors: list[np.ndarray]) -> tuple[int, np.ndarray] | None:
        """The first colour class with more than one unit, as (layer, members)."""
        for s, col in enumerate(colors):
            vals, counts = np.unique(col, return_counts=True)
            if (counts > 1).any():
                return s, np.flatnonzero(col == vals[np.argmax(counts > 1)])
        return None

    @staticmethod
    def _individualize(colors: list[np.ndarray], s: int, v: int) -> list[np.ndarray]:
        out = [c.copy() for c in colors]
        out[s][v] = out[s].max() + 1
        return out

    def _twins_only(self, colors: list[np.ndarray]) -> bool:
        """Whether every colour class consists of units with identical labels and weight
        blocks (then every permutation inside the classes is an automorphism)."""
        for s, col in enumerate(colors):
            for c in np.unique(col):
                idx = np.flatnonzero(col == c)
                if idx.size < 2:
                    continue
                if self.src[s] is not None and not (self.edge[s][idx] == self.edge[s][idx[0]]).all():
                    return False
                if self.k[s] > 1:  # whole rows too, position by position
                    k, rows = self.k[s], self.rows[s]
                    first = sorted(map(tuple, rows[idx[0] * k : (idx[0] + 1) * k].tolist()))
                    if any(sorted(map(tuple, rows[g * k : (g + 1) * k].tolist())) != first for g in idx[1:]):
                        return False
                nxt = self.edge[self.nxt[s]] if self.nxt[s] is not None else None
                if nxt is not None and not (nxt[:, idx] == nxt[:, idx[:1]]).all():
                    return False
        return True

    def _first_leaf(self, colors: list[np.ndarray]) -> list[np.ndarray]:
        colors = self.refine(colors)
        split = self._split(colors)
        if split is None:
            return colors
        s, members = split
        return self._first_leaf(self._individualize(colors, s, int(members[0])))

    def _maps_onto(self, ref: list[np.ndarray], colors: list[np.ndarray]) -> bool:
        """Whether some leaf below ``colors`` is the image of the leaf ``ref`` under an
        automorphism (backtracking over individualisations)."""
        colors = self.refine(colors)
        split = self._split(colors)
        if split is None:
            sigma = []
            for r, c in zip(ref, colors):
                where = np.empty_like(c)
                where[c] = np.arange(c.size)  # colour -> unit in this leaf
                sigma.append(where[r])  # unit of ref -> unit of this leaf with its colour
            return self.is_automorphism(sigma)
        s, members = split
        return any(self._maps_onto(ref, self._individualize(colors, s, int(w))) for w in members)

    def count(self, colors: list[np.ndarray]) -> int:
        """The number of automorphisms preserving ``colors`` (orbit-stabiliser recursion)."""
        colors = self.refine(colors)
        split = self._split(colors)
        if split is None:
            return 1
        if self._twins_only(colors):
            return math.prod(
                math.factorial(int(n)) for col in colors for n in np.unique(col, return_counts=True)[1]
            )
        s, members = split
        v = int(members[0])
        fixed = self._individualize(colors, s, v)
        ref = self._first_leaf(fixed)
        orbit = 1 + sum(self._maps_onto(ref, self._individualize(colors, s, int(w))) for w in members[1:])
        return orbit * self.count(fixed)


def equivalent_parameter_count(net: Network) -> ParameterCount:
    """Michelucci's count and the exact orbit size, as Python ints.

    ``architecture`` is ``prod_l n_l!`` over hidden layers (``m! (k!)^m`` for a ``Maxout(k)``
    layer of ``m`` groups; a product of factorials of block sizes for grouped convolutions).
    ``orbit`` is ``architecture / |Stab|``, ``Stab`` the permutations that leave the
    parameters unchanged.  Generic parameters have ``Stab = 1``; swapping units with
    identical incoming weights, bias and outgoing weights is in ``Stab``; so are joint
    permutations of two layers whose ties compensate each other.  ``|Stab|`` is computed
    exactly, as the automorphism group of the weighted layered graph of hidden units
    (Maxout groups as nodes, times the permutations of identical rows inside each group):
    colour refinement, then individualisation with orbit-stabiliser counting — fast unless
    the point is highly degenerate.

    >>> from tropnet import random_mlp
    >>> equivalent_parameter_count(random_mlp([4, 10, 10, 10, 1])).architecture
    47784725839872000000
    >>> net = Network.from_arrays([[[1, 0], [1, 0], [0, 1]], [[1, 1, 2]]])
    >>> equivalent_parameter_count(net)
    ParameterCount(architecture=6, orbit=3)
    """
    slots = _slots(net)
    arch, stab = 1, 1
    for s in slots:
        if s.k == 1:
            arch *= math.prod(math.factorial(c) for c in Counter(s.cells.tolist()).values())
        else:
            m = s.n // s.k
            arch *= math.factorial(m) * math.factorial(s.k) ** m
    if slots:
        graph = _UnitGraph(net, slots)
        stab = graph.count(graph.unit) * graph.within
    return ParameterCount(arch, arch // stab)


# ---------------------------------------------------------------------------- orbit points
def _random_perm(s: _Slot, rng: np.random.Generator) -> np.ndarray:
    if s.k > 1:
        m = s.n // s.k
        groups = rng.permutation(m)
        return np.concatenate([g * s.k + rng.permutation(s.k) for g in groups])
    perm = np.arange(s.n)
    for c in np.unique(s.cells):
        idx = np.flatnonzero(s.cells == c)
        perm[idx] = rng.permutation(idx)
    return perm


def random_equivalent(net: Network, seed: int = 0, rescale: bool = False) -> Network:
    """A random point of the orbit of ``net``: a random permutation of every hidden layer
    and, with ``rescale``, a random positive rescaling of every rescalable unit (for float
    networks a power of two in 1/4 .. 4, which rounds nothing, so the result computes exactly
    the same function -- ``same_function`` says True; for exact networks a ratio of integers
    in [1, 8]).

    >>> from tropnet import random_mlp
    >>> net = random_mlp([2, 4, 1])
    >>> x = np.array([[0.5, -1.0]])
    >>> bool(np.allclose(random_equivalent(net, seed=3, rescale=True)(x), net(x)))
    True
    """
    slots = _slots(net)
    rng = np.random.default_rng(seed)
    perms, scales = [], []
    for s in slots:
        perms.append(_random_perm(s, rng))
        m = s.n // s.k
        if rescale and s.homogeneous:
            if net.exact:
                num, den = rng.integers(1, 9, size=m), rng.integers(1, 9, size=m)
                scales.append(np.array([Fraction(int(a), int(b)) for a, b in zip(num, den)], dtype=object))
            else:  # powers of two: the float rescaling is exact (no rounding), so exactly equivalent
                scales.append(np.ldexp(1.0, rng.integers(-2, 3, size=m)))
        else:
            scales.append(None)
    return _transform(net, slots, perms, scales)


