"""The lattice of a Newton polytope's affine hull, and the lineality space of its hypersurface.

When the exponents ``a_1, ..., a_m`` of ``p = max_i (c_i + <a_i, x>)`` span an affine subspace
``a_1 + D`` of dimension ``r < n``, then ``p(x) = <a_1, x> + p'(B x)`` where the rows of ``B``
(``r x n`` integers) are a Z-basis of the lattice ``D cap Z^n`` of the Newton polytope and
``p' = max_i (c_i + <y_i, z>)`` has the coordinates ``y_i`` of ``a_i - a_1`` in that basis as
exponents: a polynomial in ``r`` variables with a full-dimensional Newton polytope.  Hence
``T(p) = {x : B x in T(p')}``: the preimage of ``T(p')`` under ``B``, i.e. its lift into ``D``
plus the lineality space ``D^perp`` (Maclagan--Sturmfels, *Introduction to Tropical Geometry*,
Section 3.1).  Because ``B`` is a basis of the *saturated* lattice ``D cap Z^n``, lattice lengths
in the new coordinates equal those in ``Z^n`` (``v / g`` is an integer vector exactly when
``y / g`` is), so the weights of ``T(p')`` are the weights of ``T(p)``.

Everything is exact: the bases come from Hermite normal forms (python-flint), and the lift
``z -> B^T (B B^T)^{-1} z`` (the point of ``D`` that ``B`` sends to ``z``) is rational.

>>> chart = LatticeChart([[0, 0, 0], [1, 1, 0], [2, 0, 0]])   # a triangle in the plane z = 0
>>> chart.rank, chart.lineality, chart.basis
(2, [[0, 0, 1]], [[1, 0, 0], [0, 1, 0]])
>>> chart.coordinates()
[[Fraction(0, 1), Fraction(0, 1)], [Fraction(1, 1), Fraction(1, 1)], [Fraction(2, 1), Fraction(0, 1)]]
>>> LatticeChart([[0, 0], [2, 2]]).basis      # the segment's own lattice: (1, 1), not (2, 2)
[[1, 1]]
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

__all__ = ["orthogonal_lattice", "LatticeChart"]


def _integer_rows(dirs: Any) -> list[list[int]]:
    """Each rational row scaled to integers (a positive multiple: the same line)."""
    out = []
    for d in dirs:
        d = [Fraction(x) for x in d]
        den = math.lcm(*(x.denominator for x in d)) if d else 1
        out.append([int(x * den) for x in d])
    return out


def orthogonal_lattice(dirs: Any, n: int) -> list[list[int]]:
    """A Z-basis (integer rows) of the integer vectors orthogonal to the span of ``dirs`` in R^n.

    Read off the Hermite normal form of ``[A^T | I]`` (its rows with a zero ``A^T`` part), so
    the basis is canonical.  Applied to a Z-basis of a lattice's orthogonal complement it gives a
    Z-basis of the saturated lattice ``span(dirs) cap Z^n``; ``x -> M x`` with ``M`` these rows
    is the quotient map ``Z^n -> Z^n / (span(dirs) cap Z^n)``.

    >>> orthogonal_lattice([[1, 2, 0]], 3)
    [[2, -1, 0], [0, 0, 1]]
    >>> orthogonal_lattice([], 2)
    [[1, 0], [0, 1]]
    """
    from flint import fmpz_mat

    A = _integer_rows(dirs)
    m = len(A)
    if n == 0:
        return []
    rows = [[A[i][k] for i in range(m)] + [int(k == j) for j in range(n)] for k in range(n)]
    H = [[int(v) for v in row] for row in fmpz_mat(rows).hnf().tolist()]
    return [row[m:] for row in H if not any(row[:m])]


def _last_positive(v: list[int]) -> list[int]:
    last = next((x for x in reversed(v) if x), 0)
    return [-x for x in v] if last < 0 else v


class LatticeChart:
    """Coordinates on the affine hull of a point set in its own lattice.

    ``LatticeChart(points)`` for rational points ``a_1, ..., a_m`` in R^n (rows) with
    ``D = span(a_i - a_1)`` of dimension ``rank``:

    * ``basis``: a Z-basis of ``D cap Z^n`` (``rank`` integer rows ``B``);
    * ``lineality``: a Z-basis of ``D^perp cap Z^n`` (``n - rank`` integer rows, each with its
      last nonzero entry positive), the lineality space of the tropical hypersurface;
    * :meth:`coordinates`: the ``y_i`` with ``a_i - a_1 = y_i B``;
    * :meth:`lift`: the point of ``D`` that ``B`` maps to ``z``.

    >>> chart = LatticeChart([[0, 0, 0], [1, 1, 1]])      # a segment along (1, 1, 1)
    >>> chart.rank, chart.basis, chart.lift([3])
    (1, [[1, 1, 1]], (Fraction(1, 1), Fraction(1, 1), Fraction(1, 1)))
    """

    __slots__ = ("n", "rank", "basis", "lineality", "_points", "_G")

    def __init__(self, points: Any) -> None:
        from flint import fmpq_mat

        pts = [[Fraction(v) for v in row] for row in points]
        if not pts:
            raise ValueError("a lattice chart needs at least one point")
        n = len(pts[0])
        diffs = [[a - b for a, b in zip(p, pts[0])] for p in pts[1:]]
        lineality = [_last_positive(v) for v in orthogonal_lattice(diffs, n)]
        basis = orthogonal_lattice(lineality, n)
        r = len(basis)
        G = None
        if r:
            Bq = fmpq_mat(r, n, [v for row in basis for v in row])
            G = (Bq * Bq.transpose()).inv()  # (B B^T)^{-1}, r x r, exact
        for name, value in (("n", n), ("rank", r), ("basis", basis), ("lineality", lineality),
                            ("_points", pts), ("_G", G)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("LatticeChart is immutable")

    def coordinates(self) -> list[list[Fraction]]:
        """The coordinates ``y_i`` (rows of Fractions) with ``a_i - a_1 = y_i B``.

        >>> LatticeChart([[1, 1], [3, 5]]).coordinates()       # (2, 4) = 2 * (1, 2)
        [[Fraction(0, 1)], [Fraction(2, 1)]]
        """
        from flint import fmpq, fmpq_mat

        r, n = self.rank, self.n
        if r == 0:
            return [[] for _ in self._points]
        a0 = self._points[0]
        diffs = [fmpq(v.numerator, v.denominator) for p in self._points for v in _minus(p, a0)]
        Dq = fmpq_mat(len(self._points), n, diffs)
        Bt = fmpq_mat(n, r, [self.basis[i][k] for k in range(n) for i in range(r)])
        Y = Dq * Bt * self._G
        return [[Fraction(int(v.p), int(v.q)) for v in row] for row in Y.tolist()]

    def lift(self, z: Any) -> tuple[Fraction, ...]:
        """The point ``x`` of ``D`` (the span of the differences) with ``B x = z``.

        >>> LatticeChart([[0, 0], [1, 2]]).lift([5])           # B = [[1, 2]]: x = (1, 2)
        (Fraction(1, 1), Fraction(2, 1))
        """
        from flint import fmpq, fmpq_mat

        r, n = self.rank, self.n
        zq = fmpq_mat(r, 1, [fmpq(Fraction(v).numerator, Fraction(v).denominator) for v in z])
        w = self._G * zq
        x = [sum((self.basis[i][k] * w[i, 0] for i in range(r)), fmpq(0)) for k in range(n)]
        return tuple(Fraction(int(v.p), int(v.q)) for v in x)


def _minus(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    return [a - b for a, b in zip(p, q)]
