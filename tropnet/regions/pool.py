"""The vertex pool of the vertex-representation engine (:mod:`tropnet.regions.vertex`): one
shared, append-only array of vertices (coordinates and the sorted ids of the units tight at
each), cells as CSR lists of vertex ids with their activation patterns, and the array kernels
the cutting step runs on it (unused-vertex compaction, dropping one tight id per row, and the
open-addressing hash join that matches the two ends of crossing edges).

>>> int(_PAD) == np.iinfo(np.int32).max  # pads the rows of tight ids
True
"""

from __future__ import annotations

import os

import numpy as np

_PAD = np.iinfo(np.int32).max


_MIX = np.uint64(0x9E3779B97F4A7C15)

#: a cut with at least this many entries runs the compiled kernels when numba is installed (smaller
#: ones stay in numpy, so that small runs never wait for a compile)
JIT_MIN_ENTRIES = 1 << 12
_KERNELS = {"choice": None, "jit": None}  # choice: None (auto), "numpy" or "numba"; jit: the module


def use_kernels(choice: str | None) -> str | None:
    """Choose the array kernels of the vertex engine: ``"numpy"`` (the reference, always
    there), ``"numba"`` (the compiled bodies of :mod:`tropnet.regions.jit`, for every cut; needs
    ``pip install tropnet[fast]``) or ``None`` (the default: numba for large cuts when it is
    installed, unless the environment sets ``TROPNET_JIT=0``).  Returns the previous choice.

    >>> old = use_kernels("numpy")
    >>> jit_kernels(10**9) is None
    True
    >>> _ = use_kernels(old)
    """
    if choice not in (None, "numpy", "numba"):
        raise ValueError(f"kernels must be None, 'numpy' or 'numba', got {choice!r}")
    if choice == "numba":
        _load_jit(required=True)
    old, _KERNELS["choice"] = _KERNELS["choice"], choice
    return old


def _load_jit(required: bool = False):
    if _KERNELS["jit"] is None:
        try:
            from . import jit
        except ImportError as exc:
            if required:
                raise ImportError("the compiled kernels need numba: pip install tropnet[fast]") from exc
            _KERNELS["jit"] = False
        else:
            jit.warm()  # from numba's cache; a compile runs in a child process (its memory stays there)
            _KERNELS["jit"] = jit
    return _KERNELS["jit"] or None


def work_switch(state: dict, work: int, after: int) -> bool:
    """The switch of small default-choice runs (:func:`use_kernels` ``None``) to compiled loops,
    by the work their numpy runs have done in this process, not their time: ``state["done"]``
    counts ``work`` (a model of the run's cost, in the caller's units) and the answer is whether
    it has reached ``after``, so the switch comes after the same runs on every machine and load.
    The 1-D engine (:data:`tropnet.regions.line.JIT_AFTER_LINE_WORK`) and the 2-D certificate
    (:data:`tropnet.regions.planar_stretches.JIT_AFTER_WORK`) use it.

    >>> state = {"done": 0}
    >>> work_switch(state, 5, 8), work_switch(state, 5, 8), state["done"]
    (False, True, 10)
    """
    state["done"] += work
    return state["done"] >= after


def jit_kernels(entries: int):
    """The compiled kernels module for a cut of ``entries`` entries, or ``None`` (numpy)."""
    choice = _KERNELS["choice"]
    if choice == "numpy":
        return None
    if choice is None and (entries < JIT_MIN_ENTRIES or os.environ.get("TROPNET_JIT", "1") == "0"):
        return None
    return _load_jit()


