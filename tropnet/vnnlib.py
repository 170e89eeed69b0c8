"""VNN-LIB properties: the input set as an exact tropnet domain, the output constraints.

A VNN-LIB (1.0) file is a small SMT-LIB script: ``(declare-const X_i Real)`` for the
inputs, ``(declare-const Y_j Real)`` for the outputs and ``(assert ...)`` lines of linear
(in)equalities combined with ``and``/``or``.  It describes the *unsafe* set: an input in
the input set whose output meets the output constraints is a counterexample.

:func:`read_vnnlib` parses such a file with a small strict tokenizer (nothing is evaluated
as code; numbers are read as exact rationals from their decimal text, ``0.1`` is ``1/10``)
and returns a :class:`VnnlibProperty`:

* ``.domain`` — the input set: a :class:`~tropnet.Box` for bounds, a
  :class:`~tropnet.Polyhedron` for other linear constraints, or, when an input is fixed
  (a zero-width interval, as in ACAS Xu's property 4), an :class:`~tropnet.AffineSlice`
  of the free inputs (the property's input set *is* that lower-dimensional box);
* ``.lower`` / ``.upper`` — the exact bounds of every input (``None`` where unbounded);
* ``.output_constraints`` — the disjuncts ``(A, b)`` of the output condition, each the
  conjunction ``A y <= b`` (strict inequalities are read as their closure and listed in
  ``.strict``); :meth:`VnnlibProperty.unsafe` evaluates it.

The PyPI package ``vnnlib`` (1.0.2) was measured on the four ACAS Xu properties of the
benchmark: it parses the VNN-LIB 2.0 grammar only and rejects all four 1.0 files
("syntax error at line 3"), and its box bounds are floats, so tropnet has its own parser.

Examples
--------
>>> text = '''
... (declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real)
... (assert (<= X_0 0.5)) (assert (>= X_0 -0.5))
... (assert (<= X_1 1)) (assert (>= X_1 1))        ; X_1 fixed at 1
... (assert (or (>= Y_0 3) (<= Y_0 -3)))
... '''
>>> prop = parse_vnnlib(text)
>>> prop.lower, prop.upper
([Fraction(-1, 2), Fraction(1, 1)], [Fraction(1, 2), Fraction(1, 1)])
>>> type(prop.domain).__name__, prop.domain.k
('AffineSlice', 1)
>>> [bool(prop.unsafe([y])) for y in (4, 0)]
[True, False]
"""

from __future__ import annotations

import os
import re
from fractions import Fraction
from typing import Any

import numpy as np

from .geometry.domains import Box, Polyhedron
from .geometry.slices import AffineSlice

__all__ = ["VnnlibProperty", "read_vnnlib", "parse_vnnlib", "VnnlibError"]

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 200
MAX_DISJUNCTS = 100_000

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
_VAR = re.compile(r"([XY])_(\d+)\Z")


class VnnlibError(ValueError):
    """A malformed or unsupported VNN-LIB file; the message names the line and column."""


