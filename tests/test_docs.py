"""The documentation: the site builds with --strict; nothing in it or the README points nowhere.

``mkdocs build --strict`` (what ``make docs`` runs) fails on a ``::: vaekit.x`` reference
that no longer resolves, a cross-reference to a missing object, a page missing from the
nav or a relative link to a missing page, so the first test runs that build. The others
are fast checks that name the exact culprit: API references that import, relative links
of the README (which the site build does not read), and the README saying why each
dependency declared in ``setup.py`` is there.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

#: ``[text](target)`` in Markdown; images (``![alt](target)``) match too.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
#: ``::: vaekit.something`` at the start of a line (an mkdocstrings directive), or a
#: Markdown cross-reference ``[title][vaekit.something]`` to an object it renders.
API_REFERENCE = re.compile(r"^:::\s+(\S+)|\]\[(vaekit(?:\.\w+)+)\]", re.MULTILINE)


def _doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _relative_links(path: Path) -> list[str]:
    """Targets of the relative links in a Markdown file, without anchors; code blocks skipped."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    targets = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, https:, mailto: ... or an anchor on the same page
        targets.append(target.split("#", 1)[0])
    return targets


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted`` and get the rest as attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def test_docs_site_builds_with_strict(tmp_path):
    if importlib.util.find_spec("mkdocs") is None:
        pytest.fail("mkdocs is not installed: pip install -e '.[docs]' (make test installs it)")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}{result.stderr}"
    # Every committed notebook is rendered as a page, with the figures stored in its outputs
    # (nothing is executed), and the API reference has content.
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = site / "notebooks" / notebook.stem / "index.html"
        assert page.is_file(), notebook.name
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        if any("image/png" in output.get("data", {})
               for cell in cells for output in cell.get("outputs", [])):
            assert "data:image/png;base64" in page.read_text(encoding="utf-8"), notebook.name
    estimators = (site / "api" / "estimators" / "index.html").read_text(encoding="utf-8")
    for name in ("VAEClassifier", "VAETransformer"):
        assert f'id="vaekit.estimators.{name}"' in estimators, name
    # A Sphinx role in a docstring (:func:`vaekit.pretrain_then_finetune` in VAEClassifier's)
    # became a link to the page that renders the function (docs/_hooks/sphinx_roles.py).
    assert "semi-supervised/#vaekit.semi_supervised.pretrain_then_finetune" in estimators


def test_every_api_reference_in_the_docs_names_an_importable_object():
    references = [(page, directive or crossref) for page in _doc_pages()
                  for directive, crossref in API_REFERENCE.findall(page.read_text("utf-8"))]
    assert references, "no ::: references found in docs/"
    broken = []
    for page, name in references:
        try:
            _resolve(name)
        except (ImportError, AttributeError) as err:
            broken.append(f"{page.relative_to(ROOT)}: {name} ({err})")
    assert not broken, "API references that do not resolve:\n" + "\n".join(broken)


@pytest.mark.parametrize("markdown", [README, *_doc_pages()],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files(markdown):
    missing = [target for target in _relative_links(markdown)
               if target and not (markdown.parent / target).exists()]
    assert not missing, f"{markdown.relative_to(ROOT)} links to missing files: {missing}"


def _declared_requirements() -> list[str]:
    """Names of every requirement in setup.py's install_requires and extras_require."""
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    call = next(node for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setup")
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    requirements = list(ast.literal_eval(keywords["install_requires"]))
    for extra in ast.literal_eval(keywords["extras_require"]).values():
        requirements.extend(extra)
    return sorted({re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
                   for requirement in requirements})


def test_readme_says_why_each_declared_dependency_is_there():
    text = README.read_text(encoding="utf-8")
    start, end = "<!-- --8<-- [start:dependencies] -->", "<!-- --8<-- [end:dependencies] -->"
    assert start in text and end in text, "README.md lost its marked Dependencies section"
    section = text.split(start, 1)[1].split(end, 1)[0]

    def normalise(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    section = normalise(section)
    unexplained = [name for name in _declared_requirements() if normalise(name) not in section]
    assert not unexplained, (
        f"setup.py declares {unexplained} but README.md's Dependencies section does not say "
        "why: add a line for each")


def test_readme_headline_figures_match_the_benchmarks_page():
    text = README.read_text(encoding="utf-8")
    headline = text.split("## Headline figures", 1)[1].split("\n## ", 1)[0]
    figures = re.findall(r"\d+\.\d+ ± \d+\.\d+|\d+\.\d+ %", headline)
    assert len(figures) >= 4, "the README's headline table has lost its figures"
    benchmarks = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    absent = [figure for figure in figures if figure.replace(" %", "") not in benchmarks]
    assert not absent, f"README headline figures not on docs/benchmarks.md: {absent}"


def test_restructuredtext_simple_tables_in_docstrings_become_markdown_tables():
    spec = importlib.util.spec_from_file_location("sphinx_roles",
                                                  DOCS / "_hooks" / "sphinx_roles.py")
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    docstring = (
        "Engines.\n\n"
        "======  ==========  =====\n"
        "name    TensorFlow  JAX\n"
        "======  ==========  =====\n"
        "``a``   one         two\n"
        "        device      |x|\n"
        "``b``   three       four\n"
        "======  ==========  =====\n\n"
        "After."
    )
    assert hook.simple_tables_to_markdown(docstring).split("\n") == [
        "Engines.", "",
        "| name | TensorFlow | JAX |",
        "| --- | --- | --- |",
        "| ``a`` | one device | two \\|x\\| |",
        "| ``b`` | three | four |",
        "", "After.",
    ]
    assert hook.simple_tables_to_markdown("no table\n=====\n") == "no table\n=====\n"
