"""Exact linear counts whose vertices are not simple: coincident hyperplanes (a unit and its
scaled copies, negative scales included) and concurrent ones (integer weights).  The certified
pass runs on through exact ties and hands over every vertex's exact incidences (tight codes of
any width, :func:`tropnet.regions.codes._codes`); the merge reads facets from them by incidence
and finds the cell across a facet of several units by flipping its class
(:func:`tropnet.regions.neighbours.code_edges`).  Checked against the rational pass and its
merge over every facet (exact vertices, one-unit flips and points just across,
:func:`tropnet.regions.geometry._facets_of`), against exact slacks at exact vertices, and
against the patterns sampled on both sides of a duplicated hyperplane."""

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testnets import degenerate_net, degenerate_vertices_net, merging_net, scaled_copies_net, unit_classes_net

import tropnet
from tropnet import Box
from tropnet.regions import geometry, neighbours
from tropnet.regions.affine import cell_affine, patterns_at
from tropnet.regions.exactness import Exactness
from tropnet.regions.geometry import _facets_of, linear_labels
from tropnet.regions.neighbours import code_edges
from tropnet.regions.plan import make_plan


def _plan(net, dom):
    plan = make_plan(net, dom, want="count", kind="linear", exact=True)
    plan._prune_stable()
    return plan


def _count(net, dom):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.count_linear_regions(net, dom, kind="linear", exact=True, progress=False)


def _rational_count(net, dom):
    """The independent route: the rational pass (exact vertices, no codes) and its merge."""
    found = _plan(net, dom).find(Exactness(True, False, False))
    assert found.vert_codes is None
    return int(linear_labels(found).max()) + 1 if len(found) else 0


def _pairs(found, edges):
    P = found.patterns
    return {frozenset((P[a].tobytes(), P[b].tobytes())) for a, b in edges.tolist()}


def _rational_edges(net, dom):
    found = _plan(net, dom).find(Exactness(True, False, False))
    out = _facets_of(found, np.arange(len(found)))
    fc, nbr = out[6], out[3]
    return _pairs(found, np.stack([fc[nbr >= 0], nbr[nbr >= 0]], axis=1))


def _coded(net, dom):
    found = _plan(net, dom).find()  # the certified pass with tight codes of any width
    assert found.vert_codes is not None
    return found


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(2, 4),
       scales=st.lists(st.sampled_from([2, 3, -1, -2, -3, 4]), min_size=1, max_size=3),
       cancel=st.booleans(), bounded=st.booleans(), zero_bias=st.booleans())
def test_counts_with_scaled_copies_equal_the_rational_merge(seed, d, scales, cancel, bounded, zero_bias):
    net = scaled_copies_net(seed, d, 7 if d < 4 else 6, scales, cancel, zero_bias=zero_bias)
    dom = Box(-4, 4) if bounded else None
    assert _count(net, dom) == _rational_count(net, dom)


@pytest.mark.parametrize("make", [
    lambda s: scaled_copies_net(s, 3, 8, [2], True),
    lambda s: scaled_copies_net(s, 3, 8, [-2, 3], True),
    lambda s: scaled_copies_net(s, 2, 8, [-1, 2, -3], False),
    lambda s: scaled_copies_net(s, 3, 6, [2, -2], True, depth=3),
    lambda s: scaled_copies_net(s, 3, 7, [-1], True, zero_bias=True),
    lambda s: merging_net(s, 8, 3, scale=2),
    lambda s: degenerate_vertices_net(s, 3),
    lambda s: degenerate_net(s, 3, 6, 1),
])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("dom", [Box(-5, 5), None], ids=["box", "Rn"])
def test_incidence_edges_are_the_rational_passes_neighbours(make, seed, dom):
    # every facet-adjacent pair, from every cell: the codes' incidences and class flips against
    # the exact vertices' facets (one-unit flips, else the pattern just across the facet's centre)
    net = make(seed)
    found = _coded(net, dom)
    assert _pairs(found, code_edges(found, np.arange(len(found)))) == _rational_edges(net, dom)
    assert _count(net, dom) == _rational_count(net, dom)


