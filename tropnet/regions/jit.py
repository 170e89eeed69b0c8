"""Compiled (numba) bodies of some array kernels of the vertex engine, for installs with the
``fast`` extra (``pip install tropnet[fast]``).

Each function here is the same algorithm as the numpy kernel it stands in for, with the same
output (also its order); :func:`tropnet.regions.pool.jit_kernels` picks this module lazily (it
imports numba) for cuts large enough to pay for it, and the numpy kernels stay the reference
(``pool.use_kernels("numpy")``).  Nothing here is imported by ``import tropnet``.

>>> import numpy as np
>>> sg = np.array([1, -1, -1], dtype=np.int8)  # a triangle cut near its vertex 0: two edges
>>> T = np.array([[0, 1], [1, 2], [0, 2]], dtype=np.int32)
>>> ar, R = np.arange(3), np.arange(1, 5, dtype=np.uint64)
>>> r1, r2, common = edges_generic(sg, T, np.zeros(3, dtype=np.int64), R, ar, ar)
>>> r1.tolist(), r2.tolist(), common.ravel().tolist()
([0, 0], [1, 2], [1, 0])
"""

from __future__ import annotations

import sys

import numba
import numpy as np

_PAD = np.iinfo(np.int32).max


@numba.njit(cache=True, nogil=True)
def _same_but_one(T, i, ci, j, cj):  # pragma: no cover - compiled
    """Row ``i`` of ``T`` without column ``ci`` equals row ``j`` without column ``cj``."""
    d = T.shape[1]
    a = 0
    b = 0
    while a < d and b < d:
        if a == ci:
            a += 1
            continue
        if b == cj:
            b += 1
            continue
        if T[i, a] != T[j, b]:
            return False
        a += 1
        b += 1
    return True


@numba.njit(cache=True, nogil=True)
def edges_generic(sg, T, cell, R, ent, vid):  # pragma: no cover - compiled
    """The crossing edges of simple cells (the body of ``vertex._Engine._edges_generic``).  Row
    ``i`` is entry ``ent[i]`` (of the signs ``sg`` and cells ``cell``, non-decreasing) with the
    sorted tight ids ``T[vid[i]]`` (the caller's gathers, done here).  The edges are the pairs
    of rows ``(i, j)`` of one cell with ``sg > 0`` at ``i`` and ``< 0`` at ``j`` whose ids agree
    but for one; each row's key for dropping column ``c`` is the sum of the hashes ``R`` of its
    ids but that one.  The keys of the negative rows of a cell go into an open-addressing table
    (linear probing), the positive rows' keys are looked up and every match is checked on the
    ids.  Returns ``(i, j, common ids)`` ordered by ``i``, the dropped column of ``i``, then
    ``j``."""
    n = len(ent)
    d = T.shape[1]
    rowsum = np.empty(n, np.uint64)
    sgr = np.empty(n, np.int8)
    cr = np.empty(n, np.int64)
    npos = 0
    for i in range(n):
        tot = np.uint64(0)
        for c in range(d):
            tot += R[T[vid[i], c]]
        rowsum[i] = tot
        sgr[i] = sg[ent[i]]
        cr[i] = cell[ent[i]]
        npos += sgr[i] > 0
    # a simple cell has at most one edge per positive row and column: room for that, more
    # only in degenerate cases (a rerun with twice the room; the outputs are never grown in
    # the loop: arrays the loop could reassign made it 2.4x slower)
    cap = max(16, npos * d)
    while True:
        o1 = np.empty(cap, np.int64)
        o2 = np.empty(cap, np.int64)
        oc = np.empty(cap, np.int64)
        m = _join(T, R, vid, rowsum, sgr, cr, o1, o2, oc)
        if m >= 0:
            break
        cap *= 2
    common = np.empty((m, d - 1), np.int32)
    for e in range(m):
        i = o1[e]
        c = oc[e]
        w = 0
        for x in range(d):
            if x != c:
                common[e, w] = T[vid[i], x]
                w += 1
    return o1[:m], o2[:m], common


