"""Piecewise-linear layers: the network IR.

Every layer is an immutable object with three duties:

* ``out_features(n)`` — the output width for ``n`` inputs (raises a clear ``ValueError``
  when ``n`` does not fit);
* ``forward(z)`` — the numpy forward pass on a batch ``z`` of shape ``(k, n)``, exact
  (object arrays of ``Fraction``) when both the layer and ``z`` are exact;
* ``lower(n)`` — the same map as a tuple of *primitive* layers, the only ones the
  compiler and the region enumerator need to know:

  - :class:`Linear` ``z -> W z + b``;
  - :class:`Threshold` ``z -> max(z, t)`` per unit (:class:`ReLU` is ``t = 0``);
  - :class:`LeakyReLU` ``z -> max(z, alpha z)`` per unit, ``0 <= alpha < 1``;

  (both take one parameter or one per unit, and may act on a subset ``units`` of the units,
  passing the others through unchanged: that is how graph networks carry skip connections)
  - :class:`GroupMax` ``z -> (max_j z[groups[i, j]])_i``, the common form of
    :class:`Maxout`, :class:`MaxPool1d` and the 2D max-pool.

Examples
--------
>>> import numpy as np
>>> lin = Linear([[1, -1]], [0])
>>> lin.forward(as_batch([3, 1], 2, exact=True)[0]).tolist()
[[Fraction(2, 1)]]
>>> Maxout(2).forward(np.array([[1.0, 5.0, -2.0, -3.0]]))
array([[ 5., -2.]])
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from .._numbers import as_exact_array, as_float_array, is_exact_array, is_exact_scalar, to_exact, to_float

__all__ = [
    "Layer",
    "Linear",
    "Threshold",
    "ReLU",
    "LeakyReLU",
    "Identity",
    "GroupMax",
    "Maxout",
    "MaxPool1d",
    "as_batch",
]


def as_batch(x: Any, n: int, *, exact: bool) -> tuple[np.ndarray, bool]:
    """Validate an input point or batch of width ``n``; return ``(batch (k, n), was_single)``.

    The batch is exact (object array of Fraction) when ``exact`` is true and every entry
    of ``x`` is exact; otherwise float64.

    >>> as_batch([1.0, 2.0], 2, exact=False)[0].shape
    (1, 2)
    """
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiu" and x.dtype.kind != "b":
        arr = x
    else:
        try:
            arr = np.array(x, dtype=object)
        except ValueError as err:
            raise ValueError(f"input is ragged: {err}") from err
    if arr.ndim not in (1, 2):
        raise ValueError(f"input must have shape ({n},) or (k, {n}), got shape {arr.shape}")
    single = arr.ndim == 1
    if single:
        arr = arr[None, :]
    if arr.shape[1] != n:
        raise ValueError(f"input has {arr.shape[1]} features, the network expects {n}")
    if exact and is_exact_array(arr):
        return as_exact_array(arr, name="input"), single
    return as_float_array(arr, name="input"), single


def _is_exact_batch(z: np.ndarray) -> bool:
    return z.dtype == object


class Layer:
    """Base class of all layers; layers are immutable.

    A new layer type (a convolution, an equivariant or algebra-valued layer) subclasses
    ``Layer``, stores its parameters in ``__slots__`` through ``self._set(...)``, and
    implements ``out_features`` and ``lower``; ``forward`` then defaults to running the
    lowered primitives, and the compiler and the region enumerator accept it unchanged.

    >>> class Double(Layer):
    ...     __slots__ = ()
    ...     def lower(self, in_features):
    ...         return (Linear(2 * np.eye(in_features, dtype=np.int64)),)
    >>> Double().forward(np.array([[1.0, -3.0]]))
    array([[ 2., -6.]])
    """

    __slots__ = ()

    #: True when every parameter of the layer is an exact rational.
    exact: bool = True

    def out_features(self, in_features: int) -> int:
        """The output width for ``in_features`` inputs (``ValueError`` when they do not fit)."""
        return in_features

    def forward(self, z: np.ndarray) -> np.ndarray:
        """The forward pass on a batch ``z`` of shape (k, n); by default through :meth:`lower`."""
        parts = self.lower(z.shape[1])
        if len(parts) == 1 and parts[0] is self:
            raise NotImplementedError(f"{type(self).__name__} implements neither forward nor lower")
        for p in parts:
            z = p.forward(z)
        return z

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        """The same map on ``in_features`` inputs as a tuple of primitive layers."""
        return (self,)

    @property
    def num_parameters(self) -> int:
        return 0

    def to_exact(self) -> Layer:
        """The layer with float parameters replaced by the dyadic rationals they store."""
        return self

    def to_float(self) -> Layer:
        """The layer with float64 parameters."""
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _set(self, **kw: Any) -> None:
        for k, v in kw.items():
            object.__setattr__(self, k, v)

    def _state(self) -> dict[str, Any]:
        return {s: getattr(self, s) for s in _all_slots(type(self)) if hasattr(self, s)}

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        a, b = self._state(), other._state()
        return a.keys() == b.keys() and all(_param_equal(a[k], b[k]) for k in a)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __reduce__(self):  # pickle support despite __setattr__
        return (_rebuild, (type(self), self._state()))


def _all_slots(cls: type) -> tuple[str, ...]:
    """The slot names of ``cls`` and its bases (``__slots__`` of one class lists only its own)."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for s in getattr(klass, "__slots__", ()):
            if s not in names and not s.startswith("__"):
                names.append(s)
    return tuple(names)


