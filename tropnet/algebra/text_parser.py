"""A strict parser of piecewise-linear text: ``Max``, ``Min``, ``Abs``, ``+``, ``-``, ``*``, ``/``,
rational and decimal constants, and variable names.  It evaluates nothing.

:func:`tropnet.from_sympy` reads strings with this parser, never with ``sympy.sympify`` or
``sympy.parse_expr`` (both run Python code: ``sympify("__import__('os').system(...)")`` executes
the command).  The text is split into tokens by one regular expression and read by a
recursive-descent parser of the grammar::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("+" | "-") unary | atom
    atom    := NUMBER | NAME | FUNC "(" expr ("," expr)* ")" | "(" expr ")"
    FUNC    := Max | Min | Abs | max | min | abs
    NUMBER  := 12 | 3/4 (as "3" "/" "4") | 1.5 | 2e-3 | oo (infinity)
    NAME    := a letter or "_", then letters, digits, "_"

The result is a sympy expression built with sympy's constructors (``Symbol``, ``Integer``,
``Rational``, ``Float``, ``Add``, ``Mul``, ``Max``/``Min`` with ``evaluate=False``).  Integers and
``p/q`` are exact; a decimal point or an exponent makes a ``Float`` (float mode), as in sympy.
Nothing else is accepted: no attribute access, no calls of other names, no powers, no strings.

Size bounds (a :class:`ValueError` names the one exceeded): at most :data:`MAX_TEXT` characters,
:data:`MAX_DEPTH` nested parentheses or calls, :data:`MAX_DIGITS` digits in one number.

>>> parse_text("Max(x + 1, 2*y - 3/2, 0)")
Max(0, x + 1, 2*y - 3/2)
>>> parse_text("__import__('os').system('true')")
Traceback (most recent call last):
...
ValueError: cannot read text at column 12: unexpected character "'" ...
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["parse_text", "MAX_TEXT", "MAX_DEPTH", "MAX_DIGITS"]

MAX_TEXT = 1_000_000
"""Longest text accepted (characters)."""
MAX_DEPTH = 200
"""Deepest nesting of parentheses and function calls accepted."""
MAX_DIGITS = 1000
"""Most digits accepted in one number literal."""

_FUNCS = {"max": "Max", "min": "Min", "abs": "Abs"}
_RESERVED = {"nan", "inf", "zoo", "pi", "I", "E", "Infinity", "NaN"}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<pow>\*\*|\^)|(?P<op>[-+*/(),]))"
)


class _Text:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str, int]] = []
        pos = 0
        n = len(text)
        while True:
            while pos < n and text[pos].isspace():
                pos += 1
            if pos >= n:
                break
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise self.error(pos, f"unexpected character {text[pos]!r}")
            kind = m.lastgroup
            value = m.group(kind)
            start = m.start(kind)
            if kind == "pow":
                raise self.error(start, f"{value!r} (a power) is not piecewise-linear")
            if kind == "num" and sum(ch.isdigit() for ch in value) > MAX_DIGITS:
                raise self.error(start, f"a number with more than {MAX_DIGITS} digits")
            self.tokens.append((kind, value, start))
            pos = m.end()
        self.tokens.append(("end", "", n))
        self.k = 0
        self.depth = 0

    def error(self, pos: int, what: str) -> ValueError:
        snippet = self.text[max(0, pos - 10): pos + 10].replace("\n", " ")
        return ValueError(f"cannot read text at column {pos + 1}: {what} (near {snippet!r}); "
                          "expected Max/Min/Abs, +, -, *, / by a number, numbers and variable names")

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.k]

    def take(self) -> tuple[str, str, int]:
        tok = self.tokens[self.k]
        self.k += 1
        return tok

    def expect(self, value: str) -> None:
        kind, v, pos = self.take()
        if v != value or kind != "op":
            raise self.error(pos, f"expected {value!r}, found {v or 'the end'!r}")

    def nest(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(pos, f"nested more than {MAX_DEPTH} levels deep")

    # grammar -----------------------------------------------------------------
    def expr(self) -> Any:
        import sympy

        terms = [self.term()]
        while self.peek()[:2] in (("op", "+"), ("op", "-")):
            _, op, _ = self.take()
            t = self.term()
            terms.append(t if op == "+" else -t)
        return terms[0] if len(terms) == 1 else sympy.Add(*terms)

    def term(self) -> Any:
        import sympy

        value = self.unary()
        while self.peek()[:2] in (("op", "*"), ("op", "/")):
            _, op, pos = self.take()
            right = self.unary()
            if op == "*":
                value = sympy.Mul(value, right)
            else:
                if not right.is_number or not (right.is_Rational or right.is_Float):
                    raise self.error(pos, f"division by {right}, which is not a number")
                if right == 0:
                    raise self.error(pos, "division by zero")
                value = sympy.Mul(value, 1 / right)
        return value

    def unary(self) -> Any:
        kind, v, pos = self.peek()
        if kind == "op" and v in "+-":
            self.take()
            self.nest(pos)
            inner = self.unary()
            self.depth -= 1
            return inner if v == "+" else -inner
        return self.atom()

    def atom(self) -> Any:
        import sympy

        kind, v, pos = self.take()
        if kind == "num":
            if any(ch in v for ch in ".eE"):
                return sympy.Float(v)
            return sympy.Integer(int(v))
        if kind == "name":
            if v == "oo":
                return sympy.oo
            if v in _RESERVED:
                raise self.error(pos, f"{v!r} is not a finite rational constant nor allowed as a name")
            if v.lower() in _FUNCS and self.peek()[:2] == ("op", "("):
                self.take()
                self.nest(pos)
                args = [self.expr()]
                while self.peek()[:2] == ("op", ","):
                    self.take()
                    args.append(self.expr())
                self.expect(")")
                self.depth -= 1
                func = _FUNCS[v.lower()]
                if func == "Abs":
                    if len(args) != 1:
                        raise self.error(pos, f"Abs takes one argument, got {len(args)}")
                    return sympy.Abs(args[0])
                if len(args) == 1:
                    return args[0]
                return getattr(sympy, func)(*args, evaluate=False)
            if v.lower() in _FUNCS:
                raise self.error(pos, f"{v} needs its arguments in parentheses")
            if self.peek()[:2] == ("op", "("):
                raise self.error(pos, f"{v}(...) is not one of Max, Min, Abs")
            return sympy.Symbol(v)
        if (kind, v) == ("op", "("):
            self.nest(pos)
            inner = self.expr()
            self.expect(")")
            self.depth -= 1
            return inner
        raise self.error(pos, f"unexpected {v or 'end of text'!r}")


def parse_text(text: str) -> Any:
    """The sympy expression of a piecewise-linear text, read without evaluating anything.

    >>> parse_text("min(x, 1/3) - abs(y)/2")
    -Abs(y)/2 + Min(1/3, x)
    >>> parse_text("x**2")
    Traceback (most recent call last):
    ...
    ValueError: cannot read text at column 2: '**' (a power) is not piecewise-linear ...
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_text needs a str, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text of {len(text)} characters is longer than the {MAX_TEXT} accepted")
    reader = _Text(text)
    if reader.peek()[0] == "end":
        raise ValueError("cannot read an empty text as an expression")
    out = reader.expr()
    kind, v, pos = reader.peek()
    if kind != "end":
        raise reader.error(pos, f"unexpected {v!r} after a complete expression")
    return out
