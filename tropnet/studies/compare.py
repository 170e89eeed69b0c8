"""How the algebra changes the piecewise-linear geometry: AlgebraNets compared at equal budgets.

:func:`compare_algebras` builds, for each algebra, the widest :func:`~tropnet.algebranet`
within a parameter and/or compute budget and measures its linear regions and tropical
monomials over several random seeds.

Reading the table (see the notes of :mod:`tropnet.networks.algebra_layers`):

* **Mn(R)**: columns never mix, so an Mn(R) stack is ``n`` weight-sharing copies of one real
  network (bias column ``j`` for copy ``j``); with the unit embedding and the trace readout
  the function is the average of those ``n`` copies, each seeing the input in row ``j`` and
  read out at row ``j``.
* **D** (dual numbers): the real part of ``w x`` is ``w_0 x_0`` and ReLU acts per
  component, so with the unit embedding and real-part readout a D-network *is* the real
  network of its real parts: half its parameters never reach the output.
* The first layer (real inputs times algebra weights) and the readout are unconstrained real
  layers for every algebra; the algebra structure shows only between hidden layers, so
  ``depth >= 2`` is where algebras differ.

Examples
--------
>>> from tropnet.algebras import C, H
>>> rows = compare_algebras([C, H], input_dim=2, depth=2, param_budget=120, seeds=range(2),
...                         as_frame=False, monomials=False)
>>> [r["widths"] for r in rows]
[(2, 5, 5, 1), (2, 3, 3, 1)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..algebras import ALGEBRAS, Algebra
from ..networks.algebra_layers import AlgebraLinear, algebranet

__all__ = ["compare_algebras", "widest_algebranet"]


def _as_algebra(a: Algebra | str) -> Algebra:
    if isinstance(a, Algebra):
        return a
    if isinstance(a, str) and a in ALGEBRAS:
        return ALGEBRAS[a]
    raise TypeError(f"{a!r} is neither an Algebra nor the name of a built-in ({', '.join(ALGEBRAS)})")


def _cost_per_pair(algebra: Algebra) -> dict[tuple[bool, bool], int]:
    """Real mults per (output, input) feature pair for each (real_input, real_output) layer kind."""
    zero = np.zeros((1, 1, algebra.dim), dtype=np.int64)
    return {
        (ri, ro): AlgebraLinear(algebra, 1, 1, weight=zero, real_input=ri, real_output=ro).real_mults
        for ri in (False, True)
        for ro in (False, True)
    }


def _budget_counts(algebra: Algebra, widths: Sequence[int], costs: dict) -> tuple[int, int]:
    """(real parameters, real mults) of ``algebranet(algebra, widths)`` without building it."""
    d, last = algebra.dim, len(widths) - 2
    params = mults = 0
    for i, (c, k) in enumerate(zip(widths[:-1], widths[1:])):
        params += k * c * d + k * d
        mults += k * c * costs[(i == 0, i == last)]
    return params, mults


def widest_algebranet(
    algebra: Algebra | str,
    input_dim: int,
    depth: int,
    param_budget: int | None = None,
    flop_budget: int | None = None,
    output_dim: int = 1,
) -> list[int]:
    """Algebra-feature widths ``[input_dim, c, ..., c, output_dim]`` (``depth`` hidden layers)
    with the largest ``c`` whose real parameters are ``<= param_budget`` and whose real
    multiplications per forward pass are ``<= flop_budget`` (either budget or both).

    >>> from tropnet.algebras import C, H
    >>> widest_algebranet(C, 2, 2, param_budget=200), widest_algebranet(H, 2, 2, param_budget=200)
    ([2, 7, 7, 1], [2, 4, 4, 1])
    """
    algebra = _as_algebra(algebra)
    for name, v in (("input_dim", input_dim), ("depth", depth), ("output_dim", output_dim)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if param_budget is None and flop_budget is None:
        raise ValueError("give param_budget, flop_budget or both")
    for name, v in (("param_budget", param_budget), ("flop_budget", flop_budget)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1):
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    costs = _cost_per_pair(algebra)

    def widths(c: int) -> list[int]:
        return [int(input_dim)] + [c] * int(depth) + [int(output_dim)]

    def fits(c: int) -> bool:
        p, m = _budget_counts(algebra, widths(c), costs)
        return (param_budget is None or p <= param_budget) and (flop_budget is None or m <= flop_budget)

    if not fits(1):
        p, m = _budget_counts(algebra, widths(1), costs)
        raise ValueError(
            f"budget too small for {algebra.name}: width 1 already needs {p} real parameters and "
            f"{m} real mults (param_budget={param_budget}, flop_budget={flop_budget})"
        )
    lo, hi = 1, 2
    while fits(hi):  # counts grow with c, so double then bisect
        lo, hi = hi, 2 * hi
        if hi > 2**40:
            raise ValueError(f"the budget does not bound the width of {algebra.name}'s network")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return widths(lo)


def _real_widths(low: Any) -> list[int]:
    """Input, Linear outputs: the real widths of a lowered Linear/ReLU stack."""
    return [w for i, w in enumerate(low.widths) if i == 0 or i % 2 == 1]


def _measure(alg: Algebra, widths, seed: int, domain, exact: bool, baseline: bool, monomials: bool) -> dict:
    """The measurements of one (algebra, widths, seed) network: one task of the comparison."""
    from ..regions.api import count_linear_regions  # the enumerator sits above the networks

    net = algebranet(alg, widths, seed=seed)
    low = net.lowered()
    out = {
        "parameters": net.num_parameters,
        "real_widths": tuple(_real_widths(low)),
        "act": count_linear_regions(low, domain, kind="activation", exact=exact),
        "lin": count_linear_regions(low, domain, kind="linear", exact=exact),
    }
    if baseline:
        real = algebranet(ALGEBRAS["R"], _real_widths(low), seed=seed).lowered()
        out["base"] = count_linear_regions(real, domain, kind="linear", exact=exact)
    if monomials:
        from ..compiler import tropicalize

        tmap = tropicalize(low, simplify=True)
        out["before"] = tmap.monomials_before[0]
        out["after"] = tmap.monomials_after[0]
    return out


def compare_algebras(
    algebras: Iterable[Algebra | str],
    input_dim: int,
    depth: int,
    param_budget: int | None = None,
    flop_budget: int | None = None,
    seeds: Iterable[int] = range(10),
    domain: Any = None,
    *,
    monomials: bool = True,
    baseline: bool = False,
    exact: bool = False,
    as_frame: bool | None = None,
    parallel: str | None = None,
    client: Any = None,
) -> Any:
    """Regions and monomials of the widest AlgebraNet per algebra within a budget, at random init.

    For each algebra, :func:`widest_algebranet` picks widths ``[input_dim, c, ..., c, 1]``
    (``depth`` hidden layers of ``c`` algebra features); for each seed the network
    ``algebranet(algebra, widths, seed)`` (unit embedding of the real inputs, real-part
    readout, componentwise ReLU) is lowered to a real ReLU network and measured.  Compute
    (FLOPs) is counted as real multiplications per forward pass with naive algebra products.

    Parameters
    ----------
    algebras
        :class:`~tropnet.algebras.Algebra` objects or built-in names (``"C"``, ``"M2R"``, ...).
    input_dim, depth
        Real input dimension, number of hidden layers.
    param_budget, flop_budget
        Upper bounds on real parameters / real mults per forward pass (at least one).
    seeds
        Random seeds; region counts are reported as mean and (population) standard deviation
        over them.
    domain
        Where regions are counted: ``None`` (all of ``R^input_dim``), a
        :class:`~tropnet.Box` or :class:`~tropnet.Polyhedron`.
    monomials
        Also compile each network (``tropnet.tropicalize(net, simplify=True)``) and report the
        monomials (numerator plus denominator, mean over seeds) of output 0 before and after
        simplification: ``monomials_before`` counts the candidates the compile held (one per
        activation cell of R^n for the numerator and for the denominator, before equal ones
        merge), as the compiler's ``TropicalRationalMap.monomials_before`` does.
    baseline
        Also count the linear regions of the unconstrained real network (``R``) with the same
        real widths and seeds, column ``real_baseline_regions``: it separates what the algebra
        structure does from what the wider real layers bought by weight sharing do.
    exact
        Count regions in exact arithmetic (``count_linear_regions(..., exact=True)``).
    as_frame
        ``True``: a pandas DataFrame; ``False``: a list of dicts; ``None`` (default): a
        DataFrame when pandas is installed, else the list.
    parallel, client
        ``None`` (serial), ``"local"`` (a local Dask cluster for this call) or ``"dask"``
        (``client`` or the default client): one task per (algebra, seed) network; the table
        is the same as serial (see :mod:`tropnet.parallel`).

    Returns
    -------
    One row per algebra with ``algebra``, ``dim``, ``widths`` (algebra features),
    ``real_widths``, ``parameters``, ``real_mults``, ``activation_regions`` and
    ``activation_regions_std``, ``linear_regions`` and ``linear_regions_std``,
    ``monomials_before`` and ``monomials_after`` (``None`` when ``monomials=False``),
    ``regions_per_parameter`` (mean linear regions / parameters), ``real_baseline_regions``
    (``None`` unless ``baseline``) and ``seeds``.

    >>> rows = compare_algebras(["R", "C"], 2, 1, param_budget=40, seeds=[0],
    ...                         as_frame=False, monomials=False)
    >>> [(r["algebra"], r["widths"], r["parameters"]) for r in rows]
    [('R', (2, 9, 1), 37), ('C', (2, 4, 1), 34)]
    """
    algs = [_as_algebra(a) for a in algebras]
    if not algs:
        raise ValueError("compare_algebras needs at least one algebra")
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("compare_algebras needs at least one seed")
    plan = [(alg, widest_algebranet(alg, input_dim, depth, param_budget, flop_budget)) for alg in algs]
    jobs = [(alg, widths, seed) for alg, widths in plan for seed in seeds]
    args = (domain, exact, baseline, monomials)
    from ..tasks import map_tasks  # serial unless parallel=/client= ask for Dask

    results = map_tasks(_measure, [(*job, *args) for job in jobs], parallel=parallel, client=client)
    rows = []
    for i, (alg, widths) in enumerate(plan):
        res = results[i * len(seeds) : (i + 1) * len(seeds)]
        act = [r["act"] for r in res]
        lin = [r["lin"] for r in res]
        params, mults = _budget_counts(alg, widths, _cost_per_pair(alg))
        assert params == res[0]["parameters"]
        rows.append({
            "algebra": alg.name,
            "dim": alg.dim,
            "widths": tuple(widths),
            "real_widths": res[0]["real_widths"],
            "parameters": params,
            "real_mults": mults,
            "activation_regions": float(np.mean(act)),
            "activation_regions_std": float(np.std(act)),
            "linear_regions": float(np.mean(lin)),
            "linear_regions_std": float(np.std(lin)),
            "monomials_before": float(np.mean([r["before"] for r in res])) if monomials else None,
            "monomials_after": float(np.mean([r["after"] for r in res])) if monomials else None,
            "regions_per_parameter": float(np.mean(lin)) / params,
            "real_baseline_regions": float(np.mean([r["base"] for r in res])) if baseline else None,
            "seeds": len(seeds),
        })
    if as_frame is False:
        return rows
    try:
        import pandas as pd
    except ImportError:
        if as_frame:
            raise ImportError("as_frame=True needs pandas; install it with `pip install pandas`") from None
        return rows
    return pd.DataFrame(rows)