def _rebuild(cls: type, state: dict) -> Layer:
    obj = cls.__new__(cls)
    for k, v in state.items():
        object.__setattr__(obj, k, v)
    return obj


def _param_equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.all(a == b))
    return a == b


def _to_float64(a: np.ndarray, name: str) -> np.ndarray:
    """float64 copy of an exact array; a value beyond the float range is a clear error."""
    try:
        return a.astype(np.float64)
    except OverflowError:
        raise ValueError(
            f"{name} has a value beyond the float64 range (about 1.8e308), which tropnet's float "
            "steps cannot hold (float mode, and the float proposals of the region engines and the "
            "compiler); divide the layer's weight and bias by a power of two (a positive rescaling "
            "keeps the regions)"
        ) from None


class Linear(Layer):
    """Affine layer ``y = W x + b`` with ``W`` of shape (out, in).

    Exact when every entry of ``weight`` and ``bias`` is an int or ``Fraction`` (stored as
    object arrays of ``Fraction``); otherwise float64.  ``bias=None`` means zero.

    >>> Linear([[1.0, 2.0]], [0.5]).forward(np.array([[1.0, 1.0]]))
    array([[3.5]])
    >>> Linear([[1, 2]]).exact
    True
    """

    __slots__ = ("weight", "bias", "exact")

    def __init__(self, weight: Any, bias: Any = None) -> None:
        try:
            w_obj = weight if isinstance(weight, np.ndarray) else np.array(weight, dtype=object)
        except ValueError as err:
            raise ValueError(f"Linear weight is ragged: {err}") from err
        if w_obj.dtype == object and any(isinstance(v, (list, tuple, np.ndarray)) for v in w_obj.ravel()):
            raise ValueError("Linear weight is ragged (rows of different lengths)")
        if w_obj.ndim != 2:
            raise ValueError(f"Linear weight must be 2-D (out, in), got shape {w_obj.shape}")
        if w_obj.shape[0] == 0 or w_obj.shape[1] == 0:
            raise ValueError(f"Linear weight has an empty dimension: shape {w_obj.shape}")
        if bias is None:
            b_obj = np.zeros(w_obj.shape[0], dtype=np.int64)
        else:
            b_obj = bias if isinstance(bias, np.ndarray) else np.array(bias, dtype=object)
        if b_obj.ndim != 1 or b_obj.shape[0] != w_obj.shape[0]:
            raise ValueError(
                f"Linear bias must have shape ({w_obj.shape[0]},) to match weight {w_obj.shape}, "
                f"got shape {b_obj.shape}"
            )
        exact = is_exact_array(w_obj) and is_exact_array(b_obj)
        if exact:
            w = as_exact_array(w_obj, name="Linear weight")
            b = as_exact_array(b_obj, name="Linear bias")
        else:
            w = as_float_array(w_obj, name="Linear weight")
            b = as_float_array(b_obj, name="Linear bias")
            # never freeze the caller's arrays (a trainer's parameters, say): own copies
            w = w.copy() if w is w_obj or np.shares_memory(w, w_obj) else w
            b = b.copy() if b is b_obj or np.shares_memory(b, b_obj) else b
        w.flags.writeable = False
        b.flags.writeable = False
        self._set(weight=w, bias=b, exact=exact)

    @classmethod
    def _of_float64(cls, weight: np.ndarray, bias: np.ndarray) -> Linear:
        """The layer of float64 arrays its caller made from a layer's own (finite, of matching
        shapes, not shared with anyone who writes to them): frozen and kept, without the checks
        and copies of ``Linear(weight, bias)`` (the layers a count's pruning rebuilds)."""
        if weight.dtype != np.float64 or bias.dtype != np.float64 or weight.shape[:1] != bias.shape:
            return cls(weight, bias)
        layer = cls.__new__(cls)
        # (C order, as the checked constructor's copies: products sum in the same order)
        weight, bias = np.ascontiguousarray(weight), np.ascontiguousarray(bias)
        weight.flags.writeable = False
        bias.flags.writeable = False
        layer._set(weight=weight, bias=bias, exact=False)
        return layer

    @property
    def in_features(self) -> int:
        return int(self.weight.shape[1])

    @property
    def num_parameters(self) -> int:
        return int(self.weight.size + self.bias.size)

    def out_features(self, in_features: int) -> int:
        if in_features != self.weight.shape[1]:
            raise ValueError(
                f"Linear expects {self.weight.shape[1]} inputs (weight shape {self.weight.shape}), "
                f"but receives {in_features}"
            )
        return int(self.weight.shape[0])

    def forward(self, z: np.ndarray) -> np.ndarray:
        if self.exact and _is_exact_batch(z):
            return z.dot(self.weight.T) + self.bias
        w = self.weight if not self.exact else self.float_weight
        b = self.bias if not self.exact else self.float_bias
        zf = z if z.dtype != object else z.astype(np.float64)
        return zf @ w.T + b

    @property
    def float_weight(self) -> np.ndarray:
        return _to_float64(self.weight, "Linear weight") if self.exact else self.weight

    @property
    def float_bias(self) -> np.ndarray:
        return _to_float64(self.bias, "Linear bias") if self.exact else self.bias

    def to_exact(self) -> Linear:
        return self if self.exact else Linear(as_exact_array(self.weight), as_exact_array(self.bias))

    def to_float(self) -> Linear:
        return Linear(self.float_weight.copy(), self.float_bias.copy()) if self.exact else self

    def __repr__(self) -> str:
        kind = "exact" if self.exact else "float"
        return f"Linear({self.weight.shape[1]} -> {self.weight.shape[0]}, {kind})"


