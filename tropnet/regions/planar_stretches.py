"""The check of the root edges' stretches in the 2-D linear certificate
(:func:`tropnet.regions.planar_linear.no_shared_maps`), and the choice of its compiled loops.

Along an edge ``p q`` shared by root polygons ``A`` and ``B``, the difference of the output maps of
the cells ``(A, m)`` and ``(B, m)`` is ``Wa diag(m~) kappa (x) (n, -n . p)`` (see
:mod:`tropnet.regions.planar_linear`), with ``m`` the last layer's pattern, constant on each
*stretch* between the crossings of the last layer's lines with the edge.  :class:`_Stretches`
bounds ``|Wa diag(m~) w|_inf`` from below on every stretch: ``v`` of the first stretch from the
outputs at the edge's vertices, then each crossing's change in order along the edge, with the
rounding of every sum.  :mod:`tropnet.regions.planar_merge` reads the crossings of the edges the
certificate fails on (their stretches' patterns).

The loops of the float certificate run compiled (:mod:`tropnet.regions.planar_jit`) once numba
is loaded, for a certificate of :data:`JIT_MIN_CERTIFICATE` entries, or after
:data:`JIT_AFTER_WORK` of certificates in the process (:func:`_compiled`).

>>> from tropnet import LeakyReLU, Network
>>> from tropnet.regions.program import stages_from_network
>>> net = Network([*Network.from_arrays([[[1.0, 0.0]], [[2.0]]]).layers[:2], LeakyReLU(0.25)])
>>> [_jump(st) for st in stages_from_network(net) if st.kind != "affine"]  # slope changes: 1 - p
[1.0, 0.75]
"""

from __future__ import annotations

import functools

import numpy as np

from ..kernels.certify import FLOAT64_ROUNDOFF, gamma
from .pool import _KERNELS, JIT_MIN_ENTRIES, jit_kernels, work_switch
from .program import Stage

_U = FLOAT64_ROUNDOFF
_XORDER = np.array([0, 2, 1])  # (vertex_check's corrections: a and q over A's units, b over B's)

# (the certificate computes in float64; a few small n, each checked once: a small count calls it
# a dozen times)
_gamma = functools.lru_cache(maxsize=1024)(functools.partial(gamma, u=FLOAT64_ROUNDOFF))


def _row_max(a: np.ndarray) -> np.ndarray:
    """``a.max(axis=1)`` of a 2-D array with few columns (NaN where a row has one): numpy's
    reduction over a short last axis costs a call per row, its ``argmax`` does not.

    >>> _row_max(np.array([[1.0, 3.0], [np.nan, 0.0], [2.0, 2.0]]))
    array([ 3., nan,  2.])
    """
    if a.shape[1] == 1:
        return a[:, 0]
    return a.ravel().take(np.arange(0, a.size, a.shape[1]) + a.argmax(axis=1))


def _slopes(st: Stage, on: np.ndarray) -> np.ndarray:
    """The slope of each unit's output for the pattern ``on``: 1 on, ``p`` off (a leaky unit) or
    0 (a threshold: the constant)."""
    off = float(st.param) if st.kind == "leaky" else 0.0
    return np.where(on, 1.0, off)


def _jump(st: Stage) -> float:
    """The slope change of a unit when it switches on (``1 - p``; 1 for a threshold)."""
    return 1.0 - float(st.param) if st.kind == "leaky" else 1.0


#: a certificate loop of at least this many entries loads numba for its compiled body; smaller
#: ones use it once numba is loaded (by the vertex engine's cuts, ``use_kernels("numba")``, or
#: after :data:`JIT_AFTER_WORK` of certificates in this process): loading it costs 0.3 s of CPU
#: and 1-3 s of wall time, a [2, 128, 128, 1] certificate about 12 ms in numpy (6 ms compiled)
JIT_MIN_CERTIFICATE = 1 << 21
#: ... once the certificates of this process have done this much work: each call for a loop
#: (:func:`_compiled`, three a certificate) counts its entries plus :data:`CALL_WORK`, a model of
#: their numpy time (about 24 million a second here, 2026-12-06, from 0.26 ms for a [12, 16, 16, 2]
#: plane to 12 ms for a [2, 128, 128, 1] box: about a second of them).  Work, not time: the
#: switch comes after the same certificates on every machine and load (session 9 timed them,
#: so a loaded machine switched sooner, and repeated timings changed state at a different point
#: each run); a rule by the size of each certificate alone never switches for many mid-sized
#: ones, which measured 3-6% slower in all (400 [2, 64, 64, 1] / 1500 [2, 32, 32, 1] counts)
JIT_AFTER_WORK = 24_000_000
CALL_WORK = 2_000
_WORK = {"done": 0}  # the certificates' work until numba is loaded


