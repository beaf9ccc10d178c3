"""YAML loading that remembers where every value came from.

Stewards fix errors in their editor, so every error must say ``file:line:column``.  PyYAML's
composer already knows each node's position; we walk the node tree once and record the
position of every key and value by its path (``("resources", 0, "path")``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opendata.errors import ConfigError, ManifestError

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """A loaded YAML document plus the line/column (1-based) of every path in it."""

    data: Any
    file: Path
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: PathKey) -> tuple[int, int]:
        """Position of ``path``, or of its nearest existing parent (a missing field is
        reported where its parent mapping starts)."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))


_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader that keeps dates as ISO strings: manifests are data, and JSON Schema,
    DCAT and every portal want ``YYYY-MM-DD`` text, not ``datetime.date`` objects.

    It uses libyaml (``CSafeLoader``) when PyYAML was built with it: same safety, same
    node marks, several times faster on a catalog of thousands of manifests."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _walk(node: yaml.Node, path: PathKey, out: dict[PathKey, tuple[int, int]]) -> None:
    out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, path + (key,), out)  # setdefault keeps the key's position
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), out)


def load_yaml(file: Path, *, config: bool = False) -> Located:
    """Parse ``file`` and return data with positions.

    Raises :class:`ManifestError` (or :class:`ConfigError` when ``config`` is true) with the
    line and column of a syntax error.
    """
    err_cls = ConfigError if config else ManifestError
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise err_cls(f"{file}: file not found") from None
    except UnicodeDecodeError as exc:
        raise err_cls(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                      "Save the file as UTF-8.") from None
    except OSError as exc:
        raise err_cls(f"{file}: cannot read ({exc.strerror})") from None
    try:
        # parse once: the node tree gives the positions, constructing it gives the data
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = exc.problem or str(exc)
        if exc.context and exc.context_mark and exc.problem_mark and (
                exc.context_mark.line != exc.problem_mark.line):
            # "expected ',' or ']'" at the end of the file: the line that opened it matters
            problem += (f" ({exc.context} started at line {exc.context_mark.line + 1}, "
                        f"column {exc.context_mark.column + 1})")
        hint = "Check indentation and quoting around that line; quote values containing ': ' or '#'."
        if config:
            raise ConfigError(f"{file}:{line}:{col}: YAML syntax error: {problem}", hint) from None
        raise ManifestError(f"YAML syntax error: {problem}", hint, path=str(file), line=line,
                            column=col) from None
    positions: dict[PathKey, tuple[int, int]] = {}
    if node is not None:
        _walk(node, (), positions)
    return Located(data=_plain(data), file=file, positions=positions)


def _plain(value: Any) -> Any:
    """Dates that slipped through as objects (never with our loader) become ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