def _param(x: Any, name: str) -> Fraction | float:
    return to_exact(x, name=name) if is_exact_scalar(x) else to_float(x, name=name)


def _unit_params(x: Any, name: str) -> tuple[Any, bool]:
    """A scalar parameter, or a 1-D array of per-unit parameters (exact when every entry is)."""
    if isinstance(x, (list, tuple, np.ndarray)):
        arr = np.array(x, dtype=object) if not isinstance(x, np.ndarray) else x
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"{name} must be a number or a non-empty 1-D array, got shape {arr.shape}")
        exact = is_exact_array(arr)
        arr = as_exact_array(arr, name=name) if exact else as_float_array(arr, name=name)
        arr.flags.writeable = False
        return arr, exact
    v = _param(x, name)
    return v, isinstance(v, Fraction)


def _units(units: Any, count: int | None, name: str) -> np.ndarray | None:
    """``None`` (every unit) or a sorted array of distinct unit indices (the rest pass through)."""
    if units is None:
        return None
    u = np.asarray(units)
    if u.ndim != 1 or (u.size and u.dtype.kind not in "iu"):
        raise ValueError(f"{name} units must be a 1-D array of unit indices, got {units!r}")
    u = u.astype(np.int64)
    if u.size and (u.min() < 0 or np.any(np.diff(u) <= 0)):
        raise ValueError(f"{name} units must be distinct non-negative indices in increasing order")
    if count is not None and count != u.size:
        raise ValueError(f"{name} has {count} per-unit parameters but acts on {u.size} units")
    u.flags.writeable = False
    return u


