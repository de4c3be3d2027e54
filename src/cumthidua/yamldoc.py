"""YAML mappings that remember where each key and value stands in the file.

Both ``site.yaml`` and front matter need errors that point at the real line of
the file, and need a scalar's text as written (``tags: [no]`` is the word
"no", not ``False``), so we keep PyYAML's nodes beside the loaded values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostics

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_DEPTH = 100  # nesting of lists and mappings; far deeper input crashes libyaml's recursive composer
_NESTING_MARKS = ("[", "{", "-", ":", "?")


@dataclass(frozen=True)
class Field:
    """One ``key: value`` pair of a mapping, with 1-based file positions."""

    key: str
    value: Any
    node: yaml.Node
    line: int
    col: int
    key_line: int
    key_col: int

    @property
    def text(self) -> str | None:
        """The scalar exactly as written, or None for lists and mappings."""
        return self.node.value if isinstance(self.node, yaml.ScalarNode) else None

    def item_texts(self) -> list[tuple[str, int, int]] | None:
        """For a list of scalars: each item's text and position; else None."""
        if not isinstance(self.node, yaml.SequenceNode):
            return None
        items = []
        for item in self.node.value:
            if not isinstance(item, yaml.ScalarNode):
                return None
            items.append((item.value, item.start_mark.line + 1 + self._offset, item.start_mark.column + 1))
        return items

    @property
    def _offset(self) -> int:
        return self.line - 1 - self.node.start_mark.line


def load_mapping(
    text: str, path: Path | str, diagnostics: Diagnostics, line_offset: int = 0
) -> dict[str, Field] | None:
    """Parse ``text`` as a YAML mapping; report problems at the file's lines.

    ``line_offset`` is how many lines of the file come before ``text`` (the
    opening ``---`` of front matter). Returns None after reporting an error.
    """
    too_deep = _too_deep(text)
    if too_deep is not None:
        line, col = too_deep
        diagnostics.error(path, line + line_offset, col, f"YAML nested more than {MAX_DEPTH} levels deep")
        return None
    loader = Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return {}
        if not isinstance(root, yaml.MappingNode):
            mark = root.start_mark
            diagnostics.error(
                path, mark.line + 1 + line_offset, mark.column + 1, "expected a mapping of `key: value` lines"
            )
            return None
        fields: dict[str, Field] = {}
        for key_node, value_node in root.value:
            kmark, vmark = key_node.start_mark, value_node.start_mark
            key_line, key_col = kmark.line + 1 + line_offset, kmark.column + 1
            if not isinstance(key_node, yaml.ScalarNode):
                diagnostics.error(path, key_line, key_col, "a key must be a plain word")
                continue
            key = key_node.value
            if key in fields:
                first = fields[key]
                diagnostics.error(
                    path, key_line, key_col, f"duplicate key `{key}` (first given on line {first.key_line})"
                )
                continue
            try:
                value = loader.construct_object(value_node, deep=True)
            except yaml.YAMLError:
                raise
            except Exception as exc:  # 2020-02-30, 24:00, !!int abc, !!timestamp nope: PyYAML fails in many ways
                if isinstance(value_node, yaml.ScalarNode):
                    value = value_node.value  # as written: the field's own check says what is wrong with it
                else:
                    line, col = vmark.line + 1 + line_offset, vmark.column + 1
                    diagnostics.error(path, line, col, f"`{key}` holds an impossible value: {exc}")
                    continue
            fields[key] = Field(
                key, value, value_node, vmark.line + 1 + line_offset, vmark.column + 1, key_line, key_col
            )
        return fields
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1 + line_offset, mark.column + 1) if mark else (1 + line_offset, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        diagnostics.error(path, line, col, f"invalid YAML: {problem}")
        return None
    except yaml.YAMLError as exc:
        diagnostics.error(path, 1 + line_offset, 1, f"invalid YAML: {exc}")
        return None
    except RecursionError:
        diagnostics.error(path, 1 + line_offset, 1, "YAML nested too deeply")
        return None
    finally:
        loader.dispose()


def _too_deep(text: str) -> tuple[int, int] | None:
    """Where lists and mappings nest past :data:`MAX_DEPTH` (1-based line, col), read from the event stream.

    Each level needs one of ``[ { - : ?``, so ordinary texts are passed without parsing them twice.
    """
    if sum(text.count(mark) for mark in _NESTING_MARKS) < MAX_DEPTH:
        return None
    try:
        return _first_too_deep(yaml.parse(text, Loader=Loader))
    except yaml.YAMLError as exc:
        # libyaml 0.2.5+ stops at its own depth limit while scanning ahead, before it yields the events we
        # count; PyYAML's pure-Python parser has no such limit and finds the same place ours does.
        if Loader is yaml.SafeLoader or "nesting depth" not in str(exc):
            return None  # reported by the real parse
    try:
        return _first_too_deep(yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def _first_too_deep(events: Iterator[yaml.Event]) -> tuple[int, int] | None:
    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return event.start_mark.line + 1, event.start_mark.column + 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None
