"""Reading pipeline YAML strictly: a key given twice in one mapping is an error.

PyYAML's ``safe_load`` keeps the last of two equal keys and drops the first
without a word, so a file with two ``pretrain:`` blocks would run with only the
second. :class:`UniqueKeyLoader` refuses it, naming the key and both lines.
"""

from __future__ import annotations

import yaml

__all__ = ["DuplicateKeyError", "UniqueKeyLoader", "load_yaml"]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping holds the same key twice (``problem_mark`` is the second one)."""


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that raises :class:`DuplicateKeyError` on a repeated key.

    Keys brought in by a merge (``<<: *defaults``) may be overridden, as YAML
    intends; only keys written twice in the same mapping are refused.
    """

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                if first is not key_node:
                    raise DuplicateKeyError(
                        None, None,
                        f"key {key!r} appears twice in the same mapping (lines "
                        f"{first.start_mark.line + 1} and {key_node.start_mark.line + 1}); "
                        "keep one (YAML would not merge them: the second would replace the first)",
                        key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str):
    """Parse ``text`` as YAML with :class:`UniqueKeyLoader`.

    Parameters
    ----------
    text : str
        The YAML document.

    Returns
    -------
    object
        Plain data, as ``yaml.safe_load`` returns.

    Raises
    ------
    DuplicateKeyError
        If a mapping holds a key twice.
    yaml.YAMLError
        If the text is not valid YAML.
    """
    return yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
