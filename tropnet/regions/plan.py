"""The plan of one call of :func:`~tropnet.linear_regions` / :func:`~tropnet.count_linear_regions`.

:func:`make_plan` decides, once and in one place, everything a call does:

* ``want``: ``"regions"`` (a :class:`~tropnet.RegionSet`) or ``"count"``; ``kind``;
* ``engine``: ``"planar count"`` (2-D float activation count on a box: the last layer's lines
  counted per polygon, :func:`tropnet.regions.planar.count_cells`), ``"planar last layer"``
  (2-D exact activation count on a box, :mod:`tropnet.regions.planar_count`, which hands over
  to the vertex engine when a decision is uncertain), ``"planar"`` (2-D float on a bounded
  domain: polygon rounds, :mod:`tropnet.regions.planar`), ``"vertex"`` (the n-D vertex engine,
  :mod:`tropnet.regions.refine`) or ``"hrep"`` (float above ``HREP_DIM`` inputs, float
  serial counts above ``HREP_COUNT_DIMS`` of their domain, exact ones above ``EXACT_COUNT_DIM``:
  :mod:`tropnet.regions.hrep`);
* ``exactness``: the passes (:class:`~tropnet.regions.exactness.Exactness`);
* ``domain``: the pieces the engines run on (:func:`~tropnet.regions.domains.domain_pieces`);
* ``mode``: ``"serial"``, ``"parallel"`` (:mod:`tropnet.parallel` runs the pieces as Dask
  tasks) or ``"symmetric"`` (:mod:`tropnet.regions.symmetric` enumerates a fundamental domain).

A serial plan runs here (:meth:`Plan.run`); :mod:`tropnet.regions.api` hands parallel and
symmetric plans to their drivers, which read the same plan.

>>> import tropnet
>>> make_plan(tropnet.random_mlp([2, 8, 1]), tropnet.Box(-1, 1), want="count", kind="activation")
Plan(count activation: engine='planar count', exactness='float', domain='box', mode='serial')
>>> make_plan(tropnet.random_mlp([3, 4, 1]), None, exact=True)
Plan(regions linear: engine='vertex', exactness='certified float with tight codes -> rational', \
domain='7 facets of the homogenised cube', mode='serial')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .._limits import Limits, check_limit_value, progress_call
from ..geometry.domains import Polyhedron
from ..geometry.slices import AffineSlice
from . import hrep as _hrep
from .cells import Cells, RegionLimitError
from .domains import DomainPieces, Piece, as_network, domain_pieces, homogenised_cube
from .exactness import Exactness, warn_ambiguous, with_fallback
from .found import FoundCells, _from_piece, join_pieces
from .geometry import _hrep_bounded, build_region_set, linear_labels
from .hrep_exact_regions import exact_hrep_bounded
from .plan_stream import count_linear_joined, count_streamed, find_streamed
from .program import FLOAT_MAX, FLOAT_MIN, FLOAT_RESOLUTION, _lossy  # float mode's numeric range
from .refine import refine
from .regionset import RegionSet

__all__ = ["Plan", "make_plan", "find_cells", "check_kind", "KINDS", "ENGINES", "MODES"]

KINDS = ("linear", "activation")
#: an exact 2-D linear count of a program with at least this many units first tries the float
#: certificate (``Plan._count_exact_planar_linear``'s ``precheck``)
PRECHECK_UNITS = 64
ENGINES = ("line", "planar count", "planar last layer", "planar", "vertex", "hrep")
MODES = ("serial", "parallel", "symmetric")


def check_kind(kind: str) -> None:
    """Refuse a ``kind`` other than ``"linear"`` and ``"activation"``.

    >>> check_kind("linear")
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'linear' or 'activation', got {kind!r}")


def _planar_module():
    """:mod:`tropnet.regions.planar`, or ``None`` when switched off (``TROPNET_NO_PLANAR``)."""
    if os.environ.get("TROPNET_NO_PLANAR"):
        return None
    try:
        from . import planar
    except ImportError:  # pragma: no cover - part of the package
        return None
    return planar


