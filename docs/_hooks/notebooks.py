"""MkDocs hook: render every committed ``notebooks/*.ipynb`` without listing each by hand.

The notebooks live in the repository's ``notebooks/`` folder, outside ``docs/``.
``on_config`` fills the nav section titled "Notebooks" with one entry per
notebook found (sorted by file name), and ``on_files`` adds each notebook to the
site as ``notebooks/<name>.ipynb`` before mkdocs-jupyter converts it (that
plugin only picks up files that exist when its own ``on_files`` runs, hence the
priority). mkdocs-jupyter renders the committed outputs; it executes nothing.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

SECTION = "Notebooks"


def _notebooks(config) -> list[Path]:
    """Return the repository's ``notebooks/*.ipynb``, sorted by name."""
    root = Path(config["config_file_path"]).parent
    return sorted((root / "notebooks").glob("*.ipynb"))


def on_config(config):
    """Append one nav entry per notebook to the "Notebooks" section of the nav."""
    for item in config["nav"] or []:
        if isinstance(item, dict) and SECTION in item:
            entries = list(item[SECTION])
            listed = {entry for entry in entries if isinstance(entry, str)}
            for path in _notebooks(config):
                uri = f"notebooks/{path.name}"
                if uri not in listed:
                    entries.append(uri)
            item[SECTION] = entries
            return config
    raise ValueError(f"mkdocs.yml: the nav has no section titled {SECTION!r} for the notebooks")


@event_priority(100)
def on_files(files, config):
    """Add each notebook as ``notebooks/<name>.ipynb`` so mkdocs-jupyter renders it."""
    for path in _notebooks(config):
        # A plain File whose source folder is the repository root: its src_uri is then
        # both the notebook's path there and its place on the site. (File.generated
        # keeps the path where mkdocs-jupyter's file wrapper cannot see it.)
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(path.parent.parent),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files
