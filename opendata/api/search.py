"""``package_search`` without Solr: the subset of Solr syntax CKAN clients send.

Supported, as CKAN does it: ``q`` (words, all required, matched against title, notes,
tags, organisation, resource names and extras; ``field:value`` terms; ``*:*``), ``fq``
(``field:value`` clauses, all required; quoted values; ``-`` negation;
``field:(a OR b)``; fields ``name``, ``id``, ``organization``, ``owner_org``, ``tags``,
``res_format``, ``license_id``, ``type``, ``capacity``, ``extras_<key>`` (words) and an
extra's own key (exact value, as CKAN indexes extras)), ``sort`` (``name``,
``title_string``, ``metadata_modified``, ``metadata_created``, ``score``; ``asc`` or
``desc``; comma-separated), ``facet.field``.  Everything is precomputed per package at
start, so a search is one pass over the packages.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from typing import Any

WORD = re.compile(r"\w+", re.UNICODE)
#: fields matched word by word (the others hold exact values)
WORD_FIELDS = frozenset({"title", "text", "notes"})
SORT_FIELDS = {"name", "title_string", "metadata_modified", "metadata_created", "score", "id"}
CLAUSE = re.compile(r'(-?\+?)([\w.]+):("(?:[^"\\]|\\.)*"|\([^)]*\)|\S+)')


class SearchError(ValueError):
    """A query CKAN would answer with 400 ``Search Query Error``."""


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def words(text: str) -> set[str]:
    return set(WORD.findall(fold(text)))


@dataclass
class Doc:
    pkg: dict[str, Any]
    text: set[str]
    fields: dict[str, set[str]] = field(default_factory=dict)
    extra_words: dict[str, set[str]] = field(default_factory=dict)


def index(pkg: dict[str, Any]) -> Doc:
    org = pkg.get("organization") or {}
    extras = {e["key"]: str(e["value"]) for e in pkg.get("extras") or []}
    tags = [t["name"] for t in pkg.get("tags") or []]
    text = " ".join([pkg.get("name", ""), pkg.get("title", ""), pkg.get("notes", ""),
                     " ".join(tags), org.get("title", ""), org.get("name", ""),
                     " ".join(r.get("name", "") + " " + r.get("description", "")
                              for r in pkg.get("resources") or []),
                     " ".join(v for k, v in extras.items() if not k.startswith("opendata_"))])
    fields = {
        "name": {pkg["name"]}, "id": {pkg["id"]}, "organization": {org.get("name", "")},
        "owner_org": {pkg.get("owner_org") or ""}, "tags": set(tags),
        "res_format": {r.get("format", "") for r in pkg.get("resources") or []},
        "license_id": {pkg.get("license_id") or ""}, "type": {pkg.get("type", "dataset")},
        "dataset_type": {pkg.get("type", "dataset")},
        "capacity": {"private" if pkg.get("private") else "public"},
        "title": words(pkg.get("title", "")), "text": words(text),
        "notes": words(pkg.get("notes", "")),
    }
    for key, value in extras.items():
        fields.setdefault(key, {value})
    return Doc(pkg=pkg, text=words(text), fields=fields,
               extra_words={k: words(v) for k, v in extras.items()})


def _values(raw: str) -> tuple[list[str], bool]:
    """The value(s) of a clause and whether it was quoted (exact phrase)."""
    if raw.startswith("(") and raw.endswith(")"):
        inner = raw[1:-1]
        parts = [p for p in re.split(r"\s+OR\s+", inner.strip()) if p]
        return [p.strip('"') for p in parts], True
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return [raw[1:-1].replace('\\"', '"')], True
    return [raw.replace("\\", "")], False


def _clause_matches(doc: Doc, name: str, raw: str) -> bool:
    values, _quoted = _values(raw)
    if name.startswith("extras_"):
        key = name[len("extras_"):]
        if key not in doc.extra_words:
            return False
        have = doc.extra_words[key]
        return any(v == "*" or (bool(words(v)) and words(v) <= have) for v in values)
    if name in ("title", "text", "notes"):
        have = doc.fields[name]
        return any(words(v) <= have for v in values)
    have = doc.fields.get(name)
    if have is None:
        return False
    if "*" in values:
        return bool(have - {""})
    return any(v in have for v in values)


def parse_clauses(query: str) -> tuple[list[tuple[bool, str, str]], list[str]]:
    """``field:value`` clauses (negated?, field, raw value) and the free words left."""
    clauses = [("-" in m.group(1), m.group(2), m.group(3)) for m in CLAUSE.finditer(query)]
    rest = CLAUSE.sub(" ", query)
    try:
        free = shlex.split(rest.replace("'", " "))
    except ValueError:
        free = rest.split()
    free = [w for w in free if w.upper() not in ("AND", "OR", "+", "*:*", "*")]
    return clauses, free


def matches(doc: Doc, clauses: list[tuple[bool, str, str]], free: list[str]) -> int | None:
    """None when ``doc`` does not match, else its score (free words found)."""
    for negated, name, raw in clauses:
        if name == "*" and raw == "*":
            continue
        if _clause_matches(doc, name, raw) == negated:
            return None
    score = 0
    for term in free:
        term_words = words(term)
        if not term_words <= doc.text:
            return None
        score += len(term_words)
    return score


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """``"name asc, metadata_modified desc"`` -> [(field, descending)]; bad input raises."""
    out = []
    for part in sort.split(","):
        bits = part.split()
        if len(bits) != 2 or bits[0] not in SORT_FIELDS or bits[1].lower() not in ("asc", "desc"):
            raise SearchError("Search Query is invalid: 'Invalid \"sort\" parameter'")
        out.append((bits[0], bits[1].lower() == "desc"))
    return out


def sort_key(name: str, doc: Doc, score: int) -> Any:
    pkg = doc.pkg
    if name == "score":
        return score
    if name == "title_string":
        return fold(pkg.get("title") or "")
    return pkg.get(name) or ""


def facet_values(doc: Doc, name: str) -> set[str]:
    if name == "organization":
        return doc.fields["organization"] - {""}
    if name in doc.fields:
        return doc.fields[name] - {""}
    return set()