class _UnitActivation(Layer):
    """An activation acting on some units (``units``, default all) with one parameter per unit
    or one shared parameter; the other units pass through unchanged (no region boundary)."""

    __slots__ = ()

    def out_features(self, in_features: int) -> int:
        if self.units is not None and self.units.size and self.units[-1] >= in_features:
            raise ValueError(
                f"{type(self).__name__} acts on unit {int(self.units[-1])} but receives {in_features} inputs"
            )
        p = self._p()
        if self.units is None and isinstance(p, np.ndarray) and p.size != in_features:
            raise ValueError(
                f"{type(self).__name__} has {p.size} per-unit parameters but receives {in_features} inputs"
            )
        return in_features

    @property
    def per_unit(self) -> bool:
        """True when the parameter is an array (one value per unit acted on)."""
        return isinstance(self._p(), np.ndarray)

    @property
    def partial(self) -> bool:
        """True when some units pass through unchanged (``units`` is set)."""
        return self.units is not None

    def _apply(self, z: np.ndarray, fn_exact, fn_float) -> np.ndarray:
        self.out_features(z.shape[1])
        p = self._p()
        exact = _is_exact_batch(z) and self.exact
        if not exact:
            z = z.astype(np.float64) if z.dtype == object else z
            p = p.astype(np.float64) if isinstance(p, np.ndarray) else float(p)
        if self.units is None:
            return fn_exact(z, p) if exact else fn_float(z, p)
        out = z.copy()
        sub = z[:, self.units]
        out[:, self.units] = fn_exact(sub, p) if exact else fn_float(sub, p)
        return out

    def _rep(self, name: str, value: Any) -> str:
        v = f"{name}=[{value.size} values]" if isinstance(value, np.ndarray) else str(value)
        return v if self.units is None else f"{v}, units=[{self.units.size} of them]"


class Threshold(_UnitActivation):
    """``z -> max(z, t)`` per unit; ``Threshold(0)`` is the ReLU.

    ``t`` is one number or one number per unit (the layers ``max(W x + b, t)`` of
    TropicalNN.jl); ``units`` (optional, increasing indices) restricts the map to those units,
    the others pass through unchanged (graph networks use it to carry skip connections).

    >>> Threshold(1).forward(np.array([[0.5, 2.0]]))
    array([[1., 2.]])
    >>> Threshold([0, 3]).forward(np.array([[-1.0, 2.0]]))
    array([[0., 3.]])
    >>> Threshold(0, units=[1]).forward(np.array([[-1.0, -2.0]]))
    array([[-1.,  0.]])
    """

    __slots__ = ("t", "exact", "units")

    def __init__(self, t: Any = 0, units: Any = None) -> None:
        tv, exact = _unit_params(t, "Threshold t")
        u = _units(units, tv.size if isinstance(tv, np.ndarray) else None, "Threshold")
        self._set(t=tv, exact=exact, units=u)

    def _p(self) -> Any:
        return self.t

    def forward(self, z: np.ndarray) -> np.ndarray:
        def exact_fn(v, t):
            return np.frompyfunc(lambda a, b: a if a > b else b, 2, 1)(v, t).astype(object)

        return self._apply(z, exact_fn, np.maximum)

    def to_exact(self) -> Threshold:
        if self.exact:
            return self
        t = as_exact_array(self.t) if isinstance(self.t, np.ndarray) else to_exact(self.t)
        return Threshold(t, self.units)

    def to_float(self) -> Threshold:
        if not self.exact or (type(self) is not Threshold):
            return self
        t = self.t.astype(np.float64) if isinstance(self.t, np.ndarray) else float(self.t)
        return Threshold(t, self.units)

    def __repr__(self) -> str:
        return f"Threshold({self._rep('t', self.t)})"