@pytest.mark.parametrize("seed", range(4))
def test_codes_are_the_exact_incidences(seed):
    # at every (cell, vertex) entry of the certified run, the codes are the rows that vanish at
    # the exact vertex (the rational pass's, matched by the cell's pattern and the vertex's
    # codes): evaluated here in integers, not read from any engine's bookkeeping
    net = scaled_copies_net(seed, 3, 7, [2, -1], True)
    dom = Box(-4, 4)
    cert = _coded(net, dom)
    assert cert.vert_codes.shape[1] > 3  # not simple
    rat = _plan(net, dom).find(Exactness(True, False, False))
    ca = cell_affine(rat.stages, rat.patterns, 3, exact=True)
    H, _ = ca.numerators(np.repeat(np.arange(len(rat)), ca.nrows), np.tile(np.arange(ca.nrows), len(rat)))
    H = H.reshape(len(rat), ca.nrows, 4)
    flips = ca.flips(np.repeat(np.arange(len(rat)), ca.nrows), np.tile(np.arange(ca.nrows), len(rat)))
    flips = flips.reshape(len(rat), ca.nrows)
    index = {p.tobytes(): i for i, p in enumerate(rat.patterns)}
    for c in range(len(cert)):
        r = index[cert.patterns[c].tobytes()]
        want = []
        for v in rat.vert_ids[rat.vert_off[r] : rat.vert_off[r + 1]]:
            x = [Fraction(t) for t in rat.vert_X[v]]
            units = [int(flips[r, k]) for k in range(ca.nrows)
                     if sum(int(h) * xi for h, xi in zip(H[r, k, :3], x)) + int(H[r, k, 3]) == 0]
            sides = [-2 - i for i in range(3) if x[i] == 4] + [-2 - 3 - i for i in range(3) if x[i] == -4]
            want.append(tuple(sorted(units + sides)))
        codes = cert.vert_codes[cert.vert_off[c] : cert.vert_off[c + 1]]
        got = [tuple(sorted(int(k) for k in row if k != -1)) for row in codes]
        assert sorted(got) == sorted(want)


def _line_net(seed):
    return scaled_copies_net(seed, 2, 7, [2, -3], True)


@pytest.mark.parametrize("seed", [s for s in range(12) if _line_net(s).layers[0].weight[0].any()][:6])
def test_sampled_crossings_of_a_duplicated_line_are_code_edges(seed):
    # brute force: points on unit 0's line (shared by its copies), exactly, stepped 2^-20 to
    # either side: each pair of reported patterns met so is a pair of facet neighbours that the
    # class flips must have found
    net = _line_net(seed)
    dom = Box(-3, 3)
    found = _coded(net, dom)
    edges = _pairs(found, code_edges(found, np.arange(len(found))))
    a = [Fraction(int(v)) for v in net.layers[0].weight[0]]
    b = Fraction(int(net.layers[0].bias[0]))
    p0 = [-b * a[0] / (a[0] ** 2 + a[1] ** 2), -b * a[1] / (a[0] ** 2 + a[1] ** 2)]  # a . p0 + b = 0
    eps = Fraction(1, 2**20)
    pts = []
    for t in np.linspace(-4, 4, 801)[1::2]:
        t = Fraction(float(t)) + Fraction(1, 7919)  # off the lines through integer points
        p = [p0[0] - t * a[1], p0[1] + t * a[0]]
        if max(abs(p[0]), abs(p[1])) < 3 - eps * 4:
            pts += [[p[0] - eps * a[0], p[1] - eps * a[1]], [p[0] + eps * a[0], p[1] + eps * a[1]]]
    P = patterns_at(found.stages, np.array(pts, dtype=object).reshape(-1, 2))
    known = {p.tobytes() for p in found.patterns.astype(np.int32)}
    met = 0
    for lo, hi in zip(P[0::2].astype(np.int32), P[1::2].astype(np.int32)):
        if lo.tobytes() in known and hi.tobytes() in known and lo.tobytes() != hi.tobytes():
            assert frozenset((lo.tobytes(), hi.tobytes())) in edges
            met += 1
    assert met > 0


def test_a_class_of_eight_units():
    # unit 0 and seven scaled copies, three of them negative: one line, eight units (255 other
    # values of their columns; the cells across are found by the patterns outside the class)
    net = scaled_copies_net(3, 2, 10, [2, 3, -1, -2, 4, -3, 5], True)
    found = _coded(net, Box(-4, 4))
    assert len(np.unique(found.patterns[:, :8], axis=0)) == 2  # the eight units: one line
    assert _pairs(found, code_edges(found, np.arange(len(found)))) == _rational_edges(net, Box(-4, 4))
    assert _count(net, Box(-4, 4)) == _rational_count(net, Box(-4, 4))


