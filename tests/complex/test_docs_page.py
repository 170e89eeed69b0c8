"""docs/complex.md: its code runs and the values in its comments are what the code gives."""

from __future__ import annotations

import re
from pathlib import Path

import sympy

PAGE = Path(__file__).resolve().parents[2] / "docs" / "complex.md"


def test_complex_page_examples() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    ns: dict = {}
    for b in blocks:
        exec(compile(b, str(PAGE), "exec"), ns)  # the page's own code, nothing from outside
    assert ns["K"].f_vector() == (342, 873, 740, 208) and ns["K"].euler_characteristic() == 1
    assert ns["F"].facets[0].tolist() == [0, 1] and ns["F"].cells[0].tolist() == [0, 171]
    assert ns["rn"].f_vector() == (708, 2246, 2383, 846) and ns["rn"].euler_characteristic() == -1
    d, db = ns["d"], ns["db"]
    assert (d.f_vector(), d.betti_numbers(), d.measure()) == ((4, 4), (1, 1), 4 * sympy.sqrt(2))
    assert db.f_vector() == (57, 102, 46) and db.num_components == 1
    assert f"{float(db.measure()):.4f}" == "5.8375"
