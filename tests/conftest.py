import os

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")

settings.register_profile("ci", max_examples=40, deadline=None)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def force_hrep(monkeypatch):
    """A function that sends every float region run from then on to the H-representation engine.

    It patches the ``hrep`` module the planner holds: a pytest run that names
    ``tropnet/regions/hrep.py`` for its doctests imports a second copy of that module, which a
    test's own ``from tropnet.regions import hrep`` may then get."""

    def force():
        from tropnet.regions import plan

        monkeypatch.setattr(plan._hrep, "HREP_DIM", 1)
        monkeypatch.setattr(plan._hrep, "HREP_COUNT_DIMS", dict.fromkeys(plan._hrep.HREP_COUNT_DIMS, 1))

    return force


@pytest.fixture(scope="module")
def client():
    """A Dask client of two single-threaded worker processes (the parallel tests' cluster)."""
    dd = pytest.importorskip("dask.distributed")
    cluster = dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = dd.Client(cluster)
    yield c
    c.close()
    cluster.close()
