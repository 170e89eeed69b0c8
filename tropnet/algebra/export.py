"""Source text for OSCAR, polymake and Sage that builds the same tropical object.

``export(obj, target)`` returns a program in the target's own language (Julia for OSCAR, the
polymake shell's Perl, Python for Sage) that evaluates to the same tropical polynomial,
rational function (two polynomials ``g`` and ``h``) or hypersurface, in the same convention
(max-plus: ``max`` semirings, ``Max`` templates, ``use_min=False``; a min-plus object,
``convention="min"``, is written with ``min``, ``Min`` and ``use_min=True`` and its own
min-plus coefficients).  Coefficients are
written exactly (``3//2`` in Julia, the string ``"3/2"`` that polymake parses into a
Rational, ``QQ((3, 2))`` in Sage); nothing is rounded.  The targets' polynomial rings need
non-negative integer exponents: Laurent or Puiseux exponents are refused with a clear error
(multiply by a monomial, or clear denominators, first).

Per target:

* **OSCAR** -- ``T = tropical_semiring(max)``, ``Tx, (x, y) = polynomial_ring(T, ["x", "y"])``,
  ``f = T(c)*x^a*y^b + ...``; a hypersurface adds ``H = tropical_hypersurface(f)`` and the same
  complex explicitly: ``polyhedral_complex(IM, VR, far_vertices)`` (vertices then rays, rays
  marked as far vertices) with ``tropical_variety(Sigma, ZZ.(weights), max)``.
* **polymake** -- ``use application "tropical";`` then ``declare $f = new
  Hypersurface<Max>(MONOMIALS=>..., COEFFICIENTS=>...)`` on the homogenized polynomial
  (polymake's hypersurfaces live in the tropical projective torus; the extra first variable is
  ``x_0``, the affine chart is ``x_0 = 0``); a hypersurface adds ``declare $C = new
  Cycle<Max>(VERTICES=>..., MAXIMAL_POLYTOPES=>..., WEIGHTS=>...)`` (plus ``LINEALITY_SPACE``
  when the Newton polytope is not full-dimensional) in polymake's coordinates (a leading 1 for a
  vertex, 0 for a ray, then the homogenizing coordinate 0).  ``use application`` and
  ``declare`` make the same text run in the polymake shell and as a script
  (``polymake --script FILE``); checked with polymake 4.6, whose ``$f`` is the same cycle as
  ``$C`` (tests/algebra/test_export_polymake.py, run when ``TROPNET_POLYMAKE`` names a
  polymake executable).
* **Sage** -- ``T = TropicalSemiring(QQ, use_min=False)``, ``R = PolynomialRing(T, "x,y")``,
  ``f = T(c)*x**a*y**b + ...`` (``**``, so the text also runs without Sage's preparser); a
  hypersurface adds ``H = f.tropical_variety()``.

>>> import tropnet
>>> x, y = tropnet.variables("x y")
>>> print(export(x**2 + y * 1 + Fraction(-3, 2), "oscar"))
T = tropical_semiring(max)
Tx, (x, y) = polynomial_ring(T, ["x", "y"])
f = T(-3//2) + T(1)*y + T(0)*x^2
>>> print(export(x + y + 0, "sage"))
from sage.rings.semirings.tropical_semiring import TropicalSemiring
T = TropicalSemiring(QQ, use_min=False)
R = PolynomialRing(T, "x,y")
x, y = R.gens()
f = R(T(0)) + T(0)*x + T(0)*y
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .hypersurface import TropicalHypersurface
from .polynomial import TropicalPolynomial
from .rational import TropicalRational

__all__ = ["export", "TARGETS"]

TARGETS = ("oscar", "polymake", "sage")
"""The systems :func:`export` writes for."""

_RESERVED = {"T", "Tx", "R", "f", "g", "h", "H", "V", "Sigma", "IM", "VR", "far_vertices", "C"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _exact(v: Any) -> Fraction:
    return v if isinstance(v, Fraction) else Fraction(v)


def _num(v: Any, target: str) -> str:
    q = _exact(v)
    if q.denominator == 1:
        return str(q.numerator)
    if target == "oscar":
        return f"{q.numerator}//{q.denominator}"
    if target == "polymake":
        return f'"{q.numerator}/{q.denominator}"'
    return f"QQ(({q.numerator}, {q.denominator}))"


def _terms(p: TropicalPolynomial) -> tuple[list[list[int]], list[Fraction]]:
    q = p.to_exact()
    if len(q) == 0:
        raise ValueError("the tropical zero (-inf, no monomials) cannot be exported as a polynomial")
    rows = []
    for r in q.exponents.tolist():
        if any(Fraction(v).denominator != 1 or v < 0 for v in r):
            raise ValueError(
                "OSCAR, polymake and Sage polynomial rings need non-negative integer exponents; this "
                f"polynomial has the exponent {[str(Fraction(v)) for v in r]} (multiply by a monomial or "
                "clear denominators first)"
            )
        rows.append([int(v) for v in r])
    return rows, [_exact(c) for c in q.coefficients.tolist()]


def _names(p: TropicalPolynomial) -> tuple[str, ...]:
    for name in p.variables:
        if not _NAME.match(name) or name in _RESERVED:
            raise ValueError(
                f"variable name {name!r} cannot be used in the exported program (it must be a plain "
                f"identifier other than {sorted(_RESERVED)})"
            )
    return p.variables


def _monomial(row: list[int], names: tuple[str, ...], power: str) -> str:
    parts = []
    for e, name in zip(row, names):
        if e == 1:
            parts.append(name)
        elif e > 1:
            parts.append(f"{name}{power}{e}")
    return "*".join(parts)


def _poly_line(p: TropicalPolynomial, target: str, var: str) -> str:
    rows, coeffs = _terms(p)
    names = p.variables
    power = "^" if target == "oscar" else "**"
    terms = []
    for row, c in zip(rows, coeffs):
        mono = _monomial(row, names, power)
        if mono:
            terms.append(f"T({_num(c, target)})*{mono}")
        else:
            terms.append(f"T({_num(c, target)})" if target == "oscar" else f"R(T({_num(c, target)}))")
    return f"{var} = " + " + ".join(terms)


def _header(p: TropicalPolynomial, target: str, convention: str) -> list[str]:
    names = _names(p)
    if target == "oscar":
        quoted = ", ".join(f'"{v}"' for v in names)
        lhs = ", ".join(names) + ("," if len(names) == 1 else "")
        return [f"T = tropical_semiring({convention})", f"Tx, ({lhs}) = polynomial_ring(T, [{quoted}])"]
    if target == "sage":
        lhs = ", ".join(names) + ("," if len(names) == 1 else "")
        return [
            "from sage.rings.semirings.tropical_semiring import TropicalSemiring",
            f"T = TropicalSemiring(QQ, use_min={convention == 'min'})",
            f'R = PolynomialRing(T, "{",".join(names)}")',
            f"{lhs} = R.gens()",
        ]
    return ['use application "tropical";']


def _polymake_poly(p: TropicalPolynomial, var: str, addition: str) -> str:
    rows, coeffs = _terms(p)
    d = max(sum(r) for r in rows)
    mons = ", ".join("[" + ", ".join(str(v) for v in [d - sum(r), *r]) + "]" for r in rows)
    cs = ", ".join(_num(c, "polymake") for c in coeffs)
    return f"declare ${var} = new Hypersurface<{addition}>(MONOMIALS=>[{mons}], COEFFICIENTS=>[{cs}]);"


def _polymake_rows(rows: list[list[Any]]) -> str:
    return "[" + ", ".join("[" + ", ".join(_num(v, "polymake") for v in r) + "]" for r in rows) + "]"


def _complex(H: TropicalHypersurface) -> tuple[list[tuple], list[tuple], list[tuple[list[int], Any]]]:
    """Vertices, rays and, per maximal cell, its (0-based vertex-then-ray) indices and weight."""
    V = [tuple(_exact(v) for v in row) for row in H._V]
    R = [tuple(row) for row in H._R]
    cells = []
    for c in H.maximal_cells():
        cells.append(([*c.vertices, *(len(V) + r for r in c.rays)], c.weight))
    return V, R, cells


def export(obj: Any, target: str) -> str:
    """Source text for ``target`` (``"oscar"``, ``"polymake"`` or ``"sage"``) that builds ``obj``.

    ``obj`` is a :class:`~tropnet.TropicalPolynomial` (the program defines ``f``), a
    :class:`~tropnet.TropicalRational` ``g - h`` (defines ``g`` and ``h``; none of the targets
    has tropical rational functions) or a hypersurface from ``p.hypersurface()`` (defines ``f``
    and its hypersurface ``H``, plus the weighted polyhedral complex for OSCAR and polymake).

    >>> import tropnet
    >>> x, y = tropnet.variables("x y")
    >>> print(export(x + y + 0, "polymake"))
    use application "tropical";
    declare $f = new Hypersurface<Max>(MONOMIALS=>[[1, 0, 0], [0, 1, 0], [0, 0, 1]], COEFFICIENTS=>[0, 0, 0]);
    """
    if not isinstance(target, str) or target.lower() not in TARGETS:
        raise ValueError(f"export target must be one of {TARGETS}, got {target!r}")
    target = target.lower()
    convention = getattr(obj, "convention", "max")
    if convention not in ("max", "min"):
        raise ValueError(f"unknown convention {convention!r}")
    addition = "Max" if convention == "max" else "Min"
    if isinstance(obj, TropicalHypersurface):
        return _export_hypersurface(obj, target)
    if isinstance(obj, TropicalPolynomial):
        polys = [("f", obj)]
    elif isinstance(obj, TropicalRational):
        polys = [("g", obj.numerator), ("h", obj.denominator)]
    else:
        raise TypeError(
            "export takes a TropicalPolynomial, TropicalRational or TropicalHypersurface, "
            f"got {type(obj).__name__}"
        )
    lines = _header(polys[0][1], target, convention)
    for var, p in polys:
        lines.append(_polymake_poly(p, var, addition) if target == "polymake" else _poly_line(p, target, var))
    return "\n".join(lines)


def _export_hypersurface(H: TropicalHypersurface, target: str) -> str:
    p = H.polynomial
    conv = H.convention
    addition = "Max" if conv == "max" else "Min"
    lines = _header(p, target, conv)
    V, R, cells = _complex(H)
    if target == "sage":
        lines += [_poly_line(p, "sage", "f"), "H = f.tropical_variety()"]
        return "\n".join(lines)
    if target == "oscar":
        lines += [_poly_line(p, "oscar", "f"), "H = tropical_hypersurface(f)"]
        rows = [list(v) for v in V] + [list(r) for r in R]
        vr = "; ".join(" ".join(_num(x, "oscar") for x in row) for row in rows)
        im = ", ".join("[" + ", ".join(str(i + 1) for i in idx) + "]" for idx, _ in cells)
        far = ", ".join(str(len(V) + k + 1) for k in range(len(R)))
        weights = ", ".join(str(w) for _, w in cells)
        if any(not isinstance(w, int) for _, w in cells):
            raise ValueError("OSCAR multiplicities are integers; this hypersurface has fractional weights")
        lin = H.lineality().tolist()
        lines += [f"VR = [{vr}]", f"IM = incidence_matrix([{im}])", f"far_vertices = Int[{far}]"]
        if lin:
            lines += ["L = [" + "; ".join(" ".join(str(v) for v in r) for r in lin) + "]",
                      "Sigma = polyhedral_complex(IM, VR, far_vertices, L)"]
        else:
            lines += ["Sigma = polyhedral_complex(IM, VR, far_vertices)"]
        lines += [
            f"V = tropical_variety(Sigma, ZZ.([{weights}]), {conv})",
        ]
        return "\n".join(lines)
    # polymake: vertices [1, 0, x], rays [0, 0, r] in tropical projective coordinates
    rows = [[1, 0, *v] for v in V] + [[0, 0, *r] for r in R]
    maxpol = "[" + ", ".join("[" + ", ".join(str(i) for i in idx) + "]" for idx, _ in cells) + "]"
    weights = ", ".join(_num(w, "polymake") for _, w in cells)
    lin = H.lineality().tolist()
    lineality = f", LINEALITY_SPACE=>{_polymake_rows([[0, 0, *r] for r in lin])}" if lin else ""
    lines += [
        _polymake_poly(p, "f", addition),
        f"declare $C = new Cycle<{addition}>(VERTICES=>{_polymake_rows(rows)}, MAXIMAL_POLYTOPES=>{maxpol}, "
        f"WEIGHTS=>[{weights}]{lineality});",
    ]
    return "\n".join(lines)
