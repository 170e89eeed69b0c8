"""Stable units: the units that keep one sign on a bounded domain, and the program without them.

On a small neighbourhood of a point most units keep one sign.  :func:`stable_units` bounds
every pre-activation on the domain by symbolic interval propagation (the first affine stage
exactly: the domain's support function; deeper stages keep the affine part of stable units and
replace an unstable unit's output by its interval), with every float rounding bounded
(``gamma(n)`` of :mod:`tropnet.kernels.certify`), so a unit called stable is stable on the
whole closed domain.  :func:`prune_stages` takes them out of the program (an always-inactive
ReLU unit becomes the constant it outputs, an always-active one is passed through), so an
engine only enumerates the units that cut the domain.  Activation counts on a bounded domain
(:meth:`tropnet.regions.plan.Plan.run`) and :func:`tropnet.local_complexity` prune first.

>>> from tropnet import Box, random_mlp
>>> from tropnet.regions.program import stages_from_network
>>> s = stable_units(stages_from_network(random_mlp([2, 16, 16, 1], seed=0)), Box(-0.5, 0.5), 2)
>>> s.num_units, s.num_stable
(32, 18)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from ..geometry.domains import Box, CrossPolytope, Polyhedron, cross_polytope_of
from ..kernels.certify import gamma
from .cells import RegionLimitError
from .domains import enclosing_box
from .program import Stage
from .refine import refine

__all__ = ["StableUnits", "stable_units", "zero_units", "prune_stages", "expand_patterns", "expand_codes",
           "count_pruned"]


@dataclass
class StableUnits:
    """Per activation stage (in program order), boolean masks over its units:
    ``on`` (always active on the domain) and ``off`` (always inactive); ``None`` for a group
    stage (never pruned)."""

    on: list
    off: list

    @property
    def num_stable(self) -> int:
        return int(sum(int(a.sum() + b.sum()) for a, b in zip(self.on, self.off) if a is not None))

    @property
    def num_units(self) -> int:
        return int(sum(len(a) for a in self.on if a is not None))


def _domain_shape(domain: Any, k: int) -> tuple[np.ndarray, np.ndarray, float | None]:
    """``(centre, half-widths, cross_radius)`` of a box, of a cross-polytope ``|y - c|_1 <= r``
    (``cross_radius = r``; also a polyhedron of its ``2^k`` rows,
    :func:`~tropnet.geometry.domains.cross_polytope_of`), or of a polyhedron's bounding box."""
    if isinstance(domain, Box):
        lo, hi = domain.bounds(k)
        return (lo + hi) / 2, (hi - lo) / 2, None
    if isinstance(domain, CrossPolytope):
        c = domain.exact_center(k)
        cf = c.astype(np.float64)
        # the float centre and radius widened by their rounding (an exact centre rounds by at
        # most half an ulp per coordinate: the 1-norm of that is covered by the radius)
        r = float(domain.radius) * (1 + 2.0**-50) + float(np.abs(cf).sum()) * 2.0**-52
        return cf, np.full(k, r), r
    A = np.asarray(domain.A, dtype=np.float64)
    b = np.asarray(domain.b, dtype=np.float64)
    cross = cross_polytope_of(A, b)  # a cross-polytope's 2^k rows (AffineSlice.around)
    if cross is not None:
        c, r, slack = cross
        r += slack  # the rows lie inside the cross-polytope of radius r + slack
        return c, np.full(k, r), r
    from ..kernels.lp import bounding_box

    bb = bounding_box(A, b)
    if bb is None:
        raise ValueError("stable units need a bounded domain")
    return (bb[0] + bb[1]) / 2, (bb[1] - bb[0]) / 2, None


def stable_units(stages: list[Stage], domain: Any, d: int) -> StableUnits:
    """The units of an internal program (on ``d`` inputs) that keep one sign on ``domain``
    (a :class:`~tropnet.Box` or a bounded :class:`~tropnet.Polyhedron`), decided by interval
    bounds with every rounding error bounded.

    >>> from tropnet import Box, random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(random_mlp([2, 32, 1], seed=0))
    >>> s = stable_units(st, Box([0.5, 0.5], [0.51, 0.51]), 2)
    >>> s.num_units, s.num_stable
    (32, 32)
    """
    mid, rad, cross = _domain_shape(domain, d)
    try:
        on, off = _propagate(stages, mid[None, :], rad[None, :], cross)
    except OverflowError:  # exact weights beyond float range: no interval bound, no unit is stable
        on = [None if st.kind not in ("threshold", "leaky") else np.zeros((1, len(st.idx)), dtype=bool)
              for st in stages if st.kind != "affine"]
        off = on
    first = [x[0] if x is not None else None for x in on]
    return StableUnits(first, [x[0] if x is not None else None for x in off])


