"""The resumable engine (refine_start / advance / split / finish / task), without Dask: a run
stopped anywhere and split into parts gives, over all parts, exactly the cells of one run."""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tropnet
from tropnet.regions import refine as R


def _pattern_set(patterns):
    return {tuple(p) for p in np.asarray(patterns).tolist()}


def _box(d, r, exact):
    if exact:
        return np.array([Fraction(-r)] * d, dtype=object), np.array([Fraction(r)] * d, dtype=object)
    return -r * np.ones(d), r * np.ones(d)


def _tasks(problem, state, max_cells, parts, roundtrip=True):
    """Run a split run to the end the way the Dask driver does (every state pickled between
    tasks); the leaves' cells and the number of tasks."""
    todo, leaves, n = [state], [], 0
    while todo:
        s = todo.pop()
        if roundtrip:
            s = pickle.loads(pickle.dumps(s))
        out = R.refine_task(problem, s, max_cells=max_cells, parts=parts)
        n += 1
        if isinstance(out, list):
            todo.extend(out)
        else:
            leaves.append(out)
    return leaves, n


def _check(net, r=3.0, exact=False, certify=False, halfspaces=None, max_cells=6, parts=3):
    d = net.input_dim
    stages = R.stages_from_network(net, exact=exact)
    lo, hi = _box(d, r, exact)
    whole = R.refine(stages, d, lo, hi, halfspaces=halfspaces, exact=exact, certify=certify)
    problem, state = R.refine_start(stages, d, lo, hi, halfspaces=halfspaces, exact=exact, certify=certify)
    R.refine_advance(problem, state, max_cells=2)
    leaves, n = _tasks(problem, state, max_cells, parts)
    assert sum(len(c) for c in leaves) == len(whole)  # leaf sets are disjoint
    pats = np.vstack([c.patterns for c in leaves])
    assert _pattern_set(pats) == _pattern_set(whole.patterns)
    return len(whole), n


def test_split_anywhere_float_exact_certified():
    net = tropnet.random_mlp([3, 6, 5, 1], seed=1)
    for exact, certify in ((False, False), (True, False), (True, True)):
        count, n = _check(net, exact=exact, certify=certify)
        assert n > 3 and count > 20


def test_halfspaces_and_leaky_and_thresholds():
    layers = [tropnet.Linear(np.array([[1.0, 2.0], [-1.0, 1.0], [0.5, -1.0]]), np.array([0.1, -0.2, 0.3])),
              tropnet.LeakyReLU(0.25),
              tropnet.Linear(np.array([[1.0, -1.0, 1.0], [2.0, 1.0, -1.0]]), np.array([0.0, 0.5])),
              tropnet.ReLU(),
              tropnet.Linear(np.array([[1.0, 1.0]]), np.zeros(1))]
    net = tropnet.Network(layers, input_dim=2)
    hs = (np.array([[1.0, 1.0]]), np.array([1.5]))
    for exact in (False, True):
        _check(net, exact=exact, halfspaces=hs, max_cells=3, parts=2)


def test_degenerate_networks():
    # duplicate rows, hyperplanes through one point, zero biases (units identically zero on cells)
    W1 = [[1, 0], [1, 0], [0, 1], [1, 1], [1, -1], [2, 2]]
    net = tropnet.Network.from_arrays([W1, [[1, -1, 1, 0, 1, -1], [0, 1, 1, 1, 0, 1]], [[1, 1]]])
    for exact in (False, True):
        _check(net, exact=exact, max_cells=2, parts=2)
    # a Maxout network (GroupMax copies share vertex ids)
    layers = [tropnet.Linear(np.array([[1, 0], [0, 1], [1, 1], [1, -1], [2, -1], [-1, 3]]), np.array([0, 1, 0, -1, 0, 2])),
              tropnet.GroupMax(np.array([[0, 1, 2], [3, 4, 5]]), 6),
              tropnet.Linear(np.array([[1, 2], [-1, 1]]), np.array([0, 1])),
              tropnet.ReLU(),
              tropnet.Linear(np.array([[1, 1]]), np.zeros(1, dtype=int))]
    net = tropnet.Network(layers, input_dim=2)
    for exact, certify in ((False, False), (True, False), (True, True)):
        _check(net, exact=exact, certify=certify, max_cells=2, parts=2)


