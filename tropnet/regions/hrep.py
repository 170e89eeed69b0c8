"""The H-representation engine, for float runs in high input dimension: every cell is its
list of cutting halfspaces (the box stays the LPs' variable bounds; a cross-polytope domain is
kept whole in the LPs, lifted) and a few points inside it (*witnesses*); a unit splits a cell
when both sides hold a point farther than a tolerance from the cell's hyperplanes.  Witnesses on
both sides decide a split with no LP; otherwise one HiGHS LP decides the side without one (and
its point becomes a witness); units that keep one sign over the whole domain need none.  The
cells of an activation stage are refined depth first, each cell testing only the units that cut
its parent.  Interface: one call, :func:`refine_hrep` (no resumable states, no vertices).

>>> import numpy as np
>>> from tropnet import random_mlp
>>> from tropnet.regions.program import stages_from_network
>>> len(refine_hrep(stages_from_network(random_mlp([3, 4, 1], seed=1)), 3, -np.ones(3), np.ones(3)))
9
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._limits import progress_bar
from .cells import Cells, RegionLimitError, check_passed
from .hrep_exact import ExactRows, _ExactSides
from .program import Stage, _magnitude_bounds, _Program
from .vertex import undecided

#: Above this input dimension the H-representation engine (one LP per cell and unit) runs.
HREP_DIM = 12
#: ... and float counts (activation or linear, serial) above these many inputs already, by the
#: plan's domain (``DomainPieces.kind``; a cross-polytope kept whole: :data:`CROSS_HREP_COUNT_DIM`):
#: the vertex engine starts from the 2^d corners of its boxes and its cells' vertices multiply
#: with d.  Measured crossovers (``benchmarks/RESULTS.md``, random ``[d, w, w, 1]``): on
#: ``[-5, 5]^d`` this engine 1.6-2x the vertex engine's time at 8 inputs, 0.56-0.81x at 9; on
#: all of R^n (the ``2d + 1`` facets of the homogenised cube) 1.1-2.1x at 9, 0.38-0.64x at 10.
HREP_COUNT_DIMS = {"box": 8, "bounded polyhedron": 8, "cube facets": 9}


#: Random points of the domain that start as witnesses of its cells, and the most witnesses a
#: cell keeps (those farthest from its hyperplanes).
SAMPLES = 64
WITNESSES = 16

#: A side whose largest value (from an LP with a unit objective) is below ``-LP_SLACK`` times
#: the domain's size is empty whatever HiGHS's tolerances (``1e-7``) did; closer calls are
#: decided by the Chebyshev LP and the tie rule.
LP_SLACK = 1e-5

#: An exact run's float distance of a witness checked exactly inside its cell but at float
#: distance 0 (a witness has ``rho > 0``).
_TINY = 1e-300

#: Exact runs use the vertex engine (exact decisions; it starts from the 2^d corners of the
#: box) up to this input dimension, and this engine with every decision exact above it
#: (``refine_hrep(..., exact=True)``, :mod:`tropnet.regions.hrep_exact`).
EXACT_MAX_DIM = 16
#: ... but exact activation counts take this engine (exact decisions) above this many inputs
#: already.  Measured (``benchmarks/bench_exact_hrep.py --only crossover``, exact counts on
#: ``[-1, 1]^d``): on random ``[d, 8, 8, 1]`` networks the vertex engine is 16x faster at 4 inputs,
#: 5-10x at 5-6, 1.3-2.1x at 7, 0.84-0.92x at 8 (and minutes at 12); on integer zero-bias
#: ``[d, 6, 6, 1]`` networks (exact ties: the vertex engine's rational pass) this engine is
#: 0.05-0.7x its time from 4 inputs on.
EXACT_COUNT_DIM = 7


#: A run solves this many side LPs on HiGHS before it takes the compiled ones
#: (:mod:`tropnet.regions.jit_lp`): importing numba and, on a fresh install, compiling cost
#: seconds that only a run with many LPs (then about 4x cheaper each) pays back.
JIT_LP_AFTER = 256


def uses_hrep(d: int, exact: bool, count: bool = False, domain: str = "box") -> bool:
    """Whether a run in input dimension ``d`` takes this engine: float runs above
    :data:`HREP_DIM`, float counts (``count``: serial, activation or linear) above
    :data:`HREP_COUNT_DIMS` of their ``domain`` (a ``DomainPieces.kind``: ``"box"``,
    ``"bounded polyhedron"``, ``"cube facets"`` for all of R^n or an unbounded polyhedron);
    exact runs above :data:`EXACT_MAX_DIM` (with exact decisions; region sets on bounded
    domains only), exact counts (``count``) above :data:`EXACT_COUNT_DIM`.

    >>> uses_hrep(13, False), uses_hrep(13, True), uses_hrep(4, False), uses_hrep(17, True)
    (True, False, False, True)
    >>> uses_hrep(8, True, count=True), uses_hrep(7, True, count=True)
    (True, False)
    >>> uses_hrep(9, False, count=True), uses_hrep(9, False), uses_hrep(9, False, True, "cube facets")
    (True, False, False)
    """
    if exact:
        return d > (EXACT_COUNT_DIM if count else EXACT_MAX_DIM)
    return d > (HREP_COUNT_DIMS.get(domain, HREP_COUNT_DIMS["box"]) if count else HREP_DIM)


#: Exact region sets and linear counts on a cross-polytope list its ``2^d`` facets for the vertex
#: engine up to this many inputs (at 8 its arrays outgrow memory even for a [8, 6, 1] network),
#: and take this engine above it, the ball kept whole (exact region sets: serial, their cells'
#: facets decided exactly, :mod:`tropnet.regions.hrep_exact_regions`).
CROSS_EXACT_MAX_DIM = 7
#: Exact activation counts on a cross-polytope take this engine, the ball kept whole and every
#: decision exact, above this many inputs.  Measured (``benchmarks/bench_exact_hrep.py --only
#: crossover``, random ``[d, 8, 8, 1]`` and integer zero-bias ``[d, 6, 6, 1]``): at 4 inputs the
#: vertex engine on the 16 facets is 2-5x faster on the random networks (0.4x on the integer one),
#: at 5 this engine is 0.34-0.83x its time, at 6 0.02-0.04x, at 7 0.0004x (284 s against 0.1 s).
CROSS_EXACT_COUNT_DIM = 4


#: Float runs on a cross-polytope above this many inputs keep it whole (lifted) in this
#: engine's LPs, region sets included (their cells list their unit facets only, the ball is
#: ``RegionSet.ball``: a cell's own facets of the ball can number ``2^d``); up to it region sets
#: take the vertex engine on its ``2^d`` facets (an [8, 6, 1] network on the 8-D cross-polytope:
#: 64 s on the 256 facets, 0.03 s here), which their cells then list.
CROSS_HREP_DIM = 7
#: ... and float counts (activation or linear, serial or on Dask) above this many: the
#: cross-polytope's vertices lie on ``2^(d-1)`` facets each, which the vertex engine meets with
#: its combinatorial adjacency test.  Measured (``bench_slices.py --only cutoff``: random, sparse
#: and merging ``[d, 8, 8, 1]``, activation and linear): at 4 inputs the 16 listed facets are
#: 2-6x faster, at 5 the ball kept whole is 1.0-1.6x faster on 10 of 12 rows (0.75-0.89x on the
#: other two), from 6 on 5-18x and more (7-D: 128 facets, past 10 s against 0.04-0.6 s).
CROSS_HREP_COUNT_DIM = 4


def uses_hrep_cross(d: int, exact: bool, count: bool = False) -> bool:
    """Whether a run on a cross-polytope in dimension ``d`` takes this engine with the 1-norm
    constraint lifted: float runs above :data:`CROSS_HREP_DIM` (region sets too), float counts
    (``count``, activation or linear, serial or on Dask) above :data:`CROSS_HREP_COUNT_DIM`;
    exact runs (with exact decisions) above :data:`CROSS_EXACT_MAX_DIM` (region sets serial only,
    :func:`check_exact_hrep`), exact activation counts (``count``) above
    :data:`CROSS_EXACT_COUNT_DIM`.

    >>> uses_hrep_cross(8, False), uses_hrep_cross(7, False), uses_hrep_cross(8, True)
    (True, False, True)
    >>> uses_hrep_cross(5, False, count=True), uses_hrep_cross(4, False, count=True)
    (True, False)
    >>> uses_hrep_cross(5, True), uses_hrep_cross(5, True, count=True)
    (False, True)
    """
    if exact:
        return d > (CROSS_EXACT_COUNT_DIM if count else CROSS_EXACT_MAX_DIM)
    return d > (CROSS_HREP_COUNT_DIM if count else CROSS_HREP_DIM)


def check_exact_hrep(d: int, cross: bool, cells_only: bool) -> None:
    """Refuse an exact run that takes this engine (above :data:`EXACT_MAX_DIM` inputs, on a
    cross-polytope above :data:`CROSS_EXACT_MAX_DIM`) for more than it decides exactly there:
    serial runs on every domain, counts on Dask (``cells_only``: such a run), not exact region
    sets on Dask nor exact linear counts on Dask on all of R^n or an unbounded polyhedron.

    >>> check_exact_hrep(20, False, True)
    >>> check_exact_hrep(7, True, False)
    >>> check_exact_hrep(8, True, False)
    Traceback (most recent call last):
    ...
    ValueError: exact region sets on Dask (and exact linear counts on Dask on all of R^n or an
    unbounded polyhedron) run in at most 16 input dimensions (on a CrossPolytope at most 7; got 8): ...
    """
    if cells_only or not (uses_hrep_cross(d, True) if cross else uses_hrep(d, True)):
        return
    raise ValueError(
        "exact region sets on Dask (and exact linear counts on Dask on all of R^n or an unbounded "
        f"polyhedron) run in at most {EXACT_MAX_DIM} input dimensions (on a CrossPolytope at most "
        f"{CROSS_EXACT_MAX_DIM}; got {d}): above that the H-representation engine decides cells, facets "
        "and boundedness exactly (hrep_exact_regions) in one serial run; run them serially "
        "(parallel=None), or exact=False"
    )


class _Dom:
    """The domain of a run: the box ``[lo, hi]`` (the LPs' variable bounds) or the
    cross-polytope ``|x - c|_1 <= r`` in it (``l1 = (c, r)``), with its LPs and samples."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, l1: Any) -> None:
        self.lo, self.hi, self.d = lo, hi, len(lo)
        self.width = float(np.max(hi - lo))
        self.rcap = 2.0 * self.width + 1.0  # keeps every LP bounded (its point in the domain)
        self.l1 = None if l1 is None else (np.asarray(l1[0], dtype=np.float64), float(l1[1]))
        self.mid = (lo + hi) / 2 if self.l1 is None else self.l1[0]
        self.rad = (hi - lo) / 2
        self.span = float(np.abs(hi - lo).sum()) + 1.0  # the size of the LPs' terms
        self.lps = 0  # side LPs solved so far: the compiled LPs after JIT_LP_AFTER of them
        self.jit: Any = None

    def support(self, W: np.ndarray) -> np.ndarray:
        """``max |W (x - mid)|`` over the domain, per row (last axis: the coordinates)."""
        if self.l1 is not None:
            return self.l1[1] * np.abs(W).max(axis=-1)
        return np.abs(W).dot(self.rad)

    def cheb(self, A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
        """A point of the domain as far as possible (at most ``rcap``) from the unit-norm rows
        ``A x <= b`` on their inner sides, and that distance (``<= 0``: no interior)."""
        from ..kernels.lp import chebyshev_center, l1_chebyshev_center

        if self.l1 is None:
            return chebyshev_center(A, b, lo=self.lo, hi=self.hi, rmax=self.rcap)
        return l1_chebyshev_center(A, b, self.l1[0], self.l1[1], rmax=self.rcap)

    def lifted(self, A: np.ndarray, b: np.ndarray, c: np.ndarray):
        """The LP ``max c x`` on ``{A x <= b}`` in the domain as ``(M, rhs, cz, lo, hi)`` in its
        own variables (the box's ``x``, or the cross-polytope's ``p, q``: ``x = c0 + p - q``)."""
        if self.l1 is None:
            return A, b, c, self.lo, self.hi
        c0, r = self.l1
        d = self.d
        M = np.empty((len(b) + 1, 2 * d))
        M[:-1, :d], M[:-1, d:], M[-1] = A, -A, 1.0
        return M, np.append(b - A.dot(c0), r), np.r_[c, -c], np.zeros(2 * d), np.full(2 * d, r)

    def maximise(self, A: np.ndarray, b: np.ndarray, c: np.ndarray, floor: float = -np.inf,
                 duals: bool = False) -> tuple:
        """A point of ``{A x <= b}`` in the domain where ``c x`` is largest, and that value
        (``(None, -inf)`` when the set is empty, or when a bound below ``floor`` proves the
        value is).  With numba, the compiled dual simplex (:mod:`tropnet.regions.jit_lp`)
        first: its point is used as is (the caller measures it), and an empty side needs its
        multipliers' weak-duality bound below ``floor``; anything else goes to HiGHS.  With
        ``duals``, no early stop, and also the row multipliers ``y >= 0`` of ``A x <= b`` (an
        exact run's certificates of empty sides; zeros when the LP did not solve)."""
        from ..kernels.lp import solve_lp

        M, rhs, cz, lo, hi = self.lifted(A, b, c)
        off = 0.0 if self.l1 is None else float(c.dot(self.l1[0]))
        self.lps += 1
        if self.lps == JIT_LP_AFTER + 1:
            self.jit = _jit_lp()
        if self.jit is not None:
            st, z, lam = self.jit.maximise(M, rhs, cz, lo, hi)
            if st == 0:
                v = float(cz.dot(z)) + off
                if duals:
                    return self.point(z), v, lam[: len(b)]
                if v >= floor:
                    return self.point(z), v
                if self.jit.dual_bound(M, rhs, cz, lo, hi, lam) + off < floor:
                    return None, -np.inf
        st, z, *y = solve_lp(-cz, M, rhs, lo, hi, duals=duals)
        if st != "optimal":
            return (None, -np.inf, np.zeros(len(b))) if duals else (None, -np.inf)
        out = self.point(z), float(cz.dot(z)) + off
        return (*out, y[0][: len(b)]) if duals else out

    def point(self, z: np.ndarray) -> np.ndarray:
        """The input point of the LP variables ``z``."""
        if self.l1 is None:
            return z
        return self.l1[0] + z[: self.d] - z[self.d :]

    def sample(self, k: int, seed: int = 0) -> np.ndarray:
        """``k`` uniform random points of the domain."""
        rng = np.random.default_rng(seed)
        if self.l1 is None:
            return rng.uniform(self.lo, self.hi, size=(k, self.d))
        c, r = self.l1
        E = rng.exponential(size=(k, self.d + 1))  # uniform on the simplex, then random signs
        signs = rng.choice([-1.0, 1.0], size=(k, self.d))
        return c + r * E[:, : self.d] / E.sum(axis=1, keepdims=True) * signs


def _jit_lp():
    """:mod:`tropnet.regions.jit_lp` when numba is installed and the compiled LPs are not
    switched off (``TROPNET_NO_JIT_LP=1``), else ``None`` (every LP on HiGHS)."""
    import os

    if os.environ.get("TROPNET_NO_JIT_LP"):
        return None
    try:
        from . import jit, jit_lp
    except ImportError:
        return None
    jit.warm(jit_lp)  # from numba's cache; a compile runs in a child process
    return jit_lp


def _radii(A: np.ndarray, b: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """The distances of the points ``Y`` to the unit-norm rows ``A x <= b`` (``inf``: no rows)."""
    if len(b) == 0:
        return np.full(len(Y), np.inf)
    return (b[None, :] - Y.dot(A.T)).min(axis=1)


def _pull(A, b, Y, rho, xs, g, w, bt, n) -> tuple[np.ndarray, float]:
    """A point inside the cell ``A x <= b`` where ``w x + bt > 0``, from the point ``xs`` of the
    closed cell where it is largest (value ``g``) pulled towards a witness ``y``: on the segment
    the distance to the rows grows at least like ``lambda rho_y`` and the value moves linearly,
    so ``lambda`` is where the two meet; the best over the witnesses, and its distance to the
    rows and the hyperplane."""
    gy = Y.dot(w) + bt
    fin = np.isfinite(rho)
    lam = np.where(fin, g / np.maximum(n * np.where(fin, rho, 1.0) + g - gy, 1e-300), 0.0)
    lam = np.clip(lam, 0.0, 1.0)
    Z = xs[None, :] + lam[:, None] * (Y - xs[None, :])
    r = np.minimum(_radii(A, b, Z), (Z.dot(w) + bt) / n)
    i = int(np.argmax(r))
    return Z[i], float(r[i])


def _keep(Y: np.ndarray, rho: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` witnesses farthest from the cell's rows, farthest first."""
    order = np.argsort(-rho, kind="stable")[:k]
    return Y[order], rho[order]



def refine_hrep(
    stages: list[Stage],
    d: int,
    lo: Any,
    hi: Any,
    *,
    halfspaces: tuple[Any, Any] | None = None,
    l1: tuple[Any, float] | None = None,
    max_cells: int | None = None,
    rtol: float = 1e-9,
    limits: Any = None,
    progress: bool | None = False,
    samples: int = SAMPLES,
    witnesses: int = WITNESSES,
    start: tuple[int, list] | None = None,
    stop: int | None = None,
    exact: bool = False,
) -> Cells | tuple[list, int]:
    """Layer-wise refinement in the H-representation, for high input dimension.

    Each cell is its list of cutting halfspaces (the box ``[lo, hi]`` stays the LP's variable
    bounds; ``l1 = (c, r)`` adds the cross-polytope ``|x - c|_1 <= r`` to every LP in lifted
    form; rows scaled to unit norm) and up to ``witnesses`` points inside it with their
    distances to those rows; the first cell starts with ``samples`` random points of the domain.
    A unit whose pre-activation (affine on the cell: one batched walk per stage for all cells)
    keeps one sign over the whole domain leaves the cell alone with no LP.  The cells of an
    activation stage are then refined depth first: a cell evaluates the units that cut its
    parent at its witnesses (one matrix product); a unit with witnesses on both sides farther
    than the tolerance splits it with no LP; a unit with witnesses on one side costs one HiGHS
    LP, its largest value on the other side (a unit objective): below ``-LP_SLACK`` times the
    domain's size that side is empty, else the maximiser pulled towards a witness becomes a
    witness of the other side, and when that point is inside the tie band a Chebyshev LP (a
    point of the domain farthest from the cell's hyperplanes on that side) decides.  A unit that
    does not cut the cell is never tested on its descendants, and a side that is empty adds no
    row.  Returns cells with interior points and no vertices.

    *In parts* (the Dask driver's tasks): ``stop=si`` returns ``(cells, ambiguous)`` before stage
    ``si`` is refined, the cells in the engine's own form; ``start=(si, cells)`` (some of those
    cells) refines them from stage ``si`` on.  Every cell of a stage is refined on its own, so
    the parts' cells together are the whole run's.

    *Ties* are decided locally, at the unit's own scale, by the vertex engine's rule: a side
    whose point at distance ``r`` gives the unit a value ``r ||w||`` at most ``rtol`` times the
    magnitude of the unit's terms near the cell (the bound ``A ||x||_inf + B`` of
    :func:`~tropnet.regions.program._magnitude_bounds` at ``||x||_inf + r``) is empty (when
    neither side holds such a point the cell stays whole, on the side of its first witness), and
    a unit whose value over the whole box stays within ``rtol`` times its terms is at its
    threshold everywhere (inactive).  A decision inside that band but above rounding noise
    (:func:`~tropnet.regions.vertex.undecided`) is counted in ``Cells.ambiguous``; the plan
    then warns (:class:`~tropnet.AmbiguousGeometryWarning`).  A side whose Chebyshev radius is
    below rounding noise is decided by an exact LP (:class:`_ExactSides`): empty or an exact tie,
    quietly; not empty (a sliver the float cells cannot hold), counted there too.  ``progress``:
    a bar over the units.

    ``exact=True`` (programs without group stages): every decision is exact, the floats only
    search (:mod:`tropnet.regions.hrep_exact`): a side is non-empty by a witness checked in
    rationals, empty by the float LP's multipliers checked by weak duality in rationals or by an
    exact LP; the domain (``lo``, ``hi``, ``halfspaces``, ``l1``) is taken exactly as given
    (Fractions, or floats as the dyadic rationals they store), a unit zero on a whole cell is
    inactive there (as in the vertex engine), and ``ambiguous`` stays 0.

    >>> from tropnet import random_mlp
    >>> from tropnet.regions.program import stages_from_network
    >>> from tropnet.regions.refine import refine
    >>> st = stages_from_network(random_mlp([3, 4, 1], seed=1))
    >>> len(refine_hrep(st, 3, -np.ones(3), np.ones(3))) == len(refine(st, 3, -np.ones(3), np.ones(3)))
    True
    """
    ex = ExactRows(stages, d, lo, hi, halfspaces, l1) if exact else None
    lo = np.asarray(lo, dtype=np.float64).ravel()
    hi = np.asarray(hi, dtype=np.float64).ravel()
    if l1 is not None:
        l1 = (np.asarray(l1[0], dtype=np.float64), float(l1[1]))
    dom = _Dom(lo, hi, l1)
    width, mid = dom.width, dom.mid
    tol = rtol * width  # only for the domain itself (empty or not)
    scale = float(np.max(np.abs(np.r_[lo, hi])))
    prog = _Program(d, 0, stages)
    A0, b0 = np.zeros((0, d)), np.zeros(0)
    empty = np.min(hi - lo) <= tol
    if halfspaces is not None:
        A0 = np.asarray(np.asarray(halfspaces[0]), dtype=np.float64).reshape(-1, d)
        b0 = np.asarray(np.asarray(halfspaces[1]), dtype=np.float64).ravel()
        nr = np.linalg.norm(A0, axis=1)
        empty |= bool(np.any((nr == 0) & (b0 < 0)))
        A0, b0 = A0[nr > 0] / nr[nr > 0, None], b0[nr > 0] / nr[nr > 0]
    x0, r0 = dom.cheb(A0, b0) if len(b0) else (mid.copy(), np.inf)
    if ex is not None and (empty or r0 <= tol) and start is None:  # is the domain empty? exactly
        empty, r0 = not ex.side_lp(ex.E0, np.r_[np.zeros(d, dtype=object), 1])[0], np.inf
    cells: list = []  # a cell: [rows A, b, pattern, witnesses Y (farthest first), their distances]
    si0 = 0
    if start is not None:
        si0, cells = start[0], list(start[1])
        dom.lps = JIT_LP_AFTER  # a part of a longer run: the compiled LPs from its first LP on
    elif not empty and r0 > tol:
        Y = np.vstack([x0[None, :], dom.sample(samples)]) if samples else x0[None, :]
        rho = _radii(A0, b0, Y)
        if ex is not None:  # exact runs: a witness is checked exactly (rho <= 0: a point, no witness)
            Y = ex.snap(Y)
            rho = np.where(ex.inside(ex.E0, Y), np.maximum(rho, _TINY), -1.0)
        ok = rho > 0
        ok[0] = True
        Y, rho = _keep(Y[ok], rho[ok], witnesses)
        cells = [[A0, b0, np.zeros(prog.ncols, dtype=np.int32), Y, rho, None if ex is None else ex.E0]]
    ambiguous = 0
    exact = None if ex is not None else _ExactSides(stages, prog, d, lo, hi, halfspaces, dom.l1)
    from .affine import _walk

    def maps(si):  # the pre-activations of stage si on every cell: (C, width, d), (C, width)
        pats = np.array([c[2] for c in cells], dtype=np.int32)
        J, inv, _, _ = _walk(stages[:si], pats, d, False)  # float: denominator 1
        return J[inv, :, :d], J[inv, :, d]

    def cut(A, b, rows, rhs):  # the cell cut by rows x <= rhs, scaled to unit norm: (A, b, x, r)
        norms = np.linalg.norm(rows, axis=1)
        A1 = np.vstack([A, rows / norms[:, None]])
        b1 = np.concatenate([b, rhs / norms])
        x, r = dom.cheb(A1, b1)
        return A1, b1, x, r

    def ties(v, mag, cell):
        # values v (>= 0 above a tie) within their band (rtol times the terms ``mag`` where the
        # value is taken) or below the rounding noise of the LP they came from (whose terms are
        # ``cell``): ties; and undecided ones (inside the band, above the noise)?
        v, mag, cell = np.asarray(v, dtype=np.float64), np.asarray(mag), np.asarray(cell)
        above = (v > 0) & undecided(v, mag, cell)
        return (v <= rtol * mag) | ~above, above & (v <= rtol * mag)

    def tie(v, mag, cell=None):
        t, u = ties(v, mag, mag if cell is None else cell)
        return bool(t), bool(u)

    def local(x, r):  # the size of the coordinates near points x (rows) at distances r
        return np.abs(x).max(axis=-1, initial=0.0) + np.minimum(r, width)

    # the cells of the last cutting stage keep no rows: a leaf is its pattern and one point
    last = max((i for i, st in enumerate(stages) if st.kind != "affine"), default=-1)
    bar = progress_bar(sum(_steps(st) for st in stages), progress, "regions (H-rep)", "unit")
    seen = [0]

    def visit(held, A, b):  # before a cell is refined: the limits, the bar's note
        if limits is not None and seen[0] % 256 == 0:
            check_passed(limits, held, held * (A.nbytes + b.nbytes))
        if bar is not None and seen[0] % 64 == 0:
            bar.note(f"cell {seen[0]}", redraw=True)
        seen[0] += 1

    def limit(out):
        if max_cells is not None and len(out) > max_cells:
            raise RegionLimitError(f"more than {max_cells} cells", "max_regions", {"cells": max_cells + 1})

    try:
        for si, st in enumerate(stages):
            if stop is not None and si == stop:
                return cells, ambiguous
            if st.kind == "affine" or not cells or si < si0:
                if bar is not None:
                    bar.update(_steps(st))
                continue
            col0 = prog.col_base[si]
            MA, MB = _magnitude_bounds(stages[:si], d) if ex is None else (None, None)
            Wz, cz = maps(si)
            if st.kind in ("threshold", "leaky"):
                level = float(st.param) if st.kind == "threshold" else 0.0
                ix = np.asarray(st.idx)
                U = len(ix)
                cols = col0 + np.arange(U)
                Wa, betas = Wz[:, ix, :], cz[:, ix] - level  # (C, U, d), (C, U)
                norms_a = np.linalg.norm(Wa, axis=2)
                if ex is not None:  # exact runs: the units' exact rows, exact signs on the domain
                    Rk, kinv = ex.stage_rows(si, np.array([c[2] for c in cells], dtype=np.int32))
                    one, zero = ex.domain_signs(Rk)
                    one, zero = one[kinv], zero[kinv]
                    MAu = MBu = None
                else:
                    spread = dom.support(Wa)
                    centre = Wa.dot(mid) + betas
                    keep_on = centre - spread > tol * norms_a  # active on the whole domain
                    off = centre + spread < -tol * norms_a  # inactive on the whole domain
                    # at the level on the whole box, at the unit's own scale (its terms)
                    flat_m = MA[ix] * scale + MB[ix] + abs(level)
                    terms = np.abs(Wa).sum(axis=2) * scale + np.abs(betas)
                    is_flat, flat_unsure = ties(terms, flat_m[None, :], flat_m[None, :])
                    ambiguous += int(np.sum(is_flat & flat_unsure))
                    zero = is_flat | (off & ~keep_on)
                    one = ~zero & (keep_on | (norms_a == 0.0))
                    MAu, MBu = MA[ix], MB[ix] + abs(level)
                sliver = lambda p, Rr, u, s, si=si: exact.side(p, si, Rr, u, s)  # noqa: E731
                out: list = _Leaves() if si == last else []
                for k, (A, b, pat, Y, rho, E) in enumerate(cells):
                    cells[k] = None  # (its pieces hold what they need of it)
                    pat = pat.copy()
                    pat[cols] = one[k]
                    R0 = np.flatnonzero(~(zero[k] | one[k]))
                    W, beta, nw = Wa[k], betas[k], norms_a[k]
                    stack = [(A, b, pat, Y, rho, R0, E)]
                    while stack:
                        A, b, pat, Y, rho, R, E = stack.pop()
                        visit(len(out) + len(stack) + len(cells) - k, A, b)
                        if len(R) == 0:
                            out.append([A, b, pat, Y, rho, E])
                            limit(out)
                            continue
                        if ex is not None:
                            _decide_exact(ex, Rk[kinv[k]], A, b, E, pat, Y, rho, R, W, beta, nw, cols, dom,
                                          cut, witnesses, out, stack, limit)
                            continue
                        ambiguous += _decide(A, b, pat, Y, rho, R, W, beta, nw, MAu, MBu, cols, dom, local,
                                             ties, cut, witnesses, out, stack, limit, sliver)
                    if bar is not None:  # the stage's units, one by one, in proportion to its cells done
                        for _ in range(U * (k + 1) // len(cells) - U * k // len(cells)):
                            bar.update(1)
                cells = out
            else:
                for g, members in enumerate(st.groups):
                    out, wout = [], []  # the cells after this group, and the cell each came from
                    firsts = [j for j in range(len(members)) if members[j] not in members[:j]]
                    for k, (A, b, pat, Yc, rc, _) in enumerate(cells):
                        visit(len(out) + len(cells) - k, A, b)
                        x, r = Yc[0], rc[0]
                        size = float(local(x, r))
                        copies = []
                        for j in firsts:
                            rows, rhs, mags, lost = [], [], [], False
                            for i in firsts:
                                if i == j:
                                    continue
                                mi, mj = members[i], members[j]
                                w = Wz[k, mi] - Wz[k, mj]
                                beta = cz[k, mi] - cz[k, mj]
                                is_tie, unsure = tie(np.abs(w).sum() * scale + abs(beta),
                                                     (MA[mi] + MA[mj]) * scale + MB[mi] + MB[mj])
                                if is_tie:  # z_i = z_j on the whole box: the earlier member wins
                                    if i < j:
                                        ambiguous += unsure
                                        lost = True
                                        break
                                    continue
                                if not np.any(w):  # a constant difference: z_i beats z_j everywhere, or never
                                    if beta > 0:
                                        lost = True
                                        break
                                    continue
                                rows.append(w)
                                rhs.append(-beta)
                                mags.append((MA[mi] + MA[mj], MB[mi] + MB[mj]))
                            if lost:
                                continue
                            if not rows:
                                copies.append((j, A, b, Yc, rc, np.inf, 0.0, 0.0))
                                continue
                            rows_a = np.array(rows)
                            Aj, bj, xj, rj = cut(A, b, rows_a, np.array(rhs))
                            least = float(np.linalg.norm(rows_a, axis=1).min())
                            ab = np.array(mags)  # the copy's scale at its own point, the noise at the cell's
                            own, cell_m = ab[:, 0] * local(xj, rj) + ab[:, 1], ab[:, 0] * size + ab[:, 1]
                            copies.append((j, Aj, bj, xj[None, :], np.array([rj]), rj * least,
                                           float(own.max()), float(cell_m.max())))
                        tl = [tie(c[5], c[6], c[7]) for c in copies]
                        keep = [c for c, t in zip(copies, tl) if not t[0]]
                        ambiguous += sum(t[1] for t in tl if t[0])
                        if not keep and copies:  # no copy above the band: the cell stays whole
                            best = max(copies, key=lambda c: c[4][0])
                            keep = [(best[0], A, b, Yc, rc)]
                        for c in keep:
                            p2 = pat.copy()
                            p2[col0 + g] = c[0]
                            out.append([c[1], c[2], p2, c[3], c[4], None])
                            wout.append(k)
                    if bar is not None:
                        bar.update(1)
                    limit(out)
                    cells, Wz, cz = out, Wz[wout], cz[wout]  # the maps follow their cells
                    if not cells:
                        break
    finally:
        if bar is not None:
            bar.close()
    if not cells:
        return Cells(patterns=np.zeros((0, prog.ncols), dtype=np.int32), points=np.zeros((0, d)),
                     ambiguous=ambiguous)
    # the points lie in the closed domain, at distance r from their cells' hyperplanes: moved part
    # of the way to the domain's centre (by at most r / 2) they are interior to the domain too
    X = np.array([c[3][0] for c in cells])
    r = np.minimum(np.array([c[4][0] for c in cells]), width)
    gap = np.linalg.norm(mid[None, :] - X, axis=1)
    lam = np.minimum(0.5, np.divide(r, 2 * gap, out=np.full(len(r), 0.5), where=gap > 0))
    X = X + lam[:, None] * (mid[None, :] - X)
    return Cells(patterns=np.array([c[2] for c in cells], dtype=np.int32), points=X, ambiguous=ambiguous)


class _Leaves(list):
    """The cells of a run's last cutting stage: each kept as its pattern and its first witness
    (the point the run returns) with that witness's distance, without its rows and other
    witnesses (at 64 inputs some 20 kB a cell), so a run holds its leaves at about the size of a
    point and a pattern each."""

    def append(self, cell: list) -> None:
        super().append([None, None, cell[2], cell[3][:1].copy(), cell[4][:1].copy(), None])


def _decide(A, b, pat, Y, rho, R, W, beta, nw, MAu, MBu, cols, dom, local, ties, cut, kmax, out, stack,
            limit, sliver=None) -> int:
    """One cell of an activation stage: which of the units ``R`` (positions in the stage) cut
    it, from its witnesses and one LP per unit witnessed on one side only; the others get their
    side in ``pat``.  With no cutting unit the cell is done (``out``), else it is split by the
    first and its two children go on the ``stack`` with the other cutting units.  A side the
    Chebyshev LP puts below rounding noise is decided exactly by ``sliver(pat, R, unit, side)``
    where given (1: not empty, counted as undecided).  Returns the number of undecided ties met."""
    ambiguous = 0
    WR, bR, nR = W[R], beta[R], nw[R]
    V = Y.dot(WR.T) + bR  # (p, m): the units at the witnesses
    rc = np.minimum(rho[:, None], np.abs(V) / nR)  # a witness's distance to its side's cell
    pos = V > 0
    cell_m = MAu[R] * local(Y[0], rho[0]) + MBu[R]  # the units' terms at the cell's first witness

    def best(mask):  # per unit: the farthest witness on one side, and is it above the band?
        rr = np.where(mask, rc, -1.0)
        i = rr.argmax(axis=0)
        top = rr[i, np.arange(len(R))]
        t, _ = ties(top * nR, MAu[R] * local(Y[i], top) + MBu[R], cell_m)
        return (top > 0) & ~t

    wp, wn = best(pos), best(~pos)
    cutting = wp & wn
    extra = []  # LP points: new witnesses
    for m in np.flatnonzero(~cutting):
        w, bt, n = WR[m], bR[m], nR[m]
        sides = [s for s, ok in ((1, wp[m]), (0, wn[m])) if not ok]  # the sides to decide by LP
        alive = [s for s, ok in ((1, wp[m]), (0, wn[m])) if ok]
        for s in sides:
            if len(alive) == 1:
                # the unit's largest value on side s over the cell (one small LP): clearly
                # negative, the side is empty; else a point pulled from that vertex towards a
                # witness, and only when that is inside the band the Chebyshev LP decides
                sg = 1.0 if s == 1 else -1.0
                # a unit objective (HiGHS's tolerances are absolute); empty beyond the LP's own
                # tolerances when below -LP_SLACK times the domain's size
                floor = -LP_SLACK * dom.span - sg * bt / n
                xs, g = dom.maximise(A, b, sg * w / n, floor)
                g = -np.inf if xs is None else g * n + sg * bt
                if g < -LP_SLACK * n * dom.span:
                    continue
                x, r = _pull(A, b, Y, rho, xs, g, sg * w, sg * bt, n)
                t, u = ties(r * n, MAu[R[m]] * local(x, r) + MBu[R[m]], cell_m[m])
                if not bool(t):
                    alive.append(s)
                    extra.append(x)
                    continue
            # side 1 (active): w x + bt >= 0, the row -w x <= bt; side 0: w x <= -bt
            _, _, x, r = cut(A, b, (-w if s == 1 else w)[None, :], np.array([bt if s == 1 else -bt]))
            t, u = ties(r * n, MAu[R[m]] * local(x, r) + MBu[R[m]], cell_m[m])
            if bool(t) and not bool(u) and sliver is not None and sliver(pat, R, R[m], s) == 1:
                ambiguous += 1  # below noise yet not empty, exactly: a sliver float cannot hold
            elif bool(t):
                ambiguous += int(u)
            else:
                alive.append(s)
                extra.append(x)
        if len(alive) == 2:
            cutting[m] = True
        else:  # the unit does not cut the cell (no side above the band: the first witness's side)
            pat[cols[R[m]]] = alive[0] if alive else int(pos[0, m])
    cut_units = R[cutting]
    if len(cut_units) == 0:
        out.append([A, b, pat, Y, rho, None])
        limit(out)
        return ambiguous
    if extra:
        Xe = np.array(extra)
        Y = np.vstack([Y, Xe])
        rho = np.concatenate([rho, _radii(A, b, Xe)])
    j = cut_units[0]
    w, bt, n = W[j], beta[j], nw[j]
    v = Y.dot(w) + bt
    dist = np.minimum(rho, np.abs(v) / n)
    for s in (0, 1):
        on = (v > 0) if s == 1 else (v <= 0)
        on &= dist > 0
        row = (-w if s == 1 else w) / n
        rhs = (bt if s == 1 else -bt) / n
        p2 = pat.copy()
        p2[cols[j]] = s
        Yc, rc = _keep(Y[on], dist[on], kmax)
        stack.append((np.vstack([A, row[None, :]]), np.append(b, rhs), p2, Yc, rc, cut_units[1:], None))
    return ambiguous


def _decide_exact(ex, rows_all, A, b, E, pat, Y, rho, R, W, beta, nw, cols, dom, cut, kmax, out, stack,
                  limit) -> None:
    """:func:`_decide` for exact runs: the units ``R`` on one cell, every decision exact.  The
    cell's witnesses with ``rho > 0`` are certified inside it (its exact rows ``E``); the units'
    exact rows there (``rows_all``, the stage's) give their exact signs at them.  A unit with no
    witness on one side looks for one (:func:`_exact_side`); a unit constant on the cell takes
    the side of its constant (zero: inactive).  The cell is split by the first unit with both
    sides, its witnesses dealt by their exact signs."""
    d = ex.d
    rows = rows_all[R]
    S = np.zeros((len(Y), len(R)), dtype=np.int8)
    cert = rho > 0
    if cert.any():
        V = ex.values(rows, Y[cert])
        S[cert] = np.asarray(V > 0, dtype=np.int8) - np.asarray(V < 0, dtype=np.int8)
    cutting = np.zeros(len(R), dtype=bool)
    for m in range(len(R)):
        row = rows[m]
        if not any(row[:d]):  # constant on the cell
            pat[cols[R[m]]] = int(row[d] > 0)
            continue
        alive = [s for s in (1, 0) if np.any(S[:, m] == (1 if s else -1))]
        for s in (1, 0):
            if s in alive:
                continue
            u = R[m]
            x, point = _exact_side(ex, A, b, E, Y[cert], rho[cert], row, W[u], beta[u], nw[u], s, dom, cut)
            if x is None:
                continue  # empty, exactly
            alive.append(s)
            r = max(float(_radii(A, b, x[None, :])[0]), _TINY) if point else -1.0
            Y, rho = np.vstack([Y, x[None, :]]), np.append(rho, r)
            sx = np.zeros((1, len(R)), dtype=np.int8)
            if point:  # a new witness: its exact signs for every unit
                v = ex.values(rows, x[None, :])
                sx[:] = np.asarray(v > 0, dtype=np.int8) - np.asarray(v < 0, dtype=np.int8)
            else:  # a sliver's point, not a witness: only its side, for the split below
                sx[0, m] = 1 if s else -1
            S = np.vstack([S, sx])
            cert = rho > 0
        if len(alive) == 2:
            cutting[m] = True
        elif len(alive) == 1:
            pat[cols[R[m]]] = alive[0]
        else:  # pragma: no cover - a nonconstant unit has a side on a full-dimensional cell
            raise ArithmeticError("exact H-representation run: a cell with no side of a nonconstant unit")
    cut_units = R[cutting]
    if len(cut_units) == 0:
        out.append([A, b, pat, Y, rho, E])
        limit(out)
        return
    m = int(np.flatnonzero(cutting)[0])
    j = R[m]
    w, bt, n = W[j], beta[j], nw[j]
    dist = np.where(rho > 0, np.minimum(rho, np.abs(Y.dot(w) + bt) / n), -1.0)
    for s in (0, 1):
        on = S[:, m] == (1 if s else -1)
        row = (-w if s == 1 else w) / n
        rhs = (bt if s == 1 else -bt) / n
        p2 = pat.copy()
        p2[cols[j]] = s
        Yc, rc = _keep(Y[on], np.where(rho[on] > 0, np.maximum(dist[on], _TINY), -1.0), kmax)
        E2 = np.vstack([E, rows[m] if s == 1 else -rows[m]])
        stack.append((np.vstack([A, row[None, :]]), np.append(b, rhs), p2, Yc, rc, cut_units[1:], E2))


def _exact_side(ex, A, b, E, Y, rho, row, w, bt, n, s, dom, cut) -> tuple[np.ndarray | None, bool]:
    """Side ``s`` of a unit (exact row ``row``, float ``w x + bt`` of norm ``n``) on a cell
    (float rows ``A x <= b``, exact rows ``E``, witnesses ``Y`` at distances ``rho``) with no
    witness there: ``(x, True)`` a new witness (a float point checked exactly to lie strictly
    inside the cell and the side), ``(x, False)`` the side is not empty (exact LP) but ``x``,
    the float rounding of its exact point, is not strictly inside, ``(None, False)`` the side is
    empty, exactly.  The float LP maximising the side's value first: its maximiser pulled
    towards a witness, then the side's Chebyshev centre, as candidates; a maximum below zero
    is certified by its multipliers (:meth:`~tropnet.regions.hrep_exact.ExactRows.empty_by_duals`);
    what neither settles, one exact LP."""
    sg = 1.0 if s == 1 else -1.0
    srow = row if s == 1 else -row
    Es = np.vstack([E, srow])
    xs, g, y = dom.maximise(A, b, sg * w / n, duals=True)
    if xs is not None:
        g = g * n + sg * bt
        if g > 0:
            cands = [xs]
            if len(Y):
                cands.insert(0, _pull(A, b, Y, rho, xs, g, sg * w, sg * bt, n)[0])
            cands = ex.snap(np.array(cands))
            ok = ex.inside(Es, cands)
            if ok.any():
                return cands[int(np.argmax(ok))], True
            _, _, x, r = cut(A, b, (-w if s == 1 else w)[None, :], np.array([bt if s == 1 else -bt]))
            x = ex.snap(x)
            if r > 0 and ex.inside(Es, x)[0]:
                return x, True
        if ex.empty_by_duals(E, srow, y, solve=True):  # (g > 0 and no witness: a maximum 0 within noise)
            return None, False
    nonempty, x = ex.side_lp(E, srow)
    if not nonempty:
        return None, False
    x = ex.snap(x)
    return x, bool(ex.inside(Es, x)[0])


def _steps(st: Stage) -> int:
    """The bar's steps of one stage: its units, or its groups."""
    if st.kind in ("threshold", "leaky"):
        return len(st.idx)
    return len(st.groups) if st.kind == "group" else 0