def _propagate(stages: list[Stage], mid: np.ndarray, rad: np.ndarray, cross: float | None):
    """Symbolic interval propagation for a batch of neighbourhoods ``mid + u`` (``mid``,
    ``rad`` of shape (P, d); ``u`` in the box ``|u_i| <= rad_i``, or in the cross-polytope
    ``|u|_1 <= cross``): every value is ``L u + c + [elo, ehi]`` with ``L`` exact through affine
    stages and stable units, and an unstable unit's output replaced by its interval.  Returns per
    activation stage the masks ``on``/``off`` (P, units), ``None`` for group stages.  An affine
    stage may have one map per neighbourhood (``W`` of shape (P, out, in), ``b`` (P, out)):
    the programs of several slices that differ only in their first, composed, stage run at once
    (:func:`tropnet.local_complexity`)."""
    P, d = mid.shape

    def supp(L):  # max of |L u| over the neighbourhood, per row: (P, w)
        if cross is not None:
            return cross * np.abs(L).max(axis=2)
        return np.einsum("pwk,pk->pw", np.abs(L), rad)

    L = np.broadcast_to(np.eye(d), (P, d, d)).copy()
    c = mid.copy()
    elo = np.zeros((P, d))
    ehi = np.zeros((P, d))
    # the values exactly 0 on the whole neighbourhood, by exact logic (no float): a unit that
    # reads only such values, with bias 0 (zero weights, or inputs pruned as inactive), is 0
    # everywhere -- inactive and no boundary, as the engines count it -- and is pruned as off
    zero = np.zeros((P, d), dtype=bool)
    on_list, off_list = [], []
    for st in stages:
        if st.kind == "affine":
            W = np.asarray(st.W, dtype=np.float64)
            b = np.asarray(st.b, dtype=np.float64)
            aW = np.abs(W)
            Wp, Wn = np.maximum(W, 0), np.minimum(W, 0)
            per = W.ndim == 3  # one map per neighbourhood

            def mv(X, M, per=per):  # X (P, w) through M: (P, o)
                return np.einsum("pw,pow->po", X, M) if per else X.dot(M.T)

            mag = mv(np.abs(c) + np.maximum(np.abs(elo), np.abs(ehi)) + supp(L), aW)
            L = np.einsum("pow,pwk->pok" if per else "ow,pwk->pok", W, L)
            c_new = mv(c, W) + b
            elo, ehi = mv(elo, Wp) + mv(ehi, Wn), mv(ehi, Wp) + mv(elo, Wn)
            # every rounding of the float computation, bounded (exact weights rounded too)
            margin = gamma(W.shape[-1] + d + 6) * 2 * (mag + np.abs(b) + np.abs(c_new)) + 1e-300
            c = c_new
            elo, ehi = elo - margin, ehi + margin
            zero = _zero_affine(st, zero, mv)
            continue
        if st.kind in ("threshold", "leaky"):
            level = float(st.param) if st.kind == "threshold" else 0.0
            ix = st.idx
            sp = supp(L[:, ix, :])
            lo = c[:, ix] + elo[:, ix] - sp
            hi = c[:, ix] + ehi[:, ix] + sp
            on, off = lo > level, hi < level
            zero, off = _zero_units_of(st, zero, off)
            on_list.append(on)
            off_list.append(off)
            un = ~(on | off)
            L, c, elo, ehi = L.copy(), c.copy(), elo.copy(), ehi.copy()
            Ls, cs, es_lo, es_hi = L[:, ix, :], c[:, ix], elo[:, ix], ehi[:, ix]
            if st.kind == "threshold":
                Ls[off] = 0.0
                cs[off] = level
                es_lo[off] = 0.0
                es_hi[off] = 0.0
                Ls[un] = 0.0
                cs[un] = 0.0
                es_lo[un] = level
                es_hi[un] = np.maximum(hi[un], level)
            else:
                a = float(st.param)
                Ls[off] *= a
                cs[off] *= a
                es_lo[off], es_hi[off] = np.minimum(a * es_lo[off], a * es_hi[off]), np.maximum(
                    a * es_lo[off], a * es_hi[off]
                )
                Ls[un] = 0.0
                cs[un] = 0.0
                es_lo[un] = np.minimum(lo[un], a * lo[un])
                es_hi[un] = np.maximum(hi[un], a * hi[un])
            L[:, ix, :], c[:, ix], elo[:, ix], ehi[:, ix] = Ls, cs, es_lo, es_hi
            continue
        on_list.append(None)
        off_list.append(None)
        sp = supp(L)
        lo_all, hi_all = c + elo - sp, c + ehi + sp
        gl = lo_all[:, st.groups].max(axis=2)
        gh = hi_all[:, st.groups].max(axis=2)
        lo_new = np.concatenate([gl, lo_all[:, st.idx]], axis=1) if len(st.idx) else gl
        hi_new = np.concatenate([gh, hi_all[:, st.idx]], axis=1) if len(st.idx) else gh
        w = lo_new.shape[1]
        L = np.zeros((P, w, d))
        c = np.zeros((P, w))
        elo, ehi = lo_new, hi_new
        zero = np.zeros((P, w), dtype=bool)
    return on_list, off_list