class _Pool:
    """Append-only vertex pool plus cells as CSR lists of vertex ids."""

    def __init__(self, X, T, off, ids, pat):
        self._set_vertices(X, T, None)
        self.off = off  # (C + 1,) int64
        self.ids = ids  # (nnz,) int64
        self.pat = pat  # (C, U) int32

    def __getstate__(self) -> dict:
        # the filled part of the buffers only (a pickled view would carry the whole buffer), and
        # of Z only the rows still to be read
        Z = self.Z
        rows = None if Z is None or self.zlive is None else np.asarray(self.zlive, dtype=np.int64)
        return {"X": self.X, "T": self.T, "Z": Z if rows is None else Z[rows], "zrows": rows,
                "zdim": None if Z is None else Z.shape[0], "E": self.E, "off": self.off, "ids": self.ids,
                "pat": self.pat}

    def __setstate__(self, s: dict) -> None:
        def own(a):  # Dask may hand back read-only arrays; the pool writes in place
            return a if a is None or a.flags.writeable else a.copy()

        Z, rows = s["Z"], s.get("zrows")
        if rows is not None:
            full = np.zeros((s["zdim"], Z.shape[1]), dtype=Z.dtype)  # rows already cut: never read
            full[rows] = Z
            Z = full
        self._set_vertices(own(s["X"]), own(s["T"]), own(Z), own(s["E"]))
        self.zlive = rows
        self.off, self.ids, self.pat = own(s["off"]), own(s["ids"]), own(s["pat"])

    # X (V, d) coordinates, T (V, w) int32 tight ids (sorted, padded with _PAD), Z (m, V)
    # current pre-activations, one row per unit: views of growable buffers (capacity doubles
    # on append).  Z is stored by rows so that a grow copies only the rows still to be read
    # (``zlive``) and the rows of units already cut are never touched again.
    def _set_vertices(self, X, T, Z, E=None, n: int | None = None) -> None:
        self._X, self._T, self._Z = X, T, Z
        self.zlive = None  # rows of Z still needed (None: all)
        self._E = E  # (V, 2) rigorous error bounds of X and Z (certified mode), or None
        self.nV = len(X) if n is None else n  # the buffers may hold more (room to append)
        self._views()

    def subset(self, used: np.ndarray, room: float = 2.0) -> _Pool:
        """A pool of the vertices ``used`` (sorted ids; no cells yet) in buffers with room for
        ``room`` times as many, so that the next appends do not grow them; of ``Z`` only the
        rows still to be read are copied."""
        n = len(used)
        cap = max(n, int(room * n))

        def take(a):
            if a is None:
                return None
            out = np.empty((cap,) + a.shape[1:], dtype=a.dtype)
            np.take(a, used, axis=0, out=out[:n])
            return out

        Z = None
        if self.Z is not None:
            rows = self._zrows()
            Z = np.empty((self.Z.shape[0], cap), dtype=self.Z.dtype)
            Z[rows, :n] = self.Z[rows][:, used]
        sub = _Pool.__new__(_Pool)
        sub._set_vertices(take(self.X), take(self.T), Z, take(self.E), n)
        sub.zlive = self.zlive
        return sub

    def _views(self) -> None:
        n = self.nV
        self.X = self._X[:n]
        self.T = self._T[:n]
        self.Z = None if self._Z is None else self._Z[:, :n]
        self.E = None if self._E is None else self._E[:n]

    def set_Z(self, Z) -> None:
        """Store the pre-activations ``Z`` (V, m) of all vertices (``None`` drops them)."""
        self._Z = None
        self.zlive = None
        if Z is not None:
            self._Z = np.empty((Z.shape[1], len(self._X)), dtype=Z.dtype)
            self._Z[:, : self.nV] = Z.T
        self._views()

    def widen(self, w: int) -> None:
        if w > self._T.shape[1]:
            extra = np.full((len(self._T), w - self._T.shape[1]), _PAD, dtype=np.int32)
            self._T = np.hstack([self._T, extra])
            self._views()

    def append(self, Xn, Tn, Zn, En=None) -> None:
        nv = len(Xn)
        need = self.nV + nv
        self.reserve(nv)
        self._X[self.nV : need] = Xn
        if self._E is not None:
            self._E[self.nV : need] = En
        self._T[self.nV : need] = Tn
        if self._Z is not None:
            self._Z[self._zrows(), self.nV : need] = Zn
        self.nV = need
        self._views()

    def reserve(self, nv: int) -> None:
        """Room in the buffers for ``nv`` more vertices (the capacity at least doubles when it
        grows; of ``Z`` only the rows still to be read are copied)."""
        need = self.nV + nv
        if need > len(self._X):
            cap = max(need, 2 * len(self._X))

            def grow(a):
                out = np.empty((cap,) + a.shape[1:], dtype=a.dtype)
                out[: self.nV] = a[: self.nV]
                return out

            self._X = grow(self._X)
            self._T = grow(self._T)
            if self._Z is not None:
                Zb = np.empty((self._Z.shape[0], cap), dtype=self._Z.dtype)
                rows = self._zrows()
                Zb[rows, : self.nV] = self._Z[rows, : self.nV]
                self._Z = Zb
            if self._E is not None:
                self._E = grow(self._E)

    def _zrows(self) -> slice | np.ndarray:
        """The rows of Z still to be read: a slice when they are consecutive (the usual case:
        the units left in the layer), which numpy copies as a block instead of gathering."""
        return _rows(self.zlive)

    @property
    def ncells(self) -> int:
        return len(self.off) - 1

    def entry_cell(self) -> np.ndarray:
        return np.repeat(np.arange(self.ncells), np.diff(self.off))

    def compact(self, room: float = 1.0) -> None:
        """Keep only the vertices of the cells (with room for ``room`` times as many)."""
        used, inv = _used(self.nV, self.ids)
        sub = self.subset(used, room)
        self._set_vertices(sub._X, sub._T, sub._Z, sub._E, sub.nV)
        self.zlive = sub.zlive
        self.ids = inv

    def add_tight(self, vids: np.ndarray, cid: np.ndarray) -> None:
        """Record constraint ``cid[i]`` as tight at vertex ``vids[i]`` (ids grow over time,
        so appending keeps rows sorted)."""
        if len(vids) == 0:
            return
        key = vids.astype(np.int64) * (1 << 31) + cid
        key = np.unique(key)
        vids, cid = key >> 31, (key & ((1 << 31) - 1)).astype(np.int32)
        # skip ids already present
        present = (self.T[vids] == cid[:, None]).any(axis=1)
        vids, cid = vids[~present], cid[~present]
        if len(vids) == 0:
            return
        order = np.argsort(vids, kind="stable")
        vids, cid = vids[order], cid[order]
        first = np.r_[True, vids[1:] != vids[:-1]]
        rank = np.arange(len(vids)) - np.maximum.accumulate(np.where(first, np.arange(len(vids)), 0))
        cnt = (self.T[vids] != _PAD).sum(axis=1)
        pos = cnt + rank
        need = int(pos.max()) + 1
        self.widen(need)
        self.T[vids, pos] = cid
        self.T[np.unique(vids)] = np.sort(self.T[np.unique(vids)], axis=1)