@numba.njit(cache=True, nogil=True)
def edges_degenerate(sg, T, off, starts):  # pragma: no cover - compiled
    """The crossing edges of degenerate cells (the body of ``vertex._Engine._edges_degenerate``):
    cell ``k`` has the rows ``starts[k]:starts[k + 1]`` of the signs ``sg`` and of ``T`` (its
    vertices' tight ids that are its constraints, ``_PAD`` elsewhere), whose entries are
    ``off[k] + 0, 1, ...``.  A positive row ``i`` and a negative row ``j`` are adjacent when
    exactly two rows of the cell (``i`` and ``j``) hold every id the two share (the rows' id
    sets as bits over the cell's distinct ids, in uint64 words).  Returns ``(entry of i, entry
    of j, shared ids sorted, _PAD-padded)`` by cell, ``i``, then ``j``.

    >>> T = np.array([[0, 1], [1, 2], [2, 3], [0, 3]], dtype=np.int32)  # a square, cut across
    >>> sg, two = np.array([1, -1, -1, 1], dtype=np.int8), np.array([0, 4])
    >>> [a.tolist() for a in edges_degenerate(sg, T, np.array([10]), two)]
    [[10, 13], [11, 12], [[1], [3]]]
    """
    w = T.shape[1]
    cap = 64
    o1 = np.empty(cap, np.int64)
    o2 = np.empty(cap, np.int64)
    oc = np.full((cap, w), _PAD, np.int32)
    m = 0
    width = 0
    one = np.uint64(1)
    for k in range(len(starts) - 1):
        a, b = starts[k], starts[k + 1]
        hasp = False
        hasn = False
        for i in range(a, b):
            hasp = hasp or sg[i] > 0
            hasn = hasn or sg[i] < 0
        if not (hasp and hasn):
            continue
        ids = np.unique(T[a:b].ravel())
        K = len(ids) - (1 if ids[-1] == _PAD else 0)
        nw = max(1, (K + 63) // 64)
        M = np.zeros((b - a, nw), np.uint64)
        for v in range(a, b):
            for x in range(w):
                t = T[v, x]
                if t != _PAD:
                    q = np.searchsorted(ids[:K], t)
                    M[v - a, q >> 6] |= one << np.uint64(q & 63)
        c = np.empty(nw, np.uint64)
        for i in range(a, b):
            if sg[i] <= 0:
                continue
            for j in range(a, b):
                if sg[j] >= 0:
                    continue
                for x in range(nw):
                    c[x] = M[i - a, x] & M[j - a, x]
                holders = 0
                for v in range(b - a):
                    held = True
                    for x in range(nw):
                        if M[v, x] & c[x] != c[x]:
                            held = False
                            break
                    if held:
                        holders += 1
                        if holders > 2:
                            break
                if holders != 2:
                    continue
                if m == cap:
                    cap *= 2
                    o1 = np.concatenate((o1, np.empty(cap - m, np.int64)))
                    o2 = np.concatenate((o2, np.empty(cap - m, np.int64)))
                    oc = np.concatenate((oc, np.full((cap - m, w), _PAD, np.int32)))
                o1[m] = off[k] + i - a
                o2[m] = off[k] + j - a
                nc = 0
                for q in range(K):
                    if (c[q >> 6] >> np.uint64(q & 63)) & one:
                        oc[m, nc] = ids[q]
                        nc += 1
                width = max(width, nc)
                m += 1
    return o1[:m], o2[:m], oc[:m, :width].copy()


@numba.njit(cache=True, nogil=True)
def _cell_run(cr, sgr, a):  # pragma: no cover - compiled
    """The rows ``a:b`` of the cell of row ``a`` (``cr`` non-decreasing) and how many of them
    have a negative sign ``sgr``."""
    n = len(cr)
    b = a + 1
    while b < n and cr[b] == cr[a]:
        b += 1
    nneg = 0
    for i in range(a, b):
        nneg += sgr[i] < 0
    return b, nneg


@numba.njit(cache=True, nogil=True)
def _join(T, R, vid, rowsum, sgr, cr, o1, o2, oc):  # pragma: no cover - compiled
    """The matching of :func:`edges_generic` into ``o1, o2, oc`` (rows, dropped column);
    returns the number of edges, or -1 when they do not fit."""
    n = len(vid)
    d = T.shape[1]
    cap = len(o1)
    m = 0
    # one table for all cells, sized for the largest (0: an empty slot; every key is odd)
    most = 0
    a = 0
    while a < n:
        b, nneg = _cell_run(cr, sgr, a)
        most = max(most, nneg)
        a = b
    cb = 4
    while (1 << cb) < 8 * most * d:
        cb += 1
    tkey = np.zeros(1 << cb, np.uint64)
    tq = np.empty(1 << cb, np.int64)
    used = np.empty(max(1, most * d), np.int64)
    one = np.uint64(1)
    a = 0
    while a < n:
        b, nneg = _cell_run(cr, sgr, a)
        if nneg == 0 or nneg == b - a:
            a = b
            continue
        # a table of at least 8 slots per key: most probes end at their first slot
        cb = 4
        while (1 << cb) < 8 * nneg * d:
            cb += 1
        mask = (1 << cb) - 1
        shift = np.uint64(64 - cb)
        u = 0
        for i in range(a, b):
            if sgr[i] >= 0:
                continue
            for c in range(d):
                k = (rowsum[i] - R[T[vid[i], c]]) | one
                s = np.int64(k >> shift)
                while tkey[s] != 0:
                    s = (s + 1) & mask
                tq[s] = (i - a) * d + c
                tkey[s] = k
                used[u] = s
                u += 1
        for i in range(a, b):
            if sgr[i] <= 0:
                continue
            for c in range(d):
                k = (rowsum[i] - R[T[vid[i], c]]) | one
                s = np.int64(k >> shift)
                first = m
                while tkey[s] != 0:
                    if tkey[s] == k:
                        q = tq[s]
                        j = a + q // d
                        if _same_but_one(T, vid[i], c, vid[j], q % d):
                            if m == cap:
                                for x in range(u):
                                    tkey[used[x]] = 0
                                return -1
                            o1[m] = i
                            o2[m] = j
                            oc[m] = c
                            m += 1
                    s = (s + 1) & mask
                # several matches of one key (degenerate cells): by negative row
                for x in range(first + 1, m):
                    y = x
                    while y > first and o2[y - 1] > o2[y]:
                        o2[y - 1], o2[y] = o2[y], o2[y - 1]
                        y -= 1
        for x in range(u):
            tkey[used[x]] = 0
        a = b
    return m


@numba.njit(cache=True, nogil=True)
def interpolate(X, Z, r0, r1, ids, ep, en, s, V0):  # pragma: no cover - compiled
    """The new vertices of a cut written into the pool's buffers (the body of the float
    interpolation in ``vertex._Engine._split``): for edge ``e`` from entry ``ep[e]`` (value
    ``s > 0``) to ``en[e]``, ``t = s_p / (s_p - s_n)``, row ``V0 + e`` of ``X`` and column
    ``V0 + e`` of the rows ``r0:r1`` of ``Z`` become ``(b - a) t + a`` of the two ends' values."""
    nv = len(ep)
    d = X.shape[1]
    t = np.empty(nv, np.float64)
    a = np.empty(nv, np.int64)
    b = np.empty(nv, np.int64)
    for e in range(nv):
        sp = s[ep[e]]
        t[e] = sp / (sp - s[en[e]])
        a[e] = ids[ep[e]]
        b[e] = ids[en[e]]
        for k in range(d):
            xp = X[a[e], k]
            X[V0 + e, k] = (X[b[e], k] - xp) * t[e] + xp
    for r in range(r0, r1):
        for e in range(nv):
            zp = Z[r, a[e]]
            Z[r, V0 + e] = (Z[r, b[e]] - zp) * t[e] + zp


@numba.njit(cache=True, nogil=True)
def children(off, ids, sg, split, unchanged, parent, V0, clip):  # pragma: no cover - compiled
    """The cells after a cut (the body of the child placement in ``vertex._Engine._split``):
    the ``unchanged`` cells first, then the negative child of every ``split`` cell, then (unless
    ``clip``) the positive ones; a child holds its parent's entries on its side (``sg <= 0`` /
    ``sg >= 0``) in order, then the new vertices ``V0 + e`` of the edges ``e`` whose cell is the
    parent (``parent[e]``), in edge order.  Returns the new ``(off, ids)``."""
    C = len(off) - 1
    rank = np.full(C, -1, np.int64)
    ns = 0
    nk = 0
    for c in range(C):
        if split[c]:
            rank[c] = ns
            ns += 1
        elif unchanged[c]:
            nk += 1
    nside = 1 if clip else 2
    first = np.zeros(ns + 1, np.int64)
    for e in range(len(parent)):
        first[rank[parent[e]] + 1] += 1
    for r in range(ns):
        first[r + 1] += first[r]
    order = np.empty(len(parent), np.int64)
    fill = first[:ns].copy()
    for e in range(len(parent)):
        r = rank[parent[e]]
        order[fill[r]] = e
        fill[r] += 1
    new_off = np.zeros(nk + nside * ns + 1, np.int64)
    k = 0
    for c in range(C):
        if unchanged[c]:
            new_off[k + 1] = off[c + 1] - off[c]
            k += 1
        elif split[c]:
            r = rank[c]
            neg = 0
            pos = 0
            for i in range(off[c], off[c + 1]):
                neg += sg[i] <= 0
                pos += sg[i] >= 0
            nnew = first[r + 1] - first[r]
            new_off[nk + r + 1] = neg + nnew
            if not clip:
                new_off[nk + ns + r + 1] = pos + nnew
    for j in range(len(new_off) - 1):
        new_off[j + 1] += new_off[j]
    new_ids = np.empty(new_off[-1], np.int64)
    k = 0
    for c in range(C):
        if unchanged[c]:
            w = new_off[k]
            for i in range(off[c], off[c + 1]):
                new_ids[w] = ids[i]
                w += 1
            k += 1
        elif split[c]:
            r = rank[c]
            for side in range(nside):
                w = new_off[nk + side * ns + r]
                for i in range(off[c], off[c + 1]):
                    if (side == 0 and sg[i] <= 0) or (side == 1 and sg[i] >= 0):
                        new_ids[w] = ids[i]
                        w += 1
                for q in range(first[r], first[r + 1]):
                    new_ids[w] = V0 + order[q]
                    w += 1
    return new_off, new_ids


def _signatures():
    """The argument types the vertex engine calls each kernel with (its callees are compiled
    into it)."""
    from numba import types as t

    i8, i64, u64 = (t.Array(k, 1, "C") for k in (t.int8, t.int64, t.uint64))
    f1, f2, b1, i32x2 = t.Array(t.float64, 1, "C"), t.Array(t.float64, 2, "C"), t.Array(t.boolean, 1, "C"), \
        t.Array(t.int32, 2, "C")
    return [
        (edges_generic, (i8, i32x2, i64, u64, i64, i64)),
        (edges_degenerate, (i8, i32x2, i64, i64)),
        (interpolate, (f2, f2, t.int64, t.int64, i64, i64, i64, f1, t.int64)),
        (children, (i64, i64, i8, b1, b1, i64, t.int64, t.boolean)),
    ]


def _kernel_module(module):
    return sys.modules[__name__] if module is None else module


def compile_all(module=None) -> None:
    """Compile (or load from numba's cache) every kernel of ``module`` (a compiled-kernel module
    of :mod:`tropnet.regions` with a ``_signatures()`` list; this one by default) for the
    argument types its callers use."""
    for kernel, sig in _kernel_module(module)._signatures():
        kernel.compile(sig)


def cached(module=None) -> bool:
    """Whether numba's cache holds every kernel of ``module`` (as in :func:`compile_all`) for its
    callers' argument types (loading one costs ~45 MB of LLVM state in a process; compiling,
    ~85 MB, most of it kept)."""
    try:
        return all(k._cache.load_overload(sig, k.targetctx) is not None
                   for k, sig in _kernel_module(module)._signatures())
    except Exception:  # pragma: no cover - numba internals changed: compile here as before
        return True


_WARM: set = set()


def warm(module=None) -> None:
    """Load the kernels of ``module`` (as in :func:`compile_all`), compiling them first in a
    child process when numba's cache lacks one (the first run after an install or a change of
    the module's file), so that this process keeps only what loading costs: a million-cell
    count ([4, 38, 38, 1]) peaked at ~490-510 MB when it compiled here, ~440-470 MB from the
    cache; a 2-D linear count that loads :mod:`~tropnet.regions.planar_jit` too, 233 MB against
    200 MB.  Where the child cannot fill the cache (a read-only install without
    ``NUMBA_CACHE_DIR``) the kernels compile here, as before.  Once per module and process."""
    module = _kernel_module(module)
    if module.__name__ in _WARM:
        return
    if not cached(module):
        import os
        import subprocess

        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
        try:
            code = ("import importlib; from tropnet.regions import jit; "
                    f"jit.compile_all(importlib.import_module({module.__name__!r}))")
            subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False, timeout=600)
        except (OSError, subprocess.SubprocessError):  # no child: compile here
            pass
    compile_all(module)
    _WARM.add(module.__name__)
