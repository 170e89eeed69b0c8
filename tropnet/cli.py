"""The ``tropnet`` command line: the demo, a network's tropical form, its linear regions.

Commands (``tropnet COMMAND --help`` shows each one's options and an example):

* ``tropnet demo`` — the embedded two-moons network (``tropnet/data/demo.npz``): its
  architecture, the monomial counts of its tropical form, its activation and linear regions
  on ``[-2, 2]^2``, and a picture ``tropnet-demo.png`` (regions, tropical curves, graph).
* ``tropnet tropicalize MODEL [--no-simplify] [--format text|latex|sympy]``.
* ``tropnet regions MODEL [--domain LO HI | --box LO1,HI1,... | --plane A B C | --segment A B |
  --around X --radius R [--k K] [--shape cross|box]] [--kind linear|activation] [--count-only]
  [--exact] [--plot OUT.png] [--json OUT.json]`` (points: ``.npy`` files or comma lists; a
  segment also prints its breakpoints).

MODEL files
-----------
``.npz``: arrays ``W0, b0, W1, b1, ...`` (``W_i`` of shape (out, in), ``b_i`` of shape
(out,)), read with ``allow_pickle=False``; the network is ``Linear, ReLU, Linear, ...,
Linear`` (the last layer affine).  Integer arrays give an exact network.

``.json``: a network spec, an object ``{"input_dim": n, "layers": [...]}`` (``input_dim``
may be omitted when the first layer is ``linear``; optional ``"format"`` and ``"version"``
fields are ignored) whose layers are objects with a ``"type"`` and that type's fields:

=================  ==============================================================
``linear``         ``weight`` (list of rows, shape (out, in)), ``bias`` (optional)
``relu``           (no fields)
``threshold``      ``t``: ``max(z, t)`` per unit
``leaky_relu``     ``alpha`` in ``[0, 1)``
``maxout``         ``k``: max over consecutive groups of ``k`` units
``maxpool1d``      ``kernel_size``, ``stride`` (optional, default ``kernel_size``)
``group_max``      ``groups`` (list of index lists), ``in_features`` (optional)
``identity``       (no fields)
``flatten``        ``input_shape`` (optional; the identity on flat vectors)
``conv1d``         ``weight`` (C_out, C_in/groups, k), ``input_shape`` (C, L), optional
                   ``bias``, ``stride``, ``padding``, ``dilation``, ``groups``
``conv2d``         as ``conv1d`` with ``weight`` (C_out, C_in/groups, kh, kw) and
                   ``input_shape`` (C, H, W)
``maxpool2d``      ``kernel_size``, ``input_shape``, optional ``stride``, ``padding``,
                   ``dilation``
``avgpool2d``      ``kernel_size``, ``input_shape``, optional ``stride``, ``padding``,
                   ``count_include_pad``
``algebra_linear`` ``algebra`` (a name in ``tropnet.algebras.ALGEBRAS``), ``in_features``,
                   ``out_features``, ``weight`` (out, in, dim), optional ``bias`` (out, dim),
                   ``real_input``, ``real_output``
=================  ==============================================================

Convolutions and pools read flat vectors in torch's channel-first row-major order.

Numbers are JSON numbers or strings such as ``"-3/4"``; a layer whose numbers are all
integers or rational strings is exact, a layer with a JSON float is float64.  Files are
never unpickled: torch checkpoints are refused (export the weights with ``numpy.savez``).

Untrusted files are read within bounds: MODEL must be a regular file (a FIFO, ``/dev/zero`` or
another device is refused before it is opened) of at most :data:`MAX_FILE_BYTES` bytes; an
``.npz`` is checked member by member -- names first (only ``W<i>.npy``, ``b<i>.npy``), then each
``.npy`` header (dtype integer or float, at most 2 dimensions, at most
:data:`MAX_ARRAY_ENTRIES` entries per array and in all together) -- before any data is
decompressed; a JSON spec may nest at most :data:`MAX_JSON_DEPTH` levels.

Errors (a missing file, a malformed file, a shape mismatch, an unknown option) print one
line ``tropnet: error: ...`` on stderr and exit with status 2 (usage, or a MODEL refused by
the bounds above: :class:`InputRefused`) or 1 (everything else); set ``TROPNET_DEBUG=1`` to
see the traceback instead.

>>> spec = {"layers": [{"type": "linear", "weight": [[1, -1]], "bias": ["1/2"]}, {"type": "relu"}]}
>>> net = network_from_spec(spec)
>>> net.widths, net.exact
((2, 1, 1), True)
>>> network_from_spec(network_to_spec(net)) == net
True
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
import warnings
import zipfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .networks.conv import Flatten
from .networks.layers import GroupMax, Identity, LeakyReLU, Linear, Maxout, MaxPool1d, ReLU, Threshold
from .networks.network import Network

__all__ = [
    "main",
    "load_network",
    "network_from_spec",
    "network_to_spec",
    "demo_network",
    "demo_path",
    "describe_network",
    "DEMO_DOMAIN",
    "CLIError",
    "InputRefused",
    "MAX_FILE_BYTES",
    "MAX_ARRAY_ENTRIES",
    "MAX_JSON_DEPTH",
]

#: The box ``[-2, 2]^2`` on which ``tropnet demo`` enumerates and draws the demo network.
DEMO_DOMAIN = (-2, 2)


class CLIError(Exception):
    """An error the command line reports as one line (bad file, bad option, ...)."""


# ---------------------------------------------------------------------------- model files
def _json_number(x: Any, where: str) -> Any:
    if isinstance(x, bool) or not isinstance(x, (int, float, str)):
        raise CLIError(f'{where}: {x!r} is not a number (use a JSON number or a string like "3/4")')
    if isinstance(x, str):
        try:
            return Fraction(x.strip())
        except (ValueError, ZeroDivisionError):
            raise CLIError(f"{where}: cannot read {x!r} as a rational number") from None
    return x


def _json_nd(x: Any, ndim: int, where: str) -> np.ndarray:
    """A nested JSON list of exactly ``ndim`` levels as an object array of numbers."""
    if ndim <= 2:
        return _json_array(x, ndim, where)
    if not isinstance(x, list) or not x:
        raise CLIError(f"{where} must be a non-empty nested list with {ndim} levels")
    parts = [_json_nd(v, ndim - 1, where) for v in x]
    if len({p.shape for p in parts}) > 1:
        raise CLIError(f"{where} is ragged: its entries have shapes {sorted({p.shape for p in parts})}")
    return np.stack(parts)


def _json_array(x: Any, ndim: int, where: str) -> np.ndarray:
    if ndim == 1:
        if not isinstance(x, list):
            raise CLIError(f"{where} must be a list of numbers")
        return np.array([_json_number(v, where) for v in x], dtype=object)
    if not isinstance(x, list) or not all(isinstance(r, list) for r in x):
        raise CLIError(f"{where} must be a list of rows (lists of numbers)")
    if len({len(r) for r in x}) > 1:
        raise CLIError(f"{where} is ragged: its rows have lengths {sorted({len(r) for r in x})}")
    rows = [[_json_number(v, where) for v in r] for r in x]
    arr = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, r in enumerate(rows):
        arr[i, :] = r
    return arr


def _json_int(x: Any, where: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise CLIError(f"{where} must be an integer, got {x!r}")
    return x


_LAYER_FIELDS = {
    "linear": ({"weight"}, {"bias"}),
    "relu": (set(), set()),
    "threshold": ({"t"}, {"units"}),
    "leaky_relu": ({"alpha"}, {"units"}),
    "maxout": ({"k"}, set()),
    "maxpool1d": ({"kernel_size"}, {"stride"}),
    "group_max": ({"groups"}, {"in_features"}),
    "identity": (set(), set()),
    "flatten": (set(), {"input_shape"}),
    "conv1d": ({"weight", "input_shape"}, {"bias", "stride", "padding", "dilation", "groups"}),
    "conv2d": ({"weight", "input_shape"}, {"bias", "stride", "padding", "dilation", "groups"}),
    "maxpool2d": ({"kernel_size", "input_shape"}, {"stride", "padding", "dilation"}),
    "avgpool2d": ({"kernel_size", "input_shape"}, {"stride", "padding", "count_include_pad"}),
    "algebra_linear": (
        {"algebra", "in_features", "out_features", "weight"},
        {"bias", "real_input", "real_output"},
    ),
}


def _json_shape(x: Any, where: str) -> Any:
    """An int, or a (nested) list of ints, as an int or nested tuples; strings pass through."""
    if isinstance(x, str):
        return x
    if isinstance(x, list):
        return tuple(_json_shape(v, where) for v in x)
    return _json_int(x, where)


def _conv_layer(kind: str, d: dict[str, Any], where: str) -> Any:
    from .networks.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d

    kw: dict[str, Any] = {"input_shape": _json_shape(d["input_shape"], f"{where} input_shape")}
    for key in ("stride", "padding", "dilation", "groups"):
        if key in d:
            kw[key] = _json_shape(d[key], f"{where} {key}")
    if kind in ("conv1d", "conv2d"):
        w = _json_nd(d["weight"], 3 if kind == "conv1d" else 4, f"{where} weight")
        b = _json_array(d["bias"], 1, f"{where} bias") if "bias" in d else None
        return (Conv1d if kind == "conv1d" else Conv2d)(w, b, **kw)
    ks = _json_shape(d["kernel_size"], f"{where} kernel_size")
    if kind == "maxpool2d":
        return MaxPool2d(ks, **kw)
    if "count_include_pad" in d:
        if not isinstance(d["count_include_pad"], bool):
            raise CLIError(f"{where} count_include_pad must be true or false")
        kw["count_include_pad"] = d["count_include_pad"]
    return AvgPool2d(ks, **kw)


def _algebra_layer(d: dict[str, Any], where: str) -> Any:
    from . import algebras
    from .networks.algebra_layers import AlgebraLinear

    name = d["algebra"]
    if not isinstance(name, str) or name not in algebras.ALGEBRAS:
        raise CLIError(f"{where} algebra must be one of {', '.join(algebras.ALGEBRAS)}, got {name!r}")
    flags = {}
    for key in ("real_input", "real_output"):
        if key in d:
            if not isinstance(d[key], bool):
                raise CLIError(f"{where} {key} must be true or false")
            flags[key] = d[key]
    w = _json_nd(d["weight"], 3, f"{where} weight")
    b = _json_array(d["bias"], 2, f"{where} bias") if "bias" in d else None
    n_in = _json_int(d["in_features"], f"{where} in_features")
    n_out = _json_int(d["out_features"], f"{where} out_features")
    return AlgebraLinear(algebras.ALGEBRAS[name], n_in, n_out, w, b, **flags)


def _layer_from_spec(d: Any, i: int) -> Any:
    where = f"layer {i}"
    if not isinstance(d, dict) or "type" not in d:
        raise CLIError(f'{where} must be an object with a "type" field, got {d!r:.80}')
    kind = d["type"]
    if kind not in _LAYER_FIELDS:
        raise CLIError(f"{where}: unknown layer type {kind!r} (known: {', '.join(_LAYER_FIELDS)})")
    required, optional = _LAYER_FIELDS[kind]
    keys = set(d) - {"type"}
    if required - keys:
        raise CLIError(f"{where} ({kind}) lacks the field(s) {', '.join(sorted(required - keys))}")
    if keys - required - optional:
        unknown = ", ".join(sorted(keys - required - optional))
        raise CLIError(f"{where} ({kind}) has unknown field(s) {unknown}")
    if kind == "linear":
        w = _json_array(d["weight"], 2, f"{where} weight")
        b = _json_array(d["bias"], 1, f"{where} bias") if "bias" in d else None
        return Linear(w, b)
    if kind == "relu":
        return ReLU()
    if kind in ("threshold", "leaky_relu"):
        key = "t" if kind == "threshold" else "alpha"
        v = d[key]
        name = f"{where} {key}"
        param = _json_array(v, 1, name) if isinstance(v, list) else _json_number(v, name)
        units = None
        if "units" in d:
            if not isinstance(d["units"], list):
                raise CLIError(f"{where} units must be a list of unit indices")
            units = np.array([_json_int(u, f"{where} units entry") for u in d["units"]], dtype=np.int64)
        return (Threshold if kind == "threshold" else LeakyReLU)(param, units)
    if kind == "maxout":
        return Maxout(_json_int(d["k"], f"{where} k"))
    if kind == "maxpool1d":
        stride = _json_int(d["stride"], f"{where} stride") if "stride" in d else None
        return MaxPool1d(_json_int(d["kernel_size"], f"{where} kernel_size"), stride)
    if kind == "group_max":
        g = d["groups"]
        if not isinstance(g, list) or not g or not all(isinstance(r, list) for r in g):
            raise CLIError(f"{where} groups must be a non-empty list of index lists")
        if len({len(r) for r in g}) > 1:
            raise CLIError(f"{where} groups must all have the same length")
        idx = [[_json_int(v, f"{where} groups entry") for v in r] for r in g]
        n = _json_int(d["in_features"], f"{where} in_features") if "in_features" in d else None
        return GroupMax(np.array(idx, dtype=np.int64), n)
    if kind == "flatten":
        return Flatten(_json_shape(d["input_shape"], f"{where} input_shape") if "input_shape" in d else None)
    if kind in ("conv1d", "conv2d", "maxpool2d", "avgpool2d"):
        return _conv_layer(kind, d, where)
    if kind == "algebra_linear":
        return _algebra_layer(d, where)
    return Identity()


def network_from_spec(spec: dict[str, Any]) -> Network:
    """Build a :class:`~tropnet.Network` from a JSON network spec (see the module docstring).

    Raises :class:`CLIError` (a ``ValueError``-like one-line message) naming the layer and
    field at fault, and ``ValueError`` for shape mismatches between layers.

    >>> network_from_spec({"input_dim": 4, "layers": [{"type": "maxout", "k": 2}]}).widths
    (4, 2)
    """
    if not isinstance(spec, dict):
        raise CLIError('a network spec must be a JSON object with a "layers" list')
    unknown = set(spec) - {"layers", "input_dim", "format", "version"}
    if unknown:
        raise CLIError(f"network spec has unknown top-level field(s) {', '.join(sorted(unknown))}")
    layers = spec.get("layers")
    if not isinstance(layers, list) or not layers:
        raise CLIError('network spec needs a non-empty "layers" list')
    n = spec.get("input_dim")
    if n is not None:
        n = _json_int(n, "input_dim")
        if n < 1:
            raise CLIError(f"input_dim must be positive, got {n}")
    built = []
    for i, d in enumerate(layers):
        try:
            built.append(_layer_from_spec(d, i))
        except (ValueError, TypeError) as err:
            raise CLIError(f"layer {i}: {err}") from None
        except RecursionError:
            raise CLIError(f"layer {i}: nested too deeply") from None
    return Network(built, n)


def _num_to_json(v: Any) -> Any:
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    if isinstance(v, (np.integer, int)):
        return int(v)
    return float(v)


_CONV_TYPES = {"Conv1d": "conv1d", "Conv2d": "conv2d", "MaxPool2d": "maxpool2d", "AvgPool2d": "avgpool2d"}


def _nested_json(a: Any) -> Any:
    a = np.asarray(a)
    if a.ndim == 0:
        return _num_to_json(a.item())
    return [_nested_json(v) for v in a]


def _tuple_json(v: Any) -> Any:
    return [_tuple_json(x) for x in v] if isinstance(v, (tuple, list)) else int(v)


def _conv_spec(layer: Any) -> dict[str, Any]:
    kind = _CONV_TYPES[type(layer).__name__]
    d: dict[str, Any] = {"type": kind, "input_shape": _tuple_json(layer.input_shape)}
    if kind in ("conv1d", "conv2d"):
        d["weight"] = _nested_json(layer.weight)
        d["bias"] = _nested_json(layer.bias)
        d["groups"] = int(layer.groups)
    else:
        d["kernel_size"] = _tuple_json(layer.kernel_size)
    for key in ("stride", "padding", "dilation", "count_include_pad"):
        if hasattr(layer, key):
            v = getattr(layer, key)
            d[key] = v if isinstance(v, bool) else _tuple_json(v)
    return d


def network_to_spec(net: Network) -> dict[str, Any]:
    """The JSON network spec of ``net`` (exact values as integers or ``"p/q"`` strings).

    >>> network_to_spec(Network([Linear([[1, 2]]), ReLU()]))["layers"][1]
    {'type': 'relu'}
    """
    out: list[dict[str, Any]] = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Linear):
            out.append(
                {
                    "type": "linear",
                    "weight": [[_num_to_json(v) for v in row] for row in layer.weight],
                    "bias": [_num_to_json(v) for v in layer.bias],
                }
            )
        elif isinstance(layer, ReLU):
            out.append({"type": "relu"})
        elif isinstance(layer, (Threshold, LeakyReLU)):
            key = "t" if isinstance(layer, Threshold) else "alpha"
            kind = "threshold" if key == "t" else "leaky_relu"
            v = getattr(layer, key)
            entry = {"type": kind, key: _nested_json(v) if isinstance(v, np.ndarray) else _num_to_json(v)}
            if layer.units is not None:
                entry["units"] = [int(u) for u in layer.units]
            out.append(entry)
        elif isinstance(layer, Maxout):
            out.append({"type": "maxout", "k": layer.k})
        elif isinstance(layer, MaxPool1d):
            out.append({"type": "maxpool1d", "kernel_size": layer.kernel_size, "stride": layer.stride})
        elif isinstance(layer, GroupMax):
            groups = layer.groups.tolist()
            out.append({"type": "group_max", "groups": groups, "in_features": layer.in_features})
        elif isinstance(layer, Identity):
            out.append({"type": "identity"})
        elif isinstance(layer, Flatten):
            shape = None if layer.input_shape is None else list(layer.input_shape)
            out.append({"type": "flatten"} if shape is None else {"type": "flatten", "input_shape": shape})
        elif type(layer).__name__ in _CONV_TYPES and type(layer).__module__ == "tropnet.networks.conv":
            out.append(_conv_spec(layer))
        elif type(layer).__name__ == "AlgebraLinear":
            out.append(
                {
                    "type": "algebra_linear",
                    "algebra": layer.algebra.name,
                    "in_features": layer.n_in,
                    "out_features": layer.n_out,
                    "weight": _nested_json(layer.weight),
                    "bias": _nested_json(layer.bias),
                    "real_input": bool(layer.real_input),
                    "real_output": bool(layer.real_output),
                }
            )
        else:  # graph layers and others: their primitive program (partial activations keep "units")
            lowered = Network(layer.lower(net.widths[i]), net.widths[i])
            out.extend(network_to_spec(lowered)["layers"])
    return {"format": "tropnet-network", "version": 1, "input_dim": net.input_dim, "layers": out}


#: Largest MODEL file read (bytes); a larger one is refused before any of it is read.
MAX_FILE_BYTES = 256 * 2**20
#: Most entries in one array of an ``.npz`` MODEL, and in all of its arrays together.
MAX_ARRAY_ENTRIES = 2**25
#: Deepest nesting of lists and objects in a JSON MODEL.
MAX_JSON_DEPTH = 64
_NPZ_MEMBER = re.compile(r"^([Wb])(\d{1,6})\.npy$")


class InputRefused(CLIError):
    """A MODEL refused before it is read: not a regular file, or above a size/nesting cap (exit 2)."""

    status = 2


def _npz_names(path: Path, zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members ``W0.npy, b0.npy, ...`` of an ``.npz`` in layer order, checked by name only."""
    infos = zf.infolist()
    if not infos:
        raise CLIError(f"{path}: holds no arrays (expected W0, b0, W1, b1, ...)")
    if len(infos) > 20_000:
        raise InputRefused(f"{path}: holds {len(infos)} members, more than any network of arrays W0, b0, ...")
    names = {}
    for info in infos:
        m = _NPZ_MEMBER.match(info.filename)
        if m is None:
            raise CLIError(
                f"{path}: unexpected {ascii(info.filename[:60])[1:-1]} member "
                "(expected only arrays W0, b0, W1, b1, ...)"
            )
        key = m.group(1) + str(int(m.group(2)))
        if key in names:
            raise CLIError(f"{path}: holds array {key} twice ({names[key].filename}, {info.filename})")
        names[key] = info
    L = sum(1 for k in names if k.startswith("W"))
    expected = {f"{p}{i}" for i in range(L) for p in "Wb"}
    if set(names) != expected:
        missing, extra = sorted(expected - set(names)), sorted(set(names) - expected)
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected {', '.join(extra)}")
        raise CLIError(f"{path}: expected arrays W0, b0, ..., W{L - 1}, b{L - 1}; {'; '.join(parts)}")
    return [names[f"{p}{i}"] for i in range(L) for p in "Wb"]


