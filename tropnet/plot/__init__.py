"""Publication-style matplotlib pictures of tropical objects and linear regions.

Every function takes an optional ``ax`` (a new figure is made when it is ``None``) and
returns the axes it drew on; everything works with the headless ``Agg`` backend.  Pictures
are drawn from exact polygons computed by :func:`tropnet.linear_regions`, never from a
pixel grid; this package only draws.  Geometric pictures use an equal aspect ratio; colours
come from ``cividis``/``viridis`` and the Okabe--Ito palette, which survive greyscale
printing and colour-blind readers.  matplotlib is imported only when a function is called.

* :func:`regions` — the linear (or activation) regions of a 2D object, or a 2D slice;
* :func:`graph3d` — the graph of the function as flat facets;
* :func:`tropical_curve`, :func:`newton_subdivision`, :func:`curve_and_subdivision` — a
  tropical curve, the dual subdivision of its Newton polygon, and both side by side;
* :func:`decision_boundary` — the exact decision boundary of a 2D classifier (3D for 3 inputs,
  :func:`decision_boundary_3d`);
* :func:`degree_histogram` — the degree distribution of the region graph;
* :func:`region_counts` — region counts against width, depth or parameters;
* :func:`complexity_curve` — local complexity, segment and plane counts over training.

>>> from tropnet import plot
>>> sorted(plot.__all__)[:3]
['complexity_curve', 'curve_and_subdivision', 'decision_boundary']
"""

from .complexity import complexity_curve
from .counts import region_counts
from .curves import curve_and_subdivision, newton_subdivision, tropical_curve
from .figures import demo_figure
from .partition import decision_boundary, graph3d, planar_partition, regions
from .topology import decision_boundary_3d, degree_histogram

__all__ = [
    "regions",
    "graph3d",
    "tropical_curve",
    "newton_subdivision",
    "curve_and_subdivision",
    "decision_boundary",
    "decision_boundary_3d",
    "degree_histogram",
    "region_counts",
    "demo_figure",
    "planar_partition",
    "complexity_curve",
]
