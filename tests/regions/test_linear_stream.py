"""A float linear count on one bounded piece of the vertex engine runs the engine part by part
(as the streamed activation count does), keeps the parts, and reads the vertex lists of only
the cells whose map another cell shares (:meth:`tropnet.regions.plan.Plan._find_streamed`): the
count must equal the merge over one unstreamed run."""

import warnings

import numpy as np
import pytest
from testnets import degenerate_net, degenerate_vertices_net, merging_net, sparse_net

import tropnet
from tropnet import Box, Network
from tropnet.networks.prune import drop_unused_units
from tropnet.regions.geometry import linear_labels
from tropnet.regions.plan import make_plan


def _one_run(net, dom) -> int:
    plan = make_plan(net, dom, want="count")
    plan._prune_stable()
    return int(linear_labels(plan.find()).max()) + 1


@pytest.mark.parametrize("widths, seed", [([5, 12, 12, 2], 1), ([3, 16, 16, 1], 0)])
def test_streamed_linear_count_equals_one_run(widths, seed):
    """[5, 12, 12, 2]: 39,561 cells, more than one part holds, and 15 real merges; [3, 16, 16, 1]:
    one part."""
    net = tropnet.random_mlp(widths, seed=seed)
    dom = Box(-4, 4) if widths[0] == 5 else Box(-5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom)
        assert n == _one_run(net, dom)
        assert n <= tropnet.count_linear_regions(net, dom, kind="activation")


def test_streamed_linear_count_with_many_merges():
    """Duplicated units read with opposite weights, a unit nobody reads, an ignored unit: most
    cells merge (the vertex lists of most cells are read back)."""
    net = merging_net(3, 10, scale=2)  # a duplicate the count keeps: the merge runs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, Box(-3, 3))
        cells = tropnet.count_linear_regions(net, Box(-3, 3), kind="activation")
        assert n == _one_run(net, Box(-3, 3)) == len(tropnet.linear_regions(net, Box(-3, 3)))
    assert n < cells


def test_kept_parts_count_towards_max_memory():
    """The kept parts are arrays of the run: a memory limit below them stops the count, with the
    error of every other limit."""
    from tropnet.regions.cells import RegionLimitError

    net = tropnet.random_mlp([5, 12, 12, 2], seed=1)
    with pytest.raises(RegionLimitError) as err:
        tropnet.count_linear_regions(net, Box(-4, 4), max_memory=2_000_000)
    assert err.value.limit == "max_memory"
    assert tropnet.count_linear_regions(tropnet.random_mlp([3, 6, 6, 1], seed=0), Box(-2, 2),
                                        max_memory=10**9) >= 1


def test_cut_last_makes_the_cells_of_the_run():
    """A part's last unit counted, not cut (``keep_last``), then cut
    (:func:`~tropnet.regions.resume.refine_cut_last`): the same cells, vertex lists and
    coordinates as the run that cut it, bit for bit, and as many as it counted."""
    from tropnet.regions.program import stages_from_network
    from tropnet.regions.resume import refine_advance, refine_cut_last, refine_start

    for widths, seed in (([3, 8, 8, 1], 1), ([4, 6, 5, 2], 4)):
        st = stages_from_network(tropnet.random_mlp(widths, seed=seed))
        d = widths[0]
        problem, ref = refine_start(st, d, -5 * np.ones(d), 5 * np.ones(d))
        assert refine_advance(problem, ref)
        problem, state = refine_start(st, d, -5 * np.ones(d), 5 * np.ones(d))
        assert refine_advance(problem, state, count_last=True, keep_last=True)
        n = state.last_count
        split, up, _ = state.last_split
        assert n == state.ncells + int(split.sum()) and n == ref.ncells
        refine_cut_last(problem, state)
        a, b = state.pool, ref.pool
        assert np.array_equal(a.off, b.off) and np.array_equal(a.ids, b.ids) and np.array_equal(a.pat, b.pat)
        assert np.array_equal(a.X, b.X)