def _npz_array(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: list[int]) -> np.ndarray:
    """One ``.npy`` member: header (version, dtype, shape) checked before its data is read."""
    from numpy.lib import format as npformat

    name = info.filename[:-4]
    with zf.open(info) as fh:
        try:
            version = npformat.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = npformat.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = npformat.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except (ValueError, EOFError, OSError) as err:
            msg = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise CLIError(f"{path}: member {name} is not a .npy array ({msg[:120]})") from None
        if dtype.hasobject:
            raise CLIError(f"{path}: holds pickled (object) arrays, which tropnet never loads")
        if dtype.kind not in "iuf" or dtype.fields is not None or dtype.subdtype is not None:
            raise CLIError(f"{path}: array {name} has dtype {dtype}, expected integers or floats")
        if len(shape) > 2:
            want = "(out, in)" if name[0] == "W" else "(out,)"
            raise CLIError(f"{path}: array {name} has shape {shape}, expected {want}")
        count = 1
        for d in shape:
            count *= int(d)
        budget[0] -= count
        if count > MAX_ARRAY_ENTRIES or budget[0] < 0:
            raise InputRefused(
                f"{path}: array {name} of shape {shape} is above the cap of {MAX_ARRAY_ENTRIES} entries "
                "(tropnet.cli.MAX_ARRAY_ENTRIES) for one array and for all of them together"
            )
        nbytes = count * dtype.itemsize
        data = fh.read(nbytes)
        if len(data) != nbytes:
            raise CLIError(f"{path}: array {name} is truncated ({len(data)} of {nbytes} bytes)")
    arr = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return arr.astype(dtype.newbyteorder("="), copy=True)


