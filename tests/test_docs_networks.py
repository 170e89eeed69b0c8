"""docs/networks.md: its example prints what the page says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_networks_page_example_prints_what_the_page_says(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    text = (ROOT / "docs" / "networks.md").read_text(encoding="utf-8")
    text = text[text.index("<!-- networks-example-start -->") : text.index("<!-- networks-example-end -->")]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    expected = re.search(r"prints\n\n```text\n(.*?)```", text, re.S).group(1)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == expected