def test_certified_task_falls_back_exactly(monkeypatch):
    # A GroupMax whose members z_0 = z_1 agree everywhere: every decision of that group is a tie
    # the certified pass cannot call (after the split, inside the tasks), and a threshold unit
    # through box vertices is set aside cell by cell.  Both must end in the rational pass.
    uncertain, resolved = [], []
    advance, resolve = R.refine_advance, R._resolve_deferred

    def spy_advance(*args, **kw):
        try:
            return advance(*args, **kw)
        except R._Uncertain:
            uncertain.append(args[1].ncells)
            raise

    def spy_resolve(*args, **kw):
        resolved.append(len(args[1]))
        return resolve(*args, **kw)

    monkeypatch.setattr(R, "refine_advance", spy_advance)
    monkeypatch.setattr(R, "_resolve_deferred", spy_resolve)
    W1 = np.array([[1.0, 0.5], [-0.5, 1.0], [1.0, 1.0], [1.0, -1.0]])
    layers = [tropnet.Linear(W1, np.array([0.25, -0.75, 0.125, 0.0])), tropnet.ReLU(),
              tropnet.Linear(np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]]), np.zeros(4)),
              tropnet.GroupMax(np.array([[0, 1], [2, 3]]), 4),
              tropnet.Linear(np.array([[1, 1]]), np.zeros(1))]
    net = tropnet.Network(layers, input_dim=2)
    count, _ = _check(net, exact=True, certify=True, max_cells=3, parts=2)
    assert count == tropnet.count_linear_regions(net, tropnet.Box(-3, 3), kind="activation", exact=True)
    assert uncertain and resolved  # the fallback ran in the tasks


def test_states_pickle_and_keep_their_position():
    net = tropnet.random_mlp([3, 5, 5, 1], seed=4).to_exact()
    stages = R.stages_from_network(net, exact=True)
    problem, state = R.refine_start(stages, 3, *_box(3, 2, True), exact=True)
    assert not R.refine_advance(problem, state, max_cells=5)
    parts = R.refine_split(state, 4)
    assert [p.position for p in parts] == [state.position] * len(parts)
    assert abs(parts[0].entries - parts[-1].entries) <= max(np.diff(state.pool.off))  # balanced by entries
    back = pickle.loads(pickle.dumps(parts[1]))
    assert back.ncells == parts[1].ncells and back.pool.X.dtype == object
    assert len(R.refine_split(state, 10 ** 6)) == state.ncells  # at most one part per cell


@given(seed=st.integers(0, 50), max_cells=st.integers(1, 30), parts=st.integers(2, 4))
def test_split_runs_equal_one_run(seed, max_cells, parts):
    net = tropnet.random_mlp([2, 5, 4, 1], seed=seed)
    stages = R.stages_from_network(net)
    whole = R.refine(stages, 2, -4 * np.ones(2), 4 * np.ones(2))
    problem, state = R.refine_start(stages, 2, -4 * np.ones(2), 4 * np.ones(2))
    leaves, _ = _tasks(problem, state, max_cells, parts, roundtrip=False)
    assert sum(len(c) for c in leaves) == len(whole)
    assert _pattern_set(np.vstack([c.patterns for c in leaves])) == _pattern_set(whole.patterns)


def test_work_budget_is_deterministic():
    net = tropnet.random_mlp([3, 6, 6, 1], seed=2)
    stages = R.stages_from_network(net)
    runs = []
    for _ in range(2):
        problem, state = R.refine_start(stages, 3, -3 * np.ones(3), 3 * np.ones(3))
        assert not R.refine_advance(problem, state, max_work=2000)
        runs.append((state.position, state.ncells, state.entries))
    assert runs[0] == runs[1]
    with pytest.raises(ValueError, match="vertex engine"):
        R.refine_start(stages, 13, -np.ones(13), np.ones(13))


def test_split_keeps_cells_set_aside(monkeypatch):
    # zero biases and a duplicate unit: with its exact decisions off, the certified pass sets
    # every cell aside (ties at the vertices the first unit made), leaving a state with no cells
    # but deferred ones; with them, it decides the ties itself and sets nothing aside
    from tropnet.regions import vertex

    W1 = [[1, 0], [1, 0], [0, 1], [1, 1], [1, -1], [2, 2]]
    net = tropnet.Network.from_arrays([W1, [[1, -1, 1, 0, 1, -1], [0, 1, 1, 1, 0, 1]], [[1, 1]]])
    stages = R.stages_from_network(net, exact=True)
    lo, hi = _box(2, 3, True)
    problem, state = R.refine_start(stages, 2, lo, hi, exact=True, certify=True)
    assert R.refine_advance(problem, state) and not state.deferred
    assert len(R.refine_finish(problem, state)) == 10
    monkeypatch.setattr(vertex, "CERT_EXACT_VERTICES", 0)
    problem, state = R.refine_start(stages, 2, lo, hi, exact=True, certify=True)
    R.refine_advance(problem, state, max_cells=8)
    assert state.ncells == 0 and state.deferred
    parts = R.refine_split(state, 3)
    assert parts == [state]
    assert len(R.refine_finish(problem, parts[0])) == len(R.refine(stages, 2, lo, hi, exact=True)) == 10