@dataclass
class Plan:
    """What one call does (see the module docstring); printable and inspectable, then run.

    ``obj`` is the caller's object, ``net`` the network it stands for (``None`` in symmetric
    mode, whose driver reads the object itself), ``domain`` the pieces (``None`` in symmetric
    mode: the fundamental domain is the driver's), ``options`` the remaining keyword arguments.
    """

    want: str
    kind: str
    engine: str
    exactness: Exactness
    domain: DomainPieces | None
    mode: str = "serial"
    obj: Any = field(default=None, repr=False)
    net: Any = field(default=None, repr=False)
    user_domain: Any = field(default=None, repr=False)
    max_regions: int | None = field(default=None, repr=False)
    progress: bool | None = field(default=None, repr=False)
    options: dict = field(default_factory=dict, repr=False)
    slice: Any = field(default=None, repr=False)
    source: Any = field(default=None, repr=False)
    #: after an activation count on a bounded domain: the units found stable there and removed
    #: before the engine ran (:class:`~tropnet.regions.stable.StableUnits`)
    stable: Any = field(default=None, repr=False)
    limits: Limits | None = field(default=None, repr=False)  # max_seconds, max_memory (engine checks)
    #: the H-representation engine's run on a cross-polytope kept whole (``refine_hrep``'s
    #: signature): the engine itself, or the Dask driver's run of it in parts
    hrep_runner: Any = field(default=None, repr=False)

    @property
    def streams(self) -> bool:
        """True when the plan counts cells part by part (a serial vertex-engine activation count:
        cells are counted and released, memory does not grow with them; on all of R^n only the
        patterns of the cells along the shared sides of the cube's facets are kept)."""
        return (self.want == "count" and self.kind == "activation" and self.engine == "vertex"
                and self.domain is not None and self.mode == "serial")

    @property
    def exact(self) -> bool:
        return self.exactness.exact

    def __repr__(self) -> str:
        dom = "fundamental domain" if self.domain is None else self.domain.describe()
        if self.slice is not None:
            dom = f"{self.slice.k}-D slice of R^{self.slice.input_dim}, {dom}"
        mode = self.mode
        if mode == "parallel":
            where = self.options.get("parallel")
            if where is None:
                where = "dask" if self.options.get("client") is not None else "tasks in this process"
            mode = f"parallel ({where})"
        return (
            f"Plan({self.want} {self.kind}: engine={self.engine!r}, exactness={self.exactness.name!r}, "
            f"domain={dom!r}, mode={mode!r})"
        )

    # ------------------------------------------------------------------ serial runs
    def run(self) -> RegionSet | int:
        """Run a serial plan: its regions or its count, under one progress bar for the whole
        call (the engine runs on the domain's pieces, then the facets and merging of linear
        regions: :func:`tropnet._limits.progress_call`)."""
        if self.mode != "serial":
            raise ValueError(f"a {self.mode} plan runs through tropnet.regions.api.run_plan")
        pieces = 1 if self.domain is None else len(self.domain.pieces)
        # the phases to come (more is harmless: the bar fills them at the end): the engine runs,
        # the H-representation facets, the geometry and merge of linear regions
        phases = pieces + (2 if self.kind == "linear" else 0) + (1 if self.engine != "vertex" else 0)
        with progress_call(self.progress, "regions", phases=phases):
            return self._run()

    def _run(self) -> RegionSet | int:
        if self.engine == "line":
            from .slices import line_regions

            rs = line_regions(self.net, self.slice, self.source, self.kind, self.exact, self.max_regions)
            return len(rs) if self.want == "count" else rs
        if self.want == "count" and self.kind == "activation":
            return self._count_cells()
        if self.want == "count":
            return self._count_linear()
        return self._regions()

    def _count_linear(self) -> int:
        """The number of linear regions: the cells' labels (:func:`~tropnet.regions.geometry.
        linear_labels`), without the region set's geometry; exact counts from the certified pass
        with tight codes, the rational pass when it contradicts itself (on a 2-D box, first the
        exact activation count when no two neighbouring cells can have equal maps)."""
        if self.exact:
            n = self._count_exact_planar_linear(precheck=True)
            if n is not None:
                return n
            self._prune_stable()  # units stable on a bounded domain are not cut (codes renumbered)
        else:
            n = self._count_planar_linear()
            if n is not None:
                return n
            self._prune_stable()  # as for the regions: units stable on a bounded domain are not cut
            dp = self.domain
            if self.engine == "vertex" and not dp.join and len(dp.pieces) == 1 and dp.pieces[0].l1 is None:
                found = self._find_streamed()
                return int(linear_labels(found).max()) + 1 if len(found) else 0
            if self.engine == "vertex" and dp.join:  # all of R^n: streamed where the facets serve the merge
                n = count_linear_joined(self)
                if n is not None:
                    return n

        def attempt(passes: Exactness) -> int:
            found = self.find(passes)
            return int(linear_labels(found).max()) + 1 if len(found) else 0

        return with_fallback(attempt, self.exactness)

    def _count_planar_linear(self) -> int | None:
        """A float linear count on a 2-D bounded domain: the polygon engine's count (the last
        layer counted, not cut) when no two neighbouring cells can have maps the merge joins
        (:func:`~tropnet.regions.planar_linear.no_shared_maps`), less the joins across the root
        edges where that fails, when those are decided without the cells
        (:func:`~tropnet.regions.planar_merge.merged_count`); ``None`` otherwise."""
        dp = self.domain
        if self.engine != "planar" or dp.join or len(dp.pieces) != 1 or dp.pieces[0].on_facet:
            return None
        from .planar_linear import certifiable
        from .planar_merge import certified_count

        if not certifiable(dp.stages):  # no certificate possible: the engine's count would be wasted
            return None
        piece = dp.pieces[0]
        stats: dict = {"last_layer": None}
        try:
            n = int(_planar_module().count_cells(
                self.net.lowered(), piece.lo, piece.hi, halfspaces=piece.halfspaces,
                max_cells=self.max_regions, progress=self.progress, stats=stats, limits=self.limits,
            ))
        except RegionLimitError as err:
            if err.limit != "max_regions":
                raise
            raise RegionLimitError(f"more than max_regions={self.max_regions} regions ({err})", err.limit,
                                   err.reached) from None
        if stats["ambiguous"]:
            return None
        m = certified_count(dp.stages, stats["last_layer"], n, piece.lo, piece.hi, piece.halfspaces)
        if m is not None:
            return m
        self._uncertified = True  # the enumeration's last layer would not certify either
        return None

    def _count_exact_planar_linear(self, precheck: bool = False) -> int | None:
        """An exact linear count on a 2-D box: the exact activation count with the last layer
        counted, not cut (:mod:`~tropnet.regions.planar_count`), when its root polygons certify,
        with rigorous bounds, that every two neighbouring cells have different maps
        (:func:`~tropnet.regions.planar_linear.no_shared_maps`), less the joins across the root
        edges the bounds do not certify, whose stretches the cells' exact maps decide
        (:func:`~tropnet.regions.planar_merge.merged_count`); ``None`` otherwise.  With
        ``precheck``, first the float polygon count and its certificate (about 5% of the exact
        count's time; not below :data:`PRECHECK_UNITS` units, where its fixed cost is that of the
        exact count): where the float count cannot be had from it either, cells most likely
        merge inside root polygons and the exact count would be wasted, so ``None`` at once (a
        choice of route only: the answer is always exact)."""
        dp = self.domain
        if _engine(self.net, dp, "count", "activation", True, self.mode, "auto") != "planar last layer":
            return None
        from .planar_count import count_last_layer_2d
        from .planar_linear import certifiable
        from .planar_merge import certified_count

        if not certifiable(dp.stages):
            return None
        units = sum(len(st.idx) for st in dp.stages if st.kind != "affine")
        if precheck and units >= PRECHECK_UNITS and not self._float_certifies():
            return None
        stats: dict = {"last_layer": None}
        n = count_last_layer_2d(self.net, self.user_domain, max_regions=self.max_regions, limits=self.limits,
                                progress=self.progress, stats=stats)
        last = stats["last_layer"]
        if n is None or last is None:
            return None
        stages = last.pop("stages")
        return certified_count(stages, last, n)  # (failed root edges decided from the exact maps)

    def _float_certifies(self) -> bool:
        """Whether the float polygon count's certificate holds on the plan's one 2-D piece (the
        network rounded to float64), or fails on root edges whose stretches the float count
        decides (:func:`~tropnet.regions.planar_merge.merged_count`); False where neither holds
        or float mode cannot run."""
        import warnings

        from .planar_merge import certified_count
        from .program import stages_from_network

        piece = self.domain.pieces[0]
        stats: dict = {"last_layer": None}
        try:
            net = self.net.to_float()
            lo, hi = np.asarray(piece.lo, dtype=np.float64), np.asarray(piece.hi, dtype=np.float64)
            hs = piece.halfspaces
            if hs is not None:
                hs = (np.asarray(hs[0], dtype=np.float64), np.asarray(hs[1], dtype=np.float64))
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                _planar_module().count_cells(net.lowered(), lo, hi, halfspaces=hs, max_cells=self.max_regions,
                                             stats=stats)
                if stats["ambiguous"]:
                    return False
                # (where it fails on a few root edges, the float count decides them: so may the exact)
                last = stats["last_layer"]
                return certified_count(stages_from_network(net), last, 0, lo, hi, hs) is not None
        except (ValueError, ArithmeticError, RegionLimitError):
            return False

    def _count_cells(self) -> int:
        net, dp = self.net, self.domain
        if self.engine == "planar count":
            piece = dp.pieces[0]
            stats: dict = {}
            try:
                n = int(_planar_module().count_cells(
                    net.lowered(), piece.lo, piece.hi, max_cells=self.max_regions,
                    progress=self.progress, stats=stats, limits=self.limits,
                ))
            except RegionLimitError as err:
                if err.limit != "max_regions":
                    raise
                raise RegionLimitError(f"more than max_regions={self.max_regions} regions ({err})", err.limit,
                                       err.reached) from None
            if not stats["ambiguous"]:
                return n
            # a decision the polygons' global tolerance could not make: the vertex engine, whose
            # tolerance is local to each vertex, decides (or warns)
        if self.engine == "planar last layer":
            # the last layer counted, not cut, when every decision certifies (planar_count)
            from .planar_count import count_last_layer_2d

            n = count_last_layer_2d(net, self.user_domain, max_regions=self.max_regions, limits=self.limits,
                                    progress=self.progress)
            if n is not None:
                return n
        self._prune_stable()
        if self.streams:
            return self._count_streamed()
        # an exact activation count needs no exact geometry: the certified float pass decides
        # it (falling back to the rational pass, run by run, when a sign is too close to call)
        return len(self.find(self.exactness))

    def _find_streamed(self) -> FoundCells:
        """Float cells of one bounded piece, streamed (:func:`~tropnet.regions.plan_stream.find_streamed`)."""
        return find_streamed(self)

    def _prune_stable(self, zero_only: bool = False) -> None:
        """Before a count on a bounded domain: remove the units that keep one sign on it
        (:mod:`tropnet.regions.stable`; the count is unchanged, the engine cuts fewer units).
        Elsewhere (all of R^n, an unbounded polyhedron: every piece) and with ``zero_only``
        (exact region sets), only the units that are 0 everywhere by exact logic on the weights
        (:func:`~tropnet.regions.stable.zero_units`): inactive with no boundary, and a source of
        exact ties on every cell.  The pattern columns are put back after the run."""
        dp = self.domain
        if dp is None or self.stable is not None:  # (pruned already)
            return
        from .stable import prune_stages, stable_units, zero_units

        bounded = not dp.join and len(dp.pieces) == 1 and self.user_domain is not None
        if bounded and not zero_only:
            s = stable_units(dp.pieces[0].stages, self.user_domain, dp.n)
            on, off = s.on, s.off
        else:
            s = zero_units(dp.stages, dp.n)
            if not s.num_stable:
                return
            # a unit 0 everywhere passes its 0 through as an active unit would (the programs of
            # R^n's pieces carry t beside the units: no row of theirs to fold a constant into)
            on, off = s.off, [None if m is None else np.zeros_like(m) for m in s.off]
        self.stable = s
        if s.num_stable:
            pieces = [replace(p, stages=prune_stages(p.stages, on, off)) for p in dp.pieces]
            self.domain = replace(dp, pieces=pieces)

    def _count_streamed(self) -> int:
        """The vertex engine's count part by part (:func:`~tropnet.regions.plan_stream.count_streamed`)."""
        return count_streamed(self)

    def _regions(self) -> RegionSet:
        """Float: one engine run.  Exact: the certified float pass with its tight codes (exact
        facets, maps and points from integer arithmetic; exact vertices on demand), and the
        rational pass when the certified geometry contradicts itself."""
        kind = self.kind
        # float: the units stable on a bounded domain are not cut; exact: the units 0 everywhere
        # (their pattern columns are put back after the run, in find)
        self._prune_stable(zero_only=self.exact)

        def attempt(passes: Exactness) -> RegionSet:
            found = self.find(passes)
            rs = build_region_set(found, kind)
            if found.vert_codes is not None:
                rs._g()  # the geometry is lazy elsewhere; here it is the certificate
            return rs

        return with_fallback(attempt, self.exactness)

    def find(self, passes: Exactness | None = None) -> FoundCells:
        """The activation cells on the plan's domain, with the passes ``passes`` (default the
        plan's): every piece run by the plan's engine, then assembled (:mod:`tropnet.regions.found`)."""
        passes = self.exactness if passes is None else passes
        dp, n, exact = self.domain, self.domain.n, self.exact
        certify, codes = passes.certify, passes.codes
        if dp.join:
            found = self._find_joined(passes)
        else:
            piece = dp.pieces[0]
            cells = self._run_piece(piece, certify, codes)
            if dp.kind == "bounded polyhedron" and len(cells) == 0:
                raise ValueError("the domain polyhedron has no interior")
            found = _from_piece(cells, piece, dp.stages, n, exact, dp.A, dp.b)
            col = None if cells.vertex_tight is None else self._id_columns(piece)
            if col is not None:  # a float run's tight ids: geometry.linear_labels reads facets from them
                found.cache["tight"] = (cells.vertex_tight, col)
            if piece.l1 is not None:  # a cross-polytope kept whole: the facets' LPs lift it too
                found.cache["ball"] = piece.l1
            if exact and self.engine == "hrep":  # its exact facets (hrep_exact_facets) need the domain
                found.cache["exact_dom"] = (piece.lo, piece.hi, piece.halfspaces, piece.l1)
            last = self.__dict__.pop("_planar_last", None)
            if last is not None:  # the polygon engine's last layer: for geometry.linear_labels
                found.cache["planar_last"] = (last, piece.lo, piece.hi, piece.halfspaces)
        warn_ambiguous(found.ambiguous, stacklevel=3)
        return found

    def _id_columns(self, piece: Piece) -> np.ndarray | None:
        """The pattern column (of the plan's program, stable units put back) of every constraint
        id of a vertex-engine run on ``piece`` (:func:`~tropnet.regions.codes.id_columns`), with
        which a float linear merge reads facets from the run's tight ids
        (:func:`~tropnet.regions.neighbours.tight_edges`); ``None`` for a program with group
        stages."""
        from .codes import id_columns

        nclip = 0 if piece.halfspaces is None else len(piece.halfspaces[1])
        col = id_columns(piece.stages, self.domain.n, nclip)
        if col is not None and piece.stages is not self.domain.stages:  # stable units pruned
            from .stable import expand_codes

            code = expand_codes(np.where(col >= 0, col << 20, -1), self.domain.stages, piece.stages)
            col = np.where(code >= 0, code >> 20, -1)
        return col

    def _run_piece(self, piece: Piece, certify: bool, codes: bool) -> Cells:
        try:
            if self.engine == "planar" and not piece.on_facet:
                # linear regions: the engine hands out its last layer (planar_linear reads it)
                # (not after the polygon count's certificate failed on the same piece: the merge runs)
                hand_out = self.kind == "linear" and not self.__dict__.get("_uncertified")
                stats: dict = {"last_layer": None} if hand_out else {}
                cells = _planar_module().enumerate_cells(
                    self.net.lowered(), piece.lo, piece.hi, halfspaces=piece.halfspaces,
                    max_cells=self.max_regions, progress=self.progress, limits=self.limits, stats=stats,
                )
                if not cells.ambiguous:
                    if stats.get("last_layer") is not None:
                        self._planar_last = stats["last_layer"]
                    return cells
                # an ambiguous decision of the polygons: the vertex engine's local tolerance decides
            if self.engine == "hrep":  # (a cross-polytope kept whole by it: piece.l1)
                cells = (self.hrep_runner or _hrep.refine_hrep)(  # (R^n: the cube in (x, t), n + 1)
                    piece.stages, len(piece.lo), piece.lo, piece.hi, halfspaces=piece.halfspaces, l1=piece.l1,
                    max_cells=self.max_regions, progress=self.progress, limits=self.limits, exact=self.exact)
            else:
                cells = refine(
                    piece.stages, self.domain.n, piece.lo, piece.hi, halfspaces=piece.halfspaces,
                    max_cells=self.max_regions, progress=self.progress, exact=self.exact,
                    certify=certify or codes, tight_codes=codes, limits=self.limits,
                    keep_tight=self.kind == "linear" and not self.exact and not self.domain.join,
                    simple_codes=self.want != "count",  # a linear count reads facets by incidence
                )
            if piece.stages is not self.domain.stages and self.stable is not None:
                # the program ran without its stable units: their pattern columns put back

                from .stable import expand_codes, expand_patterns

                P = expand_patterns(cells.patterns, self.domain.stages, piece.stages, self.stable.on)
                cells = replace(cells, patterns=P)
                if cells.vertex_codes is not None:
                    cells = replace(cells, vertex_codes=expand_codes(cells.vertex_codes, self.domain.stages,
                                                                     piece.stages))
            return cells
        except RegionLimitError as err:
            if piece.on_facet or err.limit != "max_regions":
                raise
            raise RegionLimitError(f"more than max_regions={self.max_regions} regions ({err})", err.limit,
                                   err.reached) from None

    def _find_joined(self, passes: Exactness) -> FoundCells:
        """All of R^n (or an unbounded polyhedron): the homogenised network on the 2n + 1 upper
        facets of the cube [-R, R]^n x [0, 1], the cells joined by pattern (the H-representation
        engine: on the whole cube, one run)."""
        dp, n, exact, codes = self.domain, self.domain.n, self.exact, passes.codes
        runs = []
        certify = passes.certify
        for piece in dp.pieces:
            cells = self._run_piece(piece, certify, codes)
            if codes and len(cells) and cells.vertex_codes is None:
                # a piece without tight codes (a non-simple vertex: its rational pass ran): the
                # joined cells all need exact vertices, so the other pieces go straight to the
                # rational pass (their certified runs would be run again below)
                certify = codes = False
            if len(cells):
                runs.append((piece, cells))
        if passes.codes and any(c.vertex_codes is None for _, c in runs):
            # one piece needed the rational pass: the joined cells must all have exact vertices
            runs = [(p, c if c.vertex_codes is None else self._run_piece(p, False, False)) for p, c in runs]
        if not runs:
            raise ValueError("the domain has no interior")
        parts = [_from_piece(cells, piece, dp.stages, n, exact, dp.A, dp.b) for piece, cells in runs]
        found = join_pieces(parts, dp.stages, n, exact, dp.A, dp.b)
        if exact and self.engine == "hrep":  # its exact facets (hrep_exact_facets): no box, the rows
            found.cache["exact_dom"] = (None, None, (dp.A, dp.b) if len(dp.b) else None, None)
        if len(found) and len(found.vert_ids) == 0 and (not exact or self.want == "regions"):
            # H-representation cells carry no vertices at t = 0: ask their halfspaces instead
            # (float LPs; exact region sets: exact_hrep_bounded; exact counts never ask)
            found.bounded[:] = exact_hrep_bounded(found) if exact else _hrep_bounded(found)
        if self.max_regions is not None and len(found) > self.max_regions:
            raise RegionLimitError(f"more than max_regions={self.max_regions} cells ({len(found)})",
                                   "max_regions", {"cells": len(found)})
        return found