def _network_from_npz(path: Path) -> Network:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = _npz_names(path, zf)
            budget = [MAX_ARRAY_ENTRIES]
            arrays = [_npz_array(path, zf, info, budget) for info in infos]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as err:
        raise CLIError(f"{path}: not a readable .npz file ({err})") from None
    except RuntimeError as err:  # an encrypted member
        raise CLIError(f"{path}: not a readable .npz file ({err})") from None
    weights, biases = arrays[0::2], arrays[1::2]
    try:
        return Network.from_arrays(weights, biases)
    except (ValueError, TypeError) as err:
        raise CLIError(f"{path}: {err}") from None


def _json_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` in a JSON text (string contents ignored)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    codes = np.frombuffer(bare.encode("utf-8", "replace"), dtype=np.uint8)
    step = np.zeros(len(codes), dtype=np.int64)
    step[(codes == ord("[")) | (codes == ord("{"))] = 1
    step[(codes == ord("]")) | (codes == ord("}"))] = -1
    return int(np.cumsum(step).max(initial=0))


def load_network(path: str | os.PathLike[str]) -> Network:
    """Read a MODEL file (``.npz`` with ``W0, b0, ...``, a ``.json`` network spec, or an
    ``.onnx`` model of piecewise-linear operators, which needs the onnx extra).

    Never unpickles.  Raises :class:`CLIError` with a one-line message naming the file and
    what is wrong with it.

    >>> net = load_network(demo_path())
    >>> net.widths
    (2, 8, 8, 8, 8, 1)
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise CLIError(f"{p}: no such file") from None
    except OSError as err:
        raise CLIError(f"{p}: cannot read ({err.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise CLIError(f"{p}: is a directory, not a model file")
    if not stat.S_ISREG(st.st_mode):
        raise InputRefused(f"{p}: is not a regular file (a FIFO, a device or a socket); give a model file")
    if st.st_size > MAX_FILE_BYTES:
        raise InputRefused(
            f"{p}: {st.st_size} bytes is above the cap of {MAX_FILE_BYTES} bytes (tropnet.cli.MAX_FILE_BYTES)"
        )
    suffix = p.suffix.lower()
    if suffix in (".pt", ".pth", ".pkl", ".pickle", ".ckpt"):
        raise CLIError(
            f"{p}: pickled checkpoints are never loaded (unsafe); save the weights with "
            "numpy.savez(path, W0=..., b0=..., ...) or write a JSON network spec"
        )
    if suffix == ".onnx":
        try:
            return Network.from_onnx(p)
        except ImportError:
            raise CLIError(f"{p}: reading ONNX models needs onnx: pip install tropnet[onnx]") from None
        except (ValueError, TypeError) as err:
            msg = str(err).splitlines()[0]
            raise CLIError(msg if msg.startswith(str(p)) else f"{p}: {msg}") from None
    if suffix not in (".npz", ".json"):
        with open(p, "rb") as fh:
            head = fh.read(2)
        suffix = ".npz" if head == b"PK" else ".json"
    if suffix == ".npz":
        return _network_from_npz(p)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CLIError(f"{p}: not a text file (expected a .npz archive or a JSON network spec)") from None
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise InputRefused(
            f"{p}: JSON nested more than {MAX_JSON_DEPTH} levels deep (tropnet.cli.MAX_JSON_DEPTH)"
        )
    try:
        spec = json.loads(text)
    except RecursionError:
        raise InputRefused(f"{p}: JSON nested too deeply") from None
    except json.JSONDecodeError as err:
        raise CLIError(f"{p}: malformed JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None
    try:
        return network_from_spec(spec)
    except CLIError as err:
        raise CLIError(f"{p}: {err}") from None
    except (ValueError, TypeError) as err:
        raise CLIError(f"{p}: {err}") from None


def demo_path() -> Path:
    """Path of the embedded demo network ``tropnet/data/demo.npz``."""
    return Path(__file__).resolve().parent / "data" / "demo.npz"


def demo_network() -> Network:
    """The demo network: a ReLU MLP [2, 8, 8, 1] trained on two moons (``scripts/train_demo.py``).

    Its output is a logit: class 1 where it is positive.

    >>> demo_network().input_dim
    2
    """
    return load_network(demo_path())


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of two interleaved half circles with Gaussian noise, scaled to about
    ``[-2, 2]^2``; labels 0/1 (the demo network's task, ``scripts/train_demo.py``).

    >>> two_moons(4, 0.0, np.random.default_rng(0))[0].shape
    (4, 2)
    """
    m = n // 2
    t0 = rng.uniform(0.0, np.pi, m)
    t1 = rng.uniform(0.0, np.pi, n - m)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    x = np.vstack([upper, lower]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(m), np.ones(n - m)])
    x = (x - np.array([0.5, 0.25])) / np.array([0.87, 0.5]) * 0.8  # centre, scale to about [-2, 2]
    return x, y


def demo_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The 400 training points of the demo network (the first draw of ``scripts/train_demo.py``).

    >>> x, y = demo_data()
    >>> x.shape, int(y.sum())
    ((400, 2), 200)
    """
    return two_moons(400, 0.12, np.random.default_rng(seed))


# ---------------------------------------------------------------------------- printing
def describe_network(net: Network) -> str:
    """One line: the layers with their widths and the parameter count.

    >>> describe_network(Network.from_arrays([np.ones((3, 2)), np.ones((1, 3))]))
    'Linear(2->3), ReLU, Linear(3->1)  [13 parameters, float]'
    """
    parts = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Linear):
            parts.append(f"Linear({net.widths[i]}->{net.widths[i + 1]})")
        elif isinstance(layer, ReLU):
            parts.append("ReLU")
        else:
            parts.append(repr(layer))
    kind = "exact" if net.exact else "float"
    return f"{', '.join(parts)}  [{net.num_parameters} parameters, {kind}]"


def _api(name: str) -> Any:
    import tropnet

    obj = getattr(tropnet, name, None)
    if obj is None:
        raise CLIError(f"tropnet.{name} is not available in this build of tropnet")
    return obj


def _rational_parts(r: Any) -> tuple[Any, Any]:
    return r.numerator, r.denominator


def _monomial_line(k: int, r: Any, before: Any = None) -> str:
    num, den = _rational_parts(r)
    note = f" ({before[k]} candidates from the activation cells)" if before is not None else ""
    return f"output {k}: numerator {len(num)} monomials, denominator {len(den)} monomials{note}"


def _box(lo: float, hi: float) -> Any:
    import math

    from .geometry.domains import Box

    a, b = _cli_number(lo), _cli_number(hi)
    if any(isinstance(v, float) and not math.isfinite(v) for v in (a, b)):
        raise CLIError(
            f"--domain {lo} {hi}: the bounds must be finite numbers (omit --domain for all of R^n)"
        )
    if not a < b:
        raise CLIError(f"--domain {lo} {hi}: LO must be smaller than HI")
    return Box(a, b)


def _cli_number(s: Any) -> Any:
    if isinstance(s, (int, float, Fraction)):
        return s
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return Fraction(s) if "/" in s else float(s)
    except (ValueError, ZeroDivisionError):
        raise CLIError(f"cannot read {s!r} as a number") from None


# ---------------------------------------------------------------------------- commands
def _cmd_demo(args: argparse.Namespace) -> int:
    net = demo_network()
    tropicalize = _api("tropicalize")
    count = _api("count_linear_regions")
    print("tropnet demo: a ReLU network trained to separate two moons (tropnet/data/demo.npz)")
    print(f"architecture:  {describe_network(net)}")
    tmap = tropicalize(net)
    print("tropical form: f = g - h, a difference of two max-plus polynomials")
    before = getattr(tmap, "monomials_before", None)
    for k, r in enumerate(tmap):
        num, den = _rational_parts(r)
        note = f"; from {before[k]} candidates on the activation cells" if before is not None else ""
        print(f"  g: {len(num)} monomials, h: {len(den)} monomials (simplified{note})")
    dom = _box(*DEMO_DOMAIN)
    lo, hi = DEMO_DOMAIN
    n_act = count(net, dom, kind="activation")
    n_lin = count(net, dom, kind="linear")
    print(f"regions on [{lo}, {hi}]^2: {n_act} activation regions, {n_lin} linear regions")
    if not args.no_plot:
        from .plot.figures import demo_figure

        fig = demo_figure(net, dom, tmap, data=demo_data())
        try:
            fig.savefig(args.out, dpi=args.dpi, bbox_inches="tight", pad_inches=0.15)
        except OSError as err:
            raise CLIError(f"cannot write {args.out}: {err.strerror}") from None
        print(f"wrote {args.out}")
    return 0


def _cmd_tropicalize(args: argparse.Namespace) -> int:
    net = load_network(args.model)
    limits = {"max_seconds": args.max_seconds or None, "max_memory": args.max_memory or None}
    try:
        tmap = _api("tropicalize")(net, simplify=args.simplify, **limits)
    except ValueError as err:
        msg = str(err).splitlines()[0] if str(err) else ""
        if "simplify=True" in msg:  # the Python keyword, in command-line words
            raise CLIError(msg.replace("compile with simplify=True", "drop --no-simplify")) from None
        raise
    print(f"# {describe_network(net)}")
    before = getattr(tmap, "monomials_before", None) if args.simplify else None
    for k, r in enumerate(tmap):
        print(f"# {_monomial_line(k, r, before)}")
        if args.format == "text":
            text = str(r)
        elif args.format == "latex":
            text = r.to_latex()
        else:
            text = str(r.to_sympy())
        print(f"f_{{{k}}} = {text}" if args.format == "latex" else f"f{k} = {text}")
    return 0


def _region_record(reg: Any) -> dict[str, Any]:
    """One region as JSON: its map, an interior point, and its convex cells (halfspaces, pattern)."""

    def arr(a: Any) -> Any:
        a = np.asarray(a)
        if a.dtype == object:
            return [arr(v) for v in a] if a.ndim else _num_to_json(a.item())
        return a.astype(float).tolist()

    W, c = reg.affine_map
    cells = list(getattr(reg, "cells", None) or [reg])
    return {
        "affine_map": {"W": arr(W), "c": arr(c)},
        "interior_point": arr(reg.interior_point),
        "bounded": bool(reg.bounded),
        "cells": [
            {"A": arr(cell.A), "b": arr(cell.b), "pattern": [int(v) for v in np.ravel(cell.pattern)]}
            for cell in cells
        ],
    }


def _fmt_point(p: Any) -> str:
    return "(" + ", ".join(f"{float(v):.4g}" for v in np.asarray(p).ravel()) + ")"


def _region_functions(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """``(count, enumerate, client)``: the serial API, or its Dask counterparts for
    ``--parallel local`` / ``--scheduler ADDRESS`` (the client, if any, is closed by the caller)."""
    import functools
    import inspect

    count, enumerate_regions = _api("count_linear_regions"), _api("linear_regions")
    if not (args.parallel or args.scheduler):
        return count, enumerate_regions, None
    if args.parallel and args.scheduler:
        raise CLIError("give either --parallel local or --scheduler ADDRESS, not both")
    if "parallel" not in inspect.signature(count).parameters:
        try:
            from .parallel import count_parallel, regions_parallel
        except ImportError:
            raise CLIError(
                "--parallel and --scheduler need the Dask support of tropnet (tropnet.parallel)"
            ) from None
        count, enumerate_regions = count_parallel, regions_parallel
    client = None
    mode = args.parallel
    if args.scheduler:
        from .parallel import connect

        client = connect(args.scheduler)  # ConnectionError (one line) within a few seconds
        mode = "dask"
    bind = functools.partial
    return (
        bind(count, parallel=mode, client=client),
        bind(enumerate_regions, parallel=mode, client=client),
        client,
    )


def _read_point(text: str, n: int, what: str) -> np.ndarray:
    """A point from a ``.npy`` file (no pickles) or a comma list of numbers, of length ``n``."""
    if text.endswith(".npy"):
        try:
            a = np.load(text, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise CLIError(f"{what}: cannot read {text}: {err}") from None
        if a.dtype.kind not in "fiu":
            raise CLIError(f"{what}: {text} does not hold numbers (dtype {a.dtype})")
        pt = a.astype(np.float64).ravel()
        if not np.isfinite(pt).all():
            raise CLIError(f"{what}: {text} holds NaN or infinite values")
    else:
        vals = [_cli_number(v) for v in text.split(",") if v.strip()]
        if all(isinstance(v, (int, Fraction)) for v in vals):
            pt = np.array([Fraction(v) for v in vals], dtype=object)
        else:
            pt = np.array([float(v) for v in vals], dtype=np.float64)
            if not np.isfinite(pt).all():
                raise CLIError(f"{what}: the coordinates must be finite numbers")
    if len(pt) != n:
        raise CLIError(f"{what}: the point has {len(pt)} coordinates, but the network has {n} inputs")
    return pt


def _slice_domain(args: argparse.Namespace, n: int) -> tuple[Any, str] | None:
    """The domain of ``--plane/--segment/--around/--box`` and its description, or ``None``."""
    from .geometry.domains import Box
    from .geometry.slices import AffineSlice, Plane, Segment

    given = [o for o in ("domain", "plane", "segment", "around", "box") if getattr(args, o, None)]
    if len(given) > 1:
        raise CLIError(f"give one of --domain, --plane, --segment, --around, --box (got {', '.join(given)})")
    if args.radius is not None and not args.around:
        raise CLIError("--radius goes with --around X")
    try:
        if args.plane:
            a, b, c = (_read_point(t, n, f"--plane point {nm}") for t, nm in zip(args.plane, "ABC"))
            return Plane.through(a, b, c), "the plane through A, B, C"
        if args.segment:
            a, b = (_read_point(t, n, f"--segment point {nm}") for t, nm in zip(args.segment, "AB"))
            return Segment(a, b), "the segment from A to B"
        if args.around:
            if args.radius is None:
                raise CLIError("--around X needs --radius R")
            x = _read_point(args.around, n, "--around")
            r = _cli_number(args.radius)
            k = args.k if args.k is not None else min(2, n)
            slc = AffineSlice.around(x, r, k=k, shape=args.shape)
            return slc, f"a {k}-D {args.shape} of radius {args.radius} around X"
        if args.box:
            vals = [_cli_number(v) for v in args.box.split(",") if v.strip()]
            if len(vals) != 2 * n:
                raise CLIError(f"--box needs LO1,HI1,...,LO{n},HI{n}: {2 * n} numbers, got {len(vals)}")
            return Box(vals[0::2], vals[1::2]), f"the box {args.box}"
    except ValueError as err:
        raise CLIError(str(err)) from None
    return None


def _vnnlib_domain(args: argparse.Namespace, net: Network) -> tuple[Any, str]:
    """The input set of ``--vnnlib PROP`` and its description."""
    from .vnnlib import read_vnnlib

    if args.domain:
        raise CLIError("give either --domain or --vnnlib, not both")
    prop = read_vnnlib(args.vnnlib)
    prop.check_network(net)
    dom = prop.domain
    name = Path(args.vnnlib).name
    if prop.fixed:
        fixed = ", ".join(f"X_{j} = {prop.lower[j]}" for j in prop.fixed)
        return dom, f"the input set of {name} (a {dom.k}-dimensional slice: {fixed})"
    return dom, f"the input set of {name} ({type(dom).__name__.lower()} in R^{net.input_dim})"


def _accepts(func: Any, name: str) -> bool:
    import inspect

    target = getattr(func, "func", func)  # functools.partial
    try:
        return name in inspect.signature(target).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


def _cmd_regions(args: argparse.Namespace) -> int:
    net = load_network(args.model)
    sl = _slice_domain(args, net.input_dim)
    dom = _box(*args.domain) if args.domain else None
    where = f"[{args.domain[0]}, {args.domain[1]}]^{net.input_dim}" if args.domain else f"R^{net.input_dim}"
    if sl is not None:
        dom, where = sl
    if args.vnnlib:
        if sl is not None:
            raise CLIError("give either --vnnlib or one of --plane/--segment/--around/--box, not both")
        dom, where = _vnnlib_domain(args, net)
    if args.plot and dom is None:
        raise CLIError("--plot needs a bounded domain: add --domain LO HI (or --plane A B C)")
    planar = getattr(dom, "k", net.input_dim) == 2
    if args.plot and not planar:
        raise CLIError(f"--plot draws 2-D pictures only; this domain has {getattr(dom, 'k', net.input_dim)} "
                       "dimensions (use --plane A B C for a slice)")
    count, enumerate_regions, client = _region_functions(args)
    limits = {"max_regions": args.max_regions or None, "max_seconds": args.max_seconds or None,
              "max_memory": args.max_memory or None}
    limits = {k: v for k, v in limits.items() if v is not None and _accepts(count, k)}
    try:
        if args.count_only and not (args.plot or args.json):
            n = count(net, dom, kind=args.kind, exact=args.exact, **limits)
            print(n)
            return 0
        regs = enumerate_regions(net, dom, kind=args.kind, exact=args.exact, **limits)
    except ValueError as err:
        if type(err).__name__ == "RegionLimitError":
            msg = str(err).splitlines()[0]
            flag = next((f for f in ("seconds", "memory") if f"max_{f}" in msg), "regions")
            raise CLIError(f"{msg} (raise --max-{flag}, or 0 for no limit)") from None
        raise
    except NotImplementedError as err:
        raise CLIError(str(err).splitlines()[0]) from None
    finally:
        if client is not None:
            client.close()
    print(f"{len(regs)} {args.kind} region{'s' if len(regs) != 1 else ''} on {where}")
    bp = getattr(regs, "breakpoints", None)
    if bp is not None:
        print("breakpoints t: " + ", ".join(str(t) if args.exact else f"{float(t):.6g}" for t in bp))
    if not args.count_only:
        shown = min(len(regs), args.max_print)
        for i in range(shown):
            reg = regs[i]
            kind = "bounded" if reg.bounded else "unbounded"
            print(f"  region {i}: {kind}, interior point {_fmt_point(reg.interior_point)}")
        if shown < len(regs):
            print(f"  ... {len(regs) - shown} more (all of them with --json OUT.json)")
    if args.json:
        records = [_region_record(r) for r in regs]
        payload = {
            "network": network_to_spec(net),
            "domain": (
                [_num_to_json(_cli_number(v)) for v in args.domain] if args.domain else
                (None if dom is None else repr(dom))
            ),
            "vnnlib": args.vnnlib,
            "kind": args.kind,
            "exact": bool(args.exact),
            "count": len(regs),
            "regions": records,
        }
        try:
            Path(args.json).write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
        except OSError as err:
            raise CLIError(f"cannot write {args.json}: {err.strerror}") from None
        print(f"wrote {args.json}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plot import regions as plot_regions

        fig, ax = plt.subplots(figsize=(5, 5))
        plot_regions(regs, dom, ax=ax)
        ax.set_title(f"{len(regs)} {args.kind} regions")
        try:
            fig.savefig(args.plot, dpi=150, bbox_inches="tight")
        except OSError as err:
            raise CLIError(f"cannot write {args.plot}: {err.strerror}") from None
        finally:
            plt.close(fig)
        print(f"wrote {args.plot}")
    return 0


# ---------------------------------------------------------------------------- parser
#: Default of ``tropnet regions --max-regions`` (the enumeration stops with one line beyond it).
DEFAULT_MAX_REGIONS = 1_000_000


#: Defaults of ``--max-seconds / --max-memory`` (``tropnet tropicalize`` and ``tropnet regions``).
DEFAULT_MAX_SECONDS = 600.0
DEFAULT_MAX_MEMORY = 4 * 2**30


def _nonnegative_float(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be a finite number >= 0")
    return value


def _byte_count(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?\s*", text)
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size in bytes (such as 500M or 2G)")
    return int(float(m.group(1)) * 1024 ** "_KMGT".index(m.group(2).upper() or "_"))


def _limit_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-seconds",
        type=_nonnegative_float,
        default=DEFAULT_MAX_SECONDS,
        help="stop with an error after this many seconds; 0 for no limit (default: %(default)s)",
    )
    p.add_argument(
        "--max-memory",
        type=_byte_count,
        default=DEFAULT_MAX_MEMORY,
        metavar="BYTES",
        help="stop with an error before the engine's arrays pass this size (e.g. 2G, 500M); "
        "0 for no limit (default: 4G)",
    )


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 or more")
    return value


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "--domain -1/2 1/2", "-1e1" and "--box -1,1,...": negative numbers are values, not options
        self._negative_number_matcher = re.compile(
            r"^-((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(/\d+)?|inf|infinity|nan)(,[-+.\w/]*)*$", re.IGNORECASE
        )

    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise CLIError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(
        prog="tropnet",
        description="The tropical geometry of neural networks: tropical forms and exact linear regions.",
        epilog="examples:\n  tropnet demo\n  tropnet tropicalize model.npz\n"
        "  tropnet regions model.json --domain -5 5 --plot regions.png",
        formatter_class=fmt,
    )
    from . import __version__

    p.add_argument("--version", action="version", version=f"tropnet {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser(
        "demo",
        help="run the embedded demo network and write tropnet-demo.png",
        description="Show the tropical form and the linear regions of a small trained network shipped "
        "with tropnet (a [2, 8, 8, 1] ReLU MLP separating two moons) and draw them.",
        epilog="example:\n  tropnet demo --out demo.png",
        formatter_class=fmt,
    )
    d.add_argument("--out", default="tropnet-demo.png", help="picture to write (default: %(default)s)")
    d.add_argument("--dpi", type=int, default=120, help="resolution of the picture (default: %(default)s)")
    d.add_argument("--no-plot", action="store_true", help="print only, write no picture")
    d.set_defaults(func=_cmd_demo)

    model_help = "an .npz file with arrays W0, b0, W1, b1, ..., a JSON network spec or an .onnx model"
    t = sub.add_parser(
        "tropicalize",
        help="print a network's tropical form (one tropical rational function per output)",
        description="Compile MODEL to its tropical form: each output is g - h for two max-plus "
        "polynomials g, h.  " + model_help[0].upper() + model_help[1:] + ".",
        epilog="examples:\n  tropnet tropicalize model.npz\n"
        "  tropnet tropicalize model.json --format latex",
        formatter_class=fmt,
    )
    t.add_argument("model", metavar="MODEL", help=model_help)
    t.add_argument(
        "--simplify",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep only monomials that win somewhere (upper-hull vertices), as tropnet.tropicalize does "
        "(default); --no-simplify keeps every monomial the compiler forms",
    )
    t.add_argument("--format", choices=("text", "latex", "sympy"), default="text", help="output format")
    _limit_flags(t)
    t.set_defaults(func=_cmd_tropicalize)

    r = sub.add_parser(
        "regions",
        help="count or list a network's linear (or activation) regions",
        description="Enumerate the regions of MODEL on a box [LO, HI]^n (default: all of R^n).  "
        + model_help[0].upper() + model_help[1:]
        + ".  'linear' regions are maximal facet-connected sets where the network is one affine map; "
        "'activation' regions are cells of constant activation pattern.",
        epilog="examples:\n  tropnet regions model.npz --domain -5 5 --count-only\n"
        "  tropnet regions model.onnx --vnnlib prop_1.vnnlib --count-only\n"
        "  tropnet regions model.json --domain -1 1 --kind activation --plot cells.png --json cells.json",
        formatter_class=fmt,
    )
    r.add_argument("model", metavar="MODEL", help=model_help)
    r.add_argument("--domain", nargs=2, metavar=("LO", "HI"), help="the box [LO, HI]^n (numbers or p/q)")
    r.add_argument("--plane", nargs=3, metavar=("A", "B", "C"),
                   help="the plane through three points (.npy files or comma lists)")
    r.add_argument("--segment", nargs=2, metavar=("A", "B"),
                   help="the segment from A to B (.npy files or comma lists); prints the breakpoints")
    r.add_argument("--around", metavar="X", help="a neighbourhood of the point X (.npy file or comma list)")
    r.add_argument("--radius", metavar="R", help="the neighbourhood's radius (with --around)")
    r.add_argument("--k", type=int, default=None,
                   help="dimension of the neighbourhood (with --around; default 2)")
    r.add_argument("--shape", choices=("cross", "box"), default="cross",
                   help="neighbourhood shape (with --around; default: %(default)s)")
    r.add_argument("--box", metavar="LO1,HI1,...", help="a box with its own bounds per input")
    r.add_argument(
        "--vnnlib",
        metavar="PROP.vnnlib",
        help="use the input set of a VNN-LIB property as the domain (a box, a polyhedron, or the slice of "
        "the free inputs when it fixes some)",
    )
    r.add_argument("--kind", choices=("linear", "activation"), default="linear", help="region kind")
    r.add_argument(
        "--count-only", action="store_true", help="print only the number of regions (a bare integer)"
    )
    r.add_argument("--exact", action="store_true", help="certify the answer in rational arithmetic")
    r.add_argument("--plot", metavar="OUT.png", help="draw the regions (2 inputs, needs --domain)")
    r.add_argument("--json", metavar="OUT.json", help="write every region (halfspaces, map, pattern)")
    r.add_argument(
        "--max-print", type=_nonnegative_int, default=20, help="regions listed (default: %(default)s)"
    )
    r.add_argument(
        "--max-regions",
        type=_nonnegative_int,
        default=DEFAULT_MAX_REGIONS,
        help="stop with an error once more regions than this appear; 0 for no limit (default: %(default)s)",
    )
    _limit_flags(r)
    r.add_argument(
        "--parallel", choices=("local",), default=None, help="run on a local Dask cluster (tropnet[dask])"
    )
    r.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on the Dask cluster at ADDRESS (tcp://host:8786)"
    )
    r.set_defaults(func=_cmd_regions)
    return p


def _one_line_warning(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
    text = str(message).splitlines()[0] if str(message) else category.__name__
    print(f"tropnet: warning: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tropnet`` console script; returns the exit status.

    >>> main(["--version"])  # doctest: +SKIP
    tropnet 0.1.0
    """
    parser = _parser()
    debug = bool(os.environ.get("TROPNET_DEBUG"))
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
        if args.command is None:
            parser.print_help()
            return 2
        if debug:
            return int(args.func(args))
        # numpy's floating-point RuntimeWarnings are internal noise here (a result is checked, not
        # guessed from them); any other warning is one line "tropnet: warning: ..."
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.showwarning = _one_line_warning
            return int(args.func(args))
    except CLIError as err:
        if debug:
            raise
        print(f"tropnet: error: {err}", file=sys.stderr)
        return 2 if "--help" in str(err) or isinstance(err, InputRefused) else 1
    except (ValueError, TypeError, OSError, ImportError, MemoryError) as err:
        if debug:
            raise
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"tropnet: error: {msg}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tropnet: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # never a traceback on the command line
        if debug:
            raise
        print(
            f"tropnet: internal error: {type(err).__name__}: {err} (set TROPNET_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
