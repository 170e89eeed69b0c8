"""Model files read within bounds: the networks ``tropnet`` commands load, and the caps that keep
an untrusted file from exhausting memory or time (:func:`load_network`, :func:`network_from_spec`,
:func:`network_to_spec`, :data:`MAX_FILE_BYTES`, :data:`MAX_ARRAY_ENTRIES`, :data:`MAX_JSON_DEPTH`).

The command line (:mod:`tropnet.cli`) re-exports every public name of this module; the caps are
read here, so a program that changes one sets ``tropnet.cli_loaders.MAX_FILE_BYTES``.

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

>>> spec = {"layers": [{"type": "linear", "weight": [[1, -1]], "bias": ["1/2"]}, {"type": "relu"}]}
>>> net = network_from_spec(spec)
>>> net.widths, net.exact
((2, 1, 1), True)
>>> network_from_spec(network_to_spec(net)) == net
True
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .networks.conv import Flatten
from .networks.layers import GroupMax, Identity, LeakyReLU, Linear, Maxout, MaxPool1d, ReLU, Threshold
from .networks.network import Network

__all__ = [
    "load_network",
    "network_from_spec",
    "network_to_spec",
    "demo_network",
    "demo_path",
    "CLIError",
    "InputRefused",
    "MAX_FILE_BYTES",
    "MAX_ARRAY_ENTRIES",
    "MAX_JSON_DEPTH",
]


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
                "(tropnet.cli_loaders.MAX_ARRAY_ENTRIES) for one array and for all of them together"
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
            f"{p}: {st.st_size} bytes is above the cap of {MAX_FILE_BYTES} bytes "
            "(tropnet.cli_loaders.MAX_FILE_BYTES)"
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
            f"{p}: JSON nested more than {MAX_JSON_DEPTH} levels deep (tropnet.cli_loaders.MAX_JSON_DEPTH)"
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
