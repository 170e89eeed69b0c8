"""The tropical semiring: polynomials and rational functions (thin classes over kernels/)."""

from .matrix import TropicalMatrix
from .polynomial import TropicalPolynomial, variables
from .rational import TropicalRational, TropicalRationalMap
from .sympy_bridge import from_sympy, to_sympy

__all__ = [
    "TropicalMatrix",
    "TropicalPolynomial",
    "TropicalRational",
    "TropicalRationalMap",
    "variables",
    "from_sympy",
    "to_sympy",
]
