"""Exact signs for float mode's decisions below float64 resolution.

A float sign decision taken as a tie, or nonzero but below rounding noise, cannot tell an exact
tie -- common in networks with symmetric or exactly representable weights: DeepSets,
duplicated units, integer weights, the ``t = 0`` face of the homogenised cube -- from a real
sliver thinner than float64 resolves (two hyperplanes ``b`` and ``b + 1 ulp`` apart).  The
vertex engine hands these decisions here: a vertex is the solution of its tight constraints,
each an affine function on the cell, so its exact position follows from the cell's pattern in
rational arithmetic, and the unit's exact affine function there has an exact sign, which the
cut then follows.  A vertex its tight ids do not determine is counted as undecided (the call
warns, :class:`~tropnet.AmbiguousGeometryWarning`).

Nothing here runs unless a float decision falls below resolution: generic networks on a box
rarely reach it.  The program's float weights are taken as their exact dyadic values (as
``exact=True`` takes a float network's); a program that only rounds its network's exact
weights (:attr:`~tropnet.regions.program.Stage.lossy`) gets no certificate.

>>> import tropnet
>>> from tropnet.regions.program import stages_from_network
>>> from tropnet.regions.program import _Program
>>> net = tropnet.Network.from_arrays([[[1.0, 1.0], [1.0, 1.0]], [[1.0, 1.0]]],
...                                   [[0.5, np.nextafter(0.5, 1)], [0.0]])
>>> st = stages_from_network(net)
>>> ties = TieCertificate(st, _Program(2, 0, st), 2, -np.ones(2), np.ones(2))
>>> # the vertex on unit 0's line and the face x_0 = 1 (ids: 0 is x_0 = hi, 4 is unit 0)
>>> T = np.array([[0, 4]], dtype=np.int32)
>>> pat = np.zeros((1, 2), dtype=np.int8)
>>> ties.zero(T, pat, ("unit", 1, 0, 0.0)).tolist(), ties.zero(T, pat, ("unit", 1, 1, 0.0)).tolist()
([True], [False])
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from ..kernels.scaled import to_scaled
from .exactness import _fmpq, _stage_to_q, _to_q
from .program import Stage

__all__ = ["TieCertificate"]

#: pattern prefixes whose exact affine maps are kept (a cache; cleared when full)
MAX_CACHED_MAPS = 4096
#: :meth:`TieCertificate.signs` where a vertex's tight ids do not determine it
UNDETERMINED = 2


class TieCertificate:
    """Exact checks of float ties for one run of the vertex engine: the program ``stages``
    (float, taken as exact dyadics), its constraint ids ``prog`` (:class:`~tropnet.regions.vertex._Program`),
    the box ``lo``, ``hi`` in dimension ``d`` and the clipping rows ``clipA x <= clipb``.

    :meth:`zero` says, for vertices given by their tight ids and cell patterns, whether a
    target function (a unit's pre-activation minus its level, a group's difference of two
    members, a clipping row) vanishes exactly at the exact vertex.
    """

    def __init__(self, stages: list[Stage], prog, d: int, lo, hi, clipA=None, clipb=None):
        self.stages = stages
        self.prog = prog
        self.d = d
        self._lo, self._hi, self._clip = lo, hi, (clipA, clipb)
        self._nclip = 0 if clipA is None else len(clipA)
        self._q: dict = {}
        self._mats: dict = {}
        self._maps: dict = {}
        self._points: dict = {}
        bases = [(b, si) for si, b in enumerate(prog.unit_base) if b >= 0]
        self._bases = [b for b, _ in bases]
        self._base_stage = [si for _, si in bases]
        # pattern columns of the stages before each stage (what a cell's maps there depend on)
        self._prefix = np.concatenate([[0], np.cumsum([self._width(si) for si in range(len(stages))])])

    def __getstate__(self) -> dict:
        """Pickled without its caches (FLINT matrices do not pickle; they are rebuilt on use)."""
        state = self.__dict__.copy()
        state.update(_q={}, _mats={}, _maps={}, _points={})
        return state

    # ------------------------------------------------------------------ exact data
    def _exact(self):
        """The program, box and clipping rows as python-flint rationals (made on first use)."""
        if not self._q:
            clipA, clipb = self._clip
            self._q = {
                # affine stages: their biases here, their weights as FLINT matrices (_affine)
                "stages": [Stage("affine", b=_to_q(np.asarray(st.b, dtype=object))) if st.kind == "affine"
                           else _stage_to_q(st) for st in self.stages],
                "lo": _to_q(np.asarray(self._lo, dtype=np.float64)),
                "hi": _to_q(np.asarray(self._hi, dtype=np.float64)),
                "clipA": None if clipA is None else _to_q(np.asarray(clipA, dtype=np.float64)),
                "clipb": None if clipb is None else _to_q(np.asarray(clipb, dtype=np.float64)),
            }
        return self._q

    def _maps_upto(self, pat: np.ndarray, stop: int) -> dict:
        """For a cell with pattern ``pat``: ``{si: (M, c)}`` for every activation stage
        ``si < stop``, and ``stop`` itself: the vector entering stage ``si`` is ``M x + c`` on
        the cell (exact rationals, object arrays)."""
        q = self._exact()
        col = self.prog.col_base
        key = (stop, pat[: self._prefix[stop]].tobytes())
        hit = self._maps.get(key)
        if hit is not None:
            return hit
        d = self.d
        M = _to_q(np.eye(d))
        c = _to_q(np.zeros(d))
        out = {}
        for si, st in enumerate(q["stages"][: stop + 1]):
            if st.kind != "affine":
                out[si] = (M, c)
            if si == stop:
                break
            if st.kind == "affine":
                M, c = self._affine(si, M, c)
            elif st.kind in ("threshold", "leaky"):
                M, c = M.copy(), c.copy()
                p = pat[col[si] : col[si] + len(st.idx)]
                off = st.idx[p == 0]
                if st.kind == "threshold":
                    M[off] = _fmpq(0)
                    c[off] = st.param
                else:
                    M[off] = M[off] * st.param
                    c[off] = c[off] * st.param
            else:  # group: each row's winner (its position in the row), then the passed entries
                pos = pat[col[si] : col[si] + len(st.groups)].astype(np.int64)
                win = st.groups[np.arange(len(st.groups)), pos]
                rows = np.concatenate([win, st.idx]).astype(np.int64)
                M, c = M[rows], c[rows]
        out[stop] = (M, c)
        if len(self._maps) >= MAX_CACHED_MAPS:
            self._maps.clear()
        self._maps[key] = out
        return out

    def _affine(self, si: int, M: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(W M, W c + b)`` of affine stage ``si`` in exact rationals: one ``fmpq_mat``
        product (FLINT clears denominators and multiplies integers; ``W`` converted once, a
        float array through its integer numerators), where numpy's object loop took 0.3 s
        per cell through a 256 x 256 layer."""
        import flint

        st = self.stages[si]
        if si not in self._mats:
            W = np.asarray(st.W)
            if W.dtype.kind == "f":  # float (dyadic) weights: integer numerators over 2^k
                z, den = to_scaled(W)
                Wq = flint.fmpq_mat(flint.fmpz_mat([[int(v) for v in row] for row in z.tolist()]))
                Wq = Wq * flint.fmpq(1, den) if den != 1 else Wq
            else:
                entries = _to_q(np.asarray(W, dtype=object)).ravel().tolist()
                Wq = flint.fmpq_mat(W.shape[0], W.shape[1], entries)
            self._mats[si] = Wq
        Wq = self._mats[si]
        b = self._exact()["stages"][si].b
        k = M.shape[1]
        if Wq.ncols() == 0 or Wq.nrows() == 0:
            return _to_q(np.zeros((Wq.nrows(), k))), b.copy()
        Mc = flint.fmpq_mat(M.shape[0], k + 1, np.concatenate([M, c[:, None]], axis=1).ravel().tolist())
        P = np.empty(Wq.nrows() * (k + 1), dtype=object)
        P[:] = (Wq * Mc).entries()
        P = P.reshape(Wq.nrows(), k + 1)
        return P[:, :k], P[:, k] + b

    def _width(self, si: int) -> int:
        """Pattern columns of activation stage ``si`` (0 for affine stages)."""
        st = self.stages[si] if si < len(self.stages) else None
        if st is None or st.kind == "affine":
            return 0
        return len(st.groups) if st.kind == "group" else len(st.idx)

    def _row(self, cid: int, maps: dict):
        """The constraint ``cid`` as ``(a, c)``: it is tight where ``a . x + c = 0``."""
        d, q = self.d, self._exact()
        if cid < 2 * d:
            i = cid % d
            a = _to_q(np.zeros(d))
            a[i] = _fmpq(1)
            return a, -(q["hi"][i] if cid < d else q["lo"][i])
        if cid < 2 * d + self._nclip:
            r = cid - 2 * d
            return q["clipA"][r], -q["clipb"][r]
        k = bisect_right(self._bases, cid) - 1
        si, base = self._base_stage[k], self._bases[k]
        st = self.stages[si]
        M, c = maps[si]
        if st.kind in ("threshold", "leaky"):
            u = st.idx[cid - base]
            level = q["stages"][si].param if st.kind == "threshold" else _fmpq(0)
            return M[u], c[u] - level
        kk = st.groups.shape[1]
        g, rem = divmod(cid - base, kk * kk)
        ia, ib = st.groups[g, rem // kk], st.groups[g, rem % kk]
        return M[ia] - M[ib], c[ia] - c[ib]

    def _target(self, target: tuple, maps: dict, member=None):
        kind = target[0]
        q = self._exact()
        if kind == "clip":
            r = target[1]
            return q["clipA"][r], -q["clipb"][r]
        si = target[1]
        M, c = maps[si]
        if kind == "unit":
            u, level = target[2], target[3]
            return M[u], c[u] - level
        ia, ib = member
        return M[ia] - M[ib], c[ia] - c[ib]

    def _point(self, T_row: np.ndarray, maps: dict):
        """The exact vertex whose tight ids are ``T_row`` (padding ignored), or ``None`` when
        they do not determine one point (too few independent ids, or inconsistent: an earlier
        decision was not exact)."""
        import flint

        ids = [int(t) for t in T_row if t < np.iinfo(np.int32).max]
        d = self.d
        if len(ids) < d:
            return None
        rows = [self._row(t, maps) for t in ids]
        A = flint.fmpq_mat(len(rows), d + 1, [v for a, c in rows for v in (*a, -c)])
        R, rank = A.rref()
        if rank != d:
            return None
        for i in range(d):  # pivots on the diagonal: a unique solution in the last column
            if R[i, i] != 1:
                return None
        return [R[i, d] for i in range(d)]

    def vertex(self, T_row: np.ndarray, pat: np.ndarray, stop: int):
        """The exact vertex with tight ids ``T_row`` in a cell of pattern ``pat`` and the cell's
        map into stage ``stop``: ``(x, M, c)`` (the vector entering the stage is ``M x + c``,
        python-flint rationals), ``None`` where the ids do not determine a point."""
        maps = self._maps_upto(pat, stop)
        x = self._point(T_row, maps)
        return None if x is None else (x, *maps[stop])

    # ------------------------------------------------------------------ the check
    def zero(self, T: np.ndarray, pats: np.ndarray, target: tuple, members=None, X=None) -> np.ndarray:
        """Whether ``target`` vanishes exactly at each vertex: :meth:`signs` ``== 0``."""
        return self.signs(T, pats, target, members, X) == 0

    def signs(self, T: np.ndarray, pats: np.ndarray, target: tuple, members=None, X=None) -> np.ndarray:
        """For each vertex (its tight ids ``T[i]`` in a cell of pattern ``pats[i]``): the exact
        sign (-1, 0, 1) of ``target`` there, ``UNDETERMINED`` where the tight ids do not determine
        a point.  ``target``: ``("unit", si, u, level)`` (the entry ``u`` of the vector entering
        stage ``si``, minus ``level``), ``("pair", si)`` with ``members[i] = (a, b)`` (entries
        ``a`` minus ``b`` there) or ``("clip", r)``.  ``X``: the float vertices, if given, name
        each vertex for the cache of exact points (with its tight ids: one exact point, whichever
        of its cells solves for it), else the cell's pattern does."""
        vals = self.values(T, pats, target, members, X)
        return np.array([UNDETERMINED if v is None else (v > 0) - (v < 0) for v in vals], dtype=np.int8)

    def values(self, T: np.ndarray, pats: np.ndarray, target: tuple, members=None, X=None) -> list:
        """The exact values (python-flint rationals) of ``target`` at the vertices of
        :meth:`signs`, ``None`` where the tight ids do not determine a point."""
        out: list = [None] * len(T)
        stop = target[1] if target[0] != "clip" else 0
        if target[0] == "unit":
            target = (*target[:3], _fmpq(target[3]))
        known: dict = {}  # this call's answers by vertex: the target is continuous, any cell gives it
        for i in range(len(T)):
            key = (T[i].tobytes(), X[i].tobytes() if X is not None else (pats[i].tobytes(), stop))
            pair = None if members is None else (int(members[i][0]), int(members[i][1]))
            if X is not None and (key, pair) in known:
                out[i] = known[(key, pair)]
                continue
            maps = self._maps_upto(pats[i], stop)
            x = self._points.get(key, False)
            if x is False:
                x = self._point(T[i], maps)
                if len(self._points) >= 8 * MAX_CACHED_MAPS:
                    self._points.clear()
                self._points[key] = x
            if x is not None:
                a, c = self._target(target, maps, pair)
                v = c
                for j in range(self.d):
                    v = v + a[j] * x[j]
                out[i] = v
            known[(key, pair)] = out[i]
        return out
