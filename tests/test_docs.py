"""The documentation builds warning-free, documents every public name, and the repo is ruff-clean."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import tropnet

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _load_conf() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("tropnet_docs_conf", DOCS / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return conf


@pytest.mark.skipif(
    not (_has("sphinx") and _has("myst_nb") and _has("furo")), reason="sphinx, myst-nb or furo missing"
)
def test_sphinx_build_is_warning_free(tmp_path: Path) -> None:
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (out / "api.html").exists() and (out / "mathematics.html").exists()
    api = (out / "api.html").read_text(encoding="utf-8")
    for name in ("tropicalize", "linear_regions", "TropicalPolynomial", "Network"):
        if hasattr(tropnet, name):
            assert f'id="tropnet.{name}"' in api, name
    tutorials = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    for stem in tutorials:
        assert (out / "tutorials" / f"{stem}.html").exists(), stem


@pytest.mark.skipif(not _has("sphinx"), reason="sphinx missing")
def test_api_reference_lists_every_public_name() -> None:
    text = _load_conf().api_reference_text()
    public = [
        n
        for n in vars(tropnet)
        if not n.startswith("_")
        and not isinstance(getattr(tropnet, n), types.ModuleType)
        and n != "annotations"
    ]
    missing = [n for n in public if f"tropnet.{n}\n" not in text]
    assert not missing, missing
    assert "tropnet.plot.regions" in text and "tropnet.plot.tropical_curve" in text


def test_cli_page_json_example_is_a_valid_network() -> None:
    from tropnet.cli import network_from_spec

    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", page, re.S).group(1)
    net = network_from_spec(json.loads(block))
    assert net.exact and net.input_dim == 2 and net.output_dim == 1


def test_readme_keeps_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = [ln for ln in ci.splitlines() if ln.startswith("python3 -m venv")][0]
    assert test_command in readme and "pytest" in test_command
    assert "apt-get" not in test_command  # no system packages (issue 18)
    assert (
        "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e . && .venv/bin/tropnet demo"
        in readme
    )
    assert (ROOT / "docs" / "_static" / "demo.png").stat().st_size > 20000


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    proc = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:]


def _code_and_output(text: str) -> tuple[str, str]:
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    out = re.search(r"prints\n\n```text\n(.*?)```", text, re.S).group(1)
    return code, out


@pytest.mark.parametrize("page", ["README.md", "docs/getting_started.md", "docs/trust.md"])
def test_examples_print_what_the_page_says(page: str, tmp_path: Path) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    if page == "README.md":
        text = text[text.index("<!-- example-start -->") : text.index("<!-- example-end -->")]
    elif page == "docs/trust.md":
        text = text[text.index("## An example") :]
    else:
        text = text[text.index("## A first example") :]
    code, expected = _code_and_output(text)
    proc = subprocess.run(
        [sys.executable, "-c", "import matplotlib\nmatplotlib.use('Agg')\n" + code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == expected
    if page != "docs/trust.md":
        assert (tmp_path / "regions.png").stat().st_size > 5000


@pytest.mark.skipif(not _has("sphinx"), reason="sphinx missing")
def test_lenient_docstring_passes() -> None:
    conf = _load_conf()
    lines = [
        "Summary.",
        "",
        "Parameters",
        "----------",
        "n",
        "    Size.",
        "",
        "Raises ``ValueError`` when the order |G| is zero.",
        "",
        ">>> abs(-2)  # |x|",
        "2",
    ]
    conf._prose_out_of_sections(None, "function", "f", None, {}, lines)
    conf._escape_bars(None, "function", "f", None, {}, lines)
    assert lines[2] == "Raises ``ValueError`` when the order \\|G\\| is zero."  # moved before the sections
    assert lines[4:6] == ["Parameters", "----------"]
    assert ">>> abs(-2)  # |x|" in lines  # doctests untouched
