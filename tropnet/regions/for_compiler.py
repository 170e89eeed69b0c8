"""The activation cells the compiler reads its simplified forms from.

The compiler sits below the region enumerator, so it does not import it: ``import tropnet``
passes :func:`activation_patterns` down with :func:`tropnet.compiler.set_cell_engine`.

>>> from tropnet import random_mlp
>>> activation_patterns(random_mlp([2, 4, 1], seed=1).lowered(), exact=False).shape
(11, 4)
"""

from __future__ import annotations

import numpy as np

from ..networks.network import Network
from .plan import find_cells

__all__ = ["activation_patterns"]


def activation_patterns(
    net: Network, *, exact: bool, max_cells: int | None = None, progress: bool | None = False,
    max_seconds: float | None = None, max_memory: int | None = None,
) -> np.ndarray:
    """The activation patterns of the full-dimensional cells of ``net`` on all of R^n.

    Exact runs are decided exactly (the certified float pass, the rational pass where it cannot
    decide); more than ``max_cells`` cells, or a run past ``max_seconds`` or ``max_memory``,
    raise :class:`~tropnet.regions.cells.RegionLimitError`.

    >>> from tropnet import Network
    >>> activation_patterns(Network.from_arrays([[[1.0]], [[1.0]]]).lowered(), exact=True).tolist()
    [[0], [1]]
    """
    found = find_cells(net, None, exact=exact, certify=exact, max_regions=max_cells, progress=progress,
                       max_seconds=max_seconds, max_memory=max_memory)
    return found.patterns
