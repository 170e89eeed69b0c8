"""Pictures on slices: a plane through three points with its decision boundary."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import tropnet  # noqa: E402


def test_plane_through_points_marks_them_and_draws_the_decision_boundary():
    net = tropnet.random_mlp([16, 12, 3], seed=3)
    a, b, c = np.random.default_rng(0).normal(size=(3, 16))
    pl = tropnet.Plane.through(a, b, c)
    ax = tropnet.plot.regions(net, pl, labels=True, images=[a, b, c], image_shape=(4, 4))
    marks = [col for col in ax.collections if col.get_gid() == "marked points"]
    assert len(marks) == 1
    assert np.allclose(marks[0].get_offsets(), [[0, 0], [1, 0], [float(pl.points[2, 0]), 1]])
    texts = {t.get_text() for t in ax.texts}
    assert {"a", "b", "c"} <= texts
    (db,) = [col for col in ax.collections if col.get_gid() == "decision boundary"]
    segs = db.get_segments()
    assert len(segs) > 0
    # on every boundary segment the two largest outputs tie
    for s in segs[:50]:
        mid = pl.to_input(np.mean(s, axis=0))
        top = np.sort(net(mid))[-2:]
        assert abs(top[1] - top[0]) <= 1e-6 * (1 + abs(top[1]))


def test_class_colouring_and_fitting_labels():
    net = tropnet.random_mlp([2, 16, 16, 1], seed=0)
    ax = tropnet.plot.regions(net, tropnet.Box(-3, 3), color_by="class", labels=True)
    assert any(col.get_gid() == "decision boundary" for col in ax.collections)
    pos = np.array([t.get_position() for t in ax.texts])
    n_regions = len(ax.collections[0].get_paths())
    assert 0 < len(pos) < n_regions  # labels only where they fit
    d = np.abs(pos[:, None, :] - pos[None, :, :]).max(axis=2) + np.eye(len(pos)) * 99
    assert d.min() >= 0.07 * 6 - 1e-9  # no two labels on top of each other
