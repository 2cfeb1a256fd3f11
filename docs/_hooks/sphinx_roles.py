"""Griffe extension: reStructuredText in vaekit's numpydoc docstrings, made readable as Markdown.

Two rewrites, before the docstrings are parsed: Sphinx roles become links (below), and
reStructuredText simple tables (``====  ====`` borders) become Markdown tables.

The docstrings cross-reference with Sphinx roles (``:class:`~vaekit.data.DataError```,
``:func:`pretrain_vae```), which mkdocstrings would print as they are. Before the
docstrings are parsed, each role becomes an *optional* mkdocs-autorefs reference: a
link where the target is rendered somewhere in the site, the name in code style where
it is not (``keras.Model``, scikit-learn: no inventories are fetched offline). Optional,
because a docstring may name private helpers; the ``::: vaekit.x`` directives and the
Markdown cross-references in docs/ stay strict.

How a target is found, in order of the two candidates autorefs tries:

* ``vaekit.Name`` (a top-level name, loaded lazily by ``vaekit/__init__.py``): the
  subpackage that ``vaekit._PUBLIC`` says defines it, where the API pages render it,
  then its module of the same name (``finetune``);
* a dotted name: as written;
* a bare name: in the class the docstring belongs to, then in its module's package,
  then in its module.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

from griffe import Extension

#: A border line of a reStructuredText simple table: ``=====  =====``.
TABLE_BORDER = re.compile(r"^(?P<indent>\s*)=+(?:\s+=+)+\s*$")

ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|mod|attr|exc|data|obj|const):"
    r"`(?P<tilde>~?)(?P<target>[^`<]+?)(?:\s*<(?P<explicit>[^>]+)>)?`"
)


def _cells(line: str, starts: list[int]) -> list[str]:
    """Split a table row at the columns' start offsets (the last column runs to the end)."""
    ends = [*starts[1:], len(line)]
    return [line[a:b].strip().replace("|", "\\|") for a, b in zip(starts, ends)]


def simple_tables_to_markdown(text: str) -> str:
    """Rewrite reStructuredText simple tables (header between two borders) as Markdown tables.

    A row whose first cell is empty continues the row above it, as in reStructuredText.
    Text without such a table comes back unchanged.
    """
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        top = TABLE_BORDER.match(lines[i])
        borders = [i]
        j = i + 1
        while top and j < len(lines) and len(borders) < 3:
            if TABLE_BORDER.match(lines[j]):
                borders.append(j)
            elif not lines[j].strip():
                break
            j += 1
        if len(borders) < 3:
            out.append(lines[i])
            i += 1
            continue
        starts = [m.start() for m in re.finditer(r"=+", lines[i])]
        header = _cells(lines[borders[0] + 1], starts)
        rows: list[list[str]] = []
        for line in lines[borders[1] + 1:borders[2]]:
            cells = _cells(line, starts)
            if rows and not cells[0]:
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
            else:
                rows.append(cells)
        indent = top["indent"]
        out += [indent + "| " + " | ".join(header) + " |",
                indent + "|" + " --- |" * len(starts)]
        out += [indent + "| " + " | ".join(row) + " |" for row in rows]
        i = borders[2] + 1
    return "\n".join(out)


def _public_modules() -> dict[str, str]:
    """``{name: subpackage}`` from ``_PUBLIC`` in vaekit/__init__.py (empty if it has none)."""
    init = Path(__file__).resolve().parents[2] / "vaekit" / "__init__.py"
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        if any(getattr(t, "id", None) == "_PUBLIC" for t in targets) and node.value is not None:
            return ast.literal_eval(node.value)
    return {}


class SphinxRoles(Extension):
    """Rewrite Sphinx roles in every docstring of a loaded package into autorefs."""

    def __init__(self) -> None:
        super().__init__()
        self.public = _public_modules()

    def on_package(self, *, pkg, **kwargs) -> None:
        """Walk the package once it is loaded and rewrite each object's docstring."""
        stack = [pkg]
        while stack:
            obj = stack.pop()
            if obj.is_alias:
                continue
            if obj.docstring is not None:
                text = simple_tables_to_markdown(obj.docstring.value)
                obj.docstring.value = ROLE.sub(lambda m, o=obj: self._link(m, o), text)
            stack.extend(member for member in obj.members.values() if not member.is_alias)

    def _candidates(self, target: str, obj) -> list[str]:
        parts = target.split(".")
        if parts[0] == "vaekit" and len(parts) >= 2 and parts[1] in self.public:
            rest = ".".join(parts[1:])
            # Second candidate: a function rendered from its module because it shares the
            # module's name (vaekit.semi_supervised.finetune.finetune).
            return [f"{self.public[parts[1]]}.{rest}", f"{self.public[parts[1]]}.{parts[1]}.{rest}"]
        if len(parts) > 1:
            return [target]
        module = obj.module
        scope = obj if obj.is_class else obj.parent
        candidates = []
        if scope is not None and scope.is_class:
            candidates.append(f"{scope.path}.{target}")
        in_package = module.is_package or module.is_subpackage  # an __init__.py
        package = module.path if in_package else module.path.rsplit(".", 1)[0]
        candidates += [f"{package}.{target}", f"{module.path}.{target}",
                       f"{package}.{target}.{target}"]
        return list(dict.fromkeys(candidates))  # autorefs tries the first two

    def _link(self, match: re.Match, obj) -> str:
        target = (match["explicit"] or match["target"]).strip()
        title = match["target"].strip()
        if match["tilde"]:
            title = title.rsplit(".", 1)[-1]
        first, *rest = self._candidates(target.lstrip("~"), obj)
        slug = f' slug="{html.escape(rest[0])}"' if rest else ""
        return (f'<autoref identifier="{html.escape(first)}"{slug} optional>'
                f"<code>{html.escape(title)}</code></autoref>")
