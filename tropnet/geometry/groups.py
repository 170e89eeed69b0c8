"""Finite groups of signed permutation matrices acting on R^n, and their fundamental domains.

An element is stored as a permutation ``perm`` and signs ``signs``; it is the matrix ``M``
with ``M[i, perm[i]] = signs[i]``, i.e. ``(g x)_i = signs[i] * x[perm[i]]``.  A permutation
given as an index list ``perm`` therefore acts by ``x -> x[perm]``.  Products compose matrices:
``(g * h) x = g (h x)``.

The fundamental domain is the Dirichlet cone around the point p = (1, 2, ..., n), whose
stabiliser is trivial for every signed permutation group (distinct, non-zero absolute values):

    Delta = {x : (g p - p) . x <= 0 for all g in G},

closed, with ``union g Delta = R^n`` and interiors of distinct translates disjoint.  For the
symmetric group it is the sorted cone ``x_1 <= x_2 <= ... <= x_n``.

>>> G = symmetric_group(3)
>>> G.order
6
>>> D = G.fundamental_domain()
>>> D.A.tolist()
[[Fraction(1, 1), Fraction(-1, 1), Fraction(0, 1)], [Fraction(0, 1), Fraction(1, 1), Fraction(-1, 1)]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from ..kernels.lp import new_highs
from .domains import Box, Domain, Polyhedron

__all__ = [
    "SymmetryGroup",
    "symmetric_group",
    "cyclic_group",
    "check_invariant_domain",
]

#: largest group whose elements are listed (``elements()``, fundamental domains, orbit sums)
MAX_ELEMENTS = 200_000


def _parse_generator(g: Any, n: int | None, k: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(g, SymmetryGroup):
        raise TypeError(f"generator {k} is a SymmetryGroup; use G * H for a product of groups")
    arr = np.asarray(g)
    if arr.dtype == object or arr.dtype.kind == "f":
        try:
            f = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"generator {k} is not numeric: {g!r}") from None
        if not np.all(f == np.round(f)):
            raise ValueError(f"generator {k} has non-integer entries: {g!r}")
        arr = f.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"generator {k} must be an index list or a signed permutation matrix, got {g!r}")
    if arr.ndim == 1:
        m = arr.shape[0]
        if n is not None and m != n:
            raise ValueError(f"generator {k} permutes {m} indices, the group acts on R^{n}")
        if m == 0 or sorted(arr.tolist()) != list(range(m)):
            raise ValueError(f"generator {k} = {arr.tolist()} is not a permutation of 0..{m - 1}")
        return arr.astype(np.int64), np.ones(m, dtype=np.int64)
    if arr.ndim == 2:
        m = arr.shape[0]
        if arr.shape != (m, m) or m == 0:
            raise ValueError(f"generator {k} must be a square matrix, got shape {arr.shape}")
        if n is not None and m != n:
            raise ValueError(f"generator {k} is {m}x{m}, the group acts on R^{n}")
        nz = arr != 0
        if (
            not np.all(np.isin(arr, (-1, 0, 1)))
            or not np.all(nz.sum(axis=0) == 1)
            or not np.all(nz.sum(axis=1) == 1)
        ):
            raise ValueError(f"generator {k} is not a signed permutation matrix: {arr.tolist()}")
        perm = np.argmax(nz, axis=1).astype(np.int64)
        return perm, arr[np.arange(m), perm].astype(np.int64)
    raise ValueError(f"generator {k} must be 1-D (a permutation) or 2-D (a matrix), got shape {arr.shape}")


class SymmetryGroup:
    """A finite group of signed permutation matrices acting on R^n (immutable).

    Build it with :meth:`from_generators`, :func:`symmetric_group`, :func:`cyclic_group`, or as
    a product ``G * H`` (acting on the concatenated coordinates).

    >>> G = SymmetryGroup.from_generators([[1, 0, 2], [0, 2, 1]])   # S_3 by two transpositions
    >>> G.order, G.n
    (6, 3)
    >>> G.act([[1, 2, 3]]).shape                                   # all images of one point
    (6, 1, 3)
    """

    __slots__ = ("n", "generators", "_elements", "_order", "_domain")

    def __init__(self, n: int, generators: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"SymmetryGroup needs a dimension n >= 0 (an integer), got {n!r}")
        object.__setattr__(self, "n", int(n))
        gens = tuple((np.asarray(p, dtype=np.int64), np.asarray(s, dtype=np.int64)) for p, s in generators)
        for k, (p, s) in enumerate(gens):
            if p.shape != (n,) or s.shape != (n,):
                raise ValueError(f"generator {k}: permutation and signs must have shape ({n},), "
                                 f"got {p.shape} and {s.shape}")
            if sorted(p.tolist()) != list(range(n)) or not np.all(np.abs(s) == 1):
                raise ValueError(f"generator {k}: not a signed permutation of {n} coordinates")
        for p, s in gens:
            p.flags.writeable = False
            s.flags.writeable = False
        object.__setattr__(self, "generators", gens)
        object.__setattr__(self, "_elements", None)
        object.__setattr__(self, "_order", None)
        object.__setattr__(self, "_domain", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("SymmetryGroup is immutable")

    # -------------------------------------------------------------------------- constructors
    @classmethod
    def from_generators(cls, generators: Iterable[Any], n: int | None = None) -> SymmetryGroup:
        """The group generated by index-list permutations and/or signed permutation matrices.

        >>> SymmetryGroup.from_generators([[[0, -1], [-1, 0]]]).order
        2
        """
        gens_in = list(generators)
        if not gens_in:
            if n is None:
                raise ValueError("from_generators needs at least one generator, or n for the trivial group")
            return cls(n, [])
        parsed = []
        for k, g in enumerate(gens_in):
            p, s = _parse_generator(g, n, k)
            n = len(p) if n is None else n
            parsed.append((p, s))
        return cls(n, parsed)

    # ------------------------------------------------------------------------------ structure
    def _closure(self) -> tuple[np.ndarray, np.ndarray]:
        if self._elements is None:
            n = self.n
            ident = (tuple(range(n)), (1,) * n)
            seen = {ident}
            frontier = [ident]
            gens = [(g[0], g[1]) for g in self.generators]
            while frontier:
                new = []
                for p, s in frontier:
                    pa, sa = np.asarray(p), np.asarray(s)
                    for gp, gs in gens:  # g * h: perm = h.perm[g.perm], signs = g.signs * h.signs[g.perm]
                        q = (tuple(pa[gp].tolist()), tuple((gs * sa[gp]).tolist()))
                        if q not in seen:
                            seen.add(q)
                            new.append(q)
                            if len(seen) > MAX_ELEMENTS:
                                raise ValueError(
                                    f"the group has more than {MAX_ELEMENTS} elements; too large to list"
                                )
                frontier = new
            # identity first, then a fixed order
            rest = sorted(seen - {ident})
            perms = np.array([ident[0]] + [e[0] for e in rest], dtype=np.int64).reshape(-1, n)
            signs = np.array([ident[1]] + [e[1] for e in rest], dtype=np.int64).reshape(-1, n)
            perms.flags.writeable = False
            signs.flags.writeable = False
            object.__setattr__(self, "_elements", (perms, signs))
        return self._elements

    @property
    def order(self) -> int:
        """The number of elements |G| (computed with sympy's Schreier–Sims when the group is large).

        >>> symmetric_group(10).order
        3628800
        """
        if self._order is None:
            if self._elements is not None:
                order = len(self._elements[0])
            else:
                order = self._schreier_sims_order()
            object.__setattr__(self, "_order", int(order))
        return self._order

    def _schreier_sims_order(self) -> int:
        # signed permutations as permutations of the 2n points +e_i (i) and -e_i (n + i)
        if not self.generators:
            return 1
        from sympy.combinatorics import Permutation, PermutationGroup

        n = self.n
        perms = []
        for p, s in self.generators:
            # g maps e_j to s_i e_i where p[i] = j
            img = [0] * (2 * n)
            for i in range(n):
                j = int(p[i])
                img[j] = i if s[i] > 0 else n + i
                img[n + j] = n + i if s[i] > 0 else i
            perms.append(Permutation(img))
        return int(PermutationGroup(perms).order())

    def permutations(self) -> tuple[np.ndarray, np.ndarray]:
        """``(perms, signs)``, two (order, n) int arrays; row 0 is the identity.

        >>> cyclic_group(3).permutations()[0].tolist()
        [[0, 1, 2], [1, 2, 0], [2, 0, 1]]
        """
        return self._closure()

    def elements(self) -> np.ndarray:
        """All elements as an (order, n, n) integer array of matrices (identity first).

        >>> cyclic_group(2).elements().tolist()
        [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]
        """
        perms, signs = self._closure()
        k, n = perms.shape
        M = np.zeros((k, n, n), dtype=np.int64)
        M[np.arange(k)[:, None], np.arange(n)[None, :], perms] = signs
        return M

    def act(self, x: Any) -> np.ndarray:
        """Images ``g x`` of points ``x`` (shape (k, n)) under every element: shape (order, k, n).

        Exact (object arrays) for object input, else float64.
        """
        X = np.asarray(x)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.n:
            raise ValueError(f"points must have shape (k, {self.n}), got {np.shape(x)}")
        perms, signs = self._closure()
        return X[:, perms].transpose(1, 0, 2) * signs[:, None, :]

    def __mul__(self, other: SymmetryGroup) -> SymmetryGroup:
        """The direct product acting on the concatenated coordinates (x, y).

        >>> (symmetric_group(2) * cyclic_group(3)).order
        6
        """
        if not isinstance(other, SymmetryGroup):
            return NotImplemented
        n, m = self.n, other.n
        gens = [
            (np.r_[p, np.arange(n, n + m)], np.r_[s, np.ones(m, dtype=np.int64)]) for p, s in self.generators
        ]
        gens += [
            (np.r_[np.arange(n), p + n], np.r_[np.ones(n, dtype=np.int64), s]) for p, s in other.generators
        ]
        return SymmetryGroup(n + m, gens)

    def generator_matrix(self, k: int) -> np.ndarray:
        """Generator ``k`` as an n x n integer matrix.

        >>> SymmetryGroup.from_generators([[1, 0]]).generator_matrix(0).tolist()
        [[0, 1], [1, 0]]
        """
        p, s = self.generators[k]
        M = np.zeros((self.n, self.n), dtype=np.int64)
        M[np.arange(self.n), p] = s
        return M

    # ------------------------------------------------------------------- fundamental domain
    def _dirichlet(self) -> tuple[np.ndarray, np.ndarray]:
        """Irredundant Dirichlet rows ``g p - p`` (int64, primitive) and the element index of each."""
        if self._domain is None:
            perms, signs = self._closure()
            p = np.arange(1, self.n + 1, dtype=np.int64)
            rows = signs * p[perms] - p  # (g p)_i = s_i p[perm_i]
            rows = rows[1:]
            idx = np.arange(1, len(perms))
            g = np.gcd.reduce(np.abs(rows), axis=1)
            rows = rows // np.maximum(g, 1)[:, None]
            _, first = np.unique(rows, axis=0, return_index=True)
            first = np.sort(first)
            rows, idx = rows[first], idx[first]
            keep = _irredundant_cone_rows(rows)
            rows, idx = rows[keep], idx[keep]
            order = sorted(range(len(idx)), key=lambda i: tuple((-rows[i]).tolist()))
            object.__setattr__(self, "_domain", (rows[order], idx[order]))
        return self._domain

    def fundamental_domain(self) -> Polyhedron:
        """The Dirichlet cone around p = (1, ..., n) as an exact :class:`Polyhedron` (cone, b = 0).

        >>> cyclic_group(2).fundamental_domain().A.tolist()
        [[Fraction(1, 1), Fraction(-1, 1)]]
        """
        rows, _ = self._dirichlet()
        if rows.shape[0] == 0:  # the trivial group: all of R^n, written as 0 . x <= 1
            return Polyhedron(np.zeros((1, self.n), dtype=np.int64).astype(object), [Fraction(1)])
        A = np.vectorize(Fraction, otypes=[object])(rows)
        return Polyhedron(A, np.array([Fraction(0)] * rows.shape[0], dtype=object))

    def walls(self) -> list[tuple[np.ndarray, int, bool]]:
        """The facets of the fundamental domain: ``(row u, element index, is_reflection)``.

        The facet ``{u . x = 0}`` separates Delta from ``g Delta`` (g the element at that
        index); ``is_reflection`` is true when g is the orthogonal reflection in that hyperplane.

        >>> [(u.tolist(), r) for u, _, r in symmetric_group(3).walls()]
        [([1, -1, 0], True), ([0, 1, -1], True)]
        """
        rows, idx = self._dirichlet()
        perms, signs = self._closure()
        out = []
        eye = np.eye(self.n, dtype=object)
        for u, k in zip(rows, idx):
            M = np.zeros((self.n, self.n), dtype=np.int64)
            M[np.arange(self.n), perms[k]] = signs[k]
            uu = int(u @ u)
            R = eye - np.outer(u, u).astype(object) * Fraction(2, uu)
            out.append((u, int(k), bool(np.all(R == M.astype(object)))))
        return out

    def is_reflection_chamber(self) -> bool:
        """True when every wall of the fundamental domain is the mirror of a reflection in G.

        >>> symmetric_group(4).is_reflection_chamber(), cyclic_group(4).is_reflection_chamber()
        (True, False)
        """
        return all(r for _, _, r in self.walls())

    def __repr__(self) -> str:
        return f"SymmetryGroup(n={self.n}, {len(self.generators)} generators)"


def _irredundant_cone_rows(rows: np.ndarray) -> np.ndarray:
    """Mask of the rows of the cone {x : rows x <= 0} that are not implied by the others.

    Exact (integer rows, cdd.gmp) by cutting planes: take the rows with the largest entries
    first, compute the rays and lines of the cone they define, add for every ray or line some
    row it violates, and repeat until no row is violated; the cone of the chosen rows is then
    the full cone, and its redundant rows are dropped.  Each double description runs on a few
    rows only (a direct redundancy test on all |G| - 1 rows takes seconds at |G| = 720).
    Without pycddlib, :func:`_irredundant_rows_certified` (HiGHS proposals, exact certificates).
    """
    k = rows.shape[0]
    if k <= 1:
        return np.ones(k, dtype=bool)
    try:
        import cdd
        import cdd.gmp
    except ImportError:  # pragma: no cover - depends on the environment
        return _irredundant_rows_certified(rows)
    R = rows.astype(object)
    chosen = [int(np.argmin(np.abs(rows).sum(axis=1)))]
    while True:
        mat = cdd.gmp.matrix_from_array(
            [[0, *(-int(v) for v in rows[i])] for i in chosen], rep_type=cdd.RepType.INEQUALITY
        )
        gen = cdd.gmp.copy_generators(cdd.gmp.polyhedron_from_matrix(mat))
        lines = set(gen.lin_set)
        added = False
        for j, g in enumerate(gen.array):
            v = np.array([int(x) if x.denominator == 1 else x for x in g[1:]], dtype=object)
            vals = R.dot(v)
            bad = np.flatnonzero(vals != 0) if j in lines else np.flatnonzero(vals > 0)
            if len(bad):
                worst = int(bad[np.argmax(np.abs(vals[bad]).astype(float))])
                if worst not in chosen:
                    chosen.append(worst)
                    added = True
        if not added:
            break
    sub = cdd.gmp.matrix_from_array(
        [[0, *(-int(v) for v in rows[i])] for i in chosen], rep_type=cdd.RepType.INEQUALITY
    )
    red = set(cdd.gmp.redundant_rows(sub))
    keep = np.zeros(k, dtype=bool)
    for pos, i in enumerate(chosen):
        if pos not in red:
            keep[i] = True
    return keep


def _irredundant_rows_certified(rows: np.ndarray) -> np.ndarray:
    """Drop rows r of {x : rows x <= 0} that are non-negative combinations of the kept rows.

    A row is dropped only with an exact certificate: HiGHS proposes lambda >= 0 with
    ``r = sum_j lambda_j r_j``; on its support the system is re-solved in rational arithmetic
    (python-flint) and checked exactly.  Rows are tested one at a time against the rows kept so
    far, so every dropped row is implied by the final ones.
    """
    import flint
    import highspy

    k, n = rows.shape
    keep = np.ones(k, dtype=bool)
    order = np.argsort(-np.abs(rows).sum(axis=1), kind="stable")  # long rows are the likely redundant ones
    for i in order:
        others = np.flatnonzero(keep & (np.arange(k) != i))
        if len(others) == 0:
            continue
        R = rows[others].astype(np.float64)
        h = new_highs(presolve=True)
        inf = highspy.kHighsInf
        m = len(others)
        h.addVars(m, np.zeros(m), np.full(m, inf))
        for j in range(n):  # sum_l lambda_l R[l, j] = rows[i, j]
            nz = np.flatnonzero(R[:, j])
            h.addRow(float(rows[i, j]), float(rows[i, j]), len(nz), nz.astype(np.int32), R[nz, j])
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            continue
        lam = np.asarray(h.getSolution().col_value)
        S = np.flatnonzero(lam > 1e-12)
        if len(S) == 0:
            continue
        B = rows[others[S]]  # |S| x n, exact integers
        # normal equations (B B^T) mu = B r, exact; B has independent rows at a basic solution
        BBt = flint.fmpq_mat([[int(v) for v in row] for row in (B @ B.T)])
        rhs = flint.fmpq_mat([[int(v)] for v in (B @ rows[i])])
        try:
            mu = BBt.solve(rhs)
        except ZeroDivisionError:
            continue
        mu = [mu[j, 0] for j in range(len(S))]
        if all(v >= 0 for v in mu) and all(
            sum(mu[j] * int(B[j, c]) for j in range(len(S))) == int(rows[i, c]) for c in range(n)
        ):
            keep[i] = False
    return keep


def _block_lift(perm: Sequence[int], block: int) -> np.ndarray:
    perm = np.asarray(perm, dtype=np.int64)
    return (perm[:, None] * block + np.arange(block)[None, :]).ravel()


def _check_size(n: Any, block: Any, name: str) -> tuple[int, int]:
    for nm, v in (("n", n), ("block", block)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name}: {nm} must be a positive integer, got {v!r}")
    return int(n), int(block)


def symmetric_group(n: int, block: int = 1) -> SymmetryGroup:
    """S_n permuting n coordinates (or n consecutive blocks of ``block`` coordinates each,
    the element-major layout of a set of n elements with ``block`` features).

    >>> symmetric_group(4).order, symmetric_group(3, block=2).n
    (24, 6)
    """
    n, block = _check_size(n, block, "symmetric_group")
    if n == 1:
        return SymmetryGroup(block, [])
    gens = [_block_lift([1, 0, *range(2, n)], block)]
    if n > 2:
        gens.append(_block_lift([*range(1, n), 0], block))
    return SymmetryGroup(n * block, [(g, np.ones(n * block, dtype=np.int64)) for g in gens])


def cyclic_group(n: int, block: int = 1) -> SymmetryGroup:
    """The cyclic group of order n shifting n coordinates (or blocks) cyclically.

    >>> cyclic_group(5).order
    5
    """
    n, block = _check_size(n, block, "cyclic_group")
    if n == 1:
        return SymmetryGroup(block, [])
    g = _block_lift([*range(1, n), 0], block)
    return SymmetryGroup(n * block, [(g, np.ones(n * block, dtype=np.int64))])


def _normalized_rows(A: np.ndarray, b: np.ndarray) -> set:
    out = set()
    for a, bi in zip(A, b):
        a = [Fraction(v) for v in a]
        scale = max(abs(v) for v in a)
        if scale == 0:
            continue
        out.add((tuple(v / scale for v in a), Fraction(bi) / scale))
    return out


def check_invariant_domain(domain: Domain | None, group: SymmetryGroup) -> None:
    """Raise ``ValueError`` naming the generator when ``g(domain) != domain`` (exact check).

    ``None`` (all of R^n) is invariant.  A :class:`Box` is compared coordinate by coordinate, a
    :class:`Polyhedron` by its set of normalised rows (a polyhedron written with redundant rows
    may be refused even if invariant; remove the redundant rows).

    >>> check_invariant_domain(Box(-1, 1), symmetric_group(3))
    >>> check_invariant_domain(Box([0, 0], [1, 2]), symmetric_group(2))
    Traceback (most recent call last):
    ...
    ValueError: the domain is not invariant under generator 0 of the group
    """
    if domain is None:
        return
    if not isinstance(domain, Domain):
        raise TypeError(f"domain must be None, a Box or a Polyhedron, got {type(domain).__name__}")
    n = group.n
    if isinstance(domain, Box):
        lo, hi = domain.exact_bounds(n)
        lo = np.array([Fraction(v) for v in lo], dtype=object)
        hi = np.array([Fraction(v) for v in hi], dtype=object)
        for k, (p, s) in enumerate(group.generators):
            new_lo = np.where(s > 0, lo[p], -hi[p])
            new_hi = np.where(s > 0, hi[p], -lo[p])
            if not (np.all(new_lo == lo) and np.all(new_hi == hi)):
                raise ValueError(f"the domain is not invariant under generator {k} of the group")
        return
    A, b = domain.halfspaces(n)
    rows = _normalized_rows(A, b)
    for k in range(len(group.generators)):
        M = group.generator_matrix(k)
        # g(P) = {y : A M^T y <= b}
        if _normalized_rows(A @ M.T, b) != rows:
            raise ValueError(f"the domain is not invariant under generator {k} of the group")