def check_float_range(net, dp: DomainPieces) -> None:
    """Refuse, with a message naming the numeric range, a float run whose domain or network
    float mode cannot resolve (it would return a wrong count, not an error); ``exact=True``
    handles every such input.

    >>> import tropnet
    >>> from tropnet.regions.domains import domain_pieces
    >>> net = tropnet.random_mlp([2, 3, 1])
    >>> check_float_range(net, domain_pieces(net, tropnet.Box(-1e300, 1e300), False))
    Traceback (most recent call last):
    ...
    ValueError: float mode cannot resolve this domain: ...
    """
    from ..networks.layers import Linear
    from .domains import _radius
    from .program import _magnitude_bounds

    layers = net.lowered(passthrough=True).layers  # graph networks included
    weights = [np.abs(layer.float_weight).max(initial=0.0) for layer in layers if isinstance(layer, Linear)]
    biases = [np.abs(layer.float_bias).max(initial=0.0) for layer in layers if isinstance(layer, Linear)]
    big = max(weights + biases, default=0.0)
    if not np.isfinite(big) or big > FLOAT_MAX:
        raise ValueError(
            f"float mode cannot resolve this network: a weight or bias of magnitude {big:.3g} exceeds "
            f"{FLOAT_MAX:.0e} (products overflow); use exact=True"
        )
    if dp.kind == "cube facets":
        return
    piece = dp.pieces[0]
    lo, hi = np.asarray(piece.lo, dtype=np.float64), np.asarray(piece.hi, dtype=np.float64)
    scale = float(np.max(np.abs(np.concatenate([lo, hi]))))
    width = float(np.min(hi - lo))
    values = _magnitude_bounds(piece.stages, dp.n)
    top = float(np.max(values[0] * scale + values[1], initial=0.0))
    own = _radius(net, ("all",))
    if scale > FLOAT_MAX or width < FLOAT_MIN or top > FLOAT_MAX or scale > FLOAT_RESOLUTION * own:
        raise ValueError(
            "float mode cannot resolve this domain: its coordinates reach "
            f"{scale:.3g} (at most {FLOAT_MAX:.0e}, and at most {FLOAT_RESOLUTION:.0e} times the "
            f"network's scale {own:.3g}), its narrowest width is {width:.3g} (at least {FLOAT_MIN:.0e}), "
            f"and the units reach {top:.3g} on it (at most {FLOAT_MAX:.0e}); use exact=True, or "
            "domain=None for all of R^n"
        )


