"""The tropical semiring: polynomials and rational functions (thin classes over kernels/)."""
