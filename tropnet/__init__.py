"""tropnet: the tropical geometry of neural networks.

Every feed-forward network built from affine maps and max-type activations is a tropical
rational map.  tropnet provides the max-plus algebra, a compiler from networks to tropical
rational maps, and an exact enumerator of linear regions.

>>> import tropnet
>>> net = tropnet.random_mlp([2, 4, 1], seed=0)
>>> net.input_dim
2
"""

# Each section re-exports one subpackage; nothing is defined here.

# --- numbers and domains
from .geometry.domains import Box, CrossPolytope, Polyhedron
from .geometry.slices import AffineSlice, Plane, Segment

# --- networks (IR)
from .networks.layers import (
    GroupMax,
    Identity,
    LeakyReLU,
    Linear,
    Maxout,
    MaxPool1d,
    ReLU,
    Threshold,
)
from .networks.network import Network, random_mlp
from .networks.graph import Add, Concat, Graph, Residual
from .networks.zonotopes import Zonotope, layer_zonotopes

# --- algebra
from .algebra import (
    TropicalMatrix,
    TropicalPolynomial,
    TropicalRational,
    TropicalRationalMap,
    from_sympy,
    variables,
)
from .algebra.export import export
from .algebra.hypersurface import HypersurfaceCell, TropicalHypersurface
from .algebra.intersection import mixed_area, stable_intersection

# --- compiler
from .compiler import CompileLimitError, tropicalize

# --- regions
from .regions.api import count_linear_regions, linear_regions
from .regions.estimate import estimate_linear_regions
from .regions.exactness import AmbiguousGeometryWarning
from .regions.cells import RegionLimitError
from .regions.at_point import region_at
from .regions.local import local_complexity
from .regions.regionset import Region, RegionSet
from .compiler import set_cell_engine as _set_cell_engine
from .regions.for_compiler import activation_patterns as _activation_patterns

# --- the polyhedral complex and its topology
from .complex.polyhedral import PolyhedralComplex
from .complex.homology import betti_numbers
from .complex.boundary import DecisionBoundary, decision_boundary
from .complex.persistence import persistence
from .complex.hypersurface import hypersurface_skeleton as _hypersurface_skeleton
from .algebra.hypersurface import set_skeleton_engine as _set_skeleton_engine

# --- algebranets
from . import algebras
from .algebras import Algebra
from .networks.algebra_layers import AlgebraLinear, algebranet
from .studies.compare import compare_algebras

# --- symmetry (input space)
from .geometry.groups import SymmetryGroup, cyclic_group, symmetric_group
from .geometry.hoffman import hoffman_constant
from .regions.radius import effective_radius
from .networks.equivariant import EquivariantLinear, SumPool, deepsets
from .regions.symmetric import (
    SymmetricRegionSet,
    check_invariance,
    count_linear_regions_symmetric,
    estimate_linear_regions_symmetric,
    linear_regions_symmetric,
)

# --- symmetry (parameter space)
from .networks.conv import AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool2d
from .networks.symmetry import (
    ParameterCount,
    align,
    canonical_form,
    equivalent,
    equivalent_parameter_count,
    interpolate,
    permute_hidden,
    random_equivalent,
)
from .studies.same_function import FunctionComparison, RegionPath, region_path, same_function

# --- verification properties
from .vnnlib import VnnlibProperty, parse_vnnlib, read_vnnlib

# --- studies / parallel
from . import plot
from .parallel import sweep

__version__ = "0.1.0"

# the compiler sits below the region enumerator: its simplified forms are read off these cells
_set_cell_engine(_activation_patterns)
# hypersurfaces sit below the complex: in 3 or more variables they are read off its faces
_set_skeleton_engine(_hypersurface_skeleton)