@pytest.mark.parametrize("d,w,classes,per,zero_bias", [
    (2, 8, 2, 3, False), (2, 9, 3, 2, True), (3, 8, 2, 3, True), (3, 7, 2, 2, False), (3, 9, 3, 3, True),
])
@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("dom", [Box(-4, 4), None], ids=["box", "Rn"])
def test_several_classes_of_facets_of_several_units(d, w, classes, per, zero_bias, seed, dom, monkeypatch):
    # several groups of coincident units (and, without biases, units zero on whole cells): many
    # distinct classes in one run, looked up together (one sort of the patterns' hashes per
    # class); every pair against the rational pass's facets, the count against its merge
    net = unit_classes_net(seed, d, w, classes, per, zero_bias)
    seen = []
    inner = neighbours._class_edges

    def recording(pats, owner, cls):
        seen.append(len(np.unique(np.unpackbits(cls, axis=1)[:, : pats.shape[1]], axis=0)))
        return inner(pats, owner, cls)

    monkeypatch.setattr(neighbours, "_class_edges", recording)
    found = _coded(net, dom)
    assert _pairs(found, code_edges(found, np.arange(len(found)))) == _rational_edges(net, dom)
    assert seen and seen[0] >= 2  # several distinct classes met
    assert _count(net, dom) == _rational_count(net, dom)


def test_a_missing_cell_gives_up_and_the_rational_pass_counts(monkeypatch):
    net = scaled_copies_net(0, 3, 7, [2], True)
    found = _coded(net, Box(-4, 4))
    e = code_edges(found, np.arange(len(found)))
    lost = int(e[0, 1])
    found.patterns = found.patterns.copy()
    found.patterns[lost] = found.patterns[int(e[0, 0])]  # the cell across is no longer reported
    assert code_edges(found, np.arange(len(found))) is None
    # where code_edges gives up, the count is the rational pass's (geometry raises _Inconsistent)
    monkeypatch.setattr(geometry, "code_edges", lambda found, cells: None)
    assert _count(net, Box(-4, 4)) == _rational_count(net, Box(-4, 4))


@pytest.mark.parametrize("dom", [Box(-3, 3), None], ids=["box", "Rn"])
def test_a_unit_zero_on_a_whole_piece_is_tight_there(dom):
    # v0 = relu(-x) read alone, bias 0: zero wherever x >= 0, so zero on every cell of the
    # homogenised cube's facet x = R (a piece of R^2); it must be tight at every vertex there,
    # as on the cells of the other pieces, or the joined cells' incidences contradict themselves
    W1 = [[-1, 0], [1, 1], [0, 1], [1, -1], [2, -2]]
    W2 = [[1, 0, 0, 0, 0], [0, 1, -1, 0, 0], [0, 0, 1, 1, -0.5], [1, 1, 0, -1, 0]]
    net = tropnet.Network.from_arrays([W1, W2, [[1, -1, 1, 1]]], [[0, 0, -1, 1, 2], [0, 0, 1, 0], [0]])
    found = _coded(net, dom)
    assert _pairs(found, code_edges(found, np.arange(len(found)))) == _rational_edges(net, dom)
    assert _count(net, dom) == _rational_count(net, dom) == 12


def test_region_sets_keep_simple_codes():
    # a region set solves exact vertices from d facets each: its codes stay simple (the
    # rational pass where a vertex is not), and its size is the count
    net = scaled_copies_net(0, 3, 6, [2], True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rs = tropnet.linear_regions(net, Box(-4, 4), exact=True, progress=False)
    assert len(rs) == _count(net, Box(-4, 4)) == _rational_count(net, Box(-4, 4))


@pytest.mark.parametrize("dom", [Box(-4, 4), None], ids=["box", "Rn"])
def test_tasks_of_a_parallel_count_keep_codes_of_any_width(dom, monkeypatch):
    # the Dask driver's tasks (here in this process) keep the same codes: their merge reads them
    # (no rational rerun of the whole call), with the serial count
    from tropnet.parallel import count_parallel

    net = scaled_copies_net(1, 3, 7, [2, -2], True)
    seen = []

    def recording(found, cells):
        e = code_edges(found, cells)
        seen.append((found.vert_codes.shape[1] > 3, e is not None))
        return e

    monkeypatch.setattr(geometry, "code_edges", recording)
    want = _rational_count(net, dom)
    for split in (None, 3):
        seen.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert count_parallel(net, dom, exact=True, parallel=None, split_cells=split) == want
        assert seen == [(True, True)]


def _exact_rows(stages, pattern):
    """``G x <= h`` of a cell's closure from its pattern: one hidden layer after another, in
    ``Fraction`` arithmetic (written out here, not the package's walk)."""
    W1, b1 = [[Fraction(v) for v in r] for r in stages[0].W], [Fraction(v) for v in stages[0].b]
    W2, b2 = [[Fraction(v) for v in r] for r in stages[2].W], [Fraction(v) for v in stages[2].b]
    n1, d = len(b1), len(W1[0])
    g = [int(v) for v in pattern[:n1]]
    A2 = [[sum(W2[k][j] * g[j] * W1[j][i] for j in range(n1)) for i in range(d)] for k in range(len(b2))]
    c2 = [sum(W2[k][j] * g[j] * b1[j] for j in range(n1)) + b2[k] for k in range(len(b2))]
    s = [2 * int(v) - 1 for v in pattern]
    A, c = W1 + A2, b1 + c2
    return [[-s[i] * a for a in A[i]] for i in range(len(A))], [s[i] * c[i] for i in range(len(A))]


def _exact_dim(G, h, d):
    """The dimension of ``{G x <= h}`` (within a big box): its implicit equalities are the rows
    whose exact LP maximum of the slack is 0 (:func:`~tropnet.kernels.exact_lp.solve_exact_lp`,
    HiGHS' basis certified in rationals, not the vertex engine)."""
    from tropnet.kernels.exact_lp import solve_exact_lp

    keep = [i for i in range(len(G)) if any(G[i])]
    Ga, ha = np.array([G[i] for i in keep], dtype=object), np.array([h[i] for i in keep], dtype=object)
    eq = [i for i in range(len(Ga)) if ha[i] == solve_exact_lp(Ga[i], Ga, ha, [-10**4] * d, [10**4] * d)[2]]
    if not eq:
        return d
    import sympy

    return d - sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in Ga[i]] for i in eq]).rank()


