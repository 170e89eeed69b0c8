"""Train the demo network shipped as ``tropnet/data/demo.npz`` (numpy only, CPU, a few seconds).

The task is the classic "two moons" binary classification in the plane, standardised to
roughly [-2, 2]^2.  The network is a ReLU MLP with widths [2, 8, 8, 1] whose single output
is a logit (class 1 when positive).  Training is full-batch Adam on the logistic loss with
a fixed seed, so the file is reproducible::

    .venv/bin/python scripts/train_demo.py            # writes tropnet/data/demo.npz
    .venv/bin/python scripts/train_demo.py --out x.npz

The file holds exactly the arrays ``W0, b0, W1, b1, W2, b2`` (float64; ``W_i`` of shape
(out, in)), the format that ``tropnet regions MODEL.npz`` reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tropnet.cli import two_moons  # the data, shared with the demo figure

WIDTHS = (2, 8, 8, 1)


def train(
    seed: int = 0, steps: int = 3000, lr: float = 0.01
) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """Full-batch Adam on the logistic loss; returns weights, biases and training accuracy."""
    rng = np.random.default_rng(seed)
    x, y = two_moons(400, 0.12, rng)
    weights = [rng.normal(0.0, np.sqrt(2.0 / a), (b, a)) for a, b in zip(WIDTHS[:-1], WIDTHS[1:])]
    biases = [np.zeros(b) for b in WIDTHS[1:]]
    params = weights + biases
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n_layers = len(weights)
    for step in range(1, steps + 1):
        acts, pres = [x], []
        for i in range(n_layers):
            z = acts[-1] @ weights[i].T + biases[i]
            pres.append(z)
            acts.append(np.maximum(z, 0.0) if i < n_layers - 1 else z)
        logit = acts[-1][:, 0]
        p = 1.0 / (1.0 + np.exp(-logit))
        grad = ((p - y) / len(y))[:, None]
        gw, gb = [None] * n_layers, [None] * n_layers
        for i in reversed(range(n_layers)):
            gw[i] = grad.T @ acts[i]
            gb[i] = grad.sum(axis=0)
            if i:
                grad = (grad @ weights[i]) * (pres[i - 1] > 0)
        grads = gw + gb
        for j, (pj, gj) in enumerate(zip(params, grads)):
            m[j] = beta1 * m[j] + (1 - beta1) * gj
            v[j] = beta2 * v[j] + (1 - beta2) * gj * gj
            mh = m[j] / (1 - beta1**step)
            vh = v[j] / (1 - beta2**step)
            pj -= lr * mh / (np.sqrt(vh) + eps)  # in place: weights/biases share these arrays
    acc = float(np.mean((logit > 0) == (y > 0.5)))
    return weights, biases, acc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parents[1] / "tropnet" / "data" / "demo.npz"
    parser.add_argument("--out", default=str(default_out))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    weights, biases, acc = train(args.seed)
    arrays = {}
    for i, (w, b) in enumerate(zip(weights, biases)):
        arrays[f"W{i}"] = w
        arrays[f"b{i}"] = b
    np.savez(args.out, **arrays)
    print(f"widths {list(WIDTHS)}, training accuracy {acc:.3f}, wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
