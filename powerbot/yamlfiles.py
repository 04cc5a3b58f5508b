"""YAML files from operators (mappings, schedules), read without anchors and aliases: a few
hundred bytes of nested aliases or merge keys stand for millions of values, and PyYAML
builds every one of them."""

from __future__ import annotations

from typing import Any

import yaml


class AliasesRefused(ValueError):
    pass


def load(text: str) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree (for line numbers). Raises yaml.YAMLError for what is not
    YAML, AliasesRefused for a document that uses aliases, RecursionError when nested too deeply."""
    root = yaml.compose(text)  # nodes only: an alias is the same node met again, which costs nothing
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise AliasesRefused("anchors and aliases (&name, *name, <<: *name) are not allowed: write each value out")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack += [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return yaml.safe_load(text), root
