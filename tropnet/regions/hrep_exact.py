"""Exact decisions for the H-representation engine (:mod:`tropnet.regions.hrep`).

*Exact runs* (``refine_hrep(..., exact=True)``, the exact runs above the vertex engine's
dimensions) decide every side of every cell in rational arithmetic; floats only *search*:

- a cell's rows are integer vectors ``e`` standing for ``e . (x, 1) > 0`` (a unit's exact map
  on the cell, from :func:`~tropnet.regions.affine._walk` in Python integers, times the side's
  sign); the domain is the box ``lo < x < hi`` or the cross-polytope ``|x - c|_1 < r`` exactly;
- a side is non-empty only with an exact *witness*: a float point (a witness of the cell, a
  float LP's maximiser pulled inside, a Chebyshev centre) taken as the dyadic rational it
  stores and checked exactly to satisfy every row of the cell, the unit's side and the domain
  strictly (:meth:`ExactRows.inside`, one integer matrix product for all points and rows);
- a side is empty only with an exact *certificate*: the float LP's row multipliers ``y >= 0``
  made rational and checked by weak duality (:meth:`ExactRows.empty_by_duals`: the side's value
  plus ``y`` times the rows is an affine function whose exact maximum over the domain is
  ``<= 0``), else one exact LP (:meth:`ExactRows.side_lp`, HiGHS's basis certified in
  rationals by :func:`~tropnet.kernels.exact_lp.solve_exact_lp`);
- a unit keeps one sign on the whole domain by its exact bounds there
  (:meth:`ExactRows.domain_signs`), and a unit constant on a cell (zero weights there) has the
  side of its constant (inactive at exactly zero).

:class:`_ExactSides` is the float runs' exact decision of sides below rounding noise.

>>> import numpy as np
>>> from tropnet import random_mlp
>>> from tropnet.regions.program import stages_from_network
>>> ex = ExactRows(stages_from_network(random_mlp([3, 4, 1], seed=1), exact=True), 3, -np.ones(3), np.ones(3))
>>> ex.inside(np.array([[1, 0, 0, 1]], dtype=object), np.array([[0.5, 0, 0], [-1.5, 0, 0]])).tolist()
[True, False]
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from typing import Any

import flint
import numpy as np

from .._numbers import as_exact_array
from ..kernels.exact_lp import solve_exact_lp
from ..kernels.scaled import int_matmul, to_scaled
from .affine import _ratio_parts, _walk


def _ints(a: Any) -> np.ndarray:
    """An object array of Python ints (``a`` itself when it is an object array: this module's
    rows hold Python ints)."""
    if isinstance(a, np.ndarray) and a.dtype == object:
        return a
    out = np.empty(np.shape(a), dtype=object)
    out.ravel()[:] = [int(v) for v in np.asarray(a).ravel().tolist()]
    return out


def _dyadic(Y: np.ndarray, grid: int | None = None) -> tuple[np.ndarray, int]:
    """Float points as the rationals they store: ``Y == Z / s`` (``Z`` integers).  Points on
    the grid ``2^-grid`` (:meth:`ExactRows.snap`) take one scaling (``int64`` numerators)."""
    Y = np.asarray(Y, dtype=np.float64)
    if grid is not None and Y.size:
        Z = np.rint(Y * 2.0**grid)
        if np.abs(Z).max() < 2.0**62 and np.array_equal(Z * 2.0**-grid, Y):
            return Z.astype(np.int64), 1 << grid
    z, s = to_scaled(Y)
    return z, int(s)


def _lift_ball(rows: list, rhs: list, lo: list, hi: list, c: list, r: Fraction) -> tuple:
    """An exact LP in ``(x, t)`` (``rows``/``rhs``, bounds ``lo``/``hi``; ``x`` in ``d =
    len(c)`` dimensions) with ``|x - c|_1 + t <= r`` added, lifted: ``x - c = p - q`` with
    ``p, q >= 0`` as ``2d`` more variables.

    >>> rows, rhs, lo, hi = _lift_ball([], [], [None, None], [None, Fraction(1)], [Fraction(2)], Fraction(1))
    >>> rows, rhs, lo, hi  # doctest: +NORMALIZE_WHITESPACE
    ([[Fraction(1, 1), Fraction(0, 1), Fraction(-1, 1), Fraction(1, 1)],
      [Fraction(-1, 1), Fraction(0, 1), Fraction(1, 1), Fraction(-1, 1)],
      [Fraction(0, 1), Fraction(1, 1), Fraction(1, 1), Fraction(1, 1)]],
     [Fraction(2, 1), Fraction(-2, 1), Fraction(1, 1)],
     [None, None, Fraction(0, 1), Fraction(0, 1)], [None, Fraction(1, 1), None, None])
    """
    d = len(c)
    rows, rhs = [row + [Fraction(0)] * (2 * d) for row in rows], list(rhs)
    for i in range(d):
        for sg in (1, -1):
            row = [Fraction(0)] * (3 * d + 1)
            row[i], row[d + 1 + i], row[2 * d + 1 + i] = Fraction(sg), Fraction(-sg), Fraction(sg)
            rows.append(row)
            rhs.append(sg * c[i])
    rows.append([Fraction(0)] * d + [Fraction(1)] + [Fraction(1)] * (2 * d))
    rhs.append(r)
    return rows, rhs, lo + [Fraction(0)] * (2 * d), hi + [None] * (2 * d)


class ExactRows:
    """The exact data of one exact run of the H-representation engine: the program ``stages``
    (exact numbers: Fractions, or floats as the dyadic rationals they store) in input dimension
    ``d``, the box ``[lo, hi]``, the clipping rows ``A x <= b`` (``halfspaces``, their rows of
    zeros dropped as the engine drops them) and the cross-polytope ``l1 = (c, r)``.  The box,
    the ball and every row are Python integers (``den`` the domain's common denominator).
    ``lo = hi = None``: no box (all of R^n, or an unbounded polyhedron: its rows only; for the
    facets of :mod:`~tropnet.regions.hrep_exact_facets`, whose LPs cap their slack ``t <= 1``
    and need no bound), witnesses snapped at the scale ``scale`` of their coordinates.

    >>> ex = ExactRows([], 2, None, None, (np.array([[1, 0]]), np.array([1])), scale=4.0)
    >>> ex.inside(ex.E0, np.array([[0.5, 100.0], [1.5, 0.0]])).tolist()  # x < 1 only
    [True, False]
    """

    def __init__(self, stages, d: int, lo, hi, halfspaces=None, l1=None, scale: float | None = None) -> None:
        if any(st.kind == "group" for st in stages):
            raise ValueError(
                "exact runs of the H-representation engine (above the vertex engine's input "
                "dimensions) take networks of ReLU / leaky / threshold units only; this one has "
                "max-pooling or maxout groups (use exact=False)"
            )
        self.stages, self.d = stages, d
        self.box = lo is not None
        if not self.box:
            lo = hi = np.zeros(d, dtype=np.int64)
        parts = [as_exact_array(lo, name="lo").ravel(), as_exact_array(hi, name="hi").ravel()]
        if l1 is not None:
            parts += [as_exact_array(l1[0], name="centre").ravel(), as_exact_array([l1[1]], name="radius")]
        z, den = to_scaled(np.concatenate(parts))
        z = _ints(z)
        self.den = int(den)
        self.loz, self.hiz = z[:d], z[d : 2 * d]
        self.l1 = None if l1 is None else (z[2 * d : 3 * d], int(z[3 * d]))
        # witnesses are snapped to the grid 2^-grid (52 bits of the domain's largest coordinate)
        top = max(abs(float(v)) for v in np.concatenate(parts[:2])) if d else 1.0
        if not self.box:
            top = 1.0 if scale is None or not np.isfinite(scale) else max(float(scale), 1.0)
        self.grid = max(0, 51 - int(np.ceil(np.log2(max(top, 2.0**-900)))))
        E0 = []
        if halfspaces is not None:
            A = as_exact_array(halfspaces[0], name="halfspaces").reshape(-1, d)
            b = as_exact_array(halfspaces[1], name="halfspaces").ravel()
            for a, c in zip(A, b):
                if np.linalg.norm(np.asarray(a, dtype=np.float64)) > 0:  # as the engine keeps them
                    r, _ = to_scaled(np.append(-a, c))
                    E0.append(_ints(r))
        self.E0 = np.array(E0, dtype=object).reshape(len(E0), d + 1)

    # ------------------------------------------------------------------ units
    def stage_rows(self, si: int, patterns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows of activation stage ``si``'s units (minus its level) on every cell of
        ``patterns``: ``(R (K, U, d + 1), inv (C,))``, one per class of equal maps."""
        st, d = self.stages[si], self.d
        J, inv, D, _ = _walk(self.stages[:si], patterns, d, True)
        R = _ints(np.asarray(J)[:, np.asarray(st.idx), :])
        if st.kind == "threshold":
            p, q = _ratio_parts(st.param, True)
            if p or q != 1:
                R = R * int(q)
                R[:, :, d] -= int(p) * int(D)
        return R, np.asarray(inv)

    def domain_signs(self, R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For rows ``R (..., d + 1)``: positive on the whole open domain (``one``), and at most
        zero on it (``zero``), exactly."""
        a, c = R[..., : self.d], R[..., self.d] * self.den
        if self.l1 is None:
            lo, hi = a * self.loz, a * self.hiz
            top = np.maximum(lo, hi).sum(axis=-1) + c
            bot = np.minimum(lo, hi).sum(axis=-1) + c
        else:
            cz, rz = self.l1
            mid = (a * cz).sum(axis=-1) + c
            spread = np.abs(a).max(axis=-1) * rz
            top, bot = mid + spread, mid - spread
        return np.asarray(bot > 0, dtype=bool), np.asarray(top <= 0, dtype=bool)

    # ------------------------------------------------------------------ witnesses
    def snap(self, Y: np.ndarray) -> np.ndarray:
        """Float points rounded to the grid ``2^-grid`` (moved by at most ``2^-(grid + 1)`` per
        coordinate): their exact checks take one integer scaling."""
        g = 2.0**self.grid
        return np.rint(np.asarray(Y, dtype=np.float64) * g) / g

    def values(self, rows: np.ndarray, Y: Any) -> np.ndarray:
        """The rows at the float points ``Y`` (or their ``_dyadic`` form ``(Z, s)``) exactly,
        times the points' common denominator (positive): ``(p, m)`` Python ints whose signs are
        those of ``rows . (y, 1)``."""
        Z, s = Y if isinstance(Y, tuple) else _dyadic(Y, self.grid)
        if len(rows) == 0:
            return np.zeros((len(Z), 0), dtype=object)
        P = _ints(int_matmul(Z, _ints(rows[:, : self.d]).T))
        return P + rows[:, self.d][None, :] * s

    def in_domain(self, Y: Any) -> np.ndarray:
        """Which float points (or their ``(Z, s)``; ``s`` one denominator, or one per point) lie
        strictly inside the domain (exactly)."""
        Z, s = Y if isinstance(Y, tuple) else _dyadic(Y, self.grid)
        Z = _ints(Z) * self.den
        sc = s[:, None] if isinstance(s, np.ndarray) else s
        if not self.box:  # (a ball has a box)
            return np.ones(len(Z), dtype=bool)
        if self.l1 is None:
            return np.asarray(((Z > self.loz * sc) & (Z < self.hiz * sc)).all(axis=1), dtype=bool)
        cz, rz = self.l1
        return np.asarray(np.abs(Z - cz * sc).sum(axis=1) < rz * s, dtype=bool)

    def inside(self, E: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Which float points ``Y`` satisfy every row ``E`` and the domain strictly (exactly)."""
        q = _dyadic(np.asarray(Y, dtype=np.float64).reshape(-1, self.d), self.grid)
        ok = self.in_domain(q)
        if len(E) and ok.any():
            ok &= np.asarray((self.values(E, q) > 0).all(axis=1), dtype=bool)
        return ok

    # ------------------------------------------------------------------ empty sides
    def sup(self, g: np.ndarray) -> Any:
        """The exact supremum of ``g . (x, 1)`` over the domain, times ``den`` (``None``:
        unbounded, with no box and a nonzero linear part)."""
        a, c = g[: self.d], g[self.d] * self.den
        if not self.box:
            return None if any(a) else c
        if self.l1 is None:
            return sum(max(ai * lo, ai * hi) for ai, lo, hi in zip(a, self.loz, self.hiz)) + c
        cz, rz = self.l1
        return sum(ai * ci for ai, ci in zip(a, cz)) + c + rz * max(abs(ai) for ai in a)

    def empty_by_duals(self, E: np.ndarray, row: np.ndarray, y: np.ndarray, solve: bool = False) -> bool:
        """Whether the float multipliers ``y >= 0`` of a float LP maximising ``row`` over the
        cell (one per row of ``E``, for rows scaled to unit norm) prove that ``row . (x, 1) <= 0``
        on the cell: ``row + sum_i mu_i E_i`` (``mu`` the multipliers rescaled to the integer
        rows, made rational) is an upper bound there (each ``E_i . (x, 1) >= 0``); its exact
        maximum over the domain ``<= 0`` is the certificate.  With ``solve``, where that fails,
        multipliers solved exactly on the support of ``y`` (:meth:`exact_multipliers`), to
        cancel the coordinates whose float residual (the box bounds' multipliers) is 0."""
        d = self.d
        y = np.maximum(np.nan_to_num(np.asarray(y, dtype=np.float64), nan=0.0, posinf=0.0), 0.0)
        try:
            rf = np.asarray(row[:d], dtype=np.float64)
            Ef = np.asarray(E[:, :d], dtype=np.float64).reshape(len(E), d)
        except OverflowError:  # rows beyond float range: no float multipliers
            return False
        nrow, nE = float(np.linalg.norm(rf)), np.linalg.norm(Ef, axis=1)
        if not np.isfinite(nrow) or not np.all(np.isfinite(nE)) or len(y) != len(E):
            return False
        mu = np.divide(y * nrow, nE, out=np.zeros(len(y)), where=nE > 0)
        if not np.all(np.isfinite(mu)):
            return False
        keep = mu > 0
        g = _ints(row) * 1
        if keep.any():
            Mz, s = _dyadic(mu[keep])
            g = g * s + _ints(int_matmul(Mz[None, :], _ints(E[keep])))[0]
        top = self.sup(g)
        if top is not None and bool(top <= 0):
            return True
        if not solve or nrow == 0 or not keep.any():
            return False
        lam = (rf + mu.dot(Ef)) / nrow  # the bounds' multipliers (unit-norm objective)
        return self.exact_multipliers(E, row, np.flatnonzero(keep), np.flatnonzero(np.abs(lam) <= 1e-7))

    def exact_multipliers(self, E: np.ndarray, row: np.ndarray, S: np.ndarray, J: np.ndarray) -> bool:
        """:meth:`empty_by_duals` with multipliers ``mu >= 0`` on the rows ``S`` of ``E`` solved
        exactly: ``row + sum_S mu_i E_i`` vanishes exactly in the coordinates ``J`` (the rest and
        the constant bounded over the domain).  Where the maximum is ``0`` on a face where rows
        are tight at once (the apex of the cones of a run on the homogenised cube: every row
        vanishes there), rounded float multipliers never cancel to the last bit; these do, and
        need no exact LP.

        >>> ex = ExactRows([], 2, [-4, 0], [4, 1])  # (x, t) in the box, the cell x > t
        >>> E = np.array([[1, -1, 0]], dtype=object)
        >>> ex.exact_multipliers(E, np.array([-2, 2, 0], dtype=object), [0], [0, 1])  # 2t - 2x > 0: empty
        True
        >>> ex.exact_multipliers(E, np.array([-1, 0, 0], dtype=object), [0], [0])  # -x > 0: x > t >= 0
        True
        >>> ex.exact_multipliers(E, np.array([1, -2, 0], dtype=object), [0], [0, 1])  # x > 2t: not empty
        False
        """
        S = np.asarray(S, dtype=np.int64)
        mu = [Fraction(0)] * len(S)
        if len(J):  # sum_S mu_i E_ij = -row_j for j in J, one solution (free multipliers 0)
            R, rank = flint.fmpq_mat([[int(E[i, j]) for i in S] + [-int(row[j])] for j in J]).rref()
            for k in range(rank):
                p = next(c for c in range(len(S) + 1) if R[k, c] != 0)
                if p == len(S):
                    return False  # no exact solution on this support
                q = R[k, len(S)]
                mu[p] = Fraction(int(q.p), int(q.q))
        if any(m < 0 for m in mu):
            return False
        den = lcm(*(m.denominator for m in mu))
        g = _ints(row) * den
        for i, m in zip(S.tolist(), mu):
            if m:
                g = g + _ints(E[i]) * (m.numerator * (den // m.denominator))
        top = self.sup(g)
        return top is not None and bool(top <= 0)

    def side_lp(self, E: np.ndarray, row: np.ndarray | None, on: np.ndarray | None = None,
                exact_point: bool = False) -> tuple[bool, np.ndarray | None]:
        """One exact LP: the largest ``t <= 1`` with every row of ``E``, ``row`` and the
        domain's constraints at least ``t`` (rows scaled by their largest entry; bounded by the
        cap on ``t`` even with no box), and
        ``on . (x, 1) = 0`` where given (a facet's hyperplane).  Returns ``(t > 0, a float point
        near the exact maximiser)``: with ``t > 0`` the side (the facet: relatively) has
        interior points; else it is empty (or lower-dimensional).  ``exact_point``: the exact
        maximiser (``Fraction`` entries; with ``t > 0`` strictly inside every row) instead."""
        d = self.d
        rows, rhs = [], []
        for e in list(E) + ([] if row is None else [row]):
            m = max(abs(int(v)) for v in e[:d]) or 1
            rows.append([Fraction(-int(v), m) for v in e[:d]] + [Fraction(1)])
            rhs.append(Fraction(int(e[d]), m))
        if on is not None:  # on . (x, 1) <= 0 and >= 0, with no t
            m = max(abs(int(v)) for v in on[:d]) or 1
            for sg in (1, -1):
                rows.append([Fraction(sg * int(v), m) for v in on[:d]] + [Fraction(0)])
                rhs.append(Fraction(-sg * int(on[d]), m))
        den = self.den
        if self.l1 is None:
            for i in range(d if self.box else 0):  # x_i - lo_i >= t, hi_i - x_i >= t
                e = [Fraction(0)] * (d + 1)
                e[i], e[d] = Fraction(-1), Fraction(1)
                rows.append(e)
                rhs.append(Fraction(-int(self.loz[i]), den))
                e = [Fraction(0)] * (d + 1)
                e[i], e[d] = Fraction(1), Fraction(1)
                rows.append(e)
                rhs.append(Fraction(int(self.hiz[i]), den))
            lo, hi = [None] * d + [None], [None] * d + [Fraction(1)]
        else:
            cz, rz = self.l1
            rows, rhs, lo, hi = _lift_ball(rows, rhs, [None] * (d + 1), [None] * d + [Fraction(1)],
                                           [Fraction(int(v), den) for v in cz], Fraction(rz, den))
        obj = [Fraction(0)] * d + [Fraction(-1)] + [Fraction(0)] * (len(lo) - d - 1)
        status, x, value = solve_exact_lp(obj, rows, rhs, lo, hi)
        if status != "optimal":  # the cell is empty: it has no point of any side
            return False, None
        if -value <= 0:
            return False, None
        if exact_point:
            return True, np.array(list(x[:d]), dtype=object)
        return True, np.array([float(v) for v in x[:d]])


class _ExactSides:
    """Exact decisions of sides that a float LP puts below rounding noise (a Chebyshev radius
    0 for a slab one unit of roundoff wide cannot tell it from an exact tie): the cell's rows
    and the unit exact from the program's dyadic float weights (as
    :class:`~tropnet.regions.ties.TieCertificate` takes them), then one exact LP, the largest
    ``t`` with every row of the cell, the box and the unit's side ``t`` inside their bounds.
    ``t > 0``: the side has interior points (a sliver float cannot hold); else it is empty or an
    exact tie.  ``None`` (the old rule, no certificate) for lossy programs and group stages."""

    def __init__(self, stages, prog, d, lo, hi, halfspaces, l1=None):
        from .ties import TieCertificate

        self.stages, self.d, self.l1 = stages, d, l1
        self.ok = not any(st.lossy or st.kind == "group" for st in stages)
        A, b = (None, None) if halfspaces is None else halfspaces
        self.cert = TieCertificate(stages, prog, d, lo, hi, A, b) if self.ok else None
        self.col = prog.col_base

    def side(self, pat, si, undecided, u, s) -> int | None:
        """The exact sign of the largest slack of side ``s`` of unit ``u`` (a position in stage
        ``si``) over the cell of pattern ``pat`` (positions ``undecided`` of stage ``si`` not yet
        on it), or ``None`` with no certificate."""
        if not self.ok:
            return None
        from fractions import Fraction

        from ..kernels.exact_lp import solve_exact_lp
        from .exactness import _q_to_fraction

        cert, d = self.cert, self.d
        q = cert._exact()
        maps = cert._maps_upto(pat, si)
        rows, rhs = [], []  # sg (a x + c) >= t as (-sg a, 1) (x, t) <= sg c

        def need(a, c, sg):  # a row, or a constant: "always" (sg c >= 0) or "never"
            a = [_q_to_fraction(v) for v in a]
            c = _q_to_fraction(c)
            if not any(a):
                return "always" if sg * c >= 0 else "never"
            rows.append([-sg * v for v in a] + [Fraction(1)])
            rhs.append(sg * c)
            return "row"

        skip = set(int(v) for v in undecided)
        for sj, st in enumerate(self.stages[: si + 1]):
            if st.kind == "affine":
                continue
            M, c = maps[sj]
            level = q["stages"][sj].param if st.kind == "threshold" else 0
            for pos, unit in enumerate(st.idx):
                if sj == si and pos in skip:
                    continue
                sg = 1 if pat[self.col[sj] + pos] == 1 else -1
                if need(M[unit], c[unit] - level, sg) == "never":
                    return 0  # the cell is exactly empty
        M, c = maps[si]
        level = q["stages"][si].param if self.stages[si].kind == "threshold" else 0
        unit = self.stages[si].idx[u]
        sg = 1 if s == 1 else -1
        a_u = [_q_to_fraction(v) for v in M[unit]]
        if not any(a_u):  # a constant unit: its side is everything or nothing
            return 1 if sg * _q_to_fraction(c[unit] - level) > 0 else 0
        # the side as a row, sg (a_u x + c_u) >= t: a negative multiple of a row the cell holds
        # (a scaled copy of a unit cut before) is <= 0 on the cell, so its side is empty or an
        # exact tie -- what the exact LP below would find, without it
        tgt = [sg * v for v in a_u] + [sg * _q_to_fraction(c[unit] - level)]
        for row, r in zip(rows, rhs):
            ref = [-v for v in row[:d]] + [r]
            i = next(k for k in range(d) if ref[k] != 0)
            mu = tgt[i] / ref[i]
            if mu < 0 and all(tgt[k] == mu * ref[k] for k in range(d + 1)):
                return 0
        need(M[unit], c[unit] - level, sg)
        for i in range(d):  # x_i - lo_i >= t, hi_i - x_i >= t
            e = [Fraction(0)] * d
            e[i] = Fraction(-1)
            rows.append(e + [Fraction(1)])
            rhs.append(-_q_to_fraction(q["lo"][i]))
            e = [Fraction(0)] * d
            e[i] = Fraction(1)
            rows.append(e + [Fraction(1)])
            rhs.append(_q_to_fraction(q["hi"][i]))
        if q["clipA"] is not None:
            for a, c in zip(q["clipA"], q["clipb"]):
                rows.append([_q_to_fraction(v) for v in a] + [Fraction(1)])
                rhs.append(_q_to_fraction(c))
        lo, hi = [None] * (d + 1), [None] * d + [Fraction(1)]
        if self.l1 is not None:
            c0, r0 = [Fraction(float(v)) for v in self.l1[0]], Fraction(float(self.l1[1]))
            rows, rhs, lo, hi = _lift_ball(rows, rhs, lo, hi, c0, r0)
        obj = [Fraction(0)] * d + [Fraction(-1)] + [Fraction(0)] * (len(lo) - d - 1)
        status, _, value = solve_exact_lp(obj, rows, rhs, lo, hi)
        if status != "optimal":
            return None
        return 1 if -value > 0 else 0