def test_streamed_linear_count_cuts_the_last_unit_only_where_asked(monkeypatch):
    """Parts of about 25 cells: their last unit is counted, and cut later only in the parts holding a
    half of a split cell that the merge asks for; the counts equal one unstreamed run, with and
    without such parts."""
    from tropnet.regions import resume, stream

    calls, parts = [], []
    real, add = resume.refine_cut_last, stream.KeptParts.add_state
    monkeypatch.setattr(resume, "refine_cut_last", lambda p, s: (calls.append(s.ncells), real(p, s))[1])
    monkeypatch.setattr(stream.KeptParts, "add_state", lambda k, s: (parts.append(s.ncells), add(k, s))[1])
    monkeypatch.setitem(stream.count_parts.__kwdefaults__, "budget", 50)
    rng = np.random.default_rng(3)
    W1 = rng.integers(-3, 4, size=(12, 3)).astype(float)
    b1 = rng.integers(-3, 4, size=12).astype(float)
    W1[5], b1[5] = W1[4], b1[4]
    W2 = rng.integers(-3, 4, size=(8, 12)).astype(float)
    W2[:, 5] = -W2[:, 4]
    W3 = rng.integers(-3, 4, size=(1, 8)).astype(float)
    merging = Network.from_arrays([W1, W2, W3], [b1, rng.integers(-3, 4, size=8).astype(float), np.zeros(1)])
    generic = tropnet.random_mlp([3, 10, 10, 1], seed=1)
    for net, asked in ((merging, True), (generic, False)):
        calls.clear()
        parts.clear()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n = tropnet.count_linear_regions(net, Box(-3, 3))
            assert len(parts) > 2 and n == _one_run(net, Box(-3, 3))
        assert bool(calls) == asked and len(calls) < len(parts)