def _used(nV: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertex ids ``ids`` refer to (sorted, a mark array: no sort) and ``ids`` renumbered
    into them."""
    mark = np.zeros(nV, dtype=bool)
    mark[ids] = True
    used = np.flatnonzero(mark)
    remap = np.cumsum(mark) - 1
    return used, remap[ids].astype(np.int64)


def _drop_column(T: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Rows ``r`` of ``T`` (n, k), each without its column ``c[i]`` (sorted rows stay sorted).

    >>> _drop_column(np.array([[1, 2, 3], [4, 5, 6]]), np.array([1, 0]), np.array([0, 2])).tolist()
    [[5, 6], [1, 2]]
    """
    k = T.shape[1]
    ar = np.arange(k - 1)
    at = (r * k)[:, None] + ar
    at += ar >= c[:, None]
    return T.ravel().take(at)


#: the table of :func:`_hash_join` has at least this many slots per stored key
_TABLE_LOAD = 4


def _hash_join(ha: np.ndarray, hb: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The pairs ``(i, j)`` with ``ha[i] == hb[j]`` (uint64 hashes) by an open-addressing
    table of ``ha`` with linear probing, built and probed in vectorised rounds (no sort).  A
    key repeated in ``ha`` is stored once; ``clean`` is False when such a key is also met in
    ``hb`` (its pairs are then incomplete and the caller matches otherwise).

    >>> u = np.uint64
    >>> ia, ib, clean = _hash_join(np.array([5, 9, 7], dtype=u), np.array([7, 1, 5, 7], dtype=u))
    >>> sorted(zip(ia.tolist(), ib.tolist())), clean
    ([(0, 2), (2, 0), (2, 3)], True)
    """
    bits = max(4, int(_TABLE_LOAD * len(ha) - 1).bit_length())
    shift = np.uint64(64 - bits)
    size = 1 << bits
    tab = np.full(size, -1, dtype=np.int32)
    repeated = np.zeros(len(ha), dtype=bool)
    act = np.arange(len(ha), dtype=np.int32)
    slot = (ha >> shift).astype(np.intp)
    while len(act):
        # every key still to place writes its slot; the one that stays there is placed
        tab[slot] = act
        got = tab[slot]
        lost = np.flatnonzero(got != act)
        if len(lost) == 0:
            break
        act, slot, got = act[lost], slot[lost], got[lost]
        dup = ha[got] == ha[act]
        repeated[got[dup]] = True
        act, slot = act[~dup], slot[~dup] + 1
        # the others move on past occupied slots (past a repeat of their own key: dropped)
        while len(act):
            slot &= size - 1
            cur = tab[slot]
            occ = np.flatnonzero(cur >= 0)
            if len(occ) == 0:
                break
            dup = ha[cur[occ]] == ha[act[occ]]
            repeated[cur[occ[dup]]] = True
            slot[occ[~dup]] += 1
            drop = np.zeros(len(act), dtype=bool)
            drop[occ[dup]] = True
            act, slot = act[~drop], slot[~drop]
    ia, ib = [], []
    act = np.arange(len(hb), dtype=np.int32)
    slot = (hb >> shift).astype(np.intp)
    while len(act):
        cur = tab[slot]
        occ = np.flatnonzero(cur >= 0)
        act, slot, cur = act[occ], slot[occ], cur[occ]
        hit = ha[cur] == hb[act]
        ia.append(cur[hit])
        ib.append(act[hit])
        miss = ~hit
        act, slot = act[miss], (slot[miss] + 1) & (size - 1)
    ia = np.concatenate(ia) if ia else np.zeros(0, dtype=np.int32)
    ib = np.concatenate(ib) if ib else np.zeros(0, dtype=np.int32)
    return ia, ib, not repeated[ia].any()

def _by_first(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs ``(a[i], b[i])`` (distinct; ``0 <= a < n``) ordered by ``a``, then ``b``: by a
    mark array of ``n`` slots when no ``a`` repeats (no sort), else by a sort.

    >>> [x.tolist() for x in _by_first(np.array([3, 0, 2]), np.array([7, 8, 9]), 4)]
    [[0, 2, 3], [8, 9, 7]]
    """
    at = np.full(n, -1, dtype=np.int64)
    at[a] = b
    if (at[a] == b).all():
        a = np.flatnonzero(at >= 0)
        return a, at[a]
    o = np.lexsort((b, a))
    return a[o], b[o]


def _small(a: np.ndarray, bound: int) -> np.ndarray:
    """``a`` (non-negative integers below ``bound``) in the narrowest unsigned type: numpy's
    stable sort is a radix sort (linear time) for 8- and 16-bit integers."""
    if bound <= 1 << 8:
        return a.astype(np.uint8)
    if bound <= 1 << 16:
        return a.astype(np.uint16)
    return a


def _rows(z: np.ndarray | None) -> slice | np.ndarray:
    """Row indices ``z`` (``None``: all) as a slice when they are consecutive, else ``z``."""
    if z is None:
        return slice(None)
    if len(z) == 0:
        return slice(0, 0)
    if z[-1] - z[0] == len(z) - 1 and np.all(np.diff(z) == 1):
        return slice(int(z[0]), int(z[-1]) + 1)
    return z
