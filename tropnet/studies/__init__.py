"""Comparisons built from the layers below: networks, the compiler and the region enumerator."""

from .compare import compare_algebras, widest_algebranet
from .complexity import complexity_curve
from .region_graph import RegionGraphStatistics, region_graph_statistics

__all__ = [
    "complexity_curve",
    "compare_algebras", "widest_algebranet", "region_graph_statistics", "RegionGraphStatistics"]
