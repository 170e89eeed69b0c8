"""``Region`` and ``RegionSet``: the cells and linear regions of a piecewise-linear function.

A :class:`RegionSet` keeps everything in shared arrays (patterns, interior points,
irredundant halfspaces in CSR form, vertices, affine maps); a :class:`Region` is a light
view built on indexing.

*Activation regions* are the full-dimensional cells on which every unit keeps one affine
piece (one activation pattern; for a tropical object, one winning monomial per
polynomial).  *Linear regions* are the maximal facet-connected unions of activation cells
on which the function (all outputs jointly) has one affine map.  Example: for
``f(x) = max(0, x, 2x - 2) - max(0, 2x - 2)`` on R the activation cells are ``x < 0``,
``0 < x < 1``, ``1 < x < 2`` and ``x > 2``, with the maps ``0``, ``x``, ``2 - x`` and ``0``;
no two adjacent cells share a map, so there are 4 linear regions, two of them (the outer
ones) with the same map ``0`` but not adjacent.  For ``|x| = max(0, x) + max(0, -x)``
there are 2 cells and 2 linear regions; for ``max(0, x) - max(0, x)`` (identically 0)
there are 2 cells and 1 linear region.

>>> import tropnet
>>> absx = tropnet.Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])
>>> rs = tropnet.linear_regions(absx, kind="activation")
>>> len(rs), rs[0].bounded
(2, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from itertools import combinations
from typing import Any

import numpy as np

__all__ = ["Region", "RegionSet", "solve_cell_vertices"]


class Region:
    """One activation cell or linear region of a :class:`RegionSet` (a view; immutable).

    Attributes
    ----------
    A, b : the irredundant halfspaces ``A x <= b`` of the cell (single-cell regions only;
        a linear region that is a union of several cells lists them in :attr:`cells`).
    interior_point : a point strictly inside (of the first cell for a union).
    affine_map : ``(W, c)`` with ``f(x) = W x + c`` on the region.
    pattern : the activation pattern (single-cell regions).
    bounded : True when the region is bounded.
    ball : ``None``, or ``(c, r)`` when the domain is a cross-polytope kept whole (a float
        region set on a :class:`~tropnet.CrossPolytope` above
        :data:`~tropnet.regions.hrep.CROSS_HREP_DIM` inputs): then the cell is
        ``{A x <= b}`` *intersected with* the 1-norm ball ``|x - c|_1 <= r``, and ``A, b`` list
        its facets on the units' hyperplanes only.  The ball's own facets are not listed: a cell
        can have up to all ``2^n`` of them (one containing the ball has every one).

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])  # relu(x) + relu(y)
    >>> r = tropnet.linear_regions(net, tropnet.Box(-1, 1), exact=True)[0]
    >>> r.pattern, r.bounded, r.volume()
    ((0, 0), True, Fraction(1, 1))
    >>> [[int(v) for v in row] for row in r.A], [int(v) for v in r.b]  # x >= -1, y >= -1, x <= 0, y <= 0
    ([[-1, 0], [0, -1], [1, 0], [0, 1]], [1, 1, 0, 0])
    """

    __slots__ = ("_rs", "_i")

    def __init__(self, rs: RegionSet, i: int) -> None:
        object.__setattr__(self, "_rs", rs)
        object.__setattr__(self, "_i", int(i))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Region is immutable")

    # ------------------------------------------------------------------ structure
    @property
    def cell_indices(self) -> np.ndarray:
        """Indices of the activation cells making up this region."""
        return self._rs._cells_of(self._i)

    @property
    def cells(self) -> tuple[Region, ...]:
        """The convex activation cells of this region (one for an activation region)."""
        rs = self._rs
        if rs.kind == "activation":
            return (self,)
        cell_set = rs._activation_view()
        return tuple(Region(cell_set, c) for c in self.cell_indices)

    def _single(self, what: str) -> int:
        cs = self.cell_indices
        if len(cs) != 1:
            raise ValueError(f"this linear region is a union of {len(cs)} cells; use .cells[i].{what}")
        return int(cs[0])

    @property
    def A(self) -> np.ndarray:
        c = self._single("A")
        rs = self._rs
        return rs._facet_A[rs._facet_off[c] : rs._facet_off[c + 1]]

    @property
    def b(self) -> np.ndarray:
        c = self._single("b")
        rs = self._rs
        return rs._facet_b[rs._facet_off[c] : rs._facet_off[c + 1]]

    @property
    def pattern(self) -> tuple[int, ...]:
        c = self._single("pattern")
        return tuple(int(v) for v in self._rs._patterns[c])

    @property
    def interior_point(self) -> np.ndarray:
        return self._rs._points[self.cell_indices[0]]

    @property
    def affine_map(self) -> tuple[np.ndarray, np.ndarray]:
        c = self.cell_indices[0]
        return self._rs._maps_W[c], self._rs._maps_c[c]

    @property
    def bounded(self) -> bool:
        return bool(self._rs._bounded[self.cell_indices].all())

    @property
    def ball(self) -> tuple[np.ndarray, float] | None:
        return self._rs.ball

    @property
    def inradius(self) -> float:
        """Radius of the largest ball inside the cell (the largest over the cells of a union;
        ``inf`` for cells containing arbitrarily large balls)."""
        from ..kernels.lp import chebyshev_center

        best = 0.0
        rs = self._rs
        for c in self.cell_indices:
            A = np.asarray(rs._facet_A[rs._facet_off[c] : rs._facet_off[c + 1]], dtype=np.float64)
            b = np.asarray(rs._facet_b[rs._facet_off[c] : rs._facet_off[c + 1]], dtype=np.float64)
            if rs.ball is not None:  # the cell's rows and the 1-norm ball, lifted (never its 2^n rows)
                from ..kernels.lp import l1_chebyshev_center

                best = max(best, l1_chebyshev_center(A, b, *rs.ball, ball_facets=True)[1])
                continue
            if len(b) == 0:
                return float("inf")
            best = max(best, chebyshev_center(A, b)[1])
        return best

    # ------------------------------------------------------------------ geometry
    def vertices(self) -> np.ndarray:
        """The vertices of the cell (input dimension at most 3), float or exact.

        A union of cells returns the vertices of its cells stacked (shared ones repeated)."""
        rs = self._rs
        if rs.dim > 3:
            raise ValueError(
                f"vertices() is offered for input dimension <= 3, this region lives in R^{rs.dim}"
            )
        out = [rs._cell_vertices(c) for c in self.cell_indices]
        return np.vstack(out) if out else np.zeros((0, rs.dim))

    def volume(self) -> float | Fraction:
        """The volume of a bounded region: an exact ``Fraction`` in exact mode, computed from the
        cells' exact vertices and facets with no float decision
        (:func:`tropnet.kernels.volume.polytope_volume`); Qhull's float volume otherwise."""
        if not self.bounded:
            raise ValueError("volume() needs a bounded region (this one is unbounded)")
        return sum(
            (self._rs._cell_volume(c) for c in self.cell_indices), Fraction(0) if self._rs.exact else 0.0
        )

    def to_polytope(self) -> Any:
        """The cell as a ``polytope.Polytope`` (needs the optional ``polytope`` package)."""
        self._rs._refuse_ball("to_polytope()")
        try:
            import polytope
        except ImportError as err:  # pragma: no cover - optional
            raise ImportError("to_polytope() needs the polytope package: "
                              "pip install tropnet[polytope]") from err
        return polytope.Polytope(np.asarray(self.A, dtype=np.float64), np.asarray(self.b, dtype=np.float64))

    def __repr__(self) -> str:
        rs = self._rs
        k = len(self.cell_indices)
        what = "cell" if rs.kind == "activation" else f"linear region of {k} cell{'s' if k > 1 else ''}"
        return f"Region({what} #{self._i} in R^{rs.dim}, {'bounded' if self.bounded else 'unbounded'})"


