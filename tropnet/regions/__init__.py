"""The linear-region enumerator, one concern per module (see ``docs/architecture.md``).

``api`` (the public functions) builds a ``plan.Plan`` (engine, exactness, domain pieces, mode)
and runs it.  ``domains`` turns the object and domain into pieces; ``exactness`` holds the
passes and the fallback between them; the engines are ``refine`` (resumable vertex engine,
core in ``vertex``), ``hrep``, ``planar`` and ``planar_count``, all on the internal program of
``program``, returning ``cells.Cells``; ``found`` assembles the pieces' cells, ``geometry``
(with ``affine``) computes facets, adjacency and the linear merge into a ``regionset.RegionSet``.
``symmetric``/``invariance`` (symmetry groups), ``estimate`` (sampling) and ``radius``
(effective radius) build on the plan.
"""
