"""Networks the region tests share: degenerate ones (cells that merge, non-simple vertices)
and activation swaps.  On the tests' import path (``pythonpath = tests`` in setup.cfg):
``from testnets import degenerate_net``.

>>> degenerate_net(0, 2, 4, 1).input_dim, degenerate_net(0, 2, 4, 1).output_dim
(2, 1)
"""

import itertools

import numpy as np

import tropnet
from tropnet import Box, LeakyReLU, Linear, Network, Plane, Polyhedron, Threshold


def degenerate_net(seed: int, d: int, w: int, out: int) -> Network:
    """A small integer network with what makes cells merge: a dead unit (zero row, negative bias),
    a unit no later unit reads (zero column), duplicated units, an output that ignores a unit."""
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-2, 3, size=(w, d)).astype(float)
    b1 = rng.integers(-2, 3, size=w).astype(float)
    W2 = rng.integers(-2, 3, size=(w, w)).astype(float)
    b2 = rng.integers(-2, 3, size=w).astype(float)
    W3 = rng.integers(-2, 3, size=(out, w)).astype(float)
    kinds = rng.integers(0, 5, size=4)
    if kinds[0] == 0:
        W1[0], b1[0] = 0.0, -1.0  # dead
    if kinds[1] <= 1:
        W2[:, 1] = 0.0  # unit 1 of layer 1 is read by nobody
    if kinds[2] <= 2:
        W1[2], b1[2] = W1[3], b1[3]  # a duplicated unit
        W2[:, 2] = -W2[:, 3]  # ... read with opposite weights: they cancel
    if kinds[3] <= 2:
        W3[:, rng.integers(0, w)] = 0.0  # an output that ignores a unit
    return Network.from_arrays([W1, W2, W3], [b1, b2, np.zeros(out)])


def degenerate_vertices_net(seed: int, d: int = 3, w: int = 4) -> Network:
    """Repeated, scaled and zero units, units through a box corner: non-simple vertices
    (``d`` inputs, six first-layer units, ``w`` second-layer units)."""
    rng = np.random.default_rng(seed)
    W = rng.integers(-2, 3, size=(3, d))
    W = np.vstack([W, W[:1], 2 * W[1:2], np.zeros((1, d), dtype=np.int64)])
    b = np.concatenate([rng.integers(-1, 2, 3), [0, 0, 0]])
    V = rng.integers(-2, 3, size=(w, 6))
    return Network.from_arrays([W, V, rng.integers(-2, 3, size=(1, w))], [b, rng.integers(-1, 2, w), [0]])


def merging_net(seed: int, w: int, d: int = 3, *, dup: int = 4, unread: int = 7, ignored: int = 3,
                scale: int = 1) -> Network:
    """Integer weights where most cells merge: unit ``dup + 1`` of the first layer duplicates unit
    ``dup`` and is read with the opposite weights (its hyperplane splits cells of one map), unit
    ``unread`` of the first layer is read by nobody, the output ignores unit ``ignored``.

    A count of linear regions drops such units before it runs (:mod:`tropnet.networks.prune`);
    with ``scale=2`` the duplicate is ``2 h`` read with ``-1/2`` the weights (the same function,
    a unit the count keeps), so the merge runs."""
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-3, 4, size=(w, d)).astype(float)
    b1 = rng.integers(-3, 4, size=w).astype(float)
    W1[dup + 1], b1[dup + 1] = scale * W1[dup], scale * b1[dup]
    W2 = rng.integers(-3, 4, size=(w, w)).astype(float)
    W2[:, dup + 1] = -W2[:, dup] / scale
    W2[:, unread] = 0.0
    W3 = rng.integers(-3, 4, size=(1, w)).astype(float)
    W3[0, ignored] = 0.0
    return Network.from_arrays([W1, W2, W3], [b1, rng.integers(-3, 4, size=w).astype(float), np.zeros(1)])


def sparse_net(widths: list, seed: int, keep: float = 0.2) -> Network:
    """``random_mlp(widths, seed)`` with ``1 - keep`` of its middle weights set to 0: where the
    units reading a unit are off, its hyperplane separates cells of one map (merges that depend
    on the cell)."""
    net = tropnet.random_mlp(widths, seed=seed)
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    rng = np.random.default_rng(seed + 100)
    for k in range(1, len(W) - 1):
        W[k] *= rng.random(W[k].shape) < keep
    return Network.from_arrays(W, B)


