"""``PolyhedralComplex``: the cells of every dimension of a polyhedral complex, with their
boundary relations, as shared arrays (immutable).

A complex is built from a :class:`~tropnet.RegionSet` (:meth:`tropnet.RegionSet.complex`,
:func:`tropnet.complex.lattice.build_complex`): its ``n``-faces are the activation cells, its
lower faces every face of those cells, each once.  ``faces(k)`` is a :class:`Faces` view of
the ``k``-faces: vertices, facets, cofaces, the cells that contain each face, an interior
point, the affine hull, boundedness and sign vectors.

*Counts and Euler characteristic.*  ``f_vector()`` counts the faces of the complex on its
domain.  On a box (a bounded domain) the complex is a polytopal subdivision of a ball, so
``sum (-1)^k f_k = 1``; on all of R^n the faces are relatively open cells partitioning R^n,
so the alternating sum is the compactly supported Euler characteristic ``(-1)^n`` (add 1 for
the point at infinity of the one-point compactification S^n).

*Topology* (:func:`tropnet.betti_numbers`) is computed on the closed complex: on an
unbounded domain, the complex clipped by a box containing every vertex strictly inside (see
:mod:`tropnet.complex.lattice`); a closed union of faces of the complex on R^n deformation
retracts onto its part in that box.

>>> import tropnet
>>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])  # relu(x) + relu(y)
>>> K = tropnet.complex.build_complex(tropnet.linear_regions(net, exact=True))
>>> K.f_vector(), K.euler_characteristic()      # on R^2: 1 vertex, 4 rays, 4 quadrants
((1, 4, 4), 1)
>>> K.faces(1).bounded.tolist()
[False, False, False, False]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PolyhedralComplex", "Faces"]


def _csr(lists: list) -> tuple[np.ndarray, np.ndarray]:
    off = np.zeros(len(lists) + 1, dtype=np.int64)
    off[1:] = np.cumsum([len(x) for x in lists])
    ids = np.fromiter((v for x in lists for v in x), dtype=np.int64, count=int(off[-1]))
    return off, ids


def _rows(csr: tuple[np.ndarray, np.ndarray], i: int) -> np.ndarray:
    off, ids = csr
    return ids[off[i] : off[i + 1]]


class PolyhedralComplex:
    """A polyhedral complex in R^n: faces of every dimension with their boundary relations.

    Attributes
    ----------
    ambient_dim : n.
    dim : the largest dimension of a face (-1 for the empty complex).
    exact : whether coordinates are exact ``Fraction`` values.
    box : the half-width ``R`` of the clipping box ``[-R, R]^n`` on an unbounded domain, else None.

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])  # |x| on [-2, 2]
    >>> K = tropnet.complex.build_complex(tropnet.linear_regions(net, tropnet.Box(-2, 2), kind="activation"))
    >>> K.f_vector(), K.faces(0).points.ravel().tolist()
    ((3, 2), [-2.0, 0.0, 2.0])
    >>> [f.tolist() for f in K.faces(1).facets]         # each edge has its two end points
    [[0, 1], [1, 2]]
    """

    __slots__ = (
        "ambient_dim",
        "exact",
        "box",
        "_coords",
        "_vinf",
        "_fv",
        "_fc",
        "_cells",
        "_gen",
        "_on_domain",
        "_patterns",
        "_maps",
        "_cofaces",
        "__weakref__",
    )

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "_cofaces"):
            raise AttributeError("PolyhedralComplex is immutable")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ construction
    @classmethod
    def _make(cls, **kw: Any) -> PolyhedralComplex:
        self = cls.__new__(cls)
        kw.setdefault("_cofaces", {})
        cof = kw.pop("_cofaces")
        for k, v in kw.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_cofaces", cof)
        return self

    @classmethod
    def _from_lattice(
        cls,
        *,
        dim,
        exact,
        coords,
        vinf,
        keys,
        facet_pairs,
        cell_pairs,
        on_domain,
        box,
        patterns=None,
        maps=None,
    ) -> PolyhedralComplex:
        n = dim
        klist = [list(d) for d in keys]  # keys in id order (dicts keep insertion order)
        vinf = np.asarray(vinf, dtype=np.int64)
        # at infinity: every vertex on one common facet of the clipping box
        genuine = [
            np.array([np.bitwise_and.reduce(vinf[list(key)]) == 0 for key in kl], dtype=bool) for kl in klist
        ]
        perm = [np.argsort(~g, kind="stable") for g in genuine]  # genuine faces first
        inv = [np.empty_like(p) for p in perm]
        for p, q in zip(perm, inv):
            q[p] = np.arange(len(p))
        # vertex k = 0 faces are the coordinates in their new order
        vid = np.array([kl[0] for kl in klist[0]], dtype=np.int64)[perm[0]]
        vmap = np.empty(len(coords), dtype=np.int64)
        vmap[vid] = np.arange(len(vid))
        fv = []
        for k in range(n + 1):
            kl = klist[k]
            fv.append(_csr([sorted(vmap[list(kl[i])].tolist()) for i in perm[k]]))
        fc = [(np.zeros(len(perm[0]) + 1, dtype=np.int64), np.zeros(0, dtype=np.int64))]
        for k in range(1, n + 1):
            lists: list[list] = [[] for _ in perm[k]]
            for f, g in facet_pairs[k]:
                lists[inv[k][f]].append(int(inv[k - 1][g]))
            fc.append(_csr([sorted(x) for x in lists]))
        cells = []
        for k in range(n + 1):
            lists = [set() for _ in perm[k]]
            for f, c in cell_pairs[k]:
                lists[inv[k][f]].add(int(c))
            cells.append(_csr([sorted(x) for x in lists]))
        ond = [np.zeros(len(p), dtype=bool) for p in perm]
        if n >= 1 and on_domain:
            ond[n - 1][inv[n - 1][np.fromiter(on_domain, dtype=np.int64)]] = True
        return cls._make(
            ambient_dim=n,
            exact=exact,
            box=box,
            _coords=coords[vid],
            _vinf=np.asarray(vinf)[vid],
            _fv=fv,
            _fc=fc,
            _cells=cells,
            _gen=[int(g.sum()) for g in genuine],
            _on_domain=ond,
            _patterns=patterns,
            _maps=maps,
        )

    # ------------------------------------------------------------------ counts
    @property
    def dim(self) -> int:
        ks = [k for k in range(self.ambient_dim + 1) if self._gen[k] > 0]
        return max(ks) if ks else -1

    def _nfaces(self, k: int) -> int:
        return len(self._fv[k][0]) - 1

    def f_vector(self) -> tuple[int, ...]:
        """``(f_0, ..., f_dim)``: the number of faces of each dimension (faces at infinity of a
        clipped complex are not counted)."""
        return tuple(self._gen[k] for k in range(self.dim + 1))

    def euler_characteristic(self) -> int:
        """``sum (-1)^k f_k``: 1 for a subdivided box, ``(-1)^n`` for a complex covering R^n."""
        return int(sum((-1) ** k * f for k, f in enumerate(self.f_vector())))

    @property
    def is_bounded(self) -> bool:
        """True when no face is unbounded."""
        return bool(
            self.box is None
            or not any(
                self.faces(k).bounded.size and (~self.faces(k).bounded).any() for k in range(self.dim + 1)
            )
        )

    def faces(self, k: int) -> Faces:
        """The ``k``-faces (``0 <= k <= ambient_dim``) as a :class:`Faces` view."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"faces(k) needs an integer dimension, got {k!r}")
        if not 0 <= k <= self.ambient_dim:
            raise ValueError(
                f"dimension {k} is out of range: faces exist in dimensions 0..{self.ambient_dim}"
            )
        return Faces(self, int(k))

    # ------------------------------------------------------------------ subcomplexes
    def _closure(self, keep: list[np.ndarray]) -> list[np.ndarray]:
        keep = [np.asarray(m, dtype=bool).copy() for m in keep]
        for k in range(self.ambient_dim, 0, -1):
            off, ids = self._fc[k]
            sel = np.flatnonzero(keep[k])
            if len(sel):
                idx = np.concatenate([ids[off[i] : off[i + 1]] for i in sel])
                keep[k - 1][idx] = True
        return keep

    def _restrict(self, keep: list[np.ndarray]) -> PolyhedralComplex:
        """The closed subcomplex generated by the internal faces ``keep[k]`` (boolean masks)."""
        keep = self._closure(keep)
        new = [np.full(self._nfaces(k), -1, dtype=np.int64) for k in range(self.ambient_dim + 1)]
        for k, m in enumerate(keep):
            new[k][m] = np.arange(int(m.sum()))

        def sub(csr, k, remap):
            off, ids = csr
            lists = []
            for i in np.flatnonzero(keep[k]):
                r = ids[off[i] : off[i + 1]]
                lists.append(remap[r] if remap is not None else r)
            return _csr(lists)

        fv = [sub(self._fv[k], k, new[0]) for k in range(self.ambient_dim + 1)]
        fc = [sub(self._fc[0], 0, None)] + [
            sub(self._fc[k], k, new[k - 1]) for k in range(1, self.ambient_dim + 1)
        ]
        cells = [sub(self._cells[k], k, None) for k in range(self.ambient_dim + 1)]
        gen = [int(keep[k][: self._gen[k]].sum()) for k in range(self.ambient_dim + 1)]
        return PolyhedralComplex._make(
            ambient_dim=self.ambient_dim,
            exact=self.exact,
            box=self.box,
            _coords=self._coords[keep[0]],
            _vinf=self._vinf[keep[0]],
            _fv=fv,
            _fc=fc,
            _cells=cells,
            _gen=gen,
            _on_domain=[o[m] for o, m in zip(self._on_domain, keep)],
            _patterns=self._patterns,
            _maps=None,
        )

    def vertex_values(self, output: int = 0) -> np.ndarray:
        """The value of output ``output`` at every vertex, including the points where a clipping
        box cuts unbounded faces (exact in exact mode; from the affine map of a cell around it)."""
        if self._maps is None:
            raise ValueError("this complex carries no affine maps (it was not built from a region set)")
        W, c = self._maps
        if not 0 <= int(output) < W.shape[1]:
            raise ValueError(f"output {output} is out of range: the function has {W.shape[1]} output(s)")
        off, ids = self._cells[0]
        cell = ids[off[:-1]]
        out = [W[cc][output].dot(p) + c[cc][output] for cc, p in zip(cell.tolist(), self._coords)]
        return np.array(out, dtype=self._coords.dtype)

    def _face_extreme(self, vals: np.ndarray, fn) -> list[np.ndarray]:
        out = []
        for k in range(self.ambient_dim + 1):
            off, ids = self._fv[k]
            out.append(
                np.array([fn(vals[ids[off[i] : off[i + 1]]]) for i in range(len(off) - 1)], dtype=vals.dtype)
            )
        return out

    def sublevel(self, t: Any, output: int = 0) -> PolyhedralComplex:
        """The subcomplex of faces on which ``f <= t`` (homotopy equivalent to the sublevel set
        ``{f <= t}``, f affine on every cell; see :mod:`tropnet.complex.homology`).

        >>> import tropnet
        >>> net = tropnet.Network.from_arrays([[[1.0], [-1.0]], [[1.0, 1.0]]])   # |x| on [-2, 2]
        >>> K = tropnet.complex.build_complex(
        ...     tropnet.linear_regions(net, tropnet.Box(-2, 2), kind="activation"))
        >>> K.sublevel(1).f_vector(), K.superlevel(1).f_vector()   # {0}; the two end points
        ((1,), (2,))
        """
        return self._level(t, output, below=True)

    def superlevel(self, t: Any, output: int = 0) -> PolyhedralComplex:
        """The subcomplex of faces on which ``f >= t`` (see :meth:`sublevel`)."""
        return self._level(t, output, below=False)

    def _level(self, t: Any, output: int, below: bool) -> PolyhedralComplex:
        from .._numbers import to_exact, to_float

        t = to_exact(t, name="level t") if self.exact else to_float(t, name="level t")
        vals = self.vertex_values(output)
        ext = self._face_extreme(vals, np.max if below else np.min)
        return self._restrict([(e <= t) if below else (e >= t) for e in ext])

    def union(self, cells: Any) -> PolyhedralComplex:
        """The closed union of the given activation cells (indices into the region set's cells).

        >>> import tropnet
        >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
        >>> K = tropnet.complex.build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1)))
        >>> K.union([0, 1]).f_vector()
        (6, 7, 2)
        """
        n = self.ambient_dim
        sel = np.asarray(cells, dtype=np.int64).ravel()
        off, ids = self._cells[n]
        top = ids[off[:-1]] if len(ids) else np.zeros(0, dtype=np.int64)
        ncell = int(top.max()) + 1 if len(top) else 0
        if sel.size and (sel.min() < 0 or sel.max() >= ncell):
            raise ValueError(f"cell index out of range 0..{ncell - 1}")
        keep = [np.zeros(self._nfaces(k), dtype=bool) for k in range(n + 1)]
        keep[n] = np.isin(top, sel)
        return self._restrict(keep)

    def subcomplex(self, faces: dict) -> PolyhedralComplex:
        """The closed subcomplex made of the given faces and all their faces.

        ``faces`` maps a dimension ``k`` to indices (or a boolean mask) of ``k``-faces.

        >>> import tropnet
        >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
        >>> K = tropnet.complex.build_complex(tropnet.linear_regions(net, tropnet.Box(-1, 1), exact=True))
        >>> K.subcomplex({2: [0]}).f_vector()     # one closed square
        (4, 4, 1)
        """
        keep = [np.zeros(self._nfaces(k), dtype=bool) for k in range(self.ambient_dim + 1)]
        for k, sel in faces.items():
            if not 0 <= int(k) <= self.ambient_dim:
                raise ValueError(f"dimension {k} is out of range 0..{self.ambient_dim}")
            sel = np.asarray(sel)
            g = self._gen[int(k)]
            if sel.dtype == bool:
                if sel.shape != (g,):
                    raise ValueError(f"a mask of {int(k)}-faces needs length {g}, got shape {sel.shape}")
                keep[int(k)][:g] |= sel
            else:
                sel = sel.astype(np.int64).ravel()
                if sel.size and (sel.min() < 0 or sel.max() >= g):
                    raise ValueError(f"{int(k)}-face index out of range 0..{g - 1}")
                keep[int(k)][sel] = True
        return self._restrict(keep)

    def __repr__(self) -> str:
        return (
            f"PolyhedralComplex(dim {self.dim} in R^{self.ambient_dim}, f-vector {self.f_vector()}, "
            f"{'exact' if self.exact else 'float'})"
        )


