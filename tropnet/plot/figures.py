"""Composite figures: the picture that ``tropnet demo`` writes.

>>> import matplotlib; matplotlib.use("Agg")
>>> from tropnet import Box, Network
>>> fig = demo_figure(Network.from_arrays([[[1, 0], [0, 1]], [[1, -1]]], [[0, 0], [0]]), Box(-1, 1))
>>> len(fig.axes)
3
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..geometry.domains import Domain
from .curves import tropical_curve
from .partition import graph3d, regions
from .style import OKABE_ITO

__all__ = ["demo_figure"]


def demo_figure(net: Any, domain: Domain, tmap: Any = None, *, output: int = 0, data: Any = None) -> Any:
    """Three panels for a network with two inputs: its linear regions with the zero level set
    of output ``output`` (and the training ``data``, a pair ``(X, y)``, when given); the
    tropical curves of ``g`` and ``h`` where ``f = g - h`` is its tropical form (solid and
    dashed, legend outside the drawing); and the graph of ``f`` as flat facets.  Returns the
    figure.

    ``tmap`` is ``tropnet.tropicalize(net)`` when already computed.
    """
    import matplotlib.pyplot as plt

    import tropnet

    if tmap is None:
        tmap = tropnet.tropicalize(net)
    fig = plt.figure(figsize=(13.5, 4.4), layout="constrained")
    ax1 = fig.add_subplot(1, 3, 1)
    ax2 = fig.add_subplot(1, 3, 2)
    ax3 = fig.add_subplot(1, 3, 3, projection="3d")
    regions(net, domain, ax1, color_by="region")
    n_lin = len(ax1.collections[0].get_paths())
    _zero_level(net, domain, ax1, output)
    if data is not None:
        X, y = (np.asarray(a) for a in data)
        for cls, (col, mk) in enumerate(((OKABE_ITO[2], "o"), (OKABE_ITO[1], "s"))):
            sel = y == cls
            ax1.scatter(X[sel, 0], X[sel, 1], s=7, c=col, marker=mk, edgecolors="black", linewidths=0.3,
                        zorder=5, label=f"class {cls}")
        ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    ax1.set_title(f"{n_lin} linear regions, and $f = 0$")
    r = tmap[output]
    tropical_curve(r.numerator, domain, ax2, color=OKABE_ITO[5], linewidth=2.2, label="$T(g)$")
    tropical_curve(
        r.denominator, domain, ax2, color=OKABE_ITO[6], linewidth=1.2, linestyle="--", label="$T(h)$"
    )
    # below the drawing: a legend inside would hide parts of the curves
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False, fontsize=8)
    ax2.set_title(f"tropical curves of $g$, $h$ ({len(r.numerator)} + {len(r.denominator)} monomials)")
    graph3d(net, domain, ax3, output=output)
    # fewer, smaller ticks on the 3-D panel: its default labels collide at this size
    from matplotlib.ticker import MaxNLocator

    for axis in (ax3.xaxis, ax3.yaxis, ax3.zaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax3.tick_params(labelsize=7, pad=1)
    ax3.set_title("graph of $f$")
    return fig


def _zero_level(net: Any, domain: Domain, ax: Any, output: int) -> None:
    import numpy as np
    from matplotlib.collections import LineCollection

    from .partition import planar_partition

    part = planar_partition(net, domain, kind="activation")
    segs = []
    for polys, (W, c) in zip(part.polygons, part.maps):
        a, b0 = W[output], c[output]
        for poly in polys:
            val = poly @ a + b0
            if val.max() > 0 > val.min():
                nxt = np.roll(np.arange(len(poly)), -1)
                cut = [
                    poly[k] + val[k] / (val[k] - val[m]) * (poly[m] - poly[k])
                    for k, m in enumerate(nxt)
                    if (val[k] > 0) != (val[m] > 0)
                ]
                if len(cut) >= 2:
                    segs.append(np.array(cut[:2]))
    ax.add_collection(LineCollection(segs, colors="black", linewidths=2.0, zorder=4))