def merging_mlp(widths: list, how: str, seed: int = 0) -> Network:
    """``random_mlp(widths, seed)`` whose cells really merge (``benchmarks/bench_linear.py``'s
    rows): ``"zeroed"``, the output weight of the last layer's unit 0 set to 0 (a unit the
    function does not need); ``"sparse"``, :func:`sparse_net` (80% of the middle weights 0)."""
    if how == "sparse":
        return sparse_net(widths, seed)
    if how != "zeroed":
        raise ValueError(f"how must be 'zeroed' or 'sparse', got {how!r}")
    net = tropnet.random_mlp(widths, seed=seed)
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[-1][:, 0] = 0.0
    return Network.from_arrays(W, B)


def listed_rows(A, b) -> Polyhedron:
    """The polyhedron ``A x <= b`` with its first row repeated at twice the scale: the same set,
    which a float count does not take for a cross-polytope's ``2^n`` rows (it would keep the
    ball whole), so the vertex engine runs on the listed rows (a reference for those counts)."""
    A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return Polyhedron(np.vstack([A, 2 * A[:1]]), np.r_[b, 2 * b[:1]])


def activated(net: Network, kind: str) -> Network:
    """``net`` with its ReLUs replaced by leaky units (``"leaky"``) or thresholds (``"threshold"``)."""
    act = {"leaky": LeakyReLU(0.25), "threshold": Threshold(0.5)}[kind]
    return Network([layer if isinstance(layer, Linear) else act for layer in net.layers])


def planar_case(seed: int, widths: list, act: str, polyhedron_every: int) -> tuple:
    """``(net, domain)`` for the 2-D linear-count tests: ``random_mlp(widths, seed)`` with its
    ReLUs replaced by ``act`` (``"relu"``, ``"leaky"``, ``"threshold"``); on 2 inputs a box, or a
    triangle when ``seed`` is a multiple of ``polyhedron_every``; else a plane through three
    normal points."""
    net = tropnet.random_mlp(widths, seed=seed)
    if act != "relu":
        net = activated(net, act)
    rng = np.random.default_rng(seed)
    if widths[0] == 2:
        triangle = Polyhedron([[1.0, 1.0], [-1.0, 0.2], [0.1, -1.0]], [3.0, 2.0, 2.5])
        return net, (triangle if seed % polyhedron_every == 0 else Box(-4, 4))
    return net, Plane.through(*rng.normal(size=(3, 3)), margin=1.0)


def unread_middle_unit_net() -> Network:
    """``random_mlp([2, 6, 6, 6, 1], seed=5)`` with unit 0 of its second layer read by no unit of
    the third: across that unit's line the cells' maps are equal (the merge joins them)."""
    net = tropnet.random_mlp([2, 6, 6, 6, 1], seed=5)
    W = net.layers[4].weight.copy()
    W[:, 0] = 0.0
    layers = list(net.layers)
    layers[4] = Linear(W, net.layers[4].bias)
    return Network(layers)


