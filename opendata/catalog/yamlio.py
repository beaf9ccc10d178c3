"""YAML loading that remembers where every value came from.

Stewards fix errors in their editor, so every error must say ``file:line:column``.  PyYAML's
composer already knows each node's position; we walk the node tree once and record the
position of every key and value by its path (``("resources", 0, "path")``).

Manifests come from pull requests, so they are untrusted input: only regular files are
read (a FIFO would block forever), their size is capped, and the node tree is walked with
a budget before anything is constructed -- nesting depth, total nodes, and the expansion
of aliases (a "billion laughs" of a few lines would otherwise take minutes and gigabytes).
Duplicate keys are errors, not a silent "last one wins".
"""

from __future__ import annotations

import datetime as dt
import os
import stat as stat_mod
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


@dataclass(frozen=True)
class Budget:
    """Limits on one YAML document; far above any real manifest, far below a bomb."""

    max_bytes: int = 16 << 20
    max_depth: int = 64
    max_nodes: int = 2_000_000
    #: nodes reached again through aliases, beyond the document's own nodes
    max_alias_expansion: int = 100_000


DEFAULT_BUDGET = Budget()


class _Refused(Exception):
    """The document breaks the budget or has a duplicate key: message and node."""

    def __init__(self, message: str, node: yaml.Node, hint: str):
        super().__init__(message)
        self.message = message
        self.node = node
        self.hint = hint


def _walk(root: yaml.Node, budget: Budget) -> dict[PathKey, tuple[int, int]]:
    """Positions of every path, walking aliases as the constructor would, within budget.

    Refuses duplicate keys, documents nested deeper than ``max_depth``, recursive
    aliases and alias expansion beyond the budget -- before construction, which would
    spend the time and memory."""
    out: dict[PathKey, tuple[int, int]] = {}
    seen: set[int] = set()
    visits = 0
    # iterative: a deep document must not exhaust Python's stack
    stack: list[tuple[yaml.Node, PathKey, tuple[int, ...]]] = [(root, (), ())]
    while stack:
        node, path, ancestors = stack.pop()
        visits += 1
        if id(node) in ancestors:
            raise _Refused("recursive alias: a node contains itself", node,
                           "Remove the alias (*name) that points at its own parent.")
        if len(ancestors) > budget.max_depth:
            raise _Refused(f"nested deeper than {budget.max_depth} levels", node,
                           "A manifest is a few levels deep; this is not one.")
        seen.add(id(node))
        if visits > budget.max_nodes or visits - len(seen) > budget.max_alias_expansion:
            raise _Refused("too many values once aliases are expanded (an alias bomb?)",
                           node, "Write the values out instead of nesting aliases (*name).")
        out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        inner = ancestors + (id(node),)
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, yaml.Node] = {}
            children = []
            for key_node, value_node in node.value:
                key = key_node.value
                if isinstance(key_node, yaml.ScalarNode) and key != "<<":
                    if key in keys:
                        first = keys[key].start_mark.line + 1
                        raise _Refused(f"duplicate key {key!r} (first at line {first})",
                                       key_node, "Keep one of the two: YAML keys are unique.")
                    keys[key] = key_node
                here = path + (key,) if isinstance(key, str | int) else path
                out[here] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                children.append((value_node, here, inner))  # setdefault keeps the key's position
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(item, path + (i,), inner)
                                   for i, item in enumerate(node.value)]))
    return out


def read_regular(file: Path, max_bytes: int) -> bytes:
    """The bytes of ``file``, which must be a regular file of at most ``max_bytes``.

    Opened non-blocking and checked with ``fstat`` on the open descriptor, so a FIFO or a
    device is refused instead of blocking, and nothing can swap the file in between.
    Raises ``OSError`` (``ENOENT``...) or ``ValueError`` with the reason."""
    fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):
            kind = "a folder" if stat_mod.S_ISDIR(st.st_mode) else "not a regular file"
            raise ValueError(f"is {kind} (a FIFO, device or socket is never read)"
                             if kind != "a folder" else "is a folder, not a file")
        if st.st_size > max_bytes:
            raise ValueError(f"is {st.st_size} bytes, more than the {max_bytes} allowed")
        chunks = []
        size = 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise ValueError(f"is more than the {max_bytes} bytes allowed")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_yaml(file: Path, *, config: bool = False, budget: Budget = DEFAULT_BUDGET) -> Located:
    """Parse ``file`` and return data with positions.

    Raises :class:`ManifestError` (or :class:`ConfigError` when ``config`` is true) with the
    line and column of a syntax error, a duplicate key or a document over ``budget``.
    """
    err_cls = ConfigError if config else ManifestError
    try:
        raw = read_regular(file, budget.max_bytes)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise err_cls(f"{file}: file not found") from None
    except UnicodeDecodeError as exc:
        raise err_cls(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                      "Save the file as UTF-8.") from None
    except ValueError as exc:
        raise err_cls(f"{file}: {exc}", "Give a YAML text file.") from None
    except OSError as exc:
        raise err_cls(f"{file}: cannot read ({exc.strerror})") from None
    hint = "Check indentation and quoting around that line; quote values containing ': ' or '#'."
    try:
        # parse once: the node tree gives the positions, constructing it gives the data
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            positions = _walk(node, budget) if node is not None else {}
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _Refused as exc:
        line, col = exc.node.start_mark.line + 1, exc.node.start_mark.column + 1
        if config:
            raise ConfigError(f"{file}:{line}:{col}: {exc.message}", exc.hint) from None
        raise ManifestError(exc.message, exc.hint, path=str(file), line=line,
                            column=col) from None
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
        if config:
            raise ConfigError(f"{file}:{line}:{col}: YAML syntax error: {problem}", hint) from None
        raise ManifestError(f"YAML syntax error: {problem}", hint, path=str(file), line=line,
                            column=col) from None
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as exc:
        # reader errors (control characters) carry no mark; unhashable keys are TypeErrors
        raise err_cls(f"{file}: not readable as YAML ({str(exc).splitlines()[0][:200]})",
                      hint) from None
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
