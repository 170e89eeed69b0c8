"""Comparisons built from the layers below: networks, the compiler and the region enumerator."""

from .compare import compare_algebras, widest_algebranet

__all__ = ["compare_algebras", "widest_algebranet"]
