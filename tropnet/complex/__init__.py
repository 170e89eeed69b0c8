"""The polyhedral complex of a region set and its topology.

* :mod:`~tropnet.complex.lattice` — the faces of every dimension of the activation cells;
* :mod:`~tropnet.complex.polyhedral` — :class:`PolyhedralComplex`, :class:`Faces`;
* :mod:`~tropnet.complex.orient` — orientations and incidence numbers;
* :mod:`~tropnet.complex.homology` — :func:`betti_numbers` over GF(2) and Q;
* :mod:`~tropnet.complex.boundary` — :func:`decision_boundary`, :class:`DecisionBoundary`;
* :mod:`~tropnet.complex.persistence` — :func:`persistence` of the sublevel filtration.
* :mod:`~tropnet.complex.hypersurface` — the cells of a tropical hypersurface in ``n >= 3``
  variables (the engine behind :meth:`tropnet.TropicalPolynomial.hypersurface`).

Imports run one way: this package reads :class:`~tropnet.RegionSet` (regions) and is read by
studies and plot.

>>> from tropnet.complex import PolyhedralComplex
>>> PolyhedralComplex.__name__
'PolyhedralComplex'
"""

from .boundary import DecisionBoundary, decision_boundary
from .homology import betti_numbers
from .lattice import build_complex
from .persistence import persistence
from .polyhedral import Faces, PolyhedralComplex

__all__ = [
    "PolyhedralComplex",
    "Faces",
    "build_complex",
    "betti_numbers",
    "decision_boundary",
    "DecisionBoundary",
    "persistence",
]
