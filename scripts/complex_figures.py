"""Draw the pictures of docs/complex.md into docs/_static (run from the repository root)."""

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, ".")
import tropnet  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else "docs/_static"

# 1. a 2-D decision boundary with its complex, and the degree histogram of the region graph
net = tropnet.random_mlp([2, 8, 8, 1], seed=3)
fig, axes = plt.subplots(1, 2, figsize=(9, 4), layout="constrained")
tropnet.plot.decision_boundary(net, tropnet.Box(-2, 2), axes[0])
db = tropnet.decision_boundary(net, tropnet.Box(-2, 2), exact=True)
axes[0].set_title(f"f = 0: {db.f_vector()[1]} edges, Betti {db.betti_numbers()}")
rs = tropnet.linear_regions(net, kind="activation")
tropnet.plot.degree_histogram(rs, axes[1])
axes[1].set_title(f"region graph on R^2: {len(rs)} regions")
fig.savefig(f"{OUT}/complex_boundary2d.png", dpi=110)

# 2. a 3-D decision boundary
net3 = tropnet.random_mlp([3, 8, 8, 1], seed=0)
fig = plt.figure(figsize=(5, 5), layout="constrained")
ax = fig.add_subplot(projection="3d")
tropnet.plot.decision_boundary(net3, tropnet.Box(-1, 1), ax)
db3 = tropnet.decision_boundary(net3, tropnet.Box(-1, 1))
ax.set_title(f"f = 0 in [-1, 1]^3: {db3.f_vector()[2]} polygons, Betti {db3.betti_numbers()}")
fig.savefig(f"{OUT}/complex_boundary3d.png", dpi=110)

# 3. the persistence diagram of the sublevel filtration
bars = tropnet.persistence(net, tropnet.Box(-2, 2))
fig, ax = plt.subplots(figsize=(4.2, 4), layout="constrained")
fin = [float(e) for _, _, e in bars if e != float("inf")]
top = max([float(b) for _, b, _ in bars] + fin) + 0.1
for dim, marker, color in ((0, "o", "#0072B2"), (1, "^", "#D55E00")):
    pts = [(float(b), float(e) if e != float("inf") else top) for d, b, e in bars if d == dim]
    if pts:
        ax.scatter(*zip(*pts), marker=marker, color=color, label=f"H{dim}")
lo = min(float(b) for _, b, _ in bars) - 0.1
ax.plot([lo, top], [lo, top], color="0.5", lw=0.8)
ax.axhline(top, color="0.7", ls=":", lw=0.8)
ax.set_xlabel("birth (value of f)")
ax.set_ylabel("death")
ax.legend(frameon=False)
ax.set_title("sublevel persistence of f")
fig.savefig(f"{OUT}/complex_persistence.png", dpi=110)
