"""Variable names of tropical polynomials: defaults, validation, and the union by name.

Variables are matched by NAME, as in sympy: an operation on functions of different variables
works in the union of their names (:func:`union_names`).

>>> union_names(("x", "y"), ("z",))
('x', 'y', 'z')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["default_variable_names", "check_names", "natural_key", "union_names"]


def default_variable_names(n: int) -> tuple[str, ...]:
    """``("x0", ..., "x{n-1}")``.

    >>> default_variable_names(2)
    ('x0', 'x1')
    """
    return tuple(f"x{i}" for i in range(n))


def check_names(names: Any, n: int) -> tuple[str, ...]:
    """``n`` distinct non-empty names from a string (``"x y"`` or ``"x, y"``), a sequence, or None
    (the defaults).

    >>> check_names("u, v", 2), check_names(None, 1)
    (('u', 'v'), ('x0',))
    """
    if names is None:
        return default_variable_names(n)
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    names = tuple(names)
    if not all(isinstance(v, str) and v for v in names):
        raise TypeError(f"variable names must be non-empty strings, got {names!r}")
    if len(names) != n:
        raise ValueError(f"{len(names)} variable names given for {n} variables: {names!r}")
    if len(set(names)) != n:
        raise ValueError(f"variable names must be distinct, got {names!r}")
    return names


def natural_key(name: str) -> tuple:
    """Sort key putting ``x2`` before ``x10``.

    >>> sorted(["x10", "x2", "a"], key=natural_key)
    ['a', 'x2', 'x10']
    """
    return tuple((0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", name))


def union_names(a: Sequence[str], b: Sequence[str]) -> tuple[str, ...]:
    """The variables of an operation on functions of the variables ``a`` and ``b``, by name.

    Equal tuples stay as they are; when one set of names contains the other, the larger
    tuple's order is kept; otherwise the union in natural order (``x2`` before ``x10``).

    >>> union_names(("x", "y"), ("y",)), union_names(("y",), ("x",))
    (('x', 'y'), ('x', 'y'))
    """
    a, b = tuple(a), tuple(b)
    if a == b or set(b) <= set(a):
        return a
    if set(a) <= set(b):
        return b
    return tuple(sorted(set(a) | set(b), key=natural_key))
