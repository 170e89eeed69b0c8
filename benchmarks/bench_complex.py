# ruff: noqa: B023
"""The polyhedral complex: faces, decision boundaries, Betti numbers, persistence, region graphs.

Run: ``python benchmarks/bench_complex.py [--quick]``.  Wall-clock times of one run each (note
the machine's load next to them).  tropnet's rows, then relucent's on the same networks (all of
R^n, its BFS with certification) when ``relucent`` is installed (``pip install tropnet[bench]``;
it needs Gurobi's size-limited licence, enough for these sizes): cells, f-vectors, Betti
numbers and decision-boundary cells must agree.
"""

import os
import sys
import time

import numpy as np

sys.path.insert(0, ".")

import tropnet  # noqa: E402
from tropnet.complex import build_complex  # noqa: E402
from tropnet.studies import region_graph_statistics  # noqa: E402

QUICK = "--quick" in sys.argv


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def faces_rows():
    print("## faces and f-vectors (seed 0; regions / faces time; per face)")
    cases = [[2, 32, 32, 1], [3, 8, 8, 1], [4, 8, 8, 1], [4, 16, 16, 1]]
    for w in cases[:2] if QUICK else cases:
        net = tropnet.random_mlp(w, seed=0)
        for dom, name in ((tropnet.Box(-1, 1), "[-1,1]^n"), (None, "R^n")):
            if dom is None and w[0] == 4 and (QUICK or w == [4, 16, 16, 1]):
                continue  # 4-D on R^n: every unbounded cell is clipped by exact double description
            res = {}
            for exact in (False, True):
                rs, t_rs = timed(lambda: tropnet.linear_regions(net, dom, kind="activation", exact=exact))
                K, t_k = timed(lambda: build_complex(rs))
                b, t_b = timed(lambda: tropnet.betti_numbers(K))
                nf = sum(K.f_vector())
                res[exact] = (K.f_vector(), t_k)
                print(
                    f"{w} {name} {'exact' if exact else 'float'}: f = {K.f_vector()}  chi = "
                    f"{K.euler_characteristic()}  regions {t_rs:.2f} s  faces {t_k:.2f} s "
                    f"({1e6 * t_k / nf:.0f} us/face)  betti {b} {t_b:.2f} s",
                    flush=True,
                )
            assert res[True][0] == res[False][0]
            print(f"   exact/float face time: {res[True][1] / res[False][1]:.1f}x")


def boundary_rows():
    print("## decision boundaries (seed 0)")
    for w, dom in (
        ([2, 16, 16, 1], None),
        ([2, 16, 16, 1], tropnet.Box(-1, 1)),
        ([3, 8, 8, 1], None),
        ([3, 8, 8, 1], tropnet.Box(-1, 1)),
        ([4, 8, 8, 1], tropnet.Box(-1, 1)),
    ):
        net = tropnet.random_mlp(w, seed=0)
        for exact in (False, True):
            db, t = timed(lambda: tropnet.decision_boundary(net, dom, exact=exact))
            b, tb = timed(lambda: db.betti_numbers())
            m, tm = timed(lambda: db.measure())
            ms = f"{float(m):.4f}" if m not in (float("inf"),) and str(m) != "oo" else "inf"
            print(
                f"{w} {'R^n' if dom is None else '[-1,1]^n'} {'exact' if exact else 'float'}: "
                f"f = {db.f_vector()} "
                f"components {db.num_components} betti {b} measure {ms}  ({t:.2f} s, betti {tb:.2f} s, "
                f"measure {tm:.2f} s)",
                flush=True,
            )


def persistence_rows():
    print("## persistence of the sublevel filtration (seed 0, [-1,1]^3)")
    net = tropnet.random_mlp([3, 8, 8, 1], seed=0)
    for exact in (False, True):
        bars, t = timed(lambda: tropnet.persistence(net, tropnet.Box(-1, 1), exact=exact))
        per = [sum(1 for d, _, _ in bars if d == k) for k in range(3)]
        print(
            f"[3, 8, 8, 1] {'exact' if exact else 'float'}: bars per dimension {per} ({t:.2f} s)", flush=True
        )