class RegionSet(Sequence):
    """The regions of a piecewise-linear function on a domain, as a sequence of
    :class:`Region` backed by shared arrays.

    ``kind`` is ``"activation"`` or ``"linear"``; ``exact`` says whether every array holds
    exact ``Fraction`` entries.  :meth:`adjacency` gives the facet-adjacency edges.

    >>> import tropnet
    >>> rs = tropnet.linear_regions(tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]]))
    >>> len(rs), rs.adjacency().tolist()
    (4, [[0, 1], [0, 2], [1, 3], [2, 3]])
    """

    def __init__(
        self,
        *,
        kind: str,
        exact: bool,
        dim: int,
        patterns,
        points,
        bounded,
        vert_off,
        vert_ids,
        vert_X,
        vert_t,
        facet_off=None,
        facet_A=None,
        facet_b=None,
        facet_nbr=None,
        maps_W=None,
        maps_c=None,
        labels=None,
        geometry=None,
        vert_facets=None,
        ball=None,
    ) -> None:
        self.kind = kind
        #: ``(c, r)``: the domain is the cross-polytope ``|x - c|_1 <= r``, kept whole (its
        #: ``2^n`` facets are in no cell's rows; see :class:`Region`), else ``None``
        self.ball = ball
        self.exact = exact
        self.dim = dim
        self._patterns = patterns
        self._points = points
        self._bounded = bounded
        self._vert_off = vert_off
        self._vert_ids = vert_ids
        self._vert_X = vert_X
        self._vert_t = vert_t
        # certified exact sets: for each (cell, vertex) entry the positions of the d facets of
        # the cell tight there (-1: an artificial bound); exact vertices are solved on demand
        self._vert_facets = vert_facets
        # halfspaces, neighbours and maps: given, or computed on first use by ``geometry()``
        self._geometry = geometry
        self._geom = (
            None if geometry is not None else (facet_off, facet_A, facet_b, facet_nbr, maps_W, maps_c)
        )
        ncell = len(patterns)
        if labels is None:
            labels = np.arange(ncell)
        self._labels = labels
        order = np.argsort(labels, kind="stable")
        self._region_cells = order
        self._region_off = np.concatenate(
            [[0], np.cumsum(np.bincount(labels, minlength=int(labels.max()) + 1 if ncell else 0))]
        ).astype(np.int64)
        self._act = None

    def _g(self) -> tuple:
        if self._geom is None:
            self._geom = self._geometry()
            self._geometry = None
        return self._geom

    _facet_off = property(lambda self: self._g()[0])
    _facet_A = property(lambda self: self._g()[1])
    _facet_b = property(lambda self: self._g()[2])
    _facet_nbr = property(lambda self: self._g()[3])
    _maps_W = property(lambda self: self._g()[4])
    _maps_c = property(lambda self: self._g()[5])

    # ------------------------------------------------------------------ sequence
    def __len__(self) -> int:
        return len(self._region_off) - 1

    #: the view class of one region (a subclass may give its regions more to say)
    region_class = Region

    def __getitem__(self, i: Any) -> Any:
        view = self.region_class
        if isinstance(i, slice):
            return [view(self, j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"regions are indexed by integers or slices, got {i!r}")
        j = int(i)
        if j < 0:
            j += n
        if not 0 <= j < n:
            raise IndexError(f"region index {i} out of range for {n} regions")
        return view(self, j)

    def _cells_of(self, i: int) -> np.ndarray:
        return self._region_cells[self._region_off[i] : self._region_off[i + 1]]

    def _activation_view(self) -> RegionSet:
        if self.kind == "activation":
            return self
        if self._act is None:
            self._g()
            rs = RegionSet.__new__(RegionSet)
            rs.__dict__.update(self.__dict__)
            rs.kind = "activation"
            n = len(self._patterns)
            rs._labels = np.arange(n)
            rs._region_cells = np.arange(n)
            rs._region_off = np.arange(n + 1)
            rs._act = None
            self._act = rs
        return self._act

    @property
    def nbytes(self) -> int:
        """Bytes held by the shared arrays (object arrays count their pointers only)."""
        arrays = (
            self._patterns,
            self._points,
            self._bounded,
            self._vert_off,
            self._vert_ids,
            self._vert_X,
            self._vert_t,
            self._vert_facets if self._vert_facets is not None else np.zeros(0),
            self._facet_off,
            self._facet_A,
            self._facet_b,
            self._facet_nbr,
            self._maps_W,
            self._maps_c,
            self._labels,
            self._region_cells,
            self._region_off,
        )
        return int(sum(a.nbytes for a in arrays))

    @property
    def num_cells(self) -> int:
        """Number of activation cells underlying the regions."""
        return len(self._patterns)

    @property
    def patterns(self) -> np.ndarray:
        """(cells, units) activation patterns of the underlying cells."""
        return self._patterns

    @property
    def interior_points(self) -> np.ndarray:
        """(regions, d) one interior point per region."""
        return self._points[self._region_cells[self._region_off[:-1]]]

    @property
    def labels(self) -> np.ndarray:
        """Region index of each activation cell."""
        return self._labels

    def adjacency(self) -> np.ndarray:
        """Facet-adjacency of the regions: an (E, 2) int array of index pairs ``i < j``.

        :meth:`adjacency_graph` gives the same as a ``networkx.Graph``."""
        nc = np.repeat(np.arange(len(self._patterns)), np.diff(self._facet_off))
        nb = self._facet_nbr
        ok = nb >= 0
        a, b = self._labels[nc[ok]], self._labels[nb[ok]]
        keep = a != b
        e = np.stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]], axis=1)
        if len(e) == 0:
            return np.zeros((0, 2), dtype=np.int64)
        return np.unique(e, axis=0).astype(np.int64)

    def adjacency_graph(self) -> Any:
        """The facet-adjacency graph as a ``networkx.Graph`` (nodes = region indices)."""
        try:
            import networkx as nx
        except ImportError as err:  # pragma: no cover - optional
            raise ImportError("adjacency_graph() needs networkx: pip install tropnet[graph]") from err
        g = nx.Graph()
        g.add_nodes_from(range(len(self)))
        g.add_edges_from(map(tuple, self.adjacency().tolist()))
        return g

    def graph(self) -> Any:
        """The region graph: :meth:`adjacency_graph` (statistics:
        :func:`tropnet.studies.region_graph_statistics`)."""
        return self.adjacency_graph()

    # ------------------------------------------------------------------ the face complex
    # The complex lives in tropnet.complex, a package above the regions (it reads RegionSet);
    # these thin methods import it inside the call, the one place regions look upward.
    def complex(self) -> Any:
        """The :class:`~tropnet.PolyhedralComplex` of the activation cells: their faces of every
        dimension with boundary relations (computed once, then kept; exact in exact mode).
        On an unbounded domain the unbounded faces are marked (see :mod:`tropnet.complex.lattice`).

        >>> import tropnet
        >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])  # relu(x) + relu(y)
        >>> rs = tropnet.linear_regions(net, tropnet.Box(-1, 1), exact=True)
        >>> rs.f_vector(), len(rs.faces(1)), rs.complex().euler_characteristic()
        ((9, 12, 4), 12, 1)
        """
        K = self.__dict__.get("_complex")
        if K is None:
            self._refuse_ball("complex()")
            from ..complex.lattice import build_complex

            K = build_complex(self)
            self.__dict__["_complex"] = K
        return K

    def faces(self, dim: int) -> Any:
        """The faces of dimension ``dim`` (0 .. input dimension) of :meth:`complex`: a
        :class:`~tropnet.complex.polyhedral.Faces` view (vertices, facets, cofaces, cells,
        interior points, affine hulls, boundedness, sign vectors)."""
        return self.complex().faces(dim)

    def f_vector(self) -> tuple[int, ...]:
        """``(f_0, ..., f_n)``: the number of faces of each dimension of :meth:`complex`."""
        return self.complex().f_vector()

    def _refuse_ball(self, what: str) -> None:
        """Refuse ``what``, which needs every facet of the cells, on a cross-polytope kept whole."""
        if self.ball is not None:
            raise ValueError(
                f"{what} needs every facet of the cells, but on this {self.dim}-D cross-polytope (kept "
                f"whole, as the 1-norm ball |x - c|_1 <= r) the cells list their unit facets only: "
                f"the ball's own facets are up to 2^{self.dim} rows per cell.  Cells in at most "
                "7 dimensions list them (the vertex engine on the 2^n rows)"
            )

    # ------------------------------------------------------------------ geometry helpers
    def _cell_vertices(self, c: int) -> np.ndarray:
        if self._vert_facets is not None:
            A = self._facet_A[self._facet_off[c] : self._facet_off[c + 1]]
            b = self._facet_b[self._facet_off[c] : self._facet_off[c + 1]]
            return solve_cell_vertices(A, b, self._vert_facets[self._vert_off[c] : self._vert_off[c + 1]])
        ids = self._vert_ids[self._vert_off[c] : self._vert_off[c + 1]]
        A = self._facet_A[self._facet_off[c] : self._facet_off[c + 1]]
        b = self._facet_b[self._facet_off[c] : self._facet_off[c + 1]]
        if self._bounded[c]:
            P = _unique_rows(self._vert_X[ids] / self._vert_t[ids][:, None])
            # the pool can also hold points that only cut the cell (where an engine piece ended,
            # e.g. the cube of the homogenised run on R^n): a vertex has d independent tight facets
            return P[_is_vertex(A, b, P, self.exact)]
        return _vertices_from_h(A, b, self.exact)

    def _cell_volume(self, c: int) -> float | Fraction:
        """Volume of bounded cell ``c``: exact from the cell's exact facets, Qhull for floats."""
        from ..kernels.volume import polytope_volume

        if len(self._vert_ids) == 0:
            raise NotImplementedError(
                f"volume() needs the cells' vertices, which the H-representation engine (input "
                f"dimension {self.dim}: above 12, or a cross-polytope above 7 kept whole) does not compute"
            )
        ids = self._vert_ids[self._vert_off[c] : self._vert_off[c + 1]]
        if not self.exact:
            P = self._vert_X[ids] / self._vert_t[ids][:, None]
            return polytope_volume(np.asarray(P, dtype=np.float64), exact=False)
        # the cell's irredundant facets, domain rows included: no float decision.  A certified
        # set keeps float vertices in its pool: its exact vertices are solved from the facets;
        # otherwise the exact pool points of the cell serve (points on its boundary that are not
        # vertices do no harm to polytope_volume)
        if self._vert_facets is not None:
            P = self._cell_vertices(c)
        else:
            P = self._vert_X[ids] / self._vert_t[ids][:, None]
        lo, hi = self._facet_off[c], self._facet_off[c + 1]
        return polytope_volume(P, self._facet_A[lo:hi], self._facet_b[lo:hi], exact=True)

    def __repr__(self) -> str:
        return (
            f"RegionSet({len(self)} {self.kind} regions of {self.num_cells} cells in R^{self.dim}, "
            f"{'exact' if self.exact else 'float'})"
        )


