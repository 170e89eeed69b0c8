"""The vertex-representation engine core: cells as lists of ids into one shared, append-only
vertex pool, cut by one unit at a time for all cells at once (see :mod:`tropnet.regions.refine`
for the algorithm and the resumable runs built on it).

This module holds the cutting step (:class:`_Engine`: signs, crossing edges, splits, GroupMax
copies, tight codes; the constraint ids are :class:`tropnet.regions.program._Program`'s, the
vertex pool is :mod:`tropnet.regions.pool`); it knows of no domain, no public option, no fallback.
The number type is the caller's: float64, ``longdouble`` with error bounds (certified) or
python-flint rationals (:mod:`tropnet.regions.exactness`).
"""

from __future__ import annotations

import numpy as np

from .._limits import progress_bar
from ..kernels.certify import CERT_DTYPE, SAFETY, UNIT_ROUNDOFF
from .cells import Cells, RegionLimitError
from .exactness import _from_q, _interpolation_error, _Uncertain
from .pool import _MIX, _PAD, _by_first, _drop_column, _hash_join, _Pool, _rows, _small, jit_kernels
from .program import _Program
from .ties import UNDETERMINED

_CERT = CERT_DTYPE
_U = UNIT_ROUNDOFF
_SAFE = SAFETY

#: float mode: a sign decision inside its tolerance band whose value is still above this many
#: times the magnitude of its terms (far above rounding noise) is *ambiguous*: it may merge a
#: real sliver; the plan warns (:class:`~tropnet.regions.exactness.AmbiguousGeometryWarning`)
AMBIGUITY_RTOL = 1e-12
#: float mode: the local scale of a vertex is at least this fraction of its cell's largest
#: coordinate (see ``_Engine.entry_norms``)
CELL_FLOOR = 1e-4
#: float mode: rounding noise of a value is taken as up to this many float64 units of roundoff of the
#: magnitude of its terms over its cell (decisions below it are ties, not ambiguous)
NOISE_ULPS = 64


def undecided(v: np.ndarray, mag: np.ndarray, cell_mag: np.ndarray) -> np.ndarray:
    """Float mode's rule for a decision taken as a tie (``|v|`` inside its tolerance band):
    it is *undecided* (ambiguous) when ``|v|`` is above rounding noise, ``AMBIGUITY_RTOL`` times
    the magnitude ``mag`` of the terms of ``v`` and ``NOISE_ULPS`` units of roundoff of
    ``cell_mag`` (the magnitude over its cell: a vertex carries the rounding error of the edges
    it was cut from).  The vertex and H-representation engines both count these.

    >>> undecided(np.array([1e-20, 1e-10]), np.ones(2), np.ones(2)).tolist()
    [False, True]
    """
    noise = np.maximum(AMBIGUITY_RTOL * mag, NOISE_ULPS * 2.0**-53 * cell_mag)
    return np.abs(v) > noise


#: certified pass: at most this many vertices of one step have their signs within the bound
#: decided at the exact vertex (:meth:`_Engine._exact_values`); beyond, their cells are set aside
CERT_EXACT_VERTICES = 256

#: entries (pairs x vertices) of one block of the combinatorial adjacency test in degenerate
#: cells (``_edges_degenerate``): 32 MB of float32 products at a time
DEGENERATE_BLOCK = 1 << 23

def _box_vertices(lo, hi, d, exact):
    bits = ((np.arange(1 << d)[:, None] >> np.arange(d)[None, :]) & 1).astype(bool)
    dtype = object if exact else np.asarray(lo).dtype
    X = np.where(bits, np.asarray(hi, dtype=dtype)[None, :], np.asarray(lo, dtype=dtype)[None, :])
    X = X.astype(dtype)
    T = np.where(bits, np.arange(d)[None, :], d + np.arange(d)[None, :]).astype(np.int32)
    T.sort(axis=1)
    return X, T