class Faces:
    """The ``k``-faces of a :class:`PolyhedralComplex` (a view; indices are face numbers).

    Attributes (one entry per face)
    -------------------------------
    vertices : list of arrays of vertex numbers (the 0-faces; an unbounded face lists only its
        vertices, not the points where the clipping box cuts it).
    facets : list of arrays of (k-1)-face numbers; cofaces : list of arrays of (k+1)-face numbers.
    cells : list of arrays of the activation cells (indices into the region set's cells) that
        contain the face.
    points : (f_k, n) a point in the relative interior of each face (exact in exact mode).
    bounded : boolean array.
    on_boundary : for (n-1)-faces, whether the face lies on the domain's boundary.

    >>> import tropnet
    >>> net = tropnet.Network.from_arrays([[[1, 0], [0, 1]], [[1, 1]]])
    >>> rs = tropnet.linear_regions(net, tropnet.Box(-1, 1), exact=True)
    >>> F = tropnet.complex.build_complex(rs).faces(0)
    >>> centre = int(np.argmax([len(c) for c in F.cells]))   # the vertex in all four cells
    >>> len(F), [str(x) for x in F.points[centre]], F.cells[centre].tolist()
    (9, ['0', '0'], [0, 1, 2, 3])
    """

    __slots__ = ("_K", "dim")

    def __init__(self, K: PolyhedralComplex, k: int) -> None:
        self._K = K
        self.dim = k

    def __len__(self) -> int:
        return self._K._gen[self.dim]

    def __repr__(self) -> str:
        return f"Faces({len(self)} faces of dimension {self.dim} in R^{self._K.ambient_dim})"

    @property
    def vertices(self) -> list[np.ndarray]:
        K, g0 = self._K, self._K._gen[0]
        return [r[r < g0] for r in (_rows(K._fv[self.dim], i) for i in range(len(self)))]

    @property
    def facets(self) -> list[np.ndarray]:
        K, k = self._K, self.dim
        if k == 0:
            return [np.zeros(0, dtype=np.int64) for _ in range(len(self))]
        g = K._gen[k - 1]
        return [r[r < g] for r in (_rows(K._fc[k], i) for i in range(len(self)))]

    @property
    def cofaces(self) -> list[np.ndarray]:
        K, k = self._K, self.dim
        if k == K.ambient_dim:
            return [np.zeros(0, dtype=np.int64) for _ in range(len(self))]
        off, ids = K._fc[k + 1]
        owner = np.repeat(np.arange(len(off) - 1), np.diff(off))
        ok = (ids < len(self)) & (owner < K._gen[k + 1])
        lists: list[list] = [[] for _ in range(len(self))]
        for f, g in zip(ids[ok].tolist(), owner[ok].tolist()):
            lists[f].append(g)
        return [np.array(sorted(x), dtype=np.int64) for x in lists]

    @property
    def cells(self) -> list[np.ndarray]:
        return [_rows(self._K._cells[self.dim], i) for i in range(len(self))]

    @property
    def points(self) -> np.ndarray:
        """The barycentre of each face's vertices (of the clipped face when it is unbounded)."""
        K = self._K
        out = []
        for i in range(len(self)):
            P = K._coords[_rows(K._fv[self.dim], i)]
            out.append(P.sum(axis=0) / len(P))
        return np.array(out, dtype=K._coords.dtype).reshape(-1, K.ambient_dim)

    @property
    def bounded(self) -> np.ndarray:
        K = self._K
        return np.array([not K._vinf[_rows(K._fv[self.dim], i)].any() for i in range(len(self))], dtype=bool)

    @property
    def on_boundary(self) -> np.ndarray:
        return self._K._on_domain[self.dim][: len(self)].copy()

    def affine_hull(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """``(p, D)``: a point ``p`` of face ``i`` and a ``(k, n)`` basis ``D`` of its direction
        space (exact rationals in reduced row echelon form in exact mode; orthonormal rows for
        floats), so the hull is ``{p + t D}``."""
        from .orient import direction_basis

        K = self._K
        if not 0 <= int(i) < len(self):
            raise IndexError(f"face {i} out of range for {len(self)} faces of dimension {self.dim}")
        P = K._coords[_rows(K._fv[self.dim], int(i))]
        D, _ = direction_basis(P, K.exact)
        return P[0], D

    @property
    def signs(self) -> np.ndarray:
        """(f_k, units) sign vectors for binary (ReLU-type) activation patterns: ``+1`` where every
        cell around the face has the unit active, ``-1`` where every one has it inactive, ``0``
        where they differ (the face lies on that unit's bent hyperplane)."""
        K = self._K
        if K._patterns is None:
            raise ValueError("this complex has no activation patterns")
        P = np.asarray(K._patterns)
        if P.size and P.max() > 1:
            raise ValueError(
                "sign vectors need binary (ReLU-type) activation patterns; this one has GroupMax units"
            )
        out = np.zeros((len(self), P.shape[1]), dtype=np.int8)
        for i, cs in enumerate(self.cells):
            sub = P[cs]
            on, off_ = sub.all(axis=0), (~sub.astype(bool)).all(axis=0)
            out[i] = np.where(on, 1, np.where(off_, -1, 0))
        return out
