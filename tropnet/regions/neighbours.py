"""Facet neighbours of cells by their patterns: the cell across a unit's facet has the pattern
with that unit flipped (:func:`flip_neighbours`: one hash lookup among all patterns, verified
entry by entry), and a float run of the vertex engine names its cells' unit facets by the
tight ids of their vertices (:func:`tight_edges`), so the linear merge
(:func:`tropnet.regions.geometry.linear_labels`) finds the neighbouring pairs of the cells it
needs without their facets' coordinates.

>>> P = np.array([[0, 0], [1, 0], [1, 1]], dtype=np.int32)
>>> flip_neighbours(P, np.array([0, 0, 1]), np.array([(0 << 20) | 1, (1 << 20) | 1, (1 << 20) | 1])).tolist()
[1, -1, 2]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..kernels.merge import key_index, row_keys
from .found import FoundCells
from .pool import _PAD

__all__ = ["flip_neighbours", "tight_edges", "facet_columns", "facet_table", "unit_edges", "code_edges",
           "incidence_facets"]


def pattern_hash(P: np.ndarray, R: np.ndarray) -> np.ndarray:
    """``P R`` in ``uint64`` arithmetic (wrapping): one random hash per pattern row."""
    h = np.empty(len(P), dtype=np.uint64)
    for a in range(0, len(P), 1 << 13):  # in blocks that stay in cache: 2x faster at 276k rows
        h[a : a + (1 << 13)] = P[a : a + (1 << 13)].astype(np.uint64) @ R  # (wraps; 6x product + sum)
    return h


def flip_neighbours(pats: np.ndarray, fc: np.ndarray, code: np.ndarray, simple: Any = None) -> np.ndarray:
    """The cell across each facet ``(fc[j], code[j])`` whose pattern is ``fc``'s with the facet's
    unit flipped (a hash lookup among all patterns, verified entry by entry), ``-1`` where there
    is none or where ``simple`` is False (domain rows, ``code < 0``, are never flipped).  Patterns
    of 0/1 entries in at most 64 columns (and flips to 0 or 1) are their own hash, the pattern's
    bits: equal keys are equal patterns, with no entry to verify.

    >>> P = np.array([[0, 0], [1, 0]], dtype=np.int32)   # unit 0 flipped: cell 1; unit 1: none
    >>> flip_neighbours(P, np.array([0, 0]), np.array([(0 << 20) | 1, (1 << 20) | 1])).tolist()
    [1, -1]
    """
    C, ncol = pats.shape
    nbr = np.full(len(fc), -1, dtype=np.int64)
    ok_rows = code >= 0
    if simple is not None:
        ok_rows &= simple
    if not ok_rows.any() or C == 0:
        return nbr
    col = code[ok_rows] >> 20
    val = code[ok_rows] & ((1 << 20) - 1)
    cells = fc[ok_rows]
    bits = ncol <= 64 and int(val.max()) <= 1 and int(pats.min()) >= 0 and int(pats.max()) <= 1
    if bits:  # the hash is the pattern's bits (no wrap: at most 2^64 - 1)
        Rh = np.left_shift(np.uint64(1), np.arange(ncol, dtype=np.uint64))
    else:
        Rh = np.random.default_rng(7).integers(0, np.iinfo(np.uint64).max, size=ncol, dtype=np.uint64)
    h = pattern_hash(pats, Rh) if ncol else np.zeros(C, dtype=np.uint64)
    old = pats[cells, col].astype(np.int64)
    hn = h[cells] + (val - old).astype(np.uint64) * Rh[col]  # (wraps: the flipped pattern's hash)
    cand = key_index(h, hn)
    if not bits:
        hit = np.flatnonzero(cand >= 0)
        newpat = pats[cells[hit]].copy()
        newpat[np.arange(len(hit)), col[hit]] = val[hit]
        cand[hit[~(pats[cand[hit]] == newpat).all(axis=1)]] = -1
    nbr[np.flatnonzero(ok_rows)] = cand
    return nbr


def tight_edges(found: FoundCells, cells: np.ndarray) -> np.ndarray | None:
    """The facet-adjacent pairs ``(c, neighbour)`` within ``cells`` of a float run of the vertex
    engine, from its tight ids (``found.cache["tight"]``: the ids of every vertex and the
    pattern column of each id, :func:`~tropnet.regions.codes.id_columns`; or, from a streamed
    run without vertex lists, the unit facets of exactly ``cells``, a bool table of one row per
    cell and one column per pattern column, :func:`facet_columns` and :func:`facet_table`):
    where every vertex of the cells has exactly ``d`` ids, each cell is simple and its unit
    facets are the columns met at its vertices (as the tight codes of a certified run name
    them, :func:`unit_edges`), the cell across each the pattern with that column flipped.  Each
    pair once, from its cell with the unit off (the merge needs the pairs within ``cells``: the
    other cell is in it too).  ``None`` (the facets from the vertex coordinates decide) without
    those ids, at a vertex with more or fewer, where a flipped pattern is no cell, or in a run
    with thin cells or ambiguous decisions (``found.thin``, ``found.ambiguous``).

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> net = tropnet.Network.from_arrays([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[1.0, 1.0]]])
    >>> found = make_plan(net, tropnet.Box(-1, 1)).find()  # relu(x) + relu(y): 4 cells
    >>> sorted(map(tuple, tight_edges(found, np.arange(4)).tolist())) == [(0, 1), (0, 2), (1, 3), (2, 3)]
    True
    """
    tight = found.cache.get("tight")
    if tight is None or found.thin or found.ambiguous:
        # (cells cut below float64 resolution, or decisions left in the tolerance band: the
        # vertex coordinates decide, as before, whatever the ids say)
        return None
    ncol = found.patterns.shape[1]
    if isinstance(tight, np.ndarray):  # the unit facets of these cells (a streamed run's parts)
        met = tight
    else:
        met = _met_columns(found, cells, *tight)
        if met is None:
            return None
    # a pair within a group is met from both of its cells: from the one with the unit off
    # (where the flipped pattern is no cell, it is so from that side whenever the pair matters)
    k = np.flatnonzero(met[:, :ncol] & (np.take(found.patterns, cells, axis=0) == 0))
    lc = k // ncol
    cell, col = cells[lc], k - lc * ncol
    nbr = flip_neighbours(found.patterns, cell, (col << 20) | 1)
    if (nbr < 0).any():
        return None
    return np.stack([cell, nbr], axis=1)


def _met_columns(found: FoundCells, cells: np.ndarray, T: np.ndarray,
                 col_of: np.ndarray) -> np.ndarray | None:
    """The columns met at the vertices of each of ``cells`` (a bool table, the box sides and
    clipping rows in a last column) from the pool's tight ids ``T``; ``None`` at a vertex with
    more or fewer than ``d`` ids."""
    d, voff = found.d, found.vert_off
    counts = np.diff(voff)[cells]
    off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    entry = np.repeat(voff[cells] - off[:-1], counts) + np.arange(off[-1])
    Te = np.take(T, found.vert_ids[entry], axis=0)
    if Te.shape[1] == d:  # (rows padded with _PAD, the largest int32)
        if len(Te) and int(Te.max()) == _PAD:
            return None
        ids = None
    else:
        valid = Te != _PAD
        if not (np.count_nonzero(valid, axis=1) == d).all():
            return None
        ids = Te[valid]
    ncol = found.patterns.shape[1]
    lut = np.where(col_of < 0, ncol, col_of)  # box sides, clipping rows: column ncol
    lut = lut.astype(np.int16 if ncol < (1 << 15) - 1 else np.int64)
    colE = np.take(lut, Te if ids is None else ids.reshape(-1, d))  # (entries, d)
    # each (cell, column) once: marks in a (cells, columns + 1) table
    rows = np.repeat(np.arange(len(cells), dtype=np.int64) * (ncol + 1), counts)
    met = np.zeros((len(cells), ncol + 1), dtype=bool)
    met.ravel()[rows[:, None] + colE] = True
    return met


def facet_columns(T: np.ndarray, ids: np.ndarray, off: np.ndarray, col_of: np.ndarray, d: int,
                  last: tuple | None = None, skip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The unit facets of the cells of a float vertex-engine pool (tight ids ``T`` per vertex,
    CSR lists ``off``, ``ids``; ``col_of``: the pattern column of each id, ``-1`` for the box
    sides and clipping rows), as :func:`tight_edges` reads them: ``(words, simple)``, the
    columns met at each cell's vertices as bits (``(C, W)`` ``uint64``: column ``c`` is bit
    ``c % 64`` of word ``c // 64``) and whether every vertex of the cell has exactly ``d`` ids
    (where one has not, its bits are not its facets).  A streamed linear count keeps these,
    a few bytes per cell, instead of the cells' vertex lists.

    ``last = (split, up, signs, col)``: the pool's last unit (pattern column ``col``) was
    counted, not cut (:attr:`~tropnet.regions.resume.RefineState.last_split`: its sign at each
    entry); the rows are then those of the cells it makes, the cells first (a split cell as its
    side ``s < 0``) and the sides ``s > 0`` of the split cells after them.  A side of a simple
    cell keeps the vertices with its sign, each with its ids, and gains the vertices the cut
    makes on the crossing edges, each with the edge's ``d - 1`` common ids and the unit's: its
    columns are those of its old vertices and ``col``, and it is simple where its old vertices
    are.  A vertex where the unit is zero takes the unit's id too (:meth:`~tropnet.regions.
    vertex._Engine.step`; unless the unit is zero on every vertex of the pool): not simple.

    ``skip`` (a bool per pool vertex): vertices left out where they have more than ``d`` ids,
    neither their columns read nor the cell made not simple by them (a cube facet's side at
    infinity, ``t = 0``, where a second layer's units with no input vanish together: every unit
    facet of a cell of R^n has a vertex with ``t > 0`` on the facets where it is met); a cell
    the last unit splits is not simple where it has such a vertex.

    >>> T = np.array([[0, 4], [1, 4], [1, 5], [0, 5]], dtype=np.int32)   # a square, ids 0, 1 (box), 4, 5
    >>> col_of = np.array([-1, -1, -1, -1, 0, 1, 2])
    >>> words, simple = facet_columns(T, np.arange(4), np.array([0, 4]), col_of, 2)
    >>> words.tolist(), simple.tolist()
    ([[3]], [True])
    >>> signs = np.array([1, 1, -1, -1], dtype=np.int8)   # unit 2 cuts it: two cells
    >>> words, simple = facet_columns(T, np.arange(4), np.array([0, 4]), col_of, 2,
    ...                               (np.array([True]), np.array([True]), signs, 2))
    >>> words.tolist(), simple.tolist()
    ([[6], [5]], [True, True])
    """
    C = len(off) - 1
    K = int(col_of.max()) + 1 if len(col_of) else 0
    W = max(1, -(-K // 64))
    if C == 0:
        return np.zeros((0, W), dtype=np.uint64), np.zeros(0, dtype=bool)
    # the bit of each id in each word (none for the box sides, clipping rows and the padding)
    nid = len(col_of)
    bit = np.zeros((W, nid + 1), dtype=np.uint64)
    u = np.flatnonzero(col_of >= 0)
    bit[col_of[u] >> 6, u] = np.left_shift(np.uint64(1), (col_of[u] & 63).astype(np.uint64))
    # a vertex with exactly d ids: its d first (the rows are sorted, the padding last); only
    # those vertices' bits are read
    ok = T[:, d - 1] != _PAD
    if T.shape[1] > d:
        ok &= T[:, d] == _PAD
    starts = off[:-1]
    drop = None
    two = np.flatnonzero(last[0]) if last is not None else np.zeros(0, dtype=np.int64)
    if last is not None:
        _, _, sg, col = last
        on = sg == 0
        zero = (np.maximum.reduceat(sg, starts) == 0) & (np.minimum.reduceat(sg, starts) == 0)
        if on.any() and not zero.all():
            ok[ids[on]] = False  # the unit is tight there too (unless it is zero on every vertex)
        cnt = off[two + 1] - off[two]  # the entries of the split cells
        s2 = np.cumsum(cnt) - cnt
        ent = np.repeat(off[two] - s2, cnt) + np.arange(int(cnt.sum()))
        sg2 = sg[ent]
    if skip is not None and (skip & ~ok).any():
        drop = skip & ~ok
        ok = ok | drop
    oke = ok[ids]
    simple = np.logical_and.reduceat(oke, starts)
    words = np.empty((C + len(two), W), dtype=np.uint64)
    for w in range(W):
        Mw = np.take(bit[w], T[:, 0], mode="clip")
        for k in range(1, d):
            Mw |= np.take(bit[w], T[:, k], mode="clip")
        if drop is not None:
            Mw[drop] = 0
        Me = np.take(Mw, ids)
        words[:C, w] = np.bitwise_or.reduceat(Me, starts)
        if len(two):
            ubit = np.uint64(1 << (col & 63) if col >> 6 == w else 0)  # the unit's column
            m2 = Me[ent]
            zero = np.uint64(0)
            words[two, w] = np.bitwise_or.reduceat(np.where(sg2 < 0, m2, zero), s2) | ubit
            words[C:, w] = np.bitwise_or.reduceat(np.where(sg2 > 0, m2, zero), s2) | ubit
    if len(two):
        ok2 = oke[ent]
        simple = np.concatenate([simple, np.logical_and.reduceat(ok2 | (sg2 < 0), s2)])
        simple[two] = np.logical_and.reduceat(ok2 | (sg2 > 0), s2)
        if drop is not None:
            halved = ~np.logical_or.reduceat(drop[ids[ent]], s2)
            simple[two] &= halved
            simple[C:] &= halved
    return words, simple


def facet_table(words: np.ndarray, ncol: int) -> np.ndarray:
    """The bits of :func:`facet_columns` as a bool table of ``ncol`` pattern columns (what
    :func:`tight_edges` reads as ``found.cache["tight"]``).

    >>> facet_table(np.array([[5]], dtype=np.uint64), 3).tolist()
    [[True, False, True]]
    """
    bits = np.unpackbits(np.ascontiguousarray(words, dtype="<u8").view(np.uint8), axis=1, bitorder="little")
    out = np.zeros((len(words), ncol), dtype=bool)
    m = min(ncol, bits.shape[1])
    out[:, :m] = bits[:, :m]
    return out


def unit_edges(pats: np.ndarray, cell: np.ndarray, codes: np.ndarray) -> np.ndarray | None:
    """The pairs ``(c, neighbour)`` across the unit codes ``codes`` (one per entry, those below 0
    dropped) met at the cells ``cell``: each distinct pair once, the neighbour the cell with the
    pattern flipped there; ``None`` where such a pattern is no cell.

    >>> P = np.array([[0, 0], [1, 0], [0, 1]], dtype=np.int32)
    >>> unit_edges(P, np.array([0, 0, 0]), np.array([(0 << 20) | 1, (1 << 20) | 1, -2])).tolist()
    [[0, 1], [0, 2]]
    """
    unit = codes >= 0
    cell, codes = cell[unit].astype(np.int64), codes[unit].astype(np.int64)
    if len(cell) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    span = int(codes.max()) + 1
    if (int(cell.max()) + 1) * span < 2**62:  # one int64 key per pair: a 1-D sort, not a row sort
        u = np.unique(cell * span + codes)
        key = np.stack([u // span, u % span], axis=1)
    else:  # pragma: no cover - more than 2^62 (cell, code) keys
        key = np.unique(np.stack([cell, codes], axis=1), axis=0)
    nbr = flip_neighbours(pats, key[:, 0], key[:, 1])
    if (nbr < 0).any():
        return None
    return np.stack([key[:, 0], nbr], axis=1)


def incidence_facets(tight: np.ndarray, valid: np.ndarray, tt: np.ndarray) -> tuple[np.ndarray, ...]:
    """The facets of polytopes known by their incidences: ``tight (k, R, V)`` says whether row
    ``r`` of cell ``i`` is tight at the cell's vertex slot ``j`` (``valid (k, V)``: the slots in
    use; ``tt (k, V)``: the vertices' homogeneous scale, ``0`` for directions).  A row is a
    facet when its set of tight vertices is maximal among the rows' sets, and neither empty,
    nor every vertex (a row zero on the cell), nor directions only (a face at infinity); rows
    with one set are one facet, the first of them kept.  Returns ``(keep, twin, full)``, each
    ``(k, R)`` bool: the facets kept, those kept with twins (coincident rows), and the rows
    tight at every vertex.  (``tight`` is masked by ``valid`` in place.)

    >>> # a triangle with vertices a, b, c; rows: ab, bc, ca, a twin of bc, one tight at a only
    >>> tight = np.array([[[1, 1, 0], [0, 1, 1], [1, 0, 1], [0, 1, 1], [1, 0, 0]]], dtype=bool)
    >>> keep, twin, full = incidence_facets(tight, np.ones((1, 3), dtype=bool), np.ones((1, 3)))
    >>> keep[0].tolist(), twin[0].tolist(), bool(full.any())
    ([True, True, True, False, False], [False, True, False, False, False], False)
    """
    tight &= valid[:, None, :]
    # the sets of vertices as bits, in whole uint64 words (a set of up to 64 vertices: one word)
    words, vw, pw = (_words(x) for x in (tight, valid[:, None, :], (valid & (tt != 0))[:, None, :]))
    nz = (words != 0).any(axis=2)
    full = (words == vw).all(axis=2)
    has_point = ((words & pw) != 0).any(axis=2)
    cand = nz & ~full & has_point
    k, R = cand.shape
    # compare only the candidate rows of each cell (gathered to the front, in row order)
    rc = max(1, int(cand.sum(axis=1).max())) if k else 1
    crow = np.argsort(~cand, axis=1, kind="stable")[:, :rc]  # (k, rc) row indices
    cv = np.take_along_axis(cand, crow, axis=1)
    rows = (np.arange(k)[:, None] * R + crow).ravel()  # (whole rows: 30x take_along_axis)
    cw = np.take(words.reshape(k * R, -1), rows, axis=0).reshape(k, rc, -1)  # (k, rc, words)
    sub = cv[:, :, None] & cv[:, None, :]  # S_i within S_j, word by word
    for w in range(cw.shape[2]):
        sub &= (cw[:, :, None, w] & ~cw[:, None, :, w]) == 0
    eq = sub & np.swapaxes(sub, 1, 2)
    strict = sub & ~eq
    maximal = cv & ~strict.any(axis=2)
    lower = np.tril(np.ones((rc, rc), dtype=bool), -1)
    keep_c = maximal & ~(eq & lower[None]).any(axis=2)
    twin_c = keep_c & (eq & ~np.eye(rc, dtype=bool)[None]).any(axis=2)
    keep = np.zeros((k, R), dtype=bool)
    twin = np.zeros((k, R), dtype=bool)
    np.put_along_axis(keep, crow, keep_c, axis=1)
    np.put_along_axis(twin, crow, twin_c, axis=1)
    return keep, twin, full


def _words(x: np.ndarray) -> np.ndarray:
    """The last axis of a boolean array as bits in uint64 words: ``(..., n) -> (..., ceil(n / 64))``."""
    bits = np.packbits(x, axis=-1)
    if bits.shape[-1] % 8 or bits.shape[-1] == 0:
        pad = np.zeros(bits.shape[:-1] + (8 - bits.shape[-1] % 8,), dtype=np.uint8)
        bits = np.concatenate([bits, pad], axis=-1)
    return np.ascontiguousarray(bits).view(np.uint64)


def code_edges(found: FoundCells, cells: np.ndarray) -> np.ndarray | None:
    """The facet-adjacent pairs ``(c, neighbour)`` of the cells ``cells`` of an exact run with
    tight codes (``found.vert_codes``: exact incidences, see :func:`tropnet.regions.codes._codes`).

    Where every vertex is simple (codes of width ``d``) each unit code met at a cell's vertices
    is a facet, and the cell across it has the pattern with that unit flipped
    (:func:`unit_edges`).  Otherwise a cell's rows are the codes met at its vertices and its
    facets are read by incidence (:func:`incidence_facets`); across a facet the pattern is the
    cell's with a nonempty subset of its *class* flipped: the units tight on the whole facet
    (coincident rows, such as a unit and its scaled copy) and the units zero on the whole cell
    (every other unit is nonzero inside the facet, so keeps its sign just across).  A facet of
    one unit in a cell without zero units: that unit flipped; else the one other cell whose
    pattern agrees with the cell's outside the class.  ``None`` where there is no such cell, or
    several (the caller's fallback decides).

    >>> import tropnet
    >>> from tropnet.regions.plan import make_plan
    >>> net = tropnet.Network.from_arrays([[[1.0], [2.0]], [[1.0, -0.5]]])  # relu(x) - relu(2x)/2
    >>> plan = make_plan(net, tropnet.Box(-1, 1), want="count", kind="linear", exact=True)
    >>> found = plan.find()
    >>> found.vert_codes.shape[1], found.patterns.tolist()  # x = 0: both units tight, not simple
    (2, [[0, 0], [1, 1]])
    >>> code_edges(found, np.arange(2)).tolist()  # both units flipped, from either side
    [[0, 1], [1, 0]]
    """
    d, pats = found.d, found.patterns
    counts = np.diff(found.vert_off)[cells]
    off = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    entry = np.repeat(found.vert_off[cells] - off[:-1], counts) + np.arange(off[-1])
    codes = found.vert_codes[entry]  # (entries, width)
    if codes.shape[1] == d or len(cells) == 0:  # every vertex simple (-1: an artificial bound)
        cell = np.repeat(np.repeat(cells, counts), d)
        return unit_edges(pats, cell, codes.ravel())
    n, m = len(cells), codes.shape[1]
    lc_e = np.repeat(np.arange(n), counts)  # the (local) cell and vertex slot of each entry
    slot = np.arange(len(entry)) - off[lc_e]
    cc = codes.ravel()
    real = cc != -1
    lc, vs, cc = np.repeat(lc_e, m)[real], np.repeat(slot, m)[real], cc[real]
    # a cell's rows: the distinct codes met at its vertices, in order (domain rows first)
    low = int(cc.min())
    span = int(cc.max()) - low + 1
    ukey, row_of = np.unique(lc * span + (cc - low), return_inverse=True)
    rcell, rcode = ukey // span, ukey % span + low
    nrows = np.bincount(rcell, minlength=n)
    rstart = np.concatenate([[0], np.cumsum(nrows)])
    rloc = np.arange(len(ukey)) - rstart[rcell]
    R, V = max(1, int(nrows.max())), max(1, int(counts.max()))
    tvals = np.asarray(found.vert_t[found.vert_ids[entry]] != 0)
    ncol = pats.shape[1]
    fcell, fcode = [], []  # facets of one unit, in cells without zero units
    owner, classes = [], []  # the others: their cells, their classes' columns (packed bits)
    step = max(1, 4_000_000 // (R * V))
    for a in range(0, n, step):
        b = min(n, a + step)
        ra, rb = rstart[a], rstart[b]
        ea, eb = off[a], off[b]
        k = b - a
        tight = np.zeros((k, R, V), dtype=bool)
        sel = (lc >= a) & (lc < b)
        tight[lc[sel] - a, rloc[row_of.ravel()[sel]], vs[sel]] = True
        valid = np.arange(V)[None, :] < counts[a:b, None]
        tt = np.zeros((k, V), dtype=bool)
        tt[lc_e[ea:eb] - a, slot[ea:eb]] = tvals[ea:eb]
        code = np.full((k, R), -1, dtype=np.int64)
        code[rcell[ra:rb] - a, rloc[ra:rb]] = rcode[ra:rb]
        keep, twin, full = incidence_facets(tight, valid, tt)
        zero_units = full & (code >= 0)
        unit = keep & (code >= 0)
        plain = unit & ~twin & ~zero_units.any(axis=1)[:, None]
        i, r = np.nonzero(plain)
        fcell.append(cells[a + i])
        fcode.append(code[i, r])
        # a facet's class: the unit rows tight at exactly its vertices, and the cell's zero units
        i, r = np.nonzero(unit & ~plain)
        tw = _words(tight)  # (k, R, V / 64): the rows' sets of tight vertices
        fstep = max(1, 4_000_000 // (R * tw.shape[2]))
        for fa in range(0, len(i), fstep):
            fi, fr = i[fa : fa + fstep], r[fa : fa + fstep]
            same = (tw[fi] == tw[fi, fr][:, None, :]).all(axis=2)  # (facets, R)
            f, j = np.nonzero((same | zero_units[fi]) & (code[fi] >= 0))
            member = np.zeros((len(fi), ncol), dtype=bool)
            member[f, code[fi[f], j] >> 20] = True
            owner.append(cells[a + fi])
            classes.append(np.packbits(member, axis=1))
    fcell = np.concatenate(fcell)
    nbr = flip_neighbours(pats, fcell, np.concatenate(fcode))
    if (nbr < 0).any():
        return None
    edges = [np.stack([fcell, nbr], axis=1)]
    if owner:
        e = _class_edges(pats, np.concatenate(owner), np.concatenate(classes))
        if e is None:
            return None
        edges.append(e)
    return np.concatenate(edges).astype(np.int64)


def _class_edges(pats: np.ndarray, owner: np.ndarray, classes: np.ndarray) -> np.ndarray | None:
    """The pairs ``(c, neighbour)`` across the facets of several units of the cells ``owner``:
    the one other cell whose pattern agrees with ``c``'s outside the facet's class (the columns
    of ``classes``, packed bits; 0/1 patterns: every other value of those columns), ``None``
    where there is none or several.  Per distinct class one sort of the patterns' hashes with
    the class's columns taken out (:func:`pattern_hash`, wrapping sums: a class's columns are
    subtracted), the owners' cells looked up among them at once, and found cells compared
    entry by entry outside the class.

    >>> P = np.array([[0, 0, 1], [1, 1, 1], [1, 1, 0], [0, 0, 0]], dtype=np.int32)
    >>> cls = np.packbits(np.array([[1, 1, 0]] * 4, dtype=bool), axis=1)  # units 0 and 1: one facet
    >>> _class_edges(P, np.arange(4), cls).tolist()
    [[0, 1], [1, 0], [2, 3], [3, 2]]
    >>> _class_edges(P, np.array([0]), np.packbits(np.array([[1, 1, 1]], dtype=bool), axis=1)) is None
    True
    """
    C, ncol = pats.shape
    Rh = np.random.default_rng(7).integers(0, np.iinfo(np.uint64).max, size=ncol, dtype=np.uint64)
    h = pattern_hash(pats, Rh)
    _, rep, cid = np.unique(row_keys(classes), return_index=True, return_inverse=True)
    pair = np.unique(cid.ravel().astype(np.int64) * C + owner)  # each (class, cell) once, by class
    cid, owner = pair // C, pair % C
    starts = np.searchsorted(cid, np.arange(len(rep) + 1))
    nbr = np.empty(len(owner), dtype=np.int64)
    for k in range(len(rep)):
        sl = slice(starts[k], starts[k + 1])
        cols = np.flatnonzero(np.unpackbits(classes[rep[k]], count=ncol))
        hk = h - pattern_hash(pats[:, cols], Rh[cols])  # (wraps)
        nbr[sl] = key_index(hk, hk[owner[sl]], skip=owner[sl])
        if (nbr[sl] < 0).any():
            return None  # no cell across, or several candidates (the caller's fallback decides)
        differ = pats[nbr[sl]] != pats[owner[sl]]
        differ[:, cols] = False
        if differ.any():  # pragma: no cover - two masked patterns with one hash (about 2^-64 a pair)
            return None
    return np.stack([owner, nbr], axis=1)