class ReLU(Threshold):
    """The rectifier ``max(z, 0)``.

    >>> ReLU().forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(0)

    def __repr__(self) -> str:
        return "ReLU()"


class LeakyReLU(_UnitActivation):
    """``z -> max(z, alpha z)`` per unit, with ``0 <= alpha < 1``.

    ``alpha`` is one slope or one slope per unit (a PReLU with fixed slopes); ``units``
    (optional) restricts the map to those units, the others pass through unchanged.

    >>> LeakyReLU(0.5).forward(np.array([[-2.0, 2.0]]))
    array([[-1.,  2.]])
    >>> LeakyReLU([0.5, 0.25]).forward(np.array([[-2.0, -2.0]]))
    array([[-1. , -0.5]])
    """

    __slots__ = ("alpha", "exact", "units")

    def __init__(self, alpha: Any = 0.01, units: Any = None) -> None:
        a, exact = _unit_params(alpha, "LeakyReLU alpha")
        vals = a if isinstance(a, np.ndarray) else [a]
        if not all(0 <= v < 1 for v in vals):
            raise ValueError(f"LeakyReLU alpha must satisfy 0 <= alpha < 1, got {alpha}")
        u = _units(units, a.size if isinstance(a, np.ndarray) else None, "LeakyReLU")
        self._set(alpha=a, exact=exact, units=u)

    def _p(self) -> Any:
        return self.alpha

    def forward(self, z: np.ndarray) -> np.ndarray:
        def exact_fn(v, a):
            return np.frompyfunc(lambda x, s: x if x > 0 else s * x, 2, 1)(v, a).astype(object)

        def float_fn(v, a):
            return np.maximum(v, a * v)

        return self._apply(z, exact_fn, float_fn)

    def to_exact(self) -> LeakyReLU:
        if self.exact:
            return self
        a = as_exact_array(self.alpha) if isinstance(self.alpha, np.ndarray) else to_exact(self.alpha)
        return LeakyReLU(a, self.units)

    def to_float(self) -> LeakyReLU:
        if not self.exact:
            return self
        a = self.alpha.astype(np.float64) if isinstance(self.alpha, np.ndarray) else float(self.alpha)
        return LeakyReLU(a, self.units)

    def __repr__(self) -> str:
        return f"LeakyReLU({self._rep('alpha', self.alpha)})"


class Identity(Layer):
    """The identity map (lowers to nothing).

    >>> Identity().lower(3)
    ()
    """

    __slots__ = ()

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        return ()

    def __repr__(self) -> str:
        return "Identity()"


class GroupMax(Layer):
    """Max over index groups: output ``i`` is ``max_j z[groups[i, j]]``.

    The primitive behind :class:`Maxout`, :class:`MaxPool1d` and 2D max-pooling.  ``carried``
    trailing rows repeat one input each: entries a graph network carries past the max-pool
    (the region engines pass them through, with no pattern column).

    >>> GroupMax([[0, 2], [1, 2]]).forward(np.array([[1.0, 4.0, 3.0]]))
    array([[3., 4.]])
    """

    __slots__ = ("groups", "in_features", "carried")

    def __init__(self, groups: Any, in_features: int | None = None, carried: int = 0) -> None:
        g = np.asarray(groups)
        if g.ndim != 2 or g.shape[0] == 0 or g.shape[1] == 0 or g.dtype.kind not in "iu":
            raise ValueError(f"GroupMax groups must be a non-empty 2-D integer array, got {g!r}")
        if g.min() < 0:
            raise ValueError("GroupMax groups contain a negative index")
        n = int(g.max()) + 1 if in_features is None else int(in_features)
        if g.max() >= n:
            raise ValueError(f"GroupMax group index {int(g.max())} out of range for {n} inputs")
        carried = int(carried)
        if not 0 <= carried < g.shape[0] or (carried and np.any(g[-carried:] != g[-carried:, :1])):
            raise ValueError("GroupMax carried must count trailing one-element rows (all members equal)")
        g = g.astype(np.int64)
        g.flags.writeable = False
        self._set(groups=g, in_features=n, carried=carried)

    def out_features(self, in_features: int) -> int:
        if in_features != self.in_features:
            raise ValueError(f"GroupMax expects {self.in_features} inputs, receives {in_features}")
        return int(self.groups.shape[0])

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z[:, self.groups].max(axis=2)

    def __repr__(self) -> str:
        return f"GroupMax({self.groups.shape[0]} groups of {self.groups.shape[1]})"


class Maxout(Layer):
    """Max over consecutive groups of ``k`` units (``n`` inputs give ``n // k`` outputs).

    >>> Maxout(3).out_features(6)
    2
    """

    __slots__ = ("k",)

    def __init__(self, k: int) -> None:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"Maxout group size k must be a positive integer, got {k!r}")
        self._set(k=int(k))

    def out_features(self, in_features: int) -> int:
        if in_features % self.k:
            raise ValueError(f"Maxout({self.k}) needs a multiple of {self.k} inputs, receives {in_features}")
        return in_features // self.k

    def forward(self, z: np.ndarray) -> np.ndarray:
        n = z.shape[1]
        self.out_features(n)
        return z.reshape(z.shape[0], n // self.k, self.k).max(axis=2)

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        m = self.out_features(in_features)
        return (GroupMax(np.arange(in_features).reshape(m, self.k), in_features),)

    def __repr__(self) -> str:
        return f"Maxout({self.k})"


class MaxPool1d(Layer):
    """Max-pool over the feature axis: windows of ``kernel_size`` taken every ``stride``.

    Output width is ``(n - kernel_size) // stride + 1`` (no padding), as in torch.

    >>> MaxPool1d(2, 1).forward(np.array([[1.0, 3.0, 2.0]]))
    array([[3., 3.]])
    """

    __slots__ = ("kernel_size", "stride")

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        stride = kernel_size if stride is None else stride
        for nm, v in (("kernel_size", kernel_size), ("stride", stride)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"MaxPool1d {nm} must be a positive integer, got {v!r}")
        self._set(kernel_size=int(kernel_size), stride=int(stride))

    def out_features(self, in_features: int) -> int:
        if in_features < self.kernel_size:
            raise ValueError(f"MaxPool1d kernel {self.kernel_size} is wider than its {in_features} inputs")
        return (in_features - self.kernel_size) // self.stride + 1

    def _groups(self, in_features: int) -> np.ndarray:
        m = self.out_features(in_features)
        return np.arange(m)[:, None] * self.stride + np.arange(self.kernel_size)[None, :]

    def forward(self, z: np.ndarray) -> np.ndarray:
        return z[:, self._groups(z.shape[1])].max(axis=2)

    def lower(self, in_features: int) -> tuple[Layer, ...]:
        return (GroupMax(self._groups(in_features), in_features),)

    def __repr__(self) -> str:
        return f"MaxPool1d({self.kernel_size}, stride={self.stride})"