def graph_rows():
    print("## region graph (activation regions on R^n, seed 0)")
    for w in ([2, 32, 32, 1], [3, 8, 8, 1], [4, 8, 8, 1]):
        rs = tropnet.linear_regions(tropnet.random_mlp(w, seed=0), kind="activation")
        s, t = timed(lambda: region_graph_statistics(rs))
        print(
            f"{w}: {s.num_regions} regions {s.num_edges} edges, mean degree {s.mean_degree:.2f} <= 2n = "
            f"{s.degree_bound}, max degree {len(s.degree_counts) - 1}, diameter {s.diameter}  ({t:.2f} s)",
            flush=True,
        )


def relucent_rows():
    try:
        import relucent
    except ImportError:
        print("## relucent: not installed (pip install tropnet[bench])")
        return
    print(
        "## relucent on the same networks (R^n)"
    )
    cases = [
        ([2, 10, 5, 1], "relucent.mlp, set_seeds(0)"),
        ([2, 8, 8, 1], "tropnet seed 0"),
        ([3, 8, 8, 1], "tropnet seed 0"),
    ]
    for w, origin in cases[:2] if QUICK else cases:
        if origin.startswith("relucent"):
            relucent.set_seeds(0)
            rnet = relucent.mlp(w)
            layers = [lay for lay in rnet.layers.values() if hasattr(lay, "weight")]
            net = tropnet.Network.from_arrays(
                [np.asarray(lay.weight, dtype=float) for lay in layers],
                [np.asarray(lay.bias, dtype=float).ravel() for lay in layers],
            )
        else:
            net = tropnet.random_mlp(w, seed=0)
        model = net.to_torch().double()
        # relucent: the complex of the network with a ReLU on its output (its boundary is the
        # decision boundary); tropnet: the same refinement inside decision_boundary
        cx = relucent.Complex(relucent.add_output_relu(model))
        _, t_bfs = timed(lambda: cx.bfs(verbose=0))
        cc, t_cc = timed(lambda: cx.chain_complex(verbose=0))
        fr = tuple(len(c) for c in cc)[::-1]
        br, t_br = timed(lambda: cx.betti_numbers(verbose=0))
        nneur = sum(layer.out_features for layer in model if hasattr(layer, "out_features"))
        bc, t_bc = timed(lambda: cx.boundary_complex(nneur - 1, verbose=0))
        bb = bc.betti_numbers(verbose=0)
        db, t_db = timed(lambda: tropnet.decision_boundary(net))
        K, t_k = timed(lambda: build_complex(db.regions))
        bt, t_bt = timed(lambda: tropnet.betti_numbers(K))
        top = db.f_vector()[-1] if db.f_vector() else 0
        print(
            f"{w} ({origin}): relucent cells {len(cx)} f {fr} betti {br} boundary top cells {len(bc)} "
            f"betti {bb} | bfs {t_bfs:.1f} s chain complex {t_cc:.1f} s betti {t_br:.2f} s "
            f"boundary {t_bc:.1f} s",
            flush=True,
        )
        print(
            f"   tropnet cells {len(db.regions)} f {K.f_vector()} betti {bt} boundary top cells "
            f"{top} betti {db.betti_numbers()} | regions+boundary {t_db:.2f} s faces {t_k:.2f} s "
            f"betti {t_bt:.2f} s",
            flush=True,
        )
        assert len(cx) == len(db.regions) and fr == K.f_vector() and top == len(bc)


if __name__ == "__main__":
    print(f"load: {os.getloadavg()[0]:.1f} (1-min average)")
    faces_rows()
    boundary_rows()
    persistence_rows()
    graph_rows()
    relucent_rows()
