"""Orientations of the faces of a polyhedral complex and the signed boundary matrices.

Face ``F`` (dimension ``k``) is oriented by a basis ``B_F`` of its direction space: in exact
mode the reduced row echelon basis of the differences of its vertices (python-flint
``fmpq_mat.rref``; its pivot columns ``P_F`` carry the identity, so the coordinates of a
direction ``w`` of ``F`` in ``B_F`` are simply ``w[P_F]``); in float mode an orthonormal basis
(SVD).  The incidence number of a facet ``G`` of ``F`` is the sign of the determinant of
``(v, B_G)`` in ``F``'s coordinates, ``v = c_G - c_F`` the outward direction from the
barycentre of ``F`` to that of ``G`` ("outward normal first", the convention of the cellular
chain complex of a regular CW complex, for which ``d d = 0``).  Exact mode decides every sign
in rationals.

>>> import numpy as np
>>> from fractions import Fraction as F
>>> D, piv = direction_basis(np.array([[F(0), F(0)], [F(2), F(2)]], dtype=object), True)
>>> [[str(x) for x in r] for r in D], piv
([['1', '1']], [0])
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

__all__ = ["direction_basis", "incidence_sign"]


def direction_basis(P: np.ndarray, exact: bool) -> tuple[np.ndarray, list[int]]:
    """A basis of the directions of ``aff(P)``: ``(D, pivots)`` (pivots empty for floats)."""
    n = P.shape[1]
    if len(P) <= 1:
        return np.zeros((0, n), dtype=P.dtype), []
    if exact:
        import flint

        M = flint.fmpq_mat(
            [
                [
                    flint.fmpq(x.numerator, x.denominator) if isinstance(x, Fraction) else flint.fmpq(x)
                    for x in (p - P[0])
                ]
                for p in P[1:]
            ]
        )
        R, rank = M.rref()
        D = np.array(
            [[Fraction(int(R[i, j].p), int(R[i, j].q)) for j in range(n)] for i in range(rank)], dtype=object
        ).reshape(rank, n)
        piv = [next(j for j in range(n) if D[i, j] != 0) for i in range(rank)]
        return D, piv
    X = np.asarray(P[1:] - P[0], dtype=np.float64)
    _, s, vt = np.linalg.svd(X, full_matrices=False)
    tol = 1e-9 * max(1.0, float(np.abs(X).max()))
    rank = int((s > tol).sum())
    return vt[:rank], []


def incidence_sign(cF, DF, pivF, cG, DG, exact: bool) -> int:
    """The incidence number ``[F : G] = +-1`` of a facet ``G`` of ``F`` (see the module)."""
    v = cG - cF
    rows = np.vstack([v[None, :], DG]) if len(DG) else v[None, :]
    if exact:
        import flint

        M = flint.fmpq_mat(
            [
                [
                    flint.fmpq(x.numerator, x.denominator) if isinstance(x, Fraction) else flint.fmpq(x)
                    for x in r[pivF]
                ]
                for r in rows
            ]
        )
        d = M.det()
        s = (d > 0) - (d < 0)
    else:
        d = np.linalg.det(np.asarray(rows, dtype=np.float64) @ DF.T)
        s = int(np.sign(d))
    if s == 0:
        raise ArithmeticError("a facet's outward direction lies in its own hull (degenerate face data)")
    return int(s)
