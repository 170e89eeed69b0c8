"""``linear_regions`` and ``count_linear_regions``: every region of a network or tropical
function on a box, a polyhedron or all of R^n.

*Activation regions* (``kind="activation"``) are the full-dimensional cells of constant
activation pattern (for a tropical object: constant tuple of winning monomials).  A unit
whose pre-activation is identically at its threshold on an open set counts as inactive and
makes no boundary; coincident hyperplanes count once.  *Linear regions*
(``kind="linear"``) are the maximal facet-connected unions of activation cells on which the
function, all outputs jointly, has one affine map; two cells with the same map that share
no facet stay apart.

Example: ``f(x) = max(0, x, 2x - 2) - max(0, 2x - 2)`` has 4 activation cells
(``x < 0``, ``0 < x < 1``, ``1 < x < 2``, ``x > 2``) with maps ``0, x, 2 - x, 0``; the two
cells with map ``0`` do not touch, so there are 4 linear regions.  ``ReLU(y - ReLU(x))``
has 4 activation cells on R^2 but 3 linear regions: the two cells where the output unit
is off both carry the map ``0`` and share a facet.

*All of R^n* (``domain=None``) is handled exactly, without a guessed radius: the input is
homogenised (``t f(x / t)`` on ``(x, t)``, ``t >= 0``), and the engine runs on each of the
``2n + 1`` facets of the cube's upper half (the top ``t = 1`` is a box of the input space;
a side ``x_i = +-R`` reaches infinity at ``t = 0``).  The pieces of one cell are joined by
pattern (an activation cell is convex, so one pattern is one cell).

*Exactness.*  ``exact=True`` decides every sign exactly on the exact weights (a float weight
is the dyadic rational it stores).  The float pass runs first with a rigorous bound on the
rounding error of every vertex coordinate and pre-activation (:mod:`tropnet.regions.refine`);
when every sign decision clears its bound, it provably made the same decisions as the
rational pass, so its cells are the exact cells, and every vertex is simple.  Then:

* an exact *activation count* is the number of those cells (about 1.5-5x the float time); in
  two dimensions on a box the engine stops before the last layer, whose lines are counted in
  each cell as ``1 + k + (pairs meeting inside)`` with every decision certified
  (:mod:`tropnet.regions.planar_count`);
* exact *regions* and *linear counts* need no exact vertex coordinates: the constraints tight
  at each vertex are known combinatorially, so each cell's facets are exactly the constraints
  tight at one of its vertices; their rows and the cells' affine maps come from one walk
  through the network in Python integers (every layer's rationals over their common
  denominator, one class of cells per pattern prefix); maps are compared exactly; each float
  interior point is checked strictly inside every facet in exact arithmetic (else the exact
  centroid is used), and exact vertices are solved from their tight facets on demand
  (``Region.vertices()``, ``volume()``).  Measured: 2.6-5x the float time.

A decision too close to call sets its cell aside: the rational pass enumerates it inside its
exact polytope, with the units decided so far fixed, so its vertices keep their tight
constraints too.  A non-dyadic input, or a vertex on more than ``d`` hyperplanes (ties,
coincident or parallel rows), sends the whole computation to the rational pass, which runs
the same algorithm in python-flint rationals with exact zero tests; when its vertices are
simple the facets still come from their tight constraints, else from exact vertex incidences
(20-50x the float time).  Float mode decides ties with the relative tolerance
documented in :mod:`tropnet.regions.refine`, local to each vertex (``1e-9`` times the size
of the value's terms there, floored by its cell's scale): it can merge cells thinner than
that into a neighbour (so counts can be too low, and linear regions merged wrongly), which
``exact=True`` never does.  It is never silently so: a decision left inside the tolerance
band above rounding noise raises :class:`~tropnet.AmbiguousGeometryWarning`
(the 2-D polygon engines hand such a call to the vertex engine first; the H-representation
engine applies the same rule to its LPs' radii), and a domain or network beyond float
range (coordinates or values above ``1e100``, widths below ``1e-100``, a box beyond ``1e12``
times the network's scale) is refused with a ``ValueError`` naming the range
(:func:`~tropnet.regions.plan.check_float_range`).

*How a call runs.*  Each call is a :class:`~tropnet.regions.plan.Plan` (which engine, which
passes, which domain pieces, serial / parallel / symmetric), printable and testable, made by
:func:`~tropnet.regions.plan.make_plan` and run by :func:`run_plan`; ``docs/architecture.md``
draws the modules and the way data flows through them.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[0, 1], [1, 0]], [[1, -1]]], [[1, 1], [0]])
>>> tropnet.count_linear_regions(net)
4
>>> mlp = tropnet.random_mlp([2, 8, 8, 1], seed=0)
>>> tropnet.count_linear_regions(mlp, tropnet.Box(-10, 10), kind="activation")
105
"""