@pytest.mark.parametrize("case", ["merges", "many merges", "no merge"])
def test_parts_that_keep_patterns_only_give_the_same_count(monkeypatch, case):
    """Past its byte budget a streamed run keeps patterns (and facets) only and runs again for the
    vertex lists of the cells in near groups (picked by pattern) where the facets cannot serve
    the merge: the count is that of one run.  Budget 0: every part is dropped, so the repeated
    run serves every cell the merge reads."""
    from tropnet.regions import stream

    picked = []
    original = stream.KeptParts._picked
    monkeypatch.setattr(stream, "KEPT_VERTEX_BYTES", 0)
    held = []  # (bytes kept, cells, units) when the merge asks: the patterns as bits
    monkeypatch.setattr(stream.KeptParts, "_picked", lambda self, cells: picked.append(len(cells))
                        or held.append((self.nbytes, self.ncells, self.width)) or original(self, cells))
    if case == "merges":  # 39,561 cells in several parts, 15 real merges
        net, dom = tropnet.random_mlp([5, 12, 12, 2], seed=1), Box(-4, 4)
    elif case == "no merge":
        net, dom = tropnet.random_mlp([4, 10, 10, 1], seed=0), Box(-5, 5)
    else:  # a unit duplicated, its copy read with the opposite weight: most cells merge
        net, dom = merging_net(3, 8, scale=2), Box(-3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, dom)
        assert n == _one_run(net, dom)
    # the cells of the network the count runs on (without the units it drops first)
    cells = tropnet.count_linear_regions(drop_unused_units(net), dom, kind="activation")
    if case != "many merges":
        # a generic network: no vertex list is read at all (its cells are simple: the merge reads
        # their neighbours from the facets each part keeps)
        assert (n == cells) == (case == "no merge") and picked == []
    else:  # non-simple vertices on the duplicated units' hyperplane: the vertex lists decide
        assert n < cells and len(picked) == 1 and picked[0] > cells - n  # each merged cell at least
        nbytes, ncells, width = held[0]
        # 1 bit per unit, not 4 bytes, and the facets: one word of bits and a flag
        assert ncells >= cells and nbytes <= ncells * (-(-width // 8) + 9)


_GUARD_NETS = {
    "random": lambda: tropnet.random_mlp([3, 8, 8, 1], seed=1),
    "sparse": lambda: sparse_net([4, 8, 8, 1], 0),
    "duplicate": lambda: merging_net(3, 8, scale=2),
    "degenerate": lambda: degenerate_net(5, 3, 6, 1),
    "ties": lambda: degenerate_vertices_net(2),
}


@pytest.mark.parametrize("name", sorted(_GUARD_NETS))
@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("where", ["box", "R^n"])
def test_guarded_linear_count_equals_unguarded_and_regions(monkeypatch, name, exact, where):
    """The memory guard forced (``KEPT_VERTEX_BYTES = 0``: every part past it at once; parts of
    about 25 cells): the count equals the unguarded count and the number of linear regions listed,
    float and exact, on a box and on all of R^n, for generic, sparse, duplicated-unit, degenerate
    and tie networks."""
    from tropnet.regions import stream

    net, dom = _GUARD_NETS[name](), Box(-3, 3) if where == "box" else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole = tropnet.count_linear_regions(net, dom, exact=exact)
        listed = len(tropnet.linear_regions(net, dom, exact=exact))
        monkeypatch.setattr(stream, "KEPT_VERTEX_BYTES", 0)
        monkeypatch.setitem(stream.count_parts.__kwdefaults__, "budget", 50)
        guarded = tropnet.count_linear_regions(net, dom, exact=exact)
    assert guarded == whole == listed


def _corner_net(seed: int, w: int = 12, d: int = 3, c: float = 7.0) -> Network:
    """``sparse_net([d, w, w, 1], seed, keep=0.5)`` (cells that merge) whose first two units are
    ``h = x_1 + ... + x_d - c`` and ``2 h``, read with opposite weights (halved): one function,
    and non-simple vertices on the plane ``h = 0``, which meets only a corner of ``[-3, 3]^d``."""
    net = sparse_net([d, w, w, 1], seed, keep=0.5)
    W = [layer.float_weight.copy() for layer in net.layers if hasattr(layer, "float_weight")]
    B = [layer.float_bias.copy() for layer in net.layers if hasattr(layer, "float_bias")]
    W[0][0], B[0][0] = np.ones(d), -c
    W[0][1], B[0][1] = 2 * W[0][0], 2 * B[0][0]
    W[1][:, 1] = -W[1][:, 0] / 2
    return Network.from_arrays(W, B)


def test_vertex_lists_from_the_first_part_the_facets_cannot_serve(monkeypatch):
    """Parts of about 25 cells of a network with non-simple vertices in a corner of the box only:
    the parts before the first part holding such a vertex keep patterns and facets only, those
    from it on their vertex lists too; the merge takes the lists kept and picks the others from
    a second run, which stops once it has them all.  The count is that of one run."""
    from tropnet.regions import stream

    lists, picked = [], []
    fill, add = stream.KeptParts.fill, stream._Pick.add

    def fill_spy(self, found, cells):
        lists.append([p[0] is not None for p in self.parts])
        return fill(self, found, cells)

    monkeypatch.setattr(stream.KeptParts, "fill", fill_spy)
    monkeypatch.setattr(stream._Pick, "add", lambda self, *a: (picked.append(len(a[1]) - 1), add(self, *a))[1])
    monkeypatch.setitem(stream.count_parts.__kwdefaults__, "budget", 50)
    net = _corner_net(6)  # 842 regions of 886 cells, in 32 parts: the first 4 without lists
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = tropnet.count_linear_regions(net, Box(-3, 3))
        assert n == _one_run(net, Box(-3, 3)) < tropnet.count_linear_regions(net, Box(-3, 3), kind="activation")
    assert len(lists) == 1
    k = lists[0].index(True)  # the first part with lists: every later one has them too
    assert 0 < k and all(lists[0][k:])
    # the second run stopped after the parts without lists (it cuts the last unit: more parts)
    assert 0 < len(picked) < len(lists[0]) and sum(picked) < n
