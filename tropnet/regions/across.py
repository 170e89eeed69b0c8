"""The cell across a facet, read off the pattern just beyond it.

Where flipping the facet's unit in the pattern finds no cell (several units vanish on the facet:
coincident hyperplanes, such as a unit and its scaled copy, or a facet on the domain's
boundary), the geometry (:func:`tropnet.regions.geometry._facets_of`) reads the pattern beyond
a point ``p`` in the facet's relative interior, away from the cell's interior point ``x0``.

* Exact mode: the pattern at ``p + eps (p - x0)`` for every small enough ``eps > 0``
  (:func:`~tropnet.regions.affine.patterns_beyond`: each entry is ``a + b eps`` near the facet,
  decided by ``(a, b)`` lexicographically), so a cell however thin is not jumped over; a domain
  row zero at ``p`` that grows along the ray marks a boundary facet.  (Finite steps ``2^-40``
  jumped over slivers of about ``1e-17`` that a float weight such as ``-1/3`` leaves between
  cancelled units, and joined the wrong cells.)
* Float mode (and a cross-polytope kept whole): ``q = p + 2^-k (p - x0)`` for
  ``k = 10, 20, 30, 40``, until ``q`` leaves the domain (a boundary facet) or its activation
  pattern is another reported cell.  All facets step together: one forward pass of the program
  per step for every facet still open.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..kernels.merge import row_index
from .affine import patterns_at, patterns_beyond
from .exactness import _fmpq, _stage_to_q, _to_q
from .found import FoundCells

__all__ = ["cells_across"]

#: the steps ``2^-k`` beyond a facet's point, tried in turn
STEPS = (10, 20, 30, 40)


def cells_across(found: FoundCells, owners: np.ndarray, P: list, in_ball=None) -> np.ndarray:
    """For each facet point ``P[i]`` (in the relative interior of a facet of cell ``owners[i]``),
    the reported cell whose pattern holds just across the facet, ``-1`` where the steps leave the
    domain first (a facet on its boundary) or where the pattern is the owner's at every step
    (float mode also where it is no reported cell).  ``in_ball(q)``: whether a float point lies
    in a cross-polytope domain (kept whole, not in ``found.dom_A``).

    In exact mode the pattern is the one at ``P[i] + eps (P[i] - x0)`` for every small ``eps``
    (no step to jump over a thin cell, see the module docstring), and one inside the domain that
    is no reported cell proves a missed cell: :class:`RuntimeError` instead of a wrong answer.

    >>> import tropnet
    >>> from tropnet import Box
    >>> from tropnet.regions.plan import make_plan
    >>> net = tropnet.Network.from_arrays([[[1.0], [2.0]], [[1.0, -0.5]]])  # relu(x) - relu(2x)/2
    >>> found = make_plan(net, Box(-1, 1), want="regions", kind="activation", exact=True).find()
    >>> left = int(np.flatnonzero(found.patterns[:, 0] == 0)[0])   # x <= 0, facet point x = 0
    >>> across = cells_across(found, np.array([left]), [np.array([Fraction(0)])])
    >>> found.patterns[across[0]].tolist()
    [1, 1]
    """
    m = len(owners)
    out = np.full(m, -1, dtype=np.int64)
    if m == 0:
        return out
    exact, d = found.exact, found.d
    pats = found.patterns
    if exact:
        if "stages_q" not in found.cache:
            found.cache["stages_q"] = [_stage_to_q(st) for st in found.stages]
        stages = found.cache["stages_q"]
        Pn = _to_q(np.array([np.asarray(p, dtype=object) for p in P], dtype=object).reshape(m, d))
        X0 = _to_q(np.asarray(found.points[owners], dtype=object).reshape(m, d))
        A_dom = _to_q(np.asarray(found.dom_A, dtype=object))
        b_dom = _to_q(np.asarray(found.dom_b, dtype=object))
    else:
        stages = found.stages
        Pn = np.array([np.asarray(p, dtype=np.float64) for p in P]).reshape(m, d)
        X0 = np.asarray(found.points[owners], dtype=np.float64).reshape(m, d)
        A_dom, b_dom = found.dom_A, found.dom_b
    if exact and in_ball is None:
        return _cells_beyond(pats, stages, owners, Pn, Pn - X0, A_dom, b_dom)
    unresolved = np.zeros(m, dtype=bool)
    last: list = [None] * m
    open_ = np.arange(m)
    for k in STEPS:
        if not len(open_):
            break
        delta = _fmpq(Fraction(1, 2**k)) if exact else 2.0**-k
        Q = Pn[open_] + delta * (Pn[open_] - X0[open_])
        inside = np.ones(len(open_), dtype=bool)
        if len(b_dom):
            inside = (Q.dot(A_dom.T) <= b_dom[None, :]).all(axis=1)
        if in_ball is not None:
            inside &= np.array([in_ball(q) for q in Q], dtype=bool)
        # across is outside the domain: a boundary facet (whatever an earlier step found)
        unresolved[open_[~inside]] = False
        rows = open_[inside]
        keep = np.zeros(len(rows), dtype=bool)
        if len(rows):
            Qi = Q[inside]
            hit = row_index(pats, patterns_at(stages, Qi).astype(pats.dtype))
            there = (hit >= 0) & (hit != owners[rows])
            out[rows[there]] = hit[there]
            unresolved[rows[there]] = False
            for i in np.flatnonzero(hit < 0).tolist():
                unresolved[rows[i]], last[rows[i]] = True, Qi[i]
            keep = ~there
        open_ = rows[keep]
    if exact and unresolved.any():
        r = int(np.flatnonzero(unresolved)[0])
        raise RuntimeError(
            "exact enumeration could not certify completeness: the point "
            f"{[str(v) for v in last[r]]} lies across a facet of cell {int(owners[r])} inside the domain, "
            "but its activation pattern is not among the reported cells (please report this bug)"
        )
    return out


def _cells_beyond(pats, stages, owners, Pn, V, A_dom, b_dom) -> np.ndarray:
    """:func:`cells_across` in exact mode: the pattern at ``P + eps (P - x0)`` for every small
    ``eps > 0`` (:func:`~tropnet.regions.affine.patterns_beyond`), which no finite step can
    promise (a cell thinner than the step lies between).  A facet whose ray leaves the domain
    (a domain row zero at ``P`` that grows along it) is on the boundary: ``-1``."""
    out = np.full(len(owners), -1, dtype=np.int64)
    inside = np.ones(len(owners), dtype=bool)
    if len(b_dom):
        va, vb = Pn.dot(A_dom.T) - b_dom[None, :], V.dot(A_dom.T)
        inside = ~((va > 0) | ((va == 0) & (vb > 0))).any(axis=1)
    rows = np.flatnonzero(inside)
    if not len(rows):
        return out
    hit = row_index(pats, patterns_beyond(stages, Pn[rows], V[rows]).astype(pats.dtype))
    if (hit < 0).any():
        r = int(rows[np.flatnonzero(hit < 0)[0]])
        raise RuntimeError(
            "exact enumeration could not certify completeness: just across the point "
            f"{[str(v) for v in Pn[r]]} of a facet of cell {int(owners[r])}, inside the domain, the "
            "activation pattern is not among the reported cells (please report this bug)"
        )
    there = hit != owners[rows]
    out[rows[there]] = hit[there]
    return out