def _engine(net, dp: DomainPieces, want: str, kind: str, exact: bool, mode: str, engine: str) -> str:
    n = net.input_dim
    if n == 1 and mode == "serial" and engine == "auto" and dp.kind == "box":
        return "line"
    # a serial count above HREP_COUNT_DIMS[domain] inputs, exact above EXACT_COUNT_DIM (not when the
    # vertex engine is asked for, nor on Dask, whose tasks split the vertex engine's runs); an
    # exact linear one too (its exact facets: hrep_exact_facets; on R^n between the joined cells)
    count = want == "count" and mode == "serial" and engine == "auto"
    if _hrep.uses_hrep(n, exact, count, dp.kind) or dp.kind == "cross-polytope":  # (the lifted 1-norm ball)
        return "hrep"
    if mode != "serial" or engine == "refine":
        return "vertex"
    # the planar engines read the layers themselves; graph networks (activations on some units) go
    # through the program of the vertex engine
    planar = n == 2 and _planar_module() is not None and not net.is_graph
    if planar and want == "count" and kind == "activation" and dp.kind == "box":
        return "planar last layer" if exact else "planar count"
    if planar and not exact and not dp.join:
        return "planar"
    return "vertex"


def make_plan(
    obj: Any,
    domain: Any = None,
    *,
    want: str = "regions",
    kind: str = "linear",
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool | None = None,
    symmetry: Any = None,
    parallel: str | None = None,
    client: Any = None,
    engine: str = "auto",
    mode: str | None = None,
    max_seconds: float | None = None,
    max_memory: int | None = None,
    **options: Any,
) -> Plan:
    """The :class:`Plan` of a call (``want="regions"`` or ``"count"``; the other arguments are
    those of :func:`~tropnet.linear_regions`; ``engine="refine"`` forces the vertex engine;
    ``mode="parallel"`` asks for the Dask driver even with ``parallel=None`` (its tasks then run
    one after another in this process); ``options`` go to the parallel or symmetric driver).

    >>> import tropnet
    >>> make_plan(tropnet.random_mlp([13, 3, 1]), tropnet.Box(-1, 1), want="count").engine
    'hrep'
    """
    if want not in ("regions", "count"):
        raise ValueError(f"want must be 'regions' or 'count', got {want!r}")
    if mode is None:
        mode = "serial"
        if parallel is not None or client is not None:
            if symmetry is not None:
                raise ValueError("symmetry= and parallel= cannot be combined yet; use one of them")
            mode, parallel = "parallel", parallel or "dask"
        elif symmetry is not None:
            mode = "symmetric"
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if engine not in ("auto", "refine"):
        raise ValueError(f"engine must be 'auto' or 'refine' (the vertex engine), got {engine!r}")
    if mode == "parallel":
        options.update(parallel=parallel, client=client)
    elif mode == "symmetric":
        options.update(symmetry=symmetry)
    check_kind(kind)
    if not isinstance(exact, (bool, np.bool_)):
        raise TypeError(f"exact must be True or False, got {exact!r}")
    exact = bool(exact)
    check_limit_value("max_regions", max_regions, integer=True)
    check_limit_value("max_seconds", max_seconds)
    check_limit_value("max_memory", max_memory, integer=True)
    limits = None if max_seconds is None and max_memory is None else Limits(None, max_seconds, max_memory)
    cells_only = want == "count" and kind == "activation"
    passes = Exactness.for_call(exact=exact, want="count" if cells_only else "regions")
    common = dict(obj=obj, user_domain=domain, max_regions=max_regions, progress=progress, options=options,
                  limits=limits)
    if mode == "symmetric" and isinstance(domain, AffineSlice):
        raise ValueError("symmetry= does not combine with a slice domain (Segment, Plane, AffineSlice)")
    if mode == "symmetric":  # the driver reads the object and the group, and plans its fundamental domain
        return Plan(want, kind, "by the symmetric driver", passes, None, mode, **common)
    net = as_network(obj)
    sliced: dict = {}
    if isinstance(domain, AffineSlice):
        # a slice: the network composed with its embedding, on the slice's own domain
        from ..networks.embed import slice_network

        sliced = dict(slice=domain, source=net)
        net = slice_network(net, domain, exact=exact)
        # a float run of a slice whose exact embedding float64 only rounds (a plane through
        # points: directions over <u, u>) computes another network: no exact certificate speaks
        # for it, as for a non-dyadic network (program.Stage.lossy)
        sliced["lossy"] = not exact and _lossy(*domain.embedding(exact=True))
        domain = domain.domain
        common["user_domain"] = domain
    if want == "count" and kind == "linear" and net.input_dim > 1:
        # the units the function does not need split cells of one map: a count of linear
        # regions drops them first (the 1-D path reports breakpoints, and needs none dropped)
        from ..networks.prune import drop_unused_units

        net = drop_unused_units(net)
    listed = engine == "refine" and isinstance(domain, Polyhedron)  # its rows kept, even a cross-polytope's
    # (an exact count on the H-representation engine: serial, or activation cells)
    dp = domain_pieces(net, domain, exact, want == "count" and not listed
                       and (cells_only or not exact or (mode == "serial" and engine == "auto")))
    if not exact:
        check_float_range(net, dp)
    if sliced.pop("lossy", False):
        dp = replace(dp, stages=_as_lossy(dp.stages),
                     pieces=[replace(p, stages=_as_lossy(p.stages)) for p in dp.pieces])
    chosen = _engine(net, dp, want, kind, exact, mode, engine)
    if chosen == "hrep" and dp.join:  # all of R^n in one run: it needs no vertex (see homogenised_cube)
        dp = homogenised_cube(net, dp)
    if exact and chosen == "hrep":  # its exact cells, and their facets (exact counts and region
        # sets serially; on Dask, counts on every domain, linear counts on bounded ones)
        given = cells_only or mode == "serial" or (want == "count" and not dp.join)
        _hrep.check_exact_hrep(dp.n, dp.kind == "cross-polytope", given)
    if chosen == "line" and not sliced:
        chosen = "vertex"  # the 1-D path serves slices (it reports breakpoints on them)
    return Plan(want, kind, chosen, passes, dp, mode, net=net, **common, **sliced)


