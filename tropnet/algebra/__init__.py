"""The tropical semiring: polynomials, rational functions and matrices (thin classes over kernels/)."""

from .compose import compose, partial
from .matrix import TropicalMatrix
from .polynomial import TropicalPolynomial, variables
from .rational import TropicalRational, TropicalRationalMap
from .sympy_bridge import from_sympy, to_sympy
from .univariate import TropicalFactorization, factor, roots

__all__ = [
    "TropicalMatrix",
    "TropicalPolynomial",
    "TropicalRational",
    "TropicalRationalMap",
    "variables",
    "from_sympy",
    "to_sympy",
    "compose",
    "partial",
    "roots",
    "factor",
    "TropicalFactorization",
]