def flats_meeting(W, b, c, r, shape, subsets: bool = False):
    """Regions of a hyperplane arrangement in general position inside an open convex set K (the
    cross-polytope ``|x - c|_1 < r``, ``shape="cross"``, or the box ``|x - c|_inf < r``): the
    subsets of hyperplanes whose common flat meets K (Zaslavsky), one LP per subset.
    ``subsets``: the list of those subsets instead (the empty one first); the facets of the
    regions are then ``sum(len(S))`` over them (the regions of the arrangement cut on each
    hyperplane ``i`` are the subsets that hold ``i``)."""
    from scipy.optimize import linprog

    m, d = W.shape
    found = [()]
    for k in range(1, min(m, d) + 1):
        for S in map(list, itertools.combinations(range(m), k)):
            if shape == "cross":  # min |x - c|_1 on the flat: x - c = p - q
                cost = np.r_[np.zeros(d), np.ones(2 * d)]
                Aeq = np.vstack([np.hstack([W[S], np.zeros((k, 2 * d))]),
                                 np.hstack([np.eye(d), -np.eye(d), np.eye(d)])])
                res = linprog(cost, A_eq=Aeq, b_eq=np.r_[-b[S], c],
                              bounds=[(None, None)] * d + [(0, None)] * 2 * d, method="highs")
            else:  # min |x - c|_inf on the flat
                cost = np.r_[np.zeros(d), 1.0]
                Aub = np.vstack([np.hstack([np.eye(d), -np.ones((d, 1))]), np.hstack([-np.eye(d), -np.ones((d, 1))])])
                res = linprog(cost, A_ub=Aub, b_ub=np.r_[c, -c], A_eq=np.hstack([W[S], np.zeros((k, 1))]),
                              b_eq=-b[S], bounds=[(None, None)] * (d + 1), method="highs")
            if res.status == 0 and res.fun < r - 1e-9:
                found.append(tuple(S))
    return found if subsets else len(found)


def scaled_copies_net(seed: int, d: int, w: int, scales: list, cancel: bool, depth: int = 2,
                      zero_bias: bool = False) -> Network:
    """Integer weights in -3..3 (concurrent hyperplanes: non-simple vertices) where first-layer
    units ``1..len(scales)`` are unit 0 times ``scales`` (positive or negative: one hyperplane,
    several units); with ``cancel`` the first copy is read so that it and unit 0 make a linear
    term (``relu(z) - relu(s z) / s`` for ``s > 0``, ``relu(z) - relu(s z) / |s|`` for
    ``s < 0``), whose hyperplane then splits cells of one map.  ``depth`` hidden layers of
    ``w`` units; ``zero_bias``: every bias 0 (hyperplanes through the origin, and units zero on
    whole cells where all they read is off)."""
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-3, 4, size=(w, d)).astype(float)
    b1 = rng.integers(-3, 4, size=w).astype(float)
    for i, s in enumerate(scales):
        W1[1 + i], b1[1 + i] = s * W1[0], s * b1[0]
    Ws, bs = [W1], [b1]
    for k in range(1, depth):
        W = rng.integers(-3, 4, size=(w, w)).astype(float)
        if k == 1 and cancel and scales:
            W[:, 1] = -W[:, 0] / abs(scales[0])
        Ws.append(W)
        bs.append(rng.integers(-3, 4, size=w).astype(float))
    Ws.append(rng.integers(-3, 4, size=(1, w)).astype(float))
    bs.append(np.zeros(1))
    if zero_bias:
        bs = [np.zeros_like(b) for b in bs]
    return Network.from_arrays(Ws, bs)


def unit_classes_net(seed: int, d: int, w: int, classes: int, per: int, zero_bias: bool = False) -> Network:
    """Integer weights in -3..3 where first-layer units ``c * per .. c * per + per - 1`` (for each
    of ``classes`` groups) are a unit and its scaled copies (scales 2, -1, 3, -2, ...: one
    hyperplane, several units), copy 1 read as ``-1/2`` its unit (the two cancel: the hyperplane
    splits cells of one map); ``zero_bias``: every bias 0 (units zero on whole cells, so the
    classes of facets of several units vary from cell to cell).  One hidden layer of ``w`` more."""
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-3, 4, size=(w, d)).astype(float)
    b1 = rng.integers(-3, 4, size=w).astype(float)
    scales = [2, -1, 3, -2, 4, -3]
    for c in range(classes):
        for j in range(1, per):
            s = scales[(j - 1) % len(scales)]
            W1[c * per + j], b1[c * per + j] = s * W1[c * per], s * b1[c * per]
    W2 = rng.integers(-3, 4, size=(w, w)).astype(float)
    for c in range(classes):
        W2[:, c * per + 1] = -W2[:, c * per] / scales[0]
    bs = [b1, rng.integers(-3, 4, size=w).astype(float), np.zeros(1)]
    if zero_bias:
        bs = [np.zeros_like(b) for b in bs]
    return Network.from_arrays([W1, W2, rng.integers(-3, 4, size=(1, w)).astype(float)], bs)
