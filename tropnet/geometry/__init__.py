"""Sets in R^n: domains, Hoffman constants, symmetry groups."""
