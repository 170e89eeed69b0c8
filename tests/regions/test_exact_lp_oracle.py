"""Exact counts against an independent enumeration by exact LPs (no vertex engine, no facets
from incidences, no steps across facets): the cells are the full-dimensional activation
patterns found depth-first unit by unit, each pattern kept when an exact LP gives its rows a
positive common slack; two cells of one exact map are joined when their closures meet in
dimension ``d - 1`` (the implicit equalities of the joined rows, each by an exact LP, then a
rank).  All of R^n is the box ``[-10^40, 10^40]^d``: a cell of two almost parallel planes (the
float weight ``-1/3`` between cancelled units) may begin near ``10^17``.  The LPs are
:func:`tropnet.kernels.exact_lp.solve_exact_lp` (HiGHS' basis certified in rationals)."""

from fractions import Fraction

import numpy as np
import pytest
import sympy
from testnets import scaled_copies_net

import tropnet
from tropnet.kernels.exact_lp import solve_exact_lp


def _layers(net_args, zero_bias):
    """The weights of ``scaled_copies_net(*net_args)`` as Fractions, built here again."""
    seed, d, w, scales, cancel = net_args
    rng = np.random.default_rng(seed)
    W1 = rng.integers(-3, 4, size=(w, d)).astype(float)
    b1 = rng.integers(-3, 4, size=w).astype(float)
    for i, s in enumerate(scales):
        W1[1 + i], b1[1 + i] = s * W1[0], s * b1[0]
    W2 = rng.integers(-3, 4, size=(w, w)).astype(float)
    if cancel and scales:
        W2[:, 1] = -W2[:, 0] / abs(scales[0])
    b2 = rng.integers(-3, 4, size=w).astype(float)
    W3 = rng.integers(-3, 4, size=(1, w)).astype(float)
    bs = [b1, b2, np.zeros(1)]
    if zero_bias:
        bs = [np.zeros_like(b) for b in bs]
    return [[[Fraction(v) for v in r] for r in W] for W in (W1, W2, W3)], [[Fraction(v) for v in b] for b in bs]


def _oracle(Ws, bs, radius):
    d, R = len(Ws[0][0]), Fraction(radius)

    def rows(p):
        """The rows ``G x <= h`` of the units of the partial pattern ``p``, and the output map
        when ``p`` is whole."""
        G, h = [], []
        A = [[Fraction(int(i == j)) for j in range(d)] for i in range(d)]
        c = [Fraction(0)] * d
        k = 0
        for W, b in zip(Ws[:-1], bs[:-1]):
            Z = [[sum(W[u][j] * A[j][i] for j in range(len(A))) for i in range(d)] for u in range(len(W))]
            z0 = [sum(W[u][j] * c[j] for j in range(len(A))) + b[u] for u in range(len(W))]
            for u in range(len(W)):
                if k == len(p):
                    return G, h, None
                s = 2 * p[k] - 1
                G.append([-s * a for a in Z[u]])
                h.append(s * z0[u])
                k += 1
            g = p[k - len(W) : k]
            A = [[Z[u][i] * g[u] for i in range(d)] for u in range(len(W))]
            c = [z0[u] * g[u] for u in range(len(W))]
        W, b = Ws[-1], bs[-1]
        m = [sum(W[0][j] * A[j][i] for j in range(len(A))) for i in range(d)]
        return G, h, tuple(m) + (sum(W[0][j] * c[j] for j in range(len(A))) + b[0],)

    def lp(c, G, h, lo, hi):
        return solve_exact_lp(np.array(c, dtype=object), np.array(G, dtype=object).reshape(-1, len(c)),
                              np.array(h, dtype=object), lo, hi)

    def slack(G, h, eq=()):
        """The largest ``t <= 1`` with ``G_i x + t <= h_i`` off ``eq`` and ``G_i x = h_i`` on it."""
        Gx = [G[i] + [Fraction(i not in eq)] for i in range(len(G))] + [[-v for v in G[i]] + [0] for i in eq]
        st, _, val = lp([0] * d + [-1], Gx, h + [-h[i] for i in eq], [-R] * d + [None], [R] * d + [1])
        return -val if st == "optimal" else None

    units = sum(len(W) for W in Ws[:-1])
    cells = []

    def walk(p):
        G, h, m = rows(p)
        if any(h[i] < 0 for i in range(len(G)) if not any(G[i])):
            return
        keep = [i for i in range(len(G)) if any(G[i])]
        if keep and not (slack([G[i] for i in keep], [h[i] for i in keep]) or 0) > 0:
            return
        if len(p) == units:
            if not any(not any(G[i]) and h[i] == 0 and p[i] for i in range(len(G))):  # zero units: off
                cells.append((m, [G[i] for i in keep], [h[i] for i in keep]))
            return
        walk(p + [0])
        walk(p + [1])

    walk([])

    def common_dim(a, b):
        G, h = a[1] + b[1], a[2] + b[2]
        eq: set = set()
        while (s := slack(G, h, eq)) is not None and s <= 0:
            Ge, he = G + [[-v for v in G[j]] for j in eq], h + [-h[j] for j in eq]
            new = {i for i in range(len(G)) if i not in eq and lp(G[i], Ge, he, [-R] * d, [R] * d)[2] == h[i]}
            if not new:
                return -1
            eq |= new
        if s is None:
            return -1
        return d - sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in G[i]] for i in eq]).rank()

    parent = list(range(len(cells)))

    def root(a):
        while parent[a] != a:
            a = parent[a]
        return a

    for i in range(len(cells)):
        for j in range(i + 1, len(cells)):
            if cells[i][0] == cells[j][0] and root(i) != root(j) and common_dim(cells[i], cells[j]) == d - 1:
                parent[root(i)] = root(j)
    return len(cells), len({root(i) for i in range(len(cells))})


@pytest.mark.parametrize("net_args, zero_bias, box", [
    ((3611, 2, 5, [-3], True), False, 4),       # slivers of the float -1/3
    ((7, 2, 5, [2], False), False, 4),
    ((11, 2, 5, [-2, 3], True), True, None),    # zero units, hyperplanes through the origin
    ((3611, 2, 7, [-3], True), False, None),
    ((5, 3, 6, [-1, 2], True), True, None),
])
def test_exact_counts_equal_an_exact_lp_enumeration(net_args, zero_bias, box):
    Ws, bs = _layers(net_args, zero_bias)
    cells, regions = _oracle(Ws, bs, box if box is not None else 10**40)
    net = scaled_copies_net(*net_args, zero_bias=zero_bias)
    dom = tropnet.Box(-box, box) if box is not None else None
    assert tropnet.count_linear_regions(net, dom, kind="activation", exact=True, progress=False) == cells
    assert tropnet.count_linear_regions(net, dom, kind="linear", exact=True, progress=False) == regions
    assert len(tropnet.linear_regions(net, dom, exact=True, progress=False)) == regions