def _zero_affine(st: Stage, zero: np.ndarray, mv: Any) -> np.ndarray:
    """After an affine stage: which values are exactly 0 everywhere (``zero``: those before it,
    a batch ``(P, w)``; ``mv(X, M)`` applies the stage's matrix ``M`` to the rows of ``X``): a
    row whose weights read only such values, with bias exactly 0 (exact logic, no float)."""
    nz = (np.asarray(st.W) != 0).astype(np.float64)  # (exact weights: tiny ones still read)
    return (mv((~zero).astype(np.float64), nz) == 0) & (np.asarray(st.b) == 0)


def _zero_units_of(st: Stage, zero: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An activation stage on inputs of which ``zero`` are exactly 0 everywhere, ``off`` its
    units known inactive: the values exactly 0 after it, and ``off`` with the units at exactly
    0 = their level added (inactive, no boundary, as the engines count them)."""
    ix = st.idx
    if st.param == 0:  # exactly 0 = the level: inactive
        off = off | zero[:, ix]
    zero = zero.copy()
    if st.kind == "threshold":  # output 0: the input 0 above a level <= 0, or off at level 0
        zero[:, ix] = (zero[:, ix] & (st.param <= 0)) | (off & (st.param == 0))
    else:  # leaky: 0 at 0, and off with slope 0
        zero[:, ix] |= off & (st.param == 0)
    return zero, off


def zero_units(stages: list[Stage], d: int) -> StableUnits:
    """The units of an internal program (on ``d`` inputs) that are 0 everywhere, whatever the
    domain, by exact logic on the weights (no float, no bound): a unit whose weights read only
    such values and whose bias is exactly 0, at a level 0 -- inactive (``off``) on all of R^d,
    with no boundary.  Runs that do not look for stable units on their domain (all of R^n,
    exact region sets) prune these (:meth:`tropnet.regions.plan.Plan._prune_stable`): the
    cells and counts are unchanged.

    >>> from tropnet import Network
    >>> from tropnet.regions.program import stages_from_network
    >>> net = Network.from_arrays([[[1.0, 2.0], [0.0, 0.0]], [[1.0, 1.0]]], [[0.5, 0.0], [0.0]])
    >>> z = zero_units(stages_from_network(net), 2)
    >>> [m.tolist() for m in z.off], z.num_stable
    ([[False, True]], 1)
    """
    zero = np.zeros((1, d), dtype=bool)
    on_list, off_list = [], []
    for st in stages:
        if st.kind == "affine":
            zero = _zero_affine(st, zero, lambda X, M: X.dot(M.T))
        elif st.kind in ("threshold", "leaky"):
            zero, off = _zero_units_of(st, zero, np.zeros((1, len(st.idx)), dtype=bool))
            on_list.append(np.zeros(len(st.idx), dtype=bool))
            off_list.append(off[0])
        else:  # a group stage (never pruned): its outputs are maxima, not known 0
            on_list.append(None)
            off_list.append(None)
            zero = np.zeros((1, st.groups.shape[0] + len(st.idx)), dtype=bool)
    return StableUnits(on_list, off_list)


def prune_stages(stages: list[Stage], on: list, off: list) -> list[Stage]:
    """The program with the stable units taken out of their activation stages (``on``/``off``
    masks per activation stage, as from :func:`stable_units`): an always-inactive threshold unit
    is replaced by its constant level (its row of the preceding affine stage zeroed, its bias
    the level), an always-inactive leaky unit by its affine piece (its row times the slope), and
    an always-active unit is passed through.  The function on the domain is unchanged; the
    patterns lose the stable units' columns.

    >>> from tropnet import Box, random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(random_mlp([2, 32, 1], seed=0))
    >>> s = stable_units(st, Box([0.5, 0.5], [0.51, 0.51]), 2)
    >>> [len(x.idx) for x in prune_stages(st, s.on, s.off) if x.kind == "threshold"]
    [0]
    """
    out: list[Stage] = []
    a = 0
    for st in stages:
        if st.kind not in ("threshold", "leaky"):
            if st.kind == "group":
                a += 1
            out.append(st)
            continue
        on_m, off_m = on[a], off[a]
        a += 1
        prev = out[-1] if out else None
        idx = np.asarray(st.idx)
        if prev is None or prev.kind != "affine" or len(idx) != prev.W.shape[0] or not np.array_equal(
            idx, np.arange(len(idx))
        ):
            off_m = np.zeros_like(off_m)  # no affine row to fold the constant into
        if off_m.any():
            W = np.array(prev.W, copy=True)
            b = np.array(prev.b, copy=True)
            rows = np.flatnonzero(off_m)
            if st.kind == "threshold":
                W[rows, :] = 0 * W[rows, :]
                b[rows] = st.param + 0 * b[rows]
            else:
                W[rows, :] = W[rows, :] * st.param
                b[rows] = b[rows] * st.param
            out[-1] = replace(prev, W=W, b=b)
        keep = ~(on_m | off_m)
        out.append(replace(st, idx=idx[keep]))
    return out


def _activation_pairs(stages: list[Stage], pruned: list[Stage]) -> list[tuple[Stage, Stage]]:
    """The activation stages of a program and of its pruned form, paired in order (the program
    of a piece of R^n starts with one more affine stage than the network's own)."""
    acts = [st for st in stages if st.kind != "affine"]
    return list(zip(acts, [st for st in pruned if st.kind != "affine"]))


def expand_patterns(P: np.ndarray, stages: list[Stage], pruned: list[Stage], on: list) -> np.ndarray:
    """Patterns of the pruned program (``pruned``, from :func:`prune_stages` of ``stages``)
    with the stable units' columns put back: ``1`` for an always-active unit, ``0`` for an
    always-inactive one; the patterns of the full program on the same cells.

    >>> from tropnet import Box, random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(random_mlp([2, 4, 1], seed=0))
    >>> s = stable_units(st, Box([0.5, 0.5], [0.51, 0.51]), 2)
    >>> expand_patterns(np.zeros((1, 0), dtype=np.int32), st, prune_stages(st, s.on, s.off), s.on).shape
    (1, 4)
    """
    P = np.asarray(P, dtype=np.int32)
    cols, c, a = [], 0, 0
    for st, pst in _activation_pairs(stages, pruned):
        if st.kind in ("threshold", "leaky"):
            full = np.zeros((len(P), len(st.idx)), dtype=np.int32)
            full[:, np.asarray(on[a], dtype=bool)] = 1
            pos = np.flatnonzero(np.isin(st.idx, pst.idx))  # prune_stages keeps idx[keep], in order
            full[:, pos] = P[:, c : c + len(pst.idx)]
            c += len(pst.idx)
            cols.append(full)
            a += 1
        elif st.kind == "group":
            g = st.groups.shape[0]
            cols.append(P[:, c : c + g])
            c += g
            a += 1
    return np.concatenate(cols, axis=1) if cols else P


def expand_codes(codes: np.ndarray, stages: list[Stage], pruned: list[Stage]) -> np.ndarray:
    """Tight codes (:mod:`tropnet.regions.codes`) of a run of the pruned program with their unit
    columns renumbered as columns of the full program (domain codes, below 0, unchanged).

    >>> from tropnet import Box, random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(random_mlp([2, 4, 1], seed=0))
    >>> pr = prune_stages(st, [np.array([True, False, False, True])], [np.zeros(4, dtype=bool)])
    >>> expand_codes(np.array([[-2, 1 << 20], [(1 << 20) + 1, -3]]), st, pr).tolist()
    [[-2, 2097152], [2097153, -3]]
    """
    full, c, f = [], 0, 0
    for st, pst in _activation_pairs(stages, pruned):
        if st.kind in ("threshold", "leaky"):
            full.append(f + np.flatnonzero(np.isin(st.idx, pst.idx)))
            c += len(pst.idx)
            f += len(st.idx)
        elif st.kind == "group":
            g = st.groups.shape[0]
            full.append(f + np.arange(g))
            c += g
            f += g
    colmap = np.concatenate(full).astype(np.int64) if full else np.zeros(0, dtype=np.int64)
    codes = np.array(codes, dtype=np.int64, copy=True)
    unit = codes >= 0
    codes[unit] = (colmap[codes[unit] >> 20] << 20) | (codes[unit] & ((1 << 20) - 1))
    return codes


def count_pruned(
    stages: list[Stage], domain: Any, d: int, *, exact: bool = False, max_regions: int | None = None,
    stable: StableUnits | None = None,
) -> tuple[int, int]:
    """``(activation cells, stable units)`` of an internal program on a bounded ``domain``:
    the stable units pruned (:func:`prune_stages`), the engine run on the rest (exact: on
    exact stages, every decision certified or rational), the engine a count's plan takes in
    ``d`` dimensions (the H-representation engine above ``hrep.HREP_COUNT_DIMS["box"]`` inputs, exact
    above ``hrep.EXACT_COUNT_DIM``; a cross-polytope kept whole above ``CROSS_*_COUNT_DIM``).
    ``stable``: the program's stable units when already known (:func:`stable_units`).

    >>> from tropnet import Box, random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> st = stages_from_network(random_mlp([2, 16, 16, 1], seed=0))
    >>> count_pruned(st, Box(-0.5, 0.5), 2)
    (35, 18)
    """
    s = stable_units(stages, domain, d) if stable is None else stable
    pr = prune_stages(stages, s.on, s.off)
    if not any(len(x.idx) for x in pr if x.kind in ("threshold", "leaky")) and not any(
        x.kind == "group" for x in pr
    ):
        return 1, s.num_stable
    if isinstance(domain, CrossPolytope):
        from .hrep import refine_hrep, uses_hrep_cross

        if uses_hrep_cross(d, exact, count=True):  # its 1-norm constraint kept whole in the LPs
            c, r = domain.exact_center(d).astype(np.float64), float(domain.radius)
            if exact:
                c = np.array([Fraction(v) for v in domain.exact_center(d).tolist()], dtype=object)
                r = Fraction(domain.radius)
            try:
                cells = refine_hrep(pr, d, c - r, c + r, l1=(c, r), max_cells=max_regions, exact=exact)
            except RegionLimitError as err:
                raise RegionLimitError(f"more than max_regions={max_regions} regions ({err})", err.limit,
                                       err.reached) from None
            return len(cells), s.num_stable
        domain = Polyhedron(*domain.halfspaces(d))
    if isinstance(domain, Box):
        lo, hi = domain.exact_bounds(d) if exact else domain.bounds(d)
        if exact:
            lo = np.array([Fraction(v) for v in lo], dtype=object)
            hi = np.array([Fraction(v) for v in hi], dtype=object)
        hs = None
    else:
        A, b = domain.halfspaces(d)
        if exact:
            from .._numbers import as_exact_array

            A, b = as_exact_array(A), as_exact_array(b)
        else:
            A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
        mid, rad, cross = _domain_shape(domain, d)
        if cross is not None:  # the cross-polytope |y - c|_1 <= r sits in the box c +- 2r
            lo, hi = mid - 2 * rad, mid + 2 * rad
            if exact:
                lo, hi = (np.array([Fraction(v) for v in x], dtype=object) for x in (lo, hi))
        else:
            lo, hi = enclosing_box(("poly", A, b), exact)
        hs = (A, b)
    try:
        # (the engine a count's plan takes in this dimension: hrep.uses_hrep(d, exact, count=True))
        cells = refine(pr, d, lo, hi, halfspaces=hs, max_cells=max_regions, exact=exact, certify=exact,
                       count=True)
    except RegionLimitError as err:
        raise RegionLimitError(f"more than max_regions={max_regions} regions ({err})", err.limit,
                               err.reached) from None
    return len(cells), s.num_stable