def solve_cell_vertices(A: np.ndarray, b: np.ndarray, tight: np.ndarray) -> np.ndarray:
    """The exact vertices of ``{A x <= b}`` (``Fraction`` rows) given, per candidate, the ``d``
    rows tight there (``tight (k, d)`` row positions; a candidate with a ``-1`` is skipped): each
    is the solution of its ``d`` equations, in python-flint rationals.

    >>> from fractions import Fraction as F
    >>> A = np.array([[F(1), F(0)], [F(0), F(1)], [F(-1), F(-1)]], dtype=object)
    >>> b = np.array([F(1), F(1), F(0)], dtype=object)
    >>> [[str(v) for v in row] for row in solve_cell_vertices(A, b, np.array([[0, 1], [0, 2], [1, 2]]))]
    [['1', '1'], ['1', '-1'], ['-1', '1']]
    """
    import flint

    d = A.shape[1]
    out: dict = {}
    for r in np.asarray(tight).tolist():
        key = tuple(sorted(r))
        if key in out or key[0] < 0:
            continue
        M = flint.fmpq_mat([[flint.fmpq(v.numerator, v.denominator) for v in A[i]] for i in key])
        rhs = flint.fmpq_mat([[flint.fmpq(b[i].numerator, b[i].denominator)] for i in key])
        x = M.solve(rhs)
        out[key] = [Fraction(int(x[i, 0].p), int(x[i, 0].q)) for i in range(d)]
    return np.array(list(out.values()), dtype=object).reshape(-1, d)