def find_cells(
    obj: Any,
    domain: Any = None,
    *,
    exact: bool = False,
    max_regions: int | None = None,
    progress: bool | None = False,
    engine: str = "auto",
    certify: bool = False,
    codes: bool = False,
    max_seconds: float | None = None,
    max_memory: int | None = None,
) -> FoundCells:
    """Run the enumeration engine(s) for ``obj`` on ``domain`` and collect the activation cells.

    ``engine="auto"`` uses the 2D polygon engine for float runs on a bounded 2D domain when it
    is installed, else the n-D vertex engine (``engine="refine"`` forces the latter).
    With ``exact=True``, ``certify=True`` lets the certified float pass decide the cells (for
    counts), and ``codes=True`` also keeps the tight constraints of every vertex when it
    decided everything (``vert_codes``: the fast exact geometry of :func:`build_region_set`);
    otherwise the cells come from the rational pass.  ``max_regions``, ``max_seconds`` and
    ``max_memory`` are those of :func:`~tropnet.linear_regions`.

    >>> import tropnet
    >>> len(find_cells(tropnet.random_mlp([2, 4, 1], seed=1)))
    11
    """
    plan = make_plan(obj, domain, exact=exact, max_regions=max_regions, progress=progress, engine=engine,
                     max_seconds=max_seconds, max_memory=max_memory)
    return plan.find(Exactness(exact, exact and (certify or codes), exact and codes))


def _as_lossy(stages: list) -> list:
    """``stages`` marked as the float64 rounding of exact ones
    (:attr:`~tropnet.regions.program.Stage.lossy`)."""
    return [replace(st, lossy=True) for st in stages]