from __future__ import annotations

from typing import Any

from ..geometry.domains import Domain
from ..geometry.slices import AffineSlice
from .cells import RegionLimitError
from .domains import as_network, cube_facets, enclosing_box
from .plan import Plan, find_cells, make_plan
from .regionset import RegionSet
from .slices import segment_run

__all__ = [
    "linear_regions",
    "count_linear_regions",
    "run_plan",
    "as_network",
    "find_cells",
    "cube_facets",
    "enclosing_box",
    "RegionLimitError",
]


def run_plan(plan: Plan) -> Any:
    """Run a :class:`~tropnet.regions.plan.Plan`: serial plans themselves, parallel plans on
    the Dask driver (:func:`tropnet.regions.parallel.run_plan`), symmetric plans on the fundamental
    domain (:func:`tropnet.regions.symmetric.run_plan`).

    >>> import tropnet
    >>> run_plan(make_plan(tropnet.random_mlp([2, 6, 1], seed=3), want="count", kind="activation"))
    22
    """
    if plan.mode == "parallel":
        from . import parallel as dask_driver

        out = dask_driver.run_plan(plan)
    elif plan.mode == "symmetric":
        from . import symmetric

        return symmetric.run_plan(plan)
    else:
        out = plan.run()
    if plan.slice is not None and plan.want == "regions":
        from .slices import SliceRegionSet

        if not isinstance(out, SliceRegionSet):
            out = SliceRegionSet.wrap(out, plan.slice, plan.source)
    return out


def _segment_call(domain: Any, exact: Any, *rest: Any) -> bool:
    """Whether a call takes the fast 1-D path (:func:`~tropnet.regions.slices.segment_run`): a
    1-D slice, ``exact`` a bool, no limits, symmetry or parallel run."""
    return isinstance(domain, AffineSlice) and domain.k == 1 and isinstance(exact, bool) and all(
        v is None for v in rest
    )


def linear_regions(
    obj: Any,
    domain: Domain | None = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool | None = None,
    symmetry: Any = None,
    parallel: str | None = None,
    client: Any = None,
    max_seconds: float | None = None,
    max_memory: int | None = None,
) -> RegionSet:
    """Every region of ``obj`` on ``domain`` as a :class:`~tropnet.RegionSet`.

    Parameters
    ----------
    obj : Network, TropicalPolynomial, TropicalRational or TropicalRationalMap
    domain : None (all of R^n), tropnet.Box, tropnet.Polyhedron, or a slice of the input space
        (tropnet.Segment, tropnet.Plane, tropnet.AffineSlice): then the regions of the network
        composed with the slice's embedding, in slice coordinates, as a
        :class:`~tropnet.regions.slices.SliceRegionSet` that also gives each region's point and
        map in input coordinates; a segment (any 1-D slice on an interval) takes the 1-D path and
        reports its ``breakpoints``.
    kind : "linear" (maximal facet-connected unions of cells with one affine map) or
        "activation" (cells of constant activation pattern); see the module docstring.
    exact : certify every decision in rational arithmetic (``Fraction`` results).
    max_regions : raise :class:`RegionLimitError` once more cells than this appear (checked after
        every cut of the enumeration, so it fires as soon as the bound is passed).
    max_seconds, max_memory : raise :class:`RegionLimitError` once the enumeration has run this
        many seconds, or before it would hold more than this many bytes in the engine's own
        arrays (checked before every unit).  The error's ``limit`` names the limit and
        ``reached`` says how far the run got (cells, seconds, bytes).
    progress : one tqdm progress bar for the whole call (when tqdm is installed): the engine's
        units (the H-representation engine's too, with the cell it is at), then the facets and
        the merge of linear regions; it says when the run is forecast to be huge.  ``None``
        shows it once the call has run 2 s, ``True`` at once, ``False`` never.
    symmetry : a :class:`~tropnet.SymmetryGroup` under which ``obj`` and ``domain`` are
        invariant: enumerate its fundamental domain only and return a
        :class:`~tropnet.regions.symmetric.SymmetricRegionSet` (one representative per orbit,
        with exact orbit sizes; ``len`` is the full count).
    parallel, client : ``None`` (serial, the default), ``"local"`` (a local Dask cluster for
        this call) or ``"dask"`` (``client``, or the current default client): the same regions
        as serial, see :mod:`tropnet.parallel` (requires ``pip install tropnet[dask]``).

    The call is a :class:`~tropnet.regions.plan.Plan` (engine, exactness, domain pieces,
    mode), made by :func:`~tropnet.regions.plan.make_plan` and run by :func:`run_plan`.

    >>> import tropnet
    >>> from tropnet.algebra.polynomial import variables
    >>> x, y = variables("x y")
    >>> rs = tropnet.linear_regions((x + y + 0) / (x + 0))
    >>> len(rs), rs.num_cells
    (3, 4)
    """
    if _segment_call(domain, exact, max_regions, symmetry, parallel, client, max_seconds, max_memory):
        out = segment_run(obj, domain, "regions", kind, exact)
        if out is not None:
            return out
    return run_plan(make_plan(obj, domain, want="regions", kind=kind, exact=exact, max_regions=max_regions,
                              progress=progress, symmetry=symmetry, parallel=parallel, client=client,
                              max_seconds=max_seconds, max_memory=max_memory))