def _unique_rows(P: np.ndarray) -> np.ndarray:
    if P.dtype == object:
        seen = {}
        for row in P:
            seen.setdefault(tuple(row), row)
        return np.array(list(seen.values()), dtype=object).reshape(-1, P.shape[1])
    return np.unique(P, axis=0)


def _is_vertex(A: np.ndarray, b: np.ndarray, P: np.ndarray, exact: bool) -> np.ndarray:
    """Which points of ``P`` (all in ``{A x <= b}``) are vertices: tight at facets of rank ``d``."""
    d = A.shape[1]
    if exact:
        tight = np.array([[A[i].dot(p) == b[i] for i in range(len(b))] for p in P], dtype=bool).reshape(
            len(P), len(b)
        )
    else:
        Af, bf = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
        scale = np.abs(Af).sum(axis=1) * max(1.0, float(np.abs(P).max()) if P.size else 1.0) + np.abs(bf)
        tight = np.abs(P.dot(Af.T) - bf) <= 1e-9 * scale
    out = tight.sum(axis=1) >= d
    for k in np.flatnonzero(out):
        M = A[tight[k]]
        if exact:
            import flint

            rank = flint.fmpq_mat([[flint.fmpq(v.numerator, v.denominator) for v in row] for row in M]).rank()
        else:
            Mf = np.asarray(M, dtype=np.float64)
            rank = np.linalg.matrix_rank(Mf, tol=1e-9 * max(1.0, float(np.abs(Mf).max())))
        out[k] = rank == d
    return out


