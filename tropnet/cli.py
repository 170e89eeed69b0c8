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

MODEL files (``.npz``, a ``.json`` network spec, ``.onnx``) and the bounds within which an
untrusted one is read are described in ``tropnet.cli_loaders``, whose public names this module
re-exports.

Errors (a missing file, a malformed file, a shape mismatch, an unknown option) print one
line ``tropnet: error: ...`` on stderr and exit with status 2 (usage, or a MODEL refused by
the bounds of ``tropnet.cli_loaders``: :class:`InputRefused`) or 1 (everything else); set
``TROPNET_DEBUG=1`` to see the traceback instead.

>>> main(["tropicalize", str(demo_path())])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .cli_loaders import (
    MAX_ARRAY_ENTRIES,
    MAX_FILE_BYTES,
    MAX_JSON_DEPTH,
    CLIError,
    InputRefused,
    _num_to_json,
    demo_network,
    demo_path,
    load_network,
    network_from_spec,
    network_to_spec,
)
from .networks.layers import Linear, ReLU
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
    out = {
        "affine_map": {"W": arr(W), "c": arr(c)},
        "interior_point": arr(reg.interior_point),
        "bounded": bool(reg.bounded),
        "cells": [
            {"A": arr(cell.A), "b": arr(cell.b), "pattern": [int(v) for v in np.ravel(cell.pattern)]}
            for cell in cells
        ],
    }
    ball = getattr(reg, "ball", None)
    if ball is not None:  # a cross-polytope kept whole: each cell is {A x <= b} in |x - centre|_1 <= radius
        out["ball"] = {"centre": arr(ball[0]), "radius": float(ball[1])}
    return out


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
            if k == n:  # the full-dimensional neighbourhood itself (no random directions)
                from .geometry.domains import CrossPolytope

                full = CrossPolytope(x, r) if args.shape == "cross" else Box.around(x, r)
                return full, f"the {n}-D {args.shape} of radius {args.radius} around X"
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
                   help="dimension of the neighbourhood (with --around; default 2; the input dimension n: "
                   "the full-dimensional cross-polytope or box around X, with --kind activation above 12 "
                   "inputs for a cross-polytope)")
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