def test_a_sliver_between_coincident_facets_on_R3():
    """Found by the hypothesis test above (seed 3611, d 3, scales [-3], cancel, R^n).  The
    weight -1/3 is the float 0.333...31, so the cancelled units leave slivers about 1e-17 wide.
    Two cells of one exact map, one a sliver, share a 2-D facet on which three units vanish: the
    rational pass's merge stepped ``2^-10 .. 2^-40`` beyond the facet's centre, jumped over the
    sliver and joined other cells (211 regions); the cell just across is now read from the
    pattern at ``p + eps v`` for every small ``eps`` (:func:`~tropnet.regions.affine.
    patterns_beyond`), as the tight codes (210) read it.  Checked here independently: exact LPs
    on the two closures' rows show a common facet (dimension 2) and the exact maps agree."""
    net = scaled_copies_net(3611, 3, 7, [-3], True, zero_bias=False)
    assert _count(net, None) == _rational_count(net, None) == len(_linear_regions_exact(net)) == 210
    found = _coded(net, None)
    a, b = (int(np.flatnonzero((found.patterns == p).all(axis=1))[0]) for p in
            ([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0], [0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0]))
    Ga, ha = _exact_rows(found.stages, found.patterns[a])
    Gb, hb = _exact_rows(found.stages, found.patterns[b])
    assert _exact_dim(Ga, ha, 3) == _exact_dim(Gb, hb, 3) == 3
    assert _exact_dim(Ga + Gb, ha + hb, 3) == 2  # one facet in common
    maps = cell_affine(found.stages, found.patterns[[a, b]], 3, exact=True).maps()
    assert all((m[0] == m[1]).all() for m in maps)


def _linear_regions_exact(net):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tropnet.linear_regions(net, None, exact=True, progress=False)


def test_the_cell_across_a_facet_is_found_past_a_sliver_thinner_than_any_step():
    """relu(x) - relu(2x)/2 + relu(x - 2^-60): across x = 0 (two units vanish, so no one-unit
    flip) lies the sliver 0 < x < 2^-60, thinner than the last finite step 2^-40; the map is 0
    on x < 2^-60 and x - 2^-60 beyond: 2 linear regions, 3 cells."""
    from tropnet.regions.across import cells_across

    net = tropnet.Network.from_arrays([[[1.0, 0.0], [2.0, 0.0], [1.0, 0.0]], [[1.0, -0.5, 1.0]]],
                                      [[0.0, 0.0, -2.0 ** -60], [0.0]])
    found = make_plan(net, Box(-1, 1), want="regions", kind="activation", exact=True).find()
    left = int(np.flatnonzero(found.patterns[:, 0] == 0)[0])
    across = cells_across(found, np.array([left]), [np.array([Fraction(0), Fraction(1, 3)], dtype=object)])
    assert found.patterns[across[0]].tolist() == [1, 1, 0]
    assert patterns_at(found.stages, np.array([[Fraction(1, 2**40), Fraction(1, 3)]], dtype=object)).tolist() == [[1, 1, 1]]
    assert len(found) == 3 and _count(net, Box(-1, 1)) == 2