def _vertices_from_h(A: np.ndarray, b: np.ndarray, exact: bool) -> np.ndarray:
    """Vertices of ``{A x <= b}`` by trying every d-subset of rows (small d, few rows)."""
    m, d = A.shape
    out = []
    for S in combinations(range(m), d):
        M = A[list(S)]
        if exact:
            import flint

            Mq = flint.fmpq_mat([[flint.fmpq(v.numerator, v.denominator) for v in row] for row in M])
            if Mq.rank() < d:
                continue
            rhs = flint.fmpq_mat([[flint.fmpq(b[s].numerator, b[s].denominator)] for s in S])
            sol = Mq.solve(rhs)
            x = np.array([Fraction(int(sol[i, 0].p), int(sol[i, 0].q)) for i in range(d)], dtype=object)
            if all(A[r].dot(x) <= b[r] for r in range(m)):
                out.append(x)
        else:
            Mf = np.asarray(M, dtype=np.float64)
            if abs(np.linalg.det(Mf)) < 1e-12 * max(1.0, np.abs(Mf).max() ** d):
                continue
            x = np.linalg.solve(Mf, np.asarray(b[list(S)], dtype=np.float64))
            if np.all(
                np.asarray(A, dtype=np.float64) @ x
                <= np.asarray(b, dtype=np.float64) + 1e-9 * (1 + np.abs(b))
            ):
                out.append(x)
    if not out:
        return np.zeros((0, d), dtype=object if exact else np.float64)
    return _unique_rows(np.array(out, dtype=object if exact else np.float64))