# ---------------------------------------------------------------------- reading
def _tokens(text: str) -> list[tuple[str, int, int]]:
    """``(token, line, column)`` for parentheses and atoms; comments dropped."""
    out: list[tuple[str, int, int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in re.finditer(r";.*|\(|\)|[^\s();]+", line):
            tok = m.group()
            if tok.startswith(";"):
                break
            out.append((tok, lineno, m.start() + 1))
    return out


class _Atom:
    __slots__ = ("text", "line", "col")

    def __init__(self, text: str, line: int, col: int) -> None:
        self.text, self.line, self.col = text, line, col


class _List(list):
    line = 0
    col = 0


def _sexprs(text: str) -> list[Any]:
    """The top-level s-expressions (lists of atoms and lists), built without recursion."""
    stack: list[_List] = [_List()]
    for tok, line, col in _tokens(text):
        if tok == "(":
            new = _List()
            new.line, new.col = line, col
            stack[-1].append(new)
            stack.append(new)
            if len(stack) > MAX_DEPTH:
                raise VnnlibError(f"line {line}, column {col}: expressions nested deeper than {MAX_DEPTH}")
        elif tok == ")":
            if len(stack) == 1:
                raise VnnlibError(f"line {line}, column {col}: ')' without a matching '('")
            stack.pop()
        else:
            stack[-1].append(_Atom(tok, line, col))
    if len(stack) > 1:
        open_ = stack[-1]
        raise VnnlibError(f"line {open_.line}, column {open_.col}: '(' is never closed")
    return list(stack[0])


def _where(e: Any) -> str:
    return f"line {e.line}, column {e.col}"


def _head(e: Any) -> str:
    if not isinstance(e, _List) or not e or not isinstance(e[0], _Atom):
        raise VnnlibError(f"{_where(e)}: expected an expression (operator ...)")
    return e[0].text


# ---------------------------------------------------------------------- semantics
Linear = tuple[dict[str, Fraction], Fraction]  # sum coef * var + const


class _Reader:
    def __init__(self) -> None:
        self.declared: dict[str, tuple[str, int]] = {}
        self.asserts: list[Any] = []

    def top(self, e: Any) -> None:
        if isinstance(e, _Atom):
            raise VnnlibError(f"{_where(e)}: unexpected {e.text!r} outside an expression")
        head = _head(e)
        if head == "declare-const":
            if len(e) != 3 or not all(isinstance(a, _Atom) for a in e[1:]):
                raise VnnlibError(f"{_where(e)}: expected (declare-const NAME Real)")
            name, sort = e[1].text, e[2].text
            m = _VAR.match(name)
            if not m:
                raise VnnlibError(
                    f"{_where(e)}: variable {name!r} is neither X_<i> (input) nor Y_<j> (output)"
                )
            if sort != "Real":
                raise VnnlibError(f"{_where(e)}: variable {name} has sort {sort!r}; only Real is supported")
            if name in self.declared:
                raise VnnlibError(f"{_where(e)}: variable {name} is declared twice")
            self.declared[name] = (m.group(1), int(m.group(2)))
        elif head == "assert":
            if len(e) != 2:
                raise VnnlibError(f"{_where(e)}: (assert ...) takes one formula")
            self.asserts.append(e[1])
        else:
            raise VnnlibError(f"{_where(e)}: unsupported command {head!r} (expected declare-const or assert)")

    # terms -----------------------------------------------------------------
    def term(self, e: Any) -> Linear:
        if isinstance(e, _Atom):
            if _NUMBER.match(e.text):
                return {}, Fraction(e.text)
            if e.text in self.declared:
                return {e.text: Fraction(1)}, Fraction(0)
            if _VAR.match(e.text):
                raise VnnlibError(f"{_where(e)}: variable {e.text} is used but not declared")
            raise VnnlibError(f"{_where(e)}: {e.text!r} is not a number or a declared variable")
        head = _head(e)
        args = [self.term(a) for a in e[1:]]
        if head == "+" and args:
            return _lin_sum(args, [1] * len(args))
        if head == "-" and len(args) == 1:
            return _lin_sum(args, [-1])
        if head == "-" and len(args) >= 2:
            return _lin_sum(args, [1] + [-1] * (len(args) - 1))
        if head == "*" and len(args) >= 2:
            acc = args[0]
            for a in args[1:]:
                if acc[0] and a[0]:
                    raise VnnlibError(f"{_where(e)}: a product of two variables is not linear")
                const, lin = (acc, a) if not acc[0] else (a, acc)
                c = const[1]
                acc = ({k: v * c for k, v in lin[0].items()}, lin[1] * c)
            return acc
        raise VnnlibError(f"{_where(e)}: unsupported term {head!r} (numbers, variables, +, -, * only)")

    # formulas: disjunctive normal form, a list of conjunctions of (lin <= 0, strict) ----------
    def formula(self, e: Any) -> list[list[tuple[Linear, bool]]]:
        head = _head(e)
        if head in ("<=", ">=", "<", ">", "="):
            if len(e) < 3:
                raise VnnlibError(f"{_where(e)}: ({head} ...) needs at least two terms")
            terms = [self.term(a) for a in e[1:]]
            out: list[tuple[Linear, bool]] = []
            for a, b in zip(terms, terms[1:]):
                if head in ("<=", "<", "="):
                    out.append((_lin_sum([a, b], [1, -1]), head == "<"))
                if head in (">=", ">", "="):
                    out.append((_lin_sum([a, b], [-1, 1]), head == ">"))
            return [out]
        if head == "and":
            acc: list[list[tuple[Linear, bool]]] = [[]]
            for a in e[1:]:
                f = self.formula(a)
                if len(acc) * len(f) > MAX_DISJUNCTS:
                    raise VnnlibError(
                        f"{_where(e)}: more than {MAX_DISJUNCTS} disjuncts after expanding 'and'"
                    )
                acc = [x + y for x in acc for y in f]
            return acc
        if head == "or":
            if len(e) < 2:
                raise VnnlibError(f"{_where(e)}: (or) needs at least one formula")
            acc = []
            for a in e[1:]:
                acc.extend(self.formula(a))
                if len(acc) > MAX_DISJUNCTS:
                    raise VnnlibError(f"{_where(e)}: more than {MAX_DISJUNCTS} disjuncts")
            return acc
        raise VnnlibError(f"{_where(e)}: unsupported formula {head!r} (<=, >=, <, >, =, and, or only)")


def _lin_sum(terms: list[Linear], signs: list[int]) -> Linear:
    coef: dict[str, Fraction] = {}
    const = Fraction(0)
    for (c, k), s in zip(terms, signs):
        for name, v in c.items():
            coef[name] = coef.get(name, Fraction(0)) + s * v
        const += s * k
    return {k: v for k, v in coef.items() if v != 0}, const


# ---------------------------------------------------------------------- the property
class VnnlibProperty:
    """A parsed VNN-LIB property (see the module docstring).  Immutable.

    >>> p = parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)"
    ...                  "(assert (<= X_0 1))(assert (>= X_0 0))(assert (>= Y_0 0.25))")
    >>> p.domain, p.output_constraints[0][0].tolist(), p.output_constraints[0][1].tolist()
    (Box([0], [1]), [[Fraction(-1, 1)]], [Fraction(-1, 4)])
    """

    __slots__ = (
        "input_dim",
        "output_dim",
        "lower",
        "upper",
        "input_A",
        "input_b",
        "output_constraints",
        "strict",
        "source",
    )

    def __init__(self, reader: _Reader, source: str) -> None:
        xs = sorted(i for kind, i in reader.declared.values() if kind == "X")
        ys = sorted(i for kind, i in reader.declared.values() if kind == "Y")
        for kind, idx in (("X", xs), ("Y", ys)):
            if idx != list(range(len(idx))):
                missing = sorted(set(range(max(idx) + 1)) - set(idx)) if idx else []
                raise VnnlibError(
                    f"{source}: the {kind} variables are not X_0 ... X_(n-1): {kind}_{missing[0]} missing"
                )
        if not xs:
            raise VnnlibError(f"{source}: no input variable X_0 is declared")
        n, m = len(xs), len(ys)
        dnf: list[list[tuple[Linear, bool]]] = [[]]
        for a in reader.asserts:
            f = reader.formula(a)
            if len(dnf) * len(f) > MAX_DISJUNCTS:
                raise VnnlibError(f"{source}: more than {MAX_DISJUNCTS} disjuncts")
            dnf = [x + y for x in dnf for y in f]
        inputs: list[tuple[Linear, bool]] | None = None
        outputs: list[list[tuple[Linear, bool]]] = []
        for conj in dnf:
            ins, outs = [], []
            for lin, strict in conj:
                kinds = {reader.declared[v][0] for v in lin[0]}
                if kinds == {"X", "Y"}:
                    raise VnnlibError(
                        f"{source}: a constraint mixes inputs and outputs; only separate input "
                        "and output constraints are supported"
                    )
                (ins if kinds == {"X"} else outs if kinds == {"Y"} else ins).append((lin, strict))
            key = sorted((sorted(lin[0].items()), lin[1], s) for lin, s in ins)
            if inputs is None:
                inputs, first_key = ins, key
            elif key != first_key:
                raise VnnlibError(
                    f"{source}: the disjuncts have different input sets (a disjunction of input "
                    "regions); only one input set per property is supported"
                )
            outputs.append(outs)
        inputs = inputs or []
        for (coef, const), _ in inputs:
            if not coef and const > 0:
                raise VnnlibError(f"{source}: a constant input constraint is false ({const} <= 0)")
        inputs = [c for c in inputs if c[0][0]]  # constant constraints that hold say nothing
        A = np.empty((len(inputs), n), dtype=object)
        A[...] = Fraction(0)
        b = np.array([-lin[1] for lin, _ in inputs], dtype=object)
        for r, (lin, _) in enumerate(inputs):
            for name, v in lin[0].items():
                A[r, reader.declared[name][1]] = v
        lower: list[Fraction | None] = [None] * n
        upper: list[Fraction | None] = [None] * n
        for r in range(len(inputs)):
            nz = [j for j in range(n) if A[r, j] != 0]
            if len(nz) == 1:
                j = nz[0]
                v = b[r] / A[r, j]
                if A[r, j] > 0:
                    upper[j] = v if upper[j] is None else min(upper[j], v)
                else:
                    lower[j] = v if lower[j] is None else max(lower[j], v)
        for j in range(n):
            if lower[j] is not None and upper[j] is not None and lower[j] > upper[j]:
                raise VnnlibError(f"{source}: the input set is empty: X_{j} in [{lower[j]}, {upper[j]}]")
        outs_ab = []
        stricts = []
        for conj in outputs:
            Ao = np.empty((len(conj), m), dtype=object)
            Ao[...] = Fraction(0)
            for r, (lin, _) in enumerate(conj):
                for name, v in lin[0].items():
                    Ao[r, reader.declared[name][1]] = v
            bo = np.array([-lin[1] for lin, _ in conj], dtype=object)
            outs_ab.append((Ao, bo))
            stricts.append(tuple(s for _, s in conj))
        for k, v in dict(
            input_dim=n,
            output_dim=m,
            lower=lower,
            upper=upper,
            input_A=A,
            input_b=b,
            output_constraints=outs_ab,
            strict=stricts,
            source=source,
        ).items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("VnnlibProperty is immutable")

    @property
    def is_box(self) -> bool:
        """True when every input constraint is a bound of one input and every input is bounded."""
        single = all(sum(1 for v in row if v != 0) == 1 for row in self.input_A)
        return single and all(v is not None for v in self.lower + self.upper)

    @property
    def fixed(self) -> list[int]:
        """The inputs the property fixes (a zero-width interval)."""
        return [
            j for j in range(self.input_dim) if self.lower[j] is not None and self.lower[j] == self.upper[j]
        ]

    @property
    def domain(self) -> Box | Polyhedron | AffineSlice:
        """The input set: a Box, a Polyhedron, or an AffineSlice when some input is fixed."""
        if self.is_box:
            if self.fixed:
                if len(self.fixed) == self.input_dim:
                    raise VnnlibError(f"{self.source}: every input is fixed: the input set is a single point")
                return AffineSlice.fixing(self.lower, self.upper)
            return Box(self.lower, self.upper)
        if self.fixed:
            raise VnnlibError(
                f"{self.source}: the input set fixes inputs {self.fixed} and has general linear constraints; "
                "only boxes may fix inputs"
            )
        return Polyhedron(self.input_A, self.input_b)

    def check_network(self, net: Any) -> None:
        """``ValueError`` when the network's input or output width differs from the property's."""
        if net.input_dim != self.input_dim:
            raise ValueError(f"{self.source} has {self.input_dim} inputs but the network has {net.input_dim}")
        if self.output_dim and net.output_dim != self.output_dim:
            raise ValueError(
                f"{self.source} has {self.output_dim} outputs but the network has {net.output_dim}"
            )

    def unsafe(self, y: Any) -> np.ndarray:
        """Whether outputs ``y`` (one point or a batch) meet the output condition (some disjunct
        ``A y <= b``, strict rows strictly).  Exact for exact ``y``."""
        Y = np.array(y, dtype=object if np.asarray(y).dtype == object else np.float64)
        single = Y.ndim == 1
        Y = Y[None, :] if single else Y
        if Y.shape[1] != self.output_dim:
            raise ValueError(f"outputs have {Y.shape[1]} values but the property has {self.output_dim}")
        hit = np.zeros(len(Y), dtype=bool)
        for (A, b), strict in zip(self.output_constraints, self.strict):
            if Y.dtype == object:
                lhs, rhs = Y.dot(A.T), b
            else:
                lhs, rhs = Y @ A.astype(np.float64).T, b.astype(np.float64)
            ok = np.ones(len(Y), dtype=bool)
            for r, s in enumerate(strict):
                ok &= (lhs[:, r] < rhs[r]) if s else (lhs[:, r] <= rhs[r])
            hit |= ok
        return hit[0] if single else hit

    def __repr__(self) -> str:
        return (
            f"VnnlibProperty({self.source!r}, inputs={self.input_dim}, outputs={self.output_dim}, "
            f"domain={type(self.domain).__name__ if self.input_dim else None}, "
            f"disjuncts={len(self.output_constraints)})"
        )


def parse_vnnlib(text: str, *, source: str = "<string>") -> VnnlibProperty:
    """The :class:`VnnlibProperty` of VNN-LIB text (``VnnlibError``, a ``ValueError``, naming
    the line and column of anything malformed or unsupported).

    >>> parse_vnnlib("(declare-const X_0 Real)(assert (<= X_0 1)").input_dim
    Traceback (most recent call last):
    ...
    tropnet.vnnlib.VnnlibError: <string>: line 1, column 25: '(' is never closed
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_vnnlib needs text (str), got {type(text).__name__}")
    reader = _Reader()
    try:
        for e in _sexprs(text):
            reader.top(e)
        return VnnlibProperty(reader, source)
    except VnnlibError as err:
        msg = str(err)
        raise VnnlibError(msg if msg.startswith(source) else f"{source}: {msg}") from None


def read_vnnlib(path: Any) -> VnnlibProperty:
    """Read a VNN-LIB file (see the module docstring).

    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "p.vnnlib"
    >>> _ = f.write_text("(declare-const X_0 Real)(assert (>= X_0 -1))(assert (<= X_0 0.1))")
    >>> read_vnnlib(f).domain
    Box([-1], [1/10])
    """
    where = os.fspath(path)
    try:
        if os.path.getsize(where) > MAX_BYTES:
            raise VnnlibError(f"{where} is larger than {MAX_BYTES} bytes")
        with open(where, "rb") as fh:
            data = fh.read()
    except OSError as err:
        raise ValueError(f"cannot read the VNN-LIB file {where}: {err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise VnnlibError(f"{where} is not UTF-8 text: {err}") from None
    return parse_vnnlib(text, source=where)