def _compiled(size: int):
    """The compiled loops of the float certificate (:mod:`tropnet.regions.planar_jit`) for a
    loop of ``size`` entries, as the vertex engine's kernels are chosen
    (:func:`~tropnet.regions.pool.use_kernels`: numba installed, not ``"numpy"``), but loaded for
    a small certificate only once numba is loaded or the certificates have done
    :data:`JIT_AFTER_WORK` (:data:`JIT_MIN_CERTIFICATE`); else ``None``."""
    choice = _KERNELS["choice"]
    if choice == "numpy":
        return None
    if choice is None and not _KERNELS["jit"] and size < JIT_MIN_CERTIFICATE:
        if not work_switch(_WORK, size + CALL_WORK, JIT_AFTER_WORK):
            return None
    if jit_kernels(max(size, JIT_MIN_ENTRIES)) is None:
        return None
    from . import jit, planar_jit

    jit.warm(planar_jit)  # from numba's cache; a compile runs in a child process
    return planar_jit


class _Stretches:
    """The check of edges' stretches: whether ``|Wa diag(m~) w|_inf`` is above ``need`` on every
    stretch of each edge (``m`` the last layer's pattern, changing where its lines cross the
    edge), within ``ev`` of the exact value per edge; ``None`` when two crossings of one edge
    cannot be ordered."""

    def __init__(self, s, on, cand, Ez, actL, Wa, need, Ev=None):
        self.s, self.on, self.cand, self.Ez, self.actL, self.Wa, self.need = s, on, cand, Ez, actL, Wa, need
        self.Ev = Ev  # an exact run's bounds per vertex (else Ez's per unit)
        self.jump = _jump(actL)
        self.slope_max = max(1.0, abs(float(actL.param))) if actL.kind == "leaky" else 1.0
        self.RW = float(np.abs(Wa).sum(axis=1).max())  # |Wa diag(m~) x|_inf <= slope_max RW |x|_inf
        self.flips = None  # the last vertex_check's crossings, when it had every edge
        self._sf = self._onf = None  # (s and on flat, once asked for)

    def _flat(self):
        """``s`` and ``on`` as flat arrays (C order), for gathers by ``row * nL + column``."""
        if self._sf is None:
            self._sf, self._onf = np.ascontiguousarray(self.s).ravel(), np.ascontiguousarray(self.on).ravel()
        return self._sf, self._onf

    def _masked(self, x, on):
        if self.actL.kind == "threshold" or float(self.actL.param) == 0.0:  # slopes 1, 0: the same products
            return x * on.astype(np.float64)  # (a cast first: numpy's mixed-type loop is 3x slower)
        return x * _slopes(self.actL, on)

    def outputs(self):
        """``Wa diag(m~_x) s_x`` at every vertex ``x`` (its own pattern): ``(V, out)``."""
        out = np.empty((len(self.s), self.Wa.shape[0]))
        WaT = np.ascontiguousarray(self.Wa.T)
        step = max(1, (1 << 17) // max(1, self.s.shape[1]))  # (rows of about 1 MB: the temporaries in cache)
        for i in range(0, len(self.s), step):
            out[i : i + step] = self._masked(self.s[i : i + step], self.on[i : i + step]).dot(WaT)
        return out

    def _pairs(self, o):
        """``(edge, unit)`` for the units crossing the polygons ``o`` of the edges."""
        ptr, cu = self.cand
        start = ptr[o]
        nc = ptr[o + 1] - start
        ends = nc.cumsum()
        fe = np.arange(len(o)).repeat(nc)
        fu = cu[(start - ends + nc).repeat(nc) + np.arange(ends[-1] if len(ends) else 0)]
        return fe, fu

    def _flips(self, pe, qe, fe, fu):
        """The crossings of the edges by the last layer's lines (of the pairs ``fe, fu`` of units
        crossing the edges' polygons, those of other signs at the ends), in order along each edge,
        and the sign of each change (+1: the unit switches on); ``None`` if two cannot be ordered."""
        Ez, nL = self.Ez, self.s.shape[1]
        sf, onf = self._flat()
        a, b = pe[fe], qe[fe]
        ia, ib = a * nL + fu, b * nL + fu  # (flat: numpy's gathers of (row, column) pairs are slow)
        onb = onf.take(ib)
        flip = (onf.take(ia) != onb).nonzero()[0]
        fe, fu, a, b, onb = fe[flip], fu[flip], a[flip], b[flip], onb[flip]
        sa = sf.take(ia[flip])
        ds = sa - sf.take(ib[flip])
        tt = sa / ds
        ez = 2 * Ez[fu] if self.Ev is None else self.Ev[a] + self.Ev[b]
        et = ez / np.abs(ds) + 8 * _U  # the rounding of the crossing's position
        # by edge, then position (two positions within the key's rounding come out in either
        # order, and are refused below as too close to order)
        order = (fe + tt).argsort()
        fe, fu, tt, et, onb = fe[order], fu[order], tt[order], et[order], onb[order]
        if len(fe) > 1 and ((fe[1:] == fe[:-1]) & (tt[1:] - tt[:-1] <= 2 * (et[1:] + et[:-1]) + 1e-9)).any():
            return None  # two crossings at one point (or too close to order)
        sign = np.full(len(fe), -1.0)
        sign[onb] = 1.0
        return fe, fu, sign

    def vertex_check(self, alpha, ids, H, ev, A, B):
        """Edges whose ``w = sum_x alpha_x s_x`` (``x`` the four ``ids``: ``a, b, q, p``): the first
        stretch's ``v = Wa diag(m~_p) w`` is ``sum_x alpha_x H_x`` corrected by the few units whose
        sign at ``x`` differs from ``p``'s (units crossing ``A``, for ``a`` and ``q``, or ``B``,
        for ``b``); no ``(edges, units)`` array."""
        s, on, Wa = self.s, self.on, self.Wa
        k = len(ids)
        jit = _compiled(4 * k) if self.Ev is None else None
        if jit is not None:  # the same sums in the same order, one pass per edge
            ptr, cu = self.cand
            Wr = np.ascontiguousarray(Wa).view()  # (C order, read-only: the signature warm loads)
            Wr.flags.writeable = False
            sc, onc = np.ascontiguousarray(s), np.ascontiguousarray(on)
            ok, ordered, fe, fu = jit.stretches_ok(alpha, ids, H, ev, A, B, ptr, cu.astype(np.int64), sc, onc,
                                                   self.Ez, Wr, float(self.jump), float(self.need))
            self.flips = None
            if not ordered:
                return None
            if not ok.all():  # (kept for the failed edges' joins, as the numpy loop's)
                sign = np.full(len(fe), -1.0)
                sign[onc[ids[fe, 2], fu]] = 1.0
                self.flips = fe, fu, sign
            return ok
        pe, qe = ids[:, 3], ids[:, 2]
        eAB, uAB = self._pairs(np.concatenate([A, B]))  # (edges k.. 2k - 1: B's side)
        nA = int(eAB.searchsorted(k))
        eA, uA = eAB[:nA], uAB[:nA]
        fl = self._flips(pe, qe, eA, uA)
        if fl is None:
            return None
        self.flips = fl
        # (k, out): sum_x alpha_x H_x, summed in the order a, b, q, p
        v = alpha[:, 0, None] * H[ids[:, 0]]
        for x in range(1, 4):
            v += alpha[:, x, None] * H[ids[:, x]]
        # (k, 4) and (V, nL) arrays read flat, by row * width + column
        sf, onf = self._flat()
        nL = s.shape[1]
        alf, idf = alpha.ravel(), ids.ravel()  # (views: rows of C-order arrays)
        # Wa diag(m~_p) s_x = H_x + sum over units u of another sign at x: jump (on_p - on_x) s_xu Wa[:, u]
        # (x = a and q over the units crossing A, then x = b over those crossing B)
        e_ = np.concatenate([eA, eAB])
        e_[2 * nA :] -= k
        u_ = np.concatenate([uA, uAB])
        x_ = _XORDER.repeat((nA, nA, len(eAB) - nA))
        onp = onf.take(pe[e_] * nL + u_)
        ex = e_ * 4 + x_
        ix = idf.take(ex) * nL + u_
        d = (onp != onf.take(ix)).nonzero()[0]
        if len(d):  # summed in order per (edge, output)
            ce, cu = e_[d], u_[d]
            vals = alf.take(ex[d]) * self.jump * np.where(onp[d], 1.0, -1.0) * sf.take(ix[d])
            for o in range(Wa.shape[0]):
                v[:, o] += np.bincount(ce, weights=vals * Wa[o].take(cu), minlength=k)
        fe, fu, sign = fl
        f4 = fe * 4
        wf = alf.take(f4) * sf.take(idf.take(f4) * nL + fu)  # w at the crossing units, summed in order
        for _ in range(3):
            f4 += 1
            wf += alf.take(f4) * sf.take(idf.take(f4) * nL + fu)
        return self._walk(v, wf, ev, fe, fu, sign)

    def restricted(self, f: np.ndarray, k: int):
        """:meth:`_flips` of the edges ``f`` (positions among the ``k`` edges of the one
        :meth:`vertex_check` that had them all), as it gives them for those edges alone (the
        crossings of each edge in order along it), from that check's; ``None`` when it has none."""
        fl, self.flips = self.flips, None
        if fl is None:
            return None
        fe, fu, sign = fl
        pos = np.full(k, -1)
        pos[f] = np.arange(len(f))
        ne = pos[fe]
        keep = (ne >= 0).nonzero()[0]
        ne = ne[keep]
        order = ne.argsort(kind="stable")  # (by edge, then as they were: along it)
        keep = keep[order]
        return ne[order], fu[keep], sign[keep]

    def dense_check(self, w, ev, pe, qe, o):
        """Edges with ``w (k, nL)`` given (from maps), ``ev`` the bound per edge."""
        fl = self._flips(pe, qe, *self._pairs(o))
        if fl is None:
            return None
        fe, fu, sign = fl
        v = self._masked(w, self.on[pe]).dot(self.Wa.T)  # (k, out): the first stretch, at p
        return self._walk(v, w[fe, fu], ev, fe, fu, sign)

    def _walk(self, v, wf, ev, fe, fu, sign):
        """Along each edge: ``v`` of its first stretch, then each crossing's change; every stretch's
        exact ``v`` is within ``ev`` (and the sums' rounding) of the computed one (under
        :func:`no_shared_maps`' errstate: NaN and inf fail the test)."""
        need, Wa = self.need, self.Wa
        k, out = v.shape
        acc = np.abs(v)  # the sums' magnitudes, for their rounding
        ok = (_row_max(acc) - ev) * (1 - 4 * _U) > need
        if len(fe) == 0:
            return ok
        delta = (sign * self.jump * wf)[:, None] * np.ascontiguousarray(Wa.T)[fu]  # (flips, out)
        nflip = np.bincount(fe, minlength=k)
        # the edges with crossings, most crossings first (stable), walked on rows of their own:
        # those with more than j crossings are the first rows at crossing j
        E = nflip.nonzero()[0]
        E = E[(-nflip[E]).argsort(kind="stable")]
        nE, at = nflip[E], (nflip.cumsum() - nflip)[E]  # (fe is sorted: each edge's first crossing)
        live = np.bincount(nE)[::-1].cumsum()[::-1]  # (edges with more than j crossings: live[j + 1])
        v, acc, ev, okE = v[E], acc[E], ev[E], ok[E]
        for j in range(len(live) - 1):
            n = live[j + 1]
            dj = delta[at[:n] + j]
            vj, aj = v[:n], acc[:n]
            vj += dj
            mag = np.abs(vj)
            aj += np.abs(dj) + mag * _U
            mag -= _gamma(j + 2) * aj
            lower = _row_max(mag) - ev[:n]
            okE[:n] &= lower * (1 - 4 * _U) > need
        ok[E] = okE
        return ok