def count_linear_regions(
    obj: Any,
    domain: Domain | None = None,
    *,
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool | None = None,
    symmetry: Any = None,
    parallel: str | None = None,
    client: Any = None,
    max_seconds: float | None = None,
    max_memory: int | None = None,
) -> int:
    """The number of regions of ``obj`` on ``domain`` (see :func:`linear_regions`; ``domain`` may
    be a slice: Segment, Plane, AffineSlice); for ``kind="activation"`` no halfspaces, maps or
    adjacency are computed, and on a bounded domain in 3 or more dimensions the cells are
    counted part by part and released (the memory does not grow with the count; see
    :func:`~tropnet.regions.stream.refine_count`).  A count of linear regions first drops the
    units the function does not need (:func:`~tropnet.networks.prune.drop_unused_units`: the
    same linear regions from fewer cells), so its ``max_regions`` bounds the cells of that
    smaller network.  On a :class:`~tropnet.CrossPolytope` in 5 or more dimensions a float
    count, activation or linear, serial or on Dask, keeps the ball whole (lifted LPs; its ``2^n``
    facets are never listed), in any dimension; so it does on a :class:`~tropnet.Polyhedron` of
    a cross-polytope's ``2^n`` rows (the domain of :meth:`~tropnet.AffineSlice.around` up to
    ``k = 12``); region sets do from 8 dimensions (:attr:`~tropnet.RegionSet.ball`).

    >>> import tropnet
    >>> tropnet.count_linear_regions(tropnet.random_mlp([2, 8, 8, 1], seed=0), kind="activation")
    113
    """
    if _segment_call(domain, exact, max_regions, symmetry, parallel, client, max_seconds, max_memory):
        out = segment_run(obj, domain, "count", kind, exact)
        if out is not None:
            return out
    plan = make_plan(obj, domain, want="count", kind=kind, exact=exact, max_regions=max_regions,
                     progress=progress, symmetry=symmetry, parallel=parallel, client=client,
                     max_seconds=max_seconds, max_memory=max_memory)
    if domain is None and type(obj).__name__ == "TropicalPolynomial" and plan.mode == "serial":
        # one max-plus polynomial on R^n: its regions (linear = activation: distinct exponents are
        # distinct gradients) are those of its upper-hull vertices, decided by the hull kernel
        # (exact, or float made exact where ill-conditioned) -- the same answer as num_linear_regions
        n = (obj.to_exact() if exact else obj).num_linear_regions()
        if max_regions is not None and n > max_regions:
            raise RegionLimitError(f"more than max_regions={max_regions} regions ({n})", "max_regions",
                                   {"regions": n})
        return n
    return run_plan(plan)