def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar over the units (see :func:`tropnet._limits.progress_bar`)."""
    return progress_bar(total, progress, "regions", "unit")


def _tick(bar, n: int = 1) -> None:
    if bar is not None:
        bar.update(n)


class _Engine:
    def __init__(
        self,
        pool: _Pool,
        prog: _Program,
        exact: bool,
        rtol: float,
        max_cells: int | None,
        certify: bool = False,
    ):
        self.certify = certify
        self.deferred: list = []  # (patterns, column) of cells set aside by the certified pass
        self.zcols: np.ndarray | None = None  # pre-activation columns still needed (None: all)
        self.group_step: tuple[int, int] | None = None  # (column, member) of the group step running
        self.scale_floor = 0.0  # float mode: least scale of the tolerance (split runs, see RefineState)
        # float mode: per-unit bounds ``A ||x||_inf + B`` on the magnitude of the terms of each entry
        # of the current layer's vector (see program._magnitude_bounds), ``(A, B, level)`` of the
        # unit or ``(a, b)`` of the clipping row being cut, and the tally of undecided decisions
        self.coef: tuple | None = None
        self.mag_of = None
        # float mode: ties below rounding noise are certified exact (regions.ties) against
        # ``tie_target``, the function being cut (see ``_local_signs``); ``ties``: the certificate
        self.ties = None
        self.tie_target: tuple | None = None
        self.cert_ties = None  # the certified pass's exact vertices (regions.ties)
        # a certified pass for tight codes: a unit tight at a vertex it does not define (an exact
        # tie) leaves a non-simple vertex, which no code describes -- hand over at once
        self.simple_only = False
        # exact incidences of any width (a linear count's tight codes): a unit zero on every cell
        # is tight at every vertex too (a run's cells may be part of the domain only -- a facet of
        # the homogenised cube, a polytope set aside -- and the unit nonzero elsewhere)
        self.zero_tight = False
        self.box_noise = 0.0  # rounding noise of the values at the box's scale (per step)
        self.box_scale = 0.0  # the box's largest coordinate
        self.counts: dict = {"ambiguous": 0}
        self.p = pool
        self.prog = prog
        self.exact = exact
        self.rtol = rtol
        self.max_cells = max_cells

    # ------------------------------------------------------------------ helpers
    def _signs(self, s: np.ndarray) -> np.ndarray:
        if self.exact:
            eps = 0
        else:
            scale = float(np.abs(s).max()) if len(s) else 0.0
            eps = self.rtol * max(scale, self.scale_floor)
        sg = (s > eps).astype(np.int8) - (s < -eps).astype(np.int8)
        if self.mag_of is not None and (eps or self.ties is not None):
            self._local_signs(s, sg, eps)
        return sg

    def _local_signs(self, s: np.ndarray, sg: np.ndarray, eps: float) -> None:
        """Float mode: re-decide the entries inside the tolerance band with a local tolerance
        (``rtol`` times the magnitude of the terms of the value over the entry's cell, never
        more than the band).  Then the decisions float64 cannot make are decided by the exact
        certificate (:mod:`tropnet.regions.ties`): the ties left (float zeros included), and
        the nonzero signs below ``box_noise`` (rounding noise at the box's scale: a vertex
        carries the rounding error of the long edges it was cut from, which its cell's scale
        no longer shows).  Each takes the exact sign of the unit at its exact vertex (a tie
        where it is zero, a cut however thin the sliver); a vertex its tight ids do not
        determine keeps the float decision and is counted undecided.  Without a certificate
        (a program that only rounds its network), the ties above rounding noise
        (:func:`undecided`) are counted."""
        band = np.flatnonzero((sg == 0) & (s != 0))
        if len(band):
            mag, cell_mag = self.mag_of(band)
            loc = np.minimum(eps, self.rtol * mag)
            sb = s[band]
            sg[band] = (sb > loc).astype(np.int8) - (sb < -loc).astype(np.int8)
            if self.ties is None:
                und = undecided(sb, mag, cell_mag)
                self.counts["ambiguous"] += int(np.count_nonzero((sg[band] == 0) & und))
        if self.ties is None:
            return
        ask = np.flatnonzero((sg == 0) | (np.abs(s) <= self.box_noise))
        if len(ask):
            ex = self._exact_signs(ask)
            known = ex != UNDETERMINED
            k = ask[known]
            sg[k] = ex[known]
            # the values the cut interpolates take the exact sign (a float zero or a value of the
            # wrong sign would put the new vertex off its edge)
            s[k] = ex[known] * np.maximum(np.abs(s[k]), np.finfo(np.float64).tiny)
            self.counts["ambiguous"] += int(np.count_nonzero(~known))
            thin = k[ex[known] != 0]
            if len(thin):
                self._count_thin(thin, sg)

    def _count_thin(self, e: np.ndarray, sg: np.ndarray) -> None:
        """Float mode: count (``counts["thin"]``) the cells that a sign decided nonzero below
        float64 resolution (entries ``e``) cuts: one side of such a cut may be a sliver with no
        float facets, across which a linear merge cannot see (:func:`~tropnet.regions.geometry.
        linear_labels` warns)."""
        ce = self.p.entry_cell()
        cand = np.unique(ce[e])
        cut = np.isin(cand, ce[sg > 0]) & np.isin(cand, ce[sg < 0])
        self.counts["thin"] = self.counts.get("thin", 0) + int(np.count_nonzero(cut))

    def _exact_values(self, s: np.ndarray, err: np.ndarray, unc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Certified pass: the values within their bound (``unc``, cleared in place where
        decided) taken at the exact vertex (``cert_ties``: the vertex solved from its tight ids
        on its cell in rationals), rounded, their bound that rounding -- an exact zero is a tie,
        as in the rational pass.  Not for more than :data:`CERT_EXACT_VERTICES` vertices (the
        cells are set aside, or the run handed over, as before), nor for group steps."""
        p = self.p
        ask = np.flatnonzero(unc)
        v = p.ids[ask]
        if self.tie_target[0] == "pair" or len(np.unique(v)) > CERT_EXACT_VERTICES:
            return s, err
        vals = self.cert_ties.values(p.T[v], p.pat[p.entry_cell()[ask]], self.tie_target, X=p.X[v])
        s, err = s.copy(), err.copy()
        for e, val in zip(ask, vals):
            if val is None:
                continue
            f = float(val)  # to nearest: within 2^-53 |f| of val
            s[e] = f
            err[e] = _SAFE * 2.0**-52 * abs(f)
            unc[e] = False
        return s, err

    def _exact_signs(self, e: np.ndarray) -> np.ndarray:
        """The exact signs of ``tie_target`` at the exact vertices of entries ``e``
        (:meth:`~tropnet.regions.ties.TieCertificate.signs`)."""
        p = self.p
        cells = p.entry_cell()[e]
        if self.tie_target[0] != "pair":
            v = p.ids[e]
            return self.ties.signs(p.T[v], p.pat[cells], self.tie_target, X=p.X[v])
        _, si, members, i = self.tie_target  # a group step: member i against the cell's winner
        win = p.pat[cells, self.group_step[0]].astype(np.int64)
        out = np.zeros(len(e), dtype=np.int8)  # the winner against itself: zero
        r = np.flatnonzero(win != i)
        if len(r):
            v = p.ids[e[r]]
            pairs = np.stack([np.full(len(r), members[i]), members[win[r]]], axis=1)
            out[r] = self.ties.signs(p.T[v], p.pat[cells[r]], ("pair", si), pairs, p.X[v])
        return out

    def entry_norms(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the given (cell, vertex) entries, the vertex's ``||x||_inf`` floored by
        ``CELL_FLOOR`` times the largest one over the entry's cell (a vertex near the origin
        carries the rounding error of the longer edges it was cut from: a zero there must
        stay a zero), and that largest one."""
        p = self.p
        xn = np.abs(p.X).max(axis=1).astype(np.float64)
        cell = np.maximum.reduceat(xn[p.ids], p.off[:-1]) if len(p.ids) else np.zeros(0)
        c = cell[p.entry_cell()[entries]]
        return np.maximum(xn[p.ids[entries]], CELL_FLOOR * c), c

    def _valid(self, Tg: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Which recorded tight ids are constraints of the entry's cell."""
        valid = Tg != _PAD
        if self.prog.has_pairs:
            safe = np.where(valid, Tg, 0)
            col = self.prog.id_col[safe]
            pair = valid & (col >= 0)
            if pair.any():
                win = self.p.pat[np.broadcast_to(cells[:, None], Tg.shape)[pair], col[pair]]
                ida, idb = self.prog.id_a[safe[pair]], self.prog.id_b[safe[pair]]
                ok = (ida == win) | (idb == win)
                if self.group_step is not None:
                    # Inside the group being cut, the copy with winner w has so far been clipped
                    # only by z_o - z_w <= 0 for the members o <= i of the current step i.  The
                    # copies share vertex ids, so a tie z_o = z_w recorded while cutting copy o
                    # is seen in copy w before that constraint is one of its facets; counting it
                    # there made the adjacency tests pair non-adjacent vertices (e.g. two
                    # opposite box corners on z_0 = z_2) and lose or duplicate vertices.
                    gcol, gi = self.group_step
                    ok &= (col[pair] != gcol) | (ida + idb - win <= gi)
                valid[pair] = ok
        return valid

    # ------------------------------------------------------------------ groups
    def group(self, members: np.ndarray, col: int, base: int, k: int) -> None:
        p = self.p
        firsts = [j for j in range(k) if members[j] not in members[:j]]
        C = p.ncells
        counts = np.diff(p.off)
        reps = len(firsts)
        # replicate every cell once per distinct member (candidate winner)
        starts = p.off[:-1]
        new_counts = np.tile(counts, reps)
        off = np.concatenate([[0], np.cumsum(new_counts)])
        ids = np.tile(p.ids, reps)
        pat = np.tile(p.pat, (reps, 1))
        pat[:, col] = np.repeat(np.array(firsts, dtype=np.int32), C)
        del starts
        p.off, p.ids, p.pat = off, ids.astype(np.int64), pat
        self._check_limit()
        for i in firsts:
            if p.ncells == 0:
                break
            self.group_step = (col, i)  # see _valid
            ecell = p.entry_cell()
            win = p.pat[ecell, col]
            s = p.Z[members[i]][p.ids] - p.Z[members[win], p.ids]
            w_cell = p.pat[:, col].astype(np.int64)
            a = np.minimum(w_cell, i)
            b = np.maximum(w_cell, i)
            cid = base + a * k + b
            skip = w_cell == i
            err = None
            if self.certify:
                err = _SAFE * (2 * p.E[p.ids, 1] + _U * np.abs(s))
            if self.coef is not None:
                A, B = self.coef
                mi = members[i]

                def mag_of(e, mi=mi, win=win, A=A, B=B):
                    mw = members[win[e]]
                    v, c = self.entry_norms(e)
                    return (A[mi] + A[mw]) * v + B[mi] + B[mw], (A[mi] + A[mw]) * c + B[mi] + B[mw]

                self.mag_of = mag_of
                mw = members[win]
                self.box_noise = NOISE_ULPS * 2.0**-53 * ((A[mi] + A[mw]) * self.box_scale + B[mi] + B[mw])
            if self.tie_target is not None:
                self.tie_target = ("pair", self.tie_target[1], members, i)
            self.step(s, cid, clip=True, on_tie_keep=w_cell < i, skip=skip, err=err)
        self.group_step = None
        self.mag_of = None

    # ------------------------------------------------------------------ one unit
    def step(
        self, s, cid, *, clip: bool, col: int | None = None, on_tie_keep=None, skip=None, err=None
    ) -> None:
        """Cut every cell by the sign of ``s`` (one value per entry).  ``cid[c]`` is the
        constraint id used in cell ``c``.  ``clip`` keeps only the side ``s <= 0`` (cells
        entirely on ``s > 0`` vanish; cells with ``s == 0`` throughout are kept where
        ``on_tie_keep`` says so); otherwise both sides are kept and pattern column ``col``
        becomes 1 on the side ``s > 0``."""
        p = self.p
        ecell = p.entry_cell()
        if self.certify:
            unc = np.abs(s) <= err
            if skip is not None:
                unc &= ~skip[ecell]
            if unc.any() and self.cert_ties is not None and self.tie_target is not None:
                s, err = self._exact_values(s, err, unc)
            if unc.any():
                if clip or col is None:
                    raise _Uncertain
                # cells with a sign too close to call are set aside for the rational pass
                bad = np.zeros(p.ncells, dtype=bool)
                bad[ecell[unc]] = True
                self.deferred.append((p.pat[bad].astype(np.int32), col))
                if len(self.deferred) > 64 or sum(len(a) for a, _ in self.deferred) > 256:
                    raise _Uncertain
                keep_e = ~bad[ecell]
                self._select(~bad)
                if p.ncells == 0:
                    return
                s, err = s[keep_e], err[keep_e]
                ecell = p.entry_cell()
            self.err = err
            sg = (s > 0).astype(np.int8) - (s < 0).astype(np.int8)
        else:
            sg = self._signs(s)
        if skip is not None:
            sk = skip[ecell]
            sg = np.where(sk, np.int8(0), sg)
        starts = p.off[:-1]
        smax = np.maximum.reduceat(sg, starts)
        smin = np.minimum.reduceat(sg, starts)
        # tight marks (all cells where the constraint applies)
        on = sg == 0
        if skip is not None:
            on &= ~sk
        if on.any():
            # a constraint identically zero in every cell is no constraint at all
            allzero = (smax == 0) & (smin == 0)
            if skip is not None:
                allzero |= skip
            if not allzero.all() or self.zero_tight:
                if self.simple_only and not clip:
                    raise _Uncertain
                p.add_tight(p.ids[on], cid[ecell[on]].astype(np.int32))
        split = (smax > 0) & (smin < 0)
        if clip:
            zero = (smax == 0) & (smin == 0)
            keep = smin < 0
            if on_tie_keep is not None:
                keep |= zero & on_tie_keep
            else:
                keep |= zero
            if skip is not None:
                keep |= skip
            unchanged = keep & ~split
        else:
            unchanged = ~split
            if col is not None:
                p.pat[:, col] = np.where(smax > 0, 1, 0).astype(np.int32) * (~split) + p.pat[:, col] * split
        if not split.any():
            if clip and not unchanged.all():
                self._select(unchanged)
            return
        self._split(sg, s, split, unchanged, cid, clip, col, ecell)
        self._check_limit()

    def count_step(self, s) -> int:
        """The number of cells :meth:`step` would leave cutting every cell by the sign of ``s``
        with both sides kept (the signs of :meth:`step`; a cell splits where they take both
        values), without cutting (float and rational runs)."""
        p = self.p
        sg = self._signs(s)
        starts = p.off[:-1]
        up = np.maximum.reduceat(sg, starts) > 0
        split = up & (np.minimum.reduceat(sg, starts) < 0)
        # the cells split, those with a vertex on the side s > 0, and the sign at each entry
        self.last_split = (split, up, sg)
        n = p.ncells + int(np.count_nonzero(split))
        self._check_limit(n)
        return n

    def _check_limit(self, n: int | None = None) -> None:
        n = self.p.ncells if n is None else n
        if self.max_cells is not None and n > self.max_cells:
            raise RegionLimitError(
                f"more than max_regions={self.max_cells} cells (the enumeration stopped at {n})",
                "max_regions", {"cells": int(n)},
            )

    def _select(self, keep: np.ndarray) -> None:
        p = self.p
        counts = np.diff(p.off)
        ecell = p.entry_cell()
        p.ids = p.ids[keep[ecell]]
        p.off = np.concatenate([[0], np.cumsum(counts[keep])])
        p.pat = p.pat[keep]

    # ------------------------------------------------------------------ crossing edges
    def _edges(self, sg, split, ecell):
        """Crossing edges of the split cells: arrays (entry_pos, entry_neg, common_T)."""
        p = self.p
        d = self.prog.d
        ent = np.nonzero(split[ecell] & (sg != 0))[0]
        vids = p.ids[ent]
        if not self.prog.has_pairs and p.T.shape[1] == d:
            # every vertex simple (d tight ids, all of them constraints of its cells): no
            # degenerate cell; the compiled join gathers the ids itself
            jit = jit_kernels(len(ent))
            if jit is not None:
                r1, r2, A1 = jit.edges_generic(sg, p.T, ecell, self.prog.R, ent, vids)
                return ent[r1], ent[r2], A1
        cells = ecell[ent]
        Tg = p.T.take(vids, axis=0)  # (take: numpy's row gathers by [] are several times slower)
        valid = self._valid(Tg, cells)
        bad_cell = np.zeros(p.ncells, dtype=bool)
        if Tg.shape[1] != d or not valid.all():
            bad_cell[cells[np.count_nonzero(valid, axis=1) != d]] = True
        gen = ~bad_cell[cells]
        e_pos, e_neg, common = [], [], []
        if gen.any():
            if gen.all():  # the usual case: no copies
                ge, Tgg, vg, cg = ent, Tg, valid, cells
            else:
                ge, Tgg, vg, cg = ent[gen], Tg[gen], valid[gen], cells[gen]
            # every entry here has exactly d valid ids: keep those (rows stay sorted)
            Tv = Tgg if Tgg.shape[1] == d and vg.all() else Tgg[vg].reshape(-1, d)
            # cells are independent: process them in chunks of about 2^20 keys (cache-sized)
            per = max(1, (1 << 20) // max(1, d))
            cuts = np.array([0, len(cg)])
            if len(cg) > per:
                bounds = np.flatnonzero(np.r_[True, cg[1:] != cg[:-1]])
                # chunk starts at cell starts (a target past the last cell's start maps to it)
                at = np.searchsorted(bounds, np.arange(0, len(cg), per))
                cuts = bounds[np.minimum(at, len(bounds) - 1)]
                cuts = np.unique(np.r_[cuts, len(cg)])
            sgg = sg[ge]
            for a, b in zip(cuts[:-1], cuts[1:]):
                ep, en, cm = self._edges_generic(sgg[a:b], ge[a:b], Tv[a:b], cg[a:b])
                e_pos.append(ep)
                e_neg.append(en)
                common.append(cm)
        if bad_cell.any():
            ep, en, cm = self._edges_degenerate(sg, np.nonzero(bad_cell)[0], ent, Tg, valid, cells)
            e_pos.append(ep)
            e_neg.append(en)
            common.append(cm)
        width = max([c.shape[1] for c in common] + [0])
        common = [
            np.hstack([c, np.full((c.shape[0], width - c.shape[1]), _PAD, dtype=np.int32)]) for c in common
        ]
        return (
            np.concatenate(e_pos).astype(np.int64),
            np.concatenate(e_neg).astype(np.int64),
            np.vstack(common).astype(np.int32) if common else np.zeros((0, 0), dtype=np.int32),
        )

    def _edges_generic(self, sgg, ge, Tv, cg):
        """Key matching for cells whose cutting vertices are simple (``Tv``: the ``d`` tight ids
        of each entry, sorted): every vertex emits, for each of its ``d`` tight ids, the hash of
        the other ``d - 1`` mixed with its cell; an edge is a pair of equal keys with one vertex
        on each side.  The keys of the smaller side go into an open-addressing table
        (:func:`_hash_join`, no sort), the other side's are looked up; every match is re-checked
        on the actual id sets.  Where the table cannot stand for the keys (a key repeated on the
        stored side and met on the other, or a hash collision) the chunk is matched by
        :meth:`_edges_sorted` instead, which pairs every run of equal keys."""
        d = self.prog.d
        jit = jit_kernels(len(Tv))
        if jit is not None:  # the same join, compiled (one table per cell; the same pairs, same order)
            ar = np.arange(len(Tv))
            r1, r2, A1 = jit.edges_generic(sgg, Tv, cg, self.prog.R, ar, ar)
            return ge[r1], ge[r2], A1
        K = self.prog.R[Tv]
        hs = K[:, 0].copy()  # the sum of the row, uint64 (wraps around)
        for j in range(1, d):
            hs += K[:, j]
        np.subtract(hs[:, None], K, out=K)
        K ^= (cg.astype(np.uint64) * _MIX)[:, None]
        pos = sgg > 0
        rp, rn = np.flatnonzero(pos), np.flatnonzero(~pos)
        kp, kn = K.take(rp, axis=0).ravel(), K.take(rn, axis=0).ravel()
        if len(kp) <= len(kn):
            ia, ib, clean = _hash_join(kp, kn)
            ip, i_n = ia, ib
        else:
            ia, ib, clean = _hash_join(kn, kp)
            ip, i_n = ib, ia
        # edges in a fixed order: by positive entry, its dropped column, then negative entry
        ip, i_n = _by_first(ip, i_n, len(kp))
        r1, c1 = np.divmod(ip, d)
        r2, c2 = np.divmod(i_n, d)
        r1, r2 = rp[r1], rn[r2]
        A1 = _drop_column(Tv, r1, c1)
        if not clean or not ((A1 == _drop_column(Tv, r2, c2)).all() and (cg[r1] == cg[r2]).all()):
            return self._edges_sorted(sgg, ge, Tv, cg, K)
        return ge[r1], ge[r2], A1

    def _edges_sorted(self, sgg, ge, Tv, cg, K):
        """The keys ``K`` (see :meth:`_edges_generic`) matched by one sort: equal keys become
        neighbours; every pair in a run of equal keys with one vertex on each side whose id
        sets agree is an edge."""
        n, d = Tv.shape
        B = max(1, int(n * d).bit_length())
        K >>= np.uint64(B + 1)
        K <<= np.uint64(B)
        packed = K.view(np.int64).ravel()
        packed |= np.arange(n * d, dtype=np.int64)
        packed.sort()
        hi = packed >> B
        same = hi[1:] == hi[:-1]
        del hi
        run_start = np.flatnonzero(np.r_[True, ~same])
        run_len = np.diff(np.r_[run_start, len(packed)])
        cand1, cand2 = [run_start[run_len == 2]], [run_start[run_len == 2] + 1]
        for st, ln in zip(run_start[run_len > 2], run_len[run_len > 2]):
            a, b = np.triu_indices(int(ln), 1)
            cand1.append(st + a)
            cand2.append(st + b)
        i1, i2 = np.concatenate(cand1), np.concatenate(cand2)
        mask = (1 << B) - 1
        r1, c1 = np.divmod(packed[i1] & mask, d)
        r2, c2 = np.divmod(packed[i2] & mask, d)
        ok = (sgg[r1] != sgg[r2]) & (cg[r1] == cg[r2])
        r1, r2, c1, c2 = r1[ok], r2[ok], c1[ok], c2[ok]
        A1 = _drop_column(Tv, r1, c1)
        eq = (A1 == _drop_column(Tv, r2, c2)).all(axis=1)
        r1, r2, c1, c2, A1 = r1[eq], r2[eq], c1[eq], c2[eq], A1[eq]
        pos_first = sgg[r1] > 0
        # in the order of _edges_generic: positive entry, its dropped column, negative entry
        rp, rn = np.where(pos_first, r1, r2), np.where(pos_first, r2, r1)
        o = np.lexsort((rn, np.where(pos_first, c1, c2), rp))
        return ge[rp[o]], ge[rn[o]], A1[o]

    def _edges_degenerate(self, sg, bad_cells, ent, Tg, valid, cells):
        """Combinatorial adjacency test in each degenerate cell (Fukuda & Prodon)."""
        p = self.p
        lo, cnt = p.off[bad_cells], p.off[bad_cells + 1] - p.off[bad_cells]
        jit = jit_kernels(int(cnt.sum()))
        if jit is not None:  # every cell's entries at once (their valid ids, then one compiled pass)
            starts = np.concatenate([[0], np.cumsum(cnt)]).astype(np.int64)
            entries = np.repeat(lo - starts[:-1], cnt) + np.arange(starts[-1])
            Tc = p.T[p.ids[entries]]
            Tm = np.where(self._valid(Tc, np.repeat(bad_cells, cnt)), Tc, _PAD).astype(np.int32)
            return jit.edges_degenerate(np.ascontiguousarray(sg[entries], dtype=np.int8), Tm,
                                        lo.astype(np.int64), starts)
        e_pos, e_neg, common = [], [], []
        for c in bad_cells:
            lo, hi = p.off[c], p.off[c + 1]
            vids = p.ids[lo:hi]
            Tc = p.T[vids]
            vc = self._valid(Tc, np.full(len(vids), c))
            ids = np.unique(Tc[vc])
            M = np.zeros((len(vids), len(ids)), dtype=bool)
            r, q = np.nonzero(vc)
            M[r, np.searchsorted(ids, Tc[r, q])] = True
            sgc = sg[lo:hi]
            P = np.nonzero(sgc > 0)[0]
            N = np.nonzero(sgc < 0)[0]
            if len(P) == 0 or len(N) == 0:
                continue
            common_mask = M[P][:, None, :] & M[N][None, :, :]  # (|P|, |N|, K)
            # adjacent iff exactly two vertices (the pair) contain their common tight set: a vertex
            # contains it when it shares all |common| of its constraints (one product per block of
            # P rows: a cross-polytope's vertices meet thousands of cells' facets at once)
            size = common_mask.sum(axis=2)
            Mf = M.T.astype(np.float32)  # counts below 2^24: exact in float32
            step = max(1, DEGENERATE_BLOCK // max(1, len(N) * len(vids)))
            adj = np.empty((len(P), len(N)), dtype=bool)
            for a in range(0, len(P), step):
                shared = common_mask[a : a + step].astype(np.float32) @ Mf  # (step, |N|, V)
                adj[a : a + step] = (shared == size[a : a + step, :, None]).sum(axis=2) == 2
            pi, ni = np.nonzero(adj)
            for a, b in zip(pi, ni):
                e_pos.append(lo + P[a])
                e_neg.append(lo + N[b])
                common.append(ids[common_mask[a, b]])
        w = max([len(c) for c in common] + [0])
        cm = np.full((len(common), w), _PAD, dtype=np.int32)
        for i, c in enumerate(common):
            cm[i, : len(c)] = c
        return np.array(e_pos, dtype=np.int64), np.array(e_neg, dtype=np.int64), cm

    # ------------------------------------------------------------------ splitting
    def _split(self, sg, s, split, unchanged, cid, clip, col, ecell) -> None:
        p = self.p
        ep, en, common = self._edges(sg, split, ecell)
        ecells = ecell[ep]
        k_new = cid[ecells].astype(np.int32)
        Tn = np.hstack([common, k_new[:, None]]) if common.size else k_new[:, None]
        if self.prog.has_pairs or common.shape[1] != self.prog.d - 1 or (common == _PAD).any():
            Tn = np.sort(Tn, axis=1)
        # pad the tight tables to a common width
        w = max(p.T.shape[1], Tn.shape[1])
        p.widen(w)
        nv = len(ep)
        if Tn.shape[1] < w:
            Tn = np.hstack([Tn, np.full((nv, w - Tn.shape[1]), _PAD, dtype=np.int32)])
        V0 = p.nV
        # float runs: the compiled bodies of the same steps for large cuts (tropnet[fast])
        jit = None if self.exact or self.certify else jit_kernels(len(p.ids))
        rows = None if p.Z is None else _rows(self.zcols)
        if jit is not None and (rows is None or isinstance(rows, slice)):
            p.reserve(nv)
            Zb, (r0, r1, _) = (p._X, (0, 0, 1)) if rows is None else (p._Z, rows.indices(p._Z.shape[0]))
            jit.interpolate(p._X, Zb, r0, r1, p.ids, ep, en, s, V0)
            p._T[V0 : V0 + nv] = Tn
            p.nV += nv
            p._views()
            off, ids = jit.children(p.off, p.ids, sg, split, unchanged, ecells, V0, clip)
        else:
            self._new_vertices(s, ep, en, Tn)
            off, ids = self._children(sg, split, unchanged, clip, ecell, ecells, V0, nv)
        p.ids, p.off = ids, off
        split_ids = np.flatnonzero(split)
        pat_keep = p.pat[unchanged]
        pat_neg = p.pat.take(split_ids, axis=0)
        if clip:
            pat = np.vstack([pat_keep, pat_neg])
        else:
            pat_pos = pat_neg.copy()
            if col is not None:
                pat_neg[:, col] = 0
                pat_pos[:, col] = 1
            pat = np.vstack([pat_keep, pat_neg, pat_pos])
        p.pat = pat

    def _new_vertices(self, s, ep, en, Tn) -> None:
        """The new vertices of a cut, one on each crossing edge ``(ep, en)`` (entries), appended
        to the pool: coordinates and the pre-activations still to be read, interpolated at
        ``t = s_p / (s_p - s_n)`` (certified runs: with their error bounds), tight ids ``Tn``."""
        p = self.p
        vp, vn = p.ids[ep], p.ids[en]
        sp, sn = s[ep], s[en]
        t = sp / (sp - sn)
        if not self.exact and not self.certify:
            t = t.astype(np.float64)
        Xp = p.X.take(vp, axis=0)
        Xn = p.X.take(vn, axis=0)  # becomes Xp + t (Xn - Xp), in place
        Xn -= Xp
        Xn *= t[:, None]
        Xn += Xp
        newZ = Zp = Zn = None
        if p.Z is not None:
            # only the pre-activations still to be read in this layer are interpolated
            # (rows of Z: the pool stores them unit by unit)
            zc = self.zcols
            if zc is None:
                Zp, Zn = p.Z[:, vp], p.Z[:, vn]
            else:
                rows = _rows(zc)
                if isinstance(rows, slice):  # a block of rows, then a gather of columns
                    Zr = p.Z[rows]
                    Zp, Zn = Zr.take(vp, axis=1), Zr.take(vn, axis=1)
                else:
                    Zp, Zn = p.Z[zc[:, None], vp[None, :]], p.Z[zc[:, None], vn[None, :]]
            newZ = Zn - Zp
            newZ *= t[None, :]
            newZ += Zp
            Zp, Zn = Zp.T, Zn.T
        En = None
        if self.certify:
            En = _interpolation_error(
                sp, sn, self.err[ep], self.err[en], Xp, p.X[vn], p.E[vp], p.E[vn], Zp, Zn, t
            )
        if len(ep):
            p.append(Xn, Tn, newZ, En)

    def _children(self, sg, split, unchanged, clip, ecell, ecells, V0, nv):
        """The cells after a cut, as ``(off, ids)``: the ``unchanged`` cells first, then the
        negative child of every split cell, then (unless ``clip``) the positive ones; a child
        holds its parent's entries on its side, in order, then the new vertices ``V0 + e`` of
        its parent's edges (``ecells``: the cell of each edge) in edge order."""
        p = self.p
        new_vid = np.arange(V0, V0 + nv, dtype=np.int64)
        split_ids = np.nonzero(split)[0]
        ns = len(split_ids)
        nk = int(unchanged.sum())
        rank = np.full(p.ncells, -1, dtype=np.int64)
        rank[split_ids] = np.arange(ns)
        ent_split = split[ecell]
        e_idx = np.nonzero(ent_split)[0]
        er = rank[ecell[e_idx]]
        # children placed by offset arithmetic (no sort of all entries): a child holds its
        # parent's entries on its side, in order, then the new vertices of its parent
        redge = rank[ecells]
        order = np.argsort(_small(redge, ns), kind="stable")  # new vertices grouped by parent
        r_new = redge[order]
        vid_new = new_vid[order]
        cnt_new = np.bincount(redge, minlength=ns)
        sge = sg[e_idx]
        sides = [sge <= 0] if clip else [sge <= 0, sge >= 0]
        cnts = [np.bincount(er[m], minlength=ns) for m in sides]
        counts = np.diff(p.off)
        allcounts = np.concatenate([counts[unchanged]] + [c + cnt_new for c in cnts])
        off = np.zeros(len(allcounts) + 1, dtype=np.int64)
        np.cumsum(allcounts, out=off[1:])
        ids = np.empty(int(off[-1]), dtype=np.int64)
        keep_ent = unchanged[ecell]
        ids[: off[nk]] = p.ids[keep_ent]
        excl_new = np.cumsum(cnt_new) - cnt_new
        for k, (m, c) in enumerate(zip(sides, cnts)):
            start = off[nk + k * ns : nk + (k + 1) * ns]
            rs = er[m]
            excl = np.cumsum(c) - c
            ids[start[rs] + np.arange(len(rs)) - excl[rs]] = p.ids[e_idx[m]]
            ids[start[r_new] + c[r_new] + np.arange(len(r_new)) - excl_new[r_new]] = vid_new
        return off, ids

    # ------------------------------------------------------------------ output
    def result(self) -> Cells:
        p = self.p
        if p.ncells == 0:
            d = self.prog.d
            dt = object if self.exact else np.float64
            return Cells(
                patterns=np.zeros((0, self.prog.ncols), dtype=np.int32),
                points=np.zeros((0, d), dtype=dt),
                vertex_coords=np.zeros((0, d), dtype=dt),
                vertex_offsets=np.zeros(1, dtype=np.int64),
                vertex_ids=np.zeros(0, dtype=np.int64),
            )
        p.compact()
        counts = np.diff(p.off)
        sums = np.add.reduceat(p.X[p.ids], p.off[:-1], axis=0)
        if self.exact:
            pts = _from_q(sums / counts[:, None].astype(object))
            return Cells(
                patterns=p.pat.astype(np.int32),
                points=pts,
                vertex_coords=_from_q(p.X),
                vertex_offsets=p.off.astype(np.int64),
                vertex_ids=p.ids.astype(np.int64),
            )
        else:
            pts = (sums / counts[:, None]).astype(np.float64)
        return Cells(
            patterns=p.pat.astype(np.int32),
            points=pts,
            vertex_coords=p.X.astype(np.float64, copy=False),
            vertex_offsets=p.off.astype(np.int64),
            vertex_ids=p.ids.astype(np.int64),
        )
