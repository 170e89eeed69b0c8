"""Sphinx configuration of the tropnet documentation.

Build (warnings are errors): ``sphinx-build -W -b html docs docs/_build/html``.

* Notebooks are rendered from their committed outputs (``nb_execution_mode = "off"``);
  ``notebooks/*.ipynb`` are copied into ``docs/tutorials/`` when the build starts.
* The API reference (``api.rst``) is generated at build time from ``tropnet``'s public
  names, grouped by the module that defines them, so it never goes stale.
"""

from __future__ import annotations

import inspect
import re
import shutil
import sys
import types
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import tropnet  # noqa: E402

project = "tropnet"
author = "the tropnet developers"
copyright = "2026, the tropnet developers"
release = tropnet.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "jupyter_execute"]
master_doc = "index"

html_theme = "furo"
html_title = f"tropnet {release}"
html_static_path = ["_static"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "off"
nb_merge_streams = True
# notebooks written by several people: a skipped heading level or an unknown widget output is not an error
# and a name documented on two classes (``n`` of two layers) is an ambiguous but harmless reference
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type", "ref.python"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autosummary_generate = False
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_ivar = True
napoleon_use_rtype = False

doctest_global_setup = "import numpy as np\nimport tropnet\nimport matplotlib\nmatplotlib.use('Agg')"


# ---------------------------------------------------------------------------- notebooks
def _copy_notebooks() -> None:
    """Copy ``notebooks/*.ipynb`` into ``docs/tutorials/`` (git-ignored) for MyST-NB."""
    target = DOCS / "tutorials"
    target.mkdir(exist_ok=True)
    wanted = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    for old in target.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        dst = target / nb.name
        if not dst.exists() or dst.read_bytes() != nb.read_bytes():
            shutil.copyfile(nb, dst)


_copy_notebooks()


# ---------------------------------------------------------------------------- API reference
#: Subpackages whose own ``__all__`` is documented in addition to the top-level names.
API_MODULES = ("tropnet.plot", "tropnet.algebras", "tropnet.studies", "tropnet.parallel", "tropnet.cli")


def _public_top_level() -> dict[str, list[str]]:
    """``{defining module: [public names re-exported by tropnet]}``."""
    groups: dict[str, list[str]] = {}
    for name in sorted(vars(tropnet)):
        obj = getattr(tropnet, name)
        if name.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if not (inspect.isclass(obj) or callable(obj)):
            continue
        mod = getattr(obj, "__module__", None) or "tropnet"
        if not mod.startswith("tropnet"):
            continue
        groups.setdefault(mod, []).append(name)
    return groups


def _directive(qualname: str, obj: object) -> str:
    if inspect.isclass(obj):
        return f".. autoclass:: {qualname}\n"
    if callable(obj):
        return f".. autofunction:: {qualname}\n"
    value = repr(obj)
    value = value if len(value) <= 70 else value[:67] + "..."
    return f".. py:data:: {qualname}\n   :value: {value}\n"


def _section(title: str, intro: str, entries: list[tuple[str, object]]) -> list[str]:
    out = [title, "-" * len(title), ""]
    if intro:
        out += [intro, ""]
    out += [".. autosummary::", "   :nosignatures:", ""]
    out += [f"   {q}" for q, _ in entries]
    out.append("")
    for q, obj in entries:
        out += [_directive(q, obj)]
    return out


def api_reference_text() -> str:
    """The generated body of ``api.rst``."""
    import importlib

    lines: list[str] = []
    for mod, names in sorted(_public_top_level().items()):
        entries = [(f"tropnet.{n}", getattr(tropnet, n)) for n in names]
        first = (inspect.getdoc(sys.modules.get(mod)) or "").split("\n\n")[0].replace("\n", " ")
        lines += _section(f"``{mod}``", f"Importable as ``tropnet.NAME``. {first}".strip(), entries)
    for modname in API_MODULES:
        try:
            module = importlib.import_module(modname)
        except ImportError:
            continue
        names = [
            n
            for n in getattr(module, "__all__", [])
            if not isinstance(getattr(module, n, None), types.ModuleType)
        ]
        entries = [(f"{modname}.{n}", getattr(module, n)) for n in names if hasattr(module, n)]
        if not entries:
            continue
        first = (inspect.getdoc(module) or "").split("\n\n")[0].replace("\n", " ")
        lines += _section(f"``{modname}``", first, entries)
    return "\n".join(lines)


# ---------------------------------------------------------------------------- lenient numpy style
_PARAM_SECTIONS = {
    "parameters",
    "other parameters",
    "returns",
    "yields",
    "receives",
    "raises",
    "warns",
    "attributes",
}


def _is_header(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and bool(lines[i].strip())
        and not lines[i].startswith(" ")
        and set(lines[i + 1].strip()) == {"-"}
        and len(lines[i + 1].strip()) >= 3
    )


def _is_prose(line: str) -> bool:
    return not line.startswith(" ") and " : " not in line and len(line.split()) >= 4


def _prose_out_of_sections(app, what, name, obj, options, lines: list[str]) -> None:
    """Move free paragraphs written after a Parameters-like section in front of the first
    section, where napoleon reads them as prose (``Raises ``ValueError`` when ...`` written
    under the parameters would otherwise be parsed as one more parameter)."""
    first_header = next((i for i in range(len(lines)) if _is_header(lines, i)), None)
    if first_header is None:
        return
    moved: list[str] = []
    out: list[str] = []
    section = None
    i = 0
    while i < len(lines):
        if _is_header(lines, i):
            section = lines[i].strip().lower()
            out += lines[i : i + 2]
            i += 2
            continue
        line = lines[i]
        if section in _PARAM_SECTIONS and _is_prose(line) and (not out or not out[-1].strip()):
            j = i
            while j < len(lines) and lines[j].strip() and not _is_header(lines, j):
                j += 1
            moved += lines[i:j] + [""]
            i = j
            section = None
            continue
        out.append(line)
        i += 1
    if moved:
        k = next(i for i in range(len(out)) if _is_header(out, i))
        lines[:] = out[:k] + moved + out[k:]


_BARS = re.compile(r"(?<![\\|`])\|([^|\s`][^|`]*?)\|(?![|_`])")
_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")


def _escape_bars(app, what, name, obj, options, lines: list[str]) -> None:
    """``|G|`` (a cardinality, an absolute value) is not an rST substitution: escape the bars
    outside inline literals and roles."""
    literal_indent = None  # inside a ``::`` literal block: its introducing line's indentation
    in_doctest = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None and stripped and indent <= literal_indent:
            literal_indent = None
        if stripped.startswith(">>>"):
            in_doctest = True
        elif not stripped:
            in_doctest = False
        skip = in_doctest or (literal_indent is not None and stripped != "")
        if stripped.endswith("::"):
            literal_indent = indent
        if skip or "|" not in line or stripped.startswith(("|", "+")):
            continue
        parts = _LITERAL.split(line)
        lines[i] = "".join(p if k % 2 else _BARS.sub(r"\\|\1\\|", p) for k, p in enumerate(parts))


def _fill_api(app, docname: str, source: list[str]) -> None:
    if docname == "api":
        source[0] = source[0].replace(".. tropnet-api-reference::", api_reference_text())
    if docname == "benchmarks" and not (ROOT / "benchmarks" / "RESULTS.md").exists():
        start = source[0].index("```{include}")
        source[0] = source[0][:start] + "*No benchmark has been recorded in `benchmarks/RESULTS.md` yet.*\n"


def setup(app):  # noqa: ANN001, ANN201
    app.connect("source-read", _fill_api)
    app.connect("autodoc-process-docstring", _prose_out_of_sections, priority=400)
    app.connect("autodoc-process-docstring", _escape_bars, priority=600)
    return {"parallel_read_safe": True}
