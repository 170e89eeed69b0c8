"""Graph networks: directed acyclic graphs of layers, additions and concatenations.

A :class:`Graph` is one layer of the network IR whose inside is a DAG: every node applies
a layer to one earlier node, or combines earlier nodes by an :class:`Add` (a sum with
constant coefficients: skip connections, differences) or a :class:`Concat`.  The node
``"input"`` is the graph's input.  :class:`Residual` is the common case
``y = shortcut(x) + F(x)``.

**Lowering.**  The compiler and the region engines read four primitives only
(:mod:`tropnet.networks.layers`).  A graph lowers to a *sequence* of them acting on an
augmented state: the values that are still needed later (the skip branch) travel as extra
coordinates through the affine maps, and every activation acts on its own units only
(``Threshold(t, units=...)``, ``LeakyReLU(a, units=...)``; a max-pool puts the carried
coordinates after its groups, as one-element groups, which the region engines pass
through).  An identity path therefore carries no activation and makes no region boundary:
the activation cells of a residual network are the cells of constant pattern of its own
activations.  Consecutive affine nodes are composed into one
``Linear`` before the next activation.

Examples
--------
>>> import numpy as np
>>> from tropnet import Linear, ReLU, Network
>>> block = Residual([Linear([[1, 0], [0, -1]], [0, 1]), ReLU(), Linear([[1, 1]] * 2)])
>>> net = Network([block])
>>> net([2, 3]).tolist()          # x + (relu(x0) + relu(1 - x1)) (1, 1)
[Fraction(4, 1), Fraction(5, 1)]
>>> [type(p).__name__ for p in net.lowered(passthrough=True).layers]
['Linear', 'Threshold', 'Linear']
>>> net.lowered(passthrough=True).layers[1].units.tolist()     # the skip (units 0, 1) passes
[2, 3]
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_float_array, is_exact_array
from .layers import GroupMax, Layer, LeakyReLU, Linear, Threshold, _is_exact_batch

__all__ = ["Graph", "Residual", "Add", "Concat", "INPUT"]

#: The name of a graph's input node.
INPUT = "input"


class Add:
    """A node operation: ``sum_k weights[k] * inputs[k]`` (default all weights 1).

    ``Add((1, -1))`` is a subtraction.  Weights are exact when given as ints or Fractions.

    >>> Add((1, -1))
    Add(weights=(1, -1))
    """

    __slots__ = ("weights", "exact")

    def __init__(self, weights: Sequence[Any] | None = None) -> None:
        if weights is None:
            object.__setattr__(self, "weights", None)
            object.__setattr__(self, "exact", True)
            return
        w = np.array(list(weights), dtype=object)
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"Add weights must be a non-empty sequence of numbers, got {weights!r}")
        exact = is_exact_array(w)
        w = as_exact_array(w, name="Add weights") if exact else as_float_array(w, name="Add weights")
        object.__setattr__(self, "weights", tuple(w.tolist()))
        object.__setattr__(self, "exact", exact)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Add is immutable")

    def coefficients(self, k: int) -> tuple[Any, ...]:
        """The ``k`` coefficients (ones by default)."""
        if self.weights is None:
            return (Fraction(1),) * k
        if len(self.weights) != k:
            raise ValueError(f"Add has {len(self.weights)} weights but {k} inputs")
        return self.weights

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Add) and self.weights == other.weights

    def __hash__(self) -> int:
        return hash(("Add", self.weights))

    def __reduce__(self):
        return (Add, (self.weights,))

    def __repr__(self) -> str:
        if self.weights is None:
            return "Add()"
        return "Add(weights=(" + ", ".join(_num_str(w) for w in self.weights) + "))"


class Concat:
    """A node operation: the concatenation of its inputs (flat vectors, in order).

    For feature maps ``(C, H, W)`` flattened channel first this is torch's ``cat(dim=1)``.

    >>> Concat()
    Concat()
    """

    __slots__ = ()
    exact = True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Concat)

    def __hash__(self) -> int:
        return hash("Concat")

    def __repr__(self) -> str:
        return "Concat()"


def _num_str(v: Any) -> str:
    if isinstance(v, Fraction) and v.denominator == 1:
        return str(v.numerator)
    return str(v)


Node = tuple[str, Any, tuple[str, ...]]


class Graph(Layer):
    """A layer whose inside is a directed acyclic graph of nodes ``(name, op, inputs)``.

    Parameters
    ----------
    nodes
        In topological order.  ``op`` is a tropnet :class:`~tropnet.Layer` (one input), an
        :class:`Add` or a :class:`Concat` (one or more inputs); ``inputs`` names earlier
        nodes or ``"input"`` (a single name may be given as a string).
    output
        The node whose value the graph returns (default: the last node).
    input_dim
        The input width, when no node reading ``"input"`` fixes it.

    Raises ``ValueError`` naming the node for unknown or later inputs, repeated names and
    shape mismatches.

    >>> from tropnet import Linear, ReLU
    >>> g = Graph([("a", Linear([[1, 0]]), "input"), ("b", ReLU(), "a"),
    ...            ("c", Linear([[0, 1]]), "input"), ("out", Concat(), ("b", "c"))])
    >>> g.forward(np.array([[-1.0, 5.0]]))
    array([[0., 5.]])
    """

    __slots__ = ("nodes", "output", "in_features")

    def __init__(self, nodes: Sequence[Any], output: str | None = None, input_dim: int | None = None) -> None:
        parsed: list[Node] = []
        seen = {INPUT}
        for pos, spec in enumerate(nodes):
            if not isinstance(spec, (tuple, list)) or len(spec) != 3:
                raise ValueError(f"graph node {pos} must be a tuple (name, op, inputs), got {spec!r}")
            name, op, ins = spec
            if not isinstance(name, str) or not name:
                raise ValueError(f"graph node {pos}: the name must be a non-empty string, got {name!r}")
            if name in seen:
                raise ValueError(f"graph node {name!r}: the name is used twice (or is the reserved 'input')")
            ins = (ins,) if isinstance(ins, str) else tuple(ins)
            if not ins:
                raise ValueError(f"graph node {name!r} has no inputs")
            for u in ins:
                if u not in seen:
                    raise ValueError(
                        f"graph node {name!r} reads {u!r}, which is not 'input' nor an earlier node "
                        "(nodes must be listed in topological order)"
                    )
            if isinstance(op, Layer):
                if len(ins) != 1:
                    raise ValueError(f"graph node {name!r}: a layer takes one input, got {len(ins)}")
            elif not isinstance(op, (Add, Concat)):
                raise TypeError(
                    f"graph node {name!r}: op must be a tropnet Layer, Add or Concat, got {type(op).__name__}"
                )
            seen.add(name)
            parsed.append((name, op, ins))
        if not parsed:
            raise ValueError("a Graph needs at least one node")
        output = parsed[-1][0] if output is None else output
        if output not in seen or output == INPUT:
            raise ValueError(f"graph output {output!r} is not a node of the graph")
        if input_dim is None:
            for _, op, ins in parsed:
                n = getattr(op, "in_features", None) if ins == (INPUT,) else None
                if n is not None:
                    input_dim = int(n)
                    break
        self._set(nodes=tuple(parsed), output=output, in_features=input_dim)
        if input_dim is not None:
            self.widths(int(input_dim))

    # ------------------------------------------------------------------ shapes
    def widths(self, in_features: int) -> dict[str, int]:
        """The width of every node for ``in_features`` inputs (``ValueError`` naming the node)."""
        if self.in_features is not None and in_features != self.in_features:
            raise ValueError(f"the graph expects {self.in_features} inputs, but receives {in_features}")
        w = {INPUT: int(in_features)}
        for name, op, ins in self.nodes:
            if isinstance(op, Layer):
                try:
                    w[name] = int(op.out_features(w[ins[0]]))
                except ValueError as err:
                    raise ValueError(f"graph node {name!r} ({type(op).__name__}): {err}") from None
            elif isinstance(op, Add):
                ws = {w[u] for u in ins}
                if len(ws) != 1:
                    detail = ", ".join(f"{u}: {w[u]}" for u in ins)
                    raise ValueError(f"graph node {name!r} (Add) adds inputs of different widths ({detail})")
                try:
                    op.coefficients(len(ins))
                except ValueError as err:
                    raise ValueError(f"graph node {name!r}: {err}") from None
                w[name] = ws.pop()
            else:
                w[name] = sum(w[u] for u in ins)
        return w

    def out_features(self, in_features: int) -> int:
        return self.widths(in_features)[self.output]

    @property
    def exact(self) -> bool:  # type: ignore[override]
        return all(op.exact for _, op, _ in self.nodes)

    @property
    def num_parameters(self) -> int:
        return int(sum(op.num_parameters for _, op, _ in self.nodes if isinstance(op, Layer)))

    def _map_ops(self, fn) -> Graph:
        nodes = [
            (name, fn(op) if isinstance(op, Layer) else _convert_add(op, fn), ins)
            for name, op, ins in self.nodes
        ]
        return Graph(nodes, self.output, self.in_features)

    def to_exact(self) -> Graph:
        return self._map_ops(lambda layer: layer.to_exact())

    def to_float(self) -> Graph:
        return self._map_ops(lambda layer: layer.to_float())

    # ------------------------------------------------------------------ forward
    def forward(self, z: np.ndarray) -> np.ndarray:
        self.widths(z.shape[1])
        exact = _is_exact_batch(z) and self.exact
        if not exact and z.dtype == object:
            z = z.astype(np.float64)
        last = self._last_use()
        vals = {INPUT: z}
        for i, (name, op, ins) in enumerate(self.nodes):
            if name not in last:
                continue
            args = [vals[u] for u in ins]
            if isinstance(op, Layer):
                v = op.forward(args[0])
                if not exact and v.dtype == object:
                    v = v.astype(np.float64)
            elif isinstance(op, Add):
                coef = op.coefficients(len(args))
                v = sum(_scale(a, c, exact) for a, c in zip(args, coef))
            else:
                v = np.concatenate(args, axis=1)
            vals[name] = v
            for u in ins:
                if last.get(u, -1) <= i and u != self.output:
                    vals.pop(u, None)
        return vals[self.output]

    def _last_use(self) -> dict[str, int]:
        """Position of the last node reading each live node (nodes the output needs only)."""
        need = {self.output}
        for name, _, ins in reversed(self.nodes):
            if name in need:
                need.update(ins)
        last: dict[str, int] = {self.output: len(self.nodes)}
        for i, (name, _, ins) in enumerate(self.nodes):
            if name in need:
                for u in ins:
                    last[u] = max(last.get(u, -1), i)
        return last

    # ------------------------------------------------------------------ lowering
    def lower(self, in_features: int) -> tuple[Layer, ...]:
        return _Lowering(self, in_features).run()

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={op!r}({', '.join(ins)})" for name, op, ins in self.nodes)
        return f"Graph([{inner}], output={self.output!r})"


def _scale(a: np.ndarray, c: Any, exact: bool) -> np.ndarray:
    if c == 1:
        return a
    return a * (c if exact else float(c))


def _convert_add(op: Any, fn) -> Any:
    if isinstance(op, Add) and op.weights is not None:
        probe = fn(Linear([[1]]))
        if probe.exact:
            return Add([Fraction(w) for w in op.weights])
        return Add([float(w) for w in op.weights])
    return op


class Residual(Graph):
    """A residual block ``y = shortcut(x) + F(x)``, ``F`` the given layers in order.

    ``shortcut`` is ``None`` (the identity: no activation, hence no region boundary, on the
    skip path), a layer or a sequence of layers (a projection).

    >>> from tropnet import Linear, ReLU, Network
    >>> net = Network([Residual([Linear([[1, 1], [1, -1]]), ReLU()])])
    >>> net([1, 2]).tolist()
    [Fraction(4, 1), Fraction(2, 1)]
    >>> Network([Residual([Linear([[2]]), ReLU()], shortcut=Linear([[-1]]))])([3]).tolist()
    [Fraction(3, 1)]
    """

    __slots__ = ("layers", "shortcut")

    def __init__(
        self, layers: Layer | Sequence[Layer], shortcut: Layer | Sequence[Layer] | None = None
    ) -> None:
        body = (layers,) if isinstance(layers, Layer) else tuple(layers)
        skip = () if shortcut is None else (shortcut,) if isinstance(shortcut, Layer) else tuple(shortcut)
        if not body:
            raise ValueError("Residual needs at least one layer in its branch F")
        for where, seq in (("layers", body), ("shortcut", skip)):
            for i, layer in enumerate(seq):
                if not isinstance(layer, Layer):
                    raise TypeError(f"Residual {where}[{i}] is {type(layer).__name__}, not a tropnet layer")
        nodes: list[tuple[str, Any, Any]] = []
        prev = INPUT
        for i, layer in enumerate(body):
            nodes.append((f"f{i}", layer, prev))
            prev = f"f{i}"
        s = INPUT
        for i, layer in enumerate(skip):
            nodes.append((f"s{i}", layer, s))
            s = f"s{i}"
        nodes.append(("add", Add(), (s, prev)))
        input_dim = getattr(body[0], "in_features", None)
        if input_dim is None and skip:
            input_dim = getattr(skip[0], "in_features", None)
        super().__init__(nodes, "add", input_dim)
        self._set(layers=body, shortcut=skip or None)

    def _map_ops(self, fn) -> Residual:
        skip = None if self.shortcut is None else [fn(layer) for layer in self.shortcut]
        return Residual([fn(layer) for layer in self.layers], skip)

    def __repr__(self) -> str:
        body = ", ".join(repr(layer) for layer in self.layers)
        if self.shortcut is None:
            return f"Residual([{body}])"
        return f"Residual([{body}], shortcut=[{', '.join(repr(s) for s in self.shortcut)}])"


# ---------------------------------------------------------------------- lowering
class _Lowering:
    """Lower a graph to primitives on an augmented state.

    The *state* is the vector after the last emitted activation; every live node is known
    symbolically as an affine function of it: ``("sel", idx)`` (its value is ``state[idx]``)
    or ``("aff", A, c)``.  Affine nodes only update these expressions; an activation
    *materialises* the live nodes still needed later plus its own input (one ``Linear``,
    skipped when it is the identity), then acts on the last segment only.
    """

    def __init__(self, graph: Graph, n: int) -> None:
        self.g = graph
        self.w = graph.widths(n)
        self.exact = graph.exact
        self.width = n
        self.expr: dict[str, tuple] = {INPUT: ("sel", np.arange(n))}
        self.out: list[Layer] = []

    # numbers --------------------------------------------------------------
    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        if self.exact:
            a = np.empty(shape, dtype=object)
            a[...] = Fraction(0)
            return a
        return np.zeros(shape)

    def num(self, v: Any) -> Any:
        return Fraction(v) if self.exact else float(v)

    def dense(self, e: tuple) -> tuple[np.ndarray, np.ndarray]:
        if e[0] == "aff":
            return e[1], e[2]
        idx = e[1]
        A = self.zeros((len(idx), self.width))
        A[np.arange(len(idx)), idx] = self.num(1)
        return A, self.zeros((len(idx),))

    def matrix(self, layer: Linear) -> tuple[np.ndarray, np.ndarray]:
        if self.exact:
            return layer.weight, layer.bias
        return layer.float_weight, layer.float_bias

    # symbolic affine steps ---------------------------------------------------
    def linear(self, layer: Linear, e: tuple) -> tuple:
        W, b = self.matrix(layer)
        if e[0] == "sel":  # W state[idx] + b: scatter the columns of W
            A = self.zeros((W.shape[0], self.width))
            A[:, e[1]] = W
            return ("aff", A, b.copy())
        A, c = e[1], e[2]
        return ("aff", W.dot(A) if self.exact else W @ A, W.dot(c) + b)

    def add(self, coefs: Sequence[Any], es: list[tuple]) -> tuple:
        A = c = None
        for k, e in zip(coefs, es):
            Ak, ck = self.dense(e)
            k = self.num(k)
            A = Ak * k if A is None else A + Ak * k
            c = ck * k if c is None else c + ck * k
        return ("aff", A, c)

    def concat(self, es: list[tuple]) -> tuple:
        if all(e[0] == "sel" for e in es):
            return ("sel", np.concatenate([e[1] for e in es]))
        parts = [self.dense(e) for e in es]
        return ("aff", np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))

    # materialisation -----------------------------------------------------------
    def materialise(self, names: list[str], work: tuple | None) -> int:
        """Emit the Linear giving ``[live nodes..., work]``; return the work segment's offset."""
        segs = [self.expr[u] for u in names] + ([work] if work is not None else [])
        if all(e[0] == "sel" for e in segs):
            idx = np.concatenate([e[1] for e in segs]) if segs else np.zeros(0, np.int64)
            identity = len(idx) == self.width and np.array_equal(idx, np.arange(self.width))
        else:
            identity = False
        if not identity:
            parts = [self.dense(e) for e in segs]
            W = np.concatenate([p[0] for p in parts])
            b = np.concatenate([p[1] for p in parts])
            self.out.append(Linear(W, b))
            self.width = W.shape[0]
        offset = 0
        for u in names:
            k = self.w[u]
            self.expr[u] = ("sel", np.arange(offset, offset + k))
            offset += k
        return offset

    def activation(self, p: Layer, prefix: int, width: int) -> int:
        """Emit ``p`` acting on the segment ``[prefix, prefix + width)`` of the state (the
        last one); return the segment's new width."""
        if isinstance(p, (Threshold, LeakyReLU)):
            units = np.arange(width) if p.units is None else p.units
            param = p.t if isinstance(p, Threshold) else p.alpha
            if prefix == 0 and p.units is None:
                self.out.append(p)
            else:
                cls = Threshold if isinstance(p, Threshold) else LeakyReLU
                self.out.append(cls(param, prefix + units))
            return width
        if isinstance(p, GroupMax):
            # the work segment's groups first, then the carried entries as one-element groups
            # (repeated to the row length): the region engines read those as passed through
            groups = p.groups + prefix
            if prefix:
                keep = np.repeat(np.arange(prefix)[:, None], groups.shape[1], axis=1)
                groups = np.concatenate([groups, keep])
            self.out.append(GroupMax(groups, prefix + width, carried=prefix + p.carried))
            return int(p.groups.shape[0])
        raise TypeError(f"graph lowering met a non-primitive layer {p!r}")  # pragma: no cover

    def run(self) -> tuple[Layer, ...]:
        last = self.g._last_use()
        for i, (name, op, ins) in enumerate(self.g.nodes):
            if name not in last:
                continue
            es = [self.expr[u] for u in ins]
            if isinstance(op, Add):
                self.expr[name] = self.add(op.coefficients(len(ins)), es)
            elif isinstance(op, Concat):
                self.expr[name] = self.concat(es)
            else:
                work = es[0]
                wwidth = self.w[ins[0]]
                for p in op.lower(wwidth):
                    if isinstance(p, Linear):
                        work = self.linear(p, work)
                        wwidth = p.weight.shape[0]
                        continue
                    keep = [u for u in self.expr if u != name and last.get(u, -1) > i]
                    prefix = self.materialise(keep, work)
                    wwidth = self.activation(p, prefix, wwidth)
                    self.width = prefix + wwidth
                    if isinstance(p, GroupMax) and prefix:  # the state is now [work, carried]
                        for u in keep:
                            self.expr[u] = ("sel", self.expr[u][1] + wwidth)
                        work = ("sel", np.arange(wwidth))
                    else:
                        work = ("sel", np.arange(prefix, prefix + wwidth))
                self.expr[name] = work
            for u in ins:
                if last.get(u, -1) <= i and u in self.expr and u != name:
                    del self.expr[u]
        self.materialise([], self.expr[self.g.output])
        return tuple(self.out)
