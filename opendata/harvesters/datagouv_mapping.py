"""Manifest <-> udata mapping: tags, descriptions, granularities, frequencies, and udata's
validation errors translated back to the manifest field a steward edits.

Pure functions and tables, no HTTP: the portal adapter (:mod:`.datagouv`) uses them, and
so can an importer reading udata back."""

from __future__ import annotations

import re
from typing import Any

from slugify import slugify

from opendata.catalog.vocab import FREQUENCIES

MB = 1024 * 1024

#: udata's limits (``udata/core/dataset/constants.py``, ``TAG_MIN/MAX_LENGTH`` settings).
DESCRIPTION_SHORT_MAX = 200
TAG_MIN, TAG_MAX = 3, 96

#: manifest ``spatial.level`` -> udata granularity id (data.gouv.fr's GeoLevels)
GRANULARITIES = {"country": "country", "region": "fr:region", "department": "fr:departement",
                 "commune": "fr:commune"}

#: what data.gouv.fr knows, assumed when an instance cannot list its granularities
DEFAULT_GRANULARITIES = frozenset({"country", "fr:region", "fr:departement", "fr:commune",
                                   "other", "poi"})

#: udata field -> manifest field, for error messages a steward can act on
FIELD_MAP = {
    "title": "title", "description": "description", "description_short": "description",
    "license": "licence", "frequency": "frequency", "temporal_coverage": "temporal",
    "spatial": "spatial", "tags": "keywords", "private": "private", "extras": "extras",
    "organization": "organization", "resources": "resources",
}

RESOURCE_FIELD_MAP = {
    "title": "title", "description": "description", "format": "format", "url": "url",
    "type": "type", "schema": "schema", "mime": "mediatype", "checksum": "path",
    "filesize": "path", "filetype": "path", "file": "path", "extras": "extras",
}

#: frequency ids udata 17 accepts (``UpdateFrequency``); vocab.FREQUENCIES maps into these
UDATA_FREQUENCIES = frozenset(v[1] for v in FREQUENCIES.values())

def normalise_tag(keyword: str) -> str:
    """A keyword as udata stores it: lower-case ASCII slug (``tags.slug``), so that what we
    send is what we read back.  udata slugs with awesome-slugify, which drops ASCII
    apostrophes (``d'entreprises`` -> ``dentreprises``) where python-slugify splits."""
    return slugify(keyword.lower().replace("'", ""))

def normalise_tags(keywords: list[str]) -> tuple[list[str], list[str]]:
    """(tags udata will keep, sorted and unique; keywords that cannot be kept, with why)."""
    kept: set[str] = set()
    dropped: list[str] = []
    for keyword in keywords:
        tag = normalise_tag(keyword)
        if TAG_MIN <= len(tag) <= TAG_MAX:
            kept.add(tag)
        else:
            dropped.append(f"{keyword!r} (slug {tag!r} is not {TAG_MIN}-{TAG_MAX} characters)")
    return sorted(kept), dropped

def short_description(text: str, limit: int = DESCRIPTION_SHORT_MAX) -> str:
    """First sentence of the first paragraph, Markdown emphasis removed, at most ``limit``
    characters (udata refuses longer), cut at a word with an ellipsis when needed."""
    para = next((p.strip() for p in re.split(r"\n\s*\n|\n", text.strip()) if p.strip()), "")
    para = re.sub(r"[*_`#>]+", "", para).strip()
    match = re.match(r"(.+?[.!?])(\s|$)", para)
    sentence = match.group(1) if match else para
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:") + "…"

def _ref_id(value: Any) -> Any:
    """udata sends references as ids, or as objects with an ``id`` when asked for full
    objects: accept both."""
    return value.get("id") if isinstance(value, dict) else value

def _date(value: Any) -> str | None:
    return str(value)[:10] if value else None

def _plain(value: Any) -> Any:
    """A manifest extra as JSON (YAML dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)

def map_field_errors(errors: dict[str, Any], resource: str | None = None
                     ) -> dict[str, list[str]]:
    """udata's ``{"errors": {field: [messages]}}`` (nested for sub-forms) -> manifest field
    -> messages, e.g. ``tags`` -> ``keywords (udata: tags)``."""
    out: dict[str, list[str]] = {}

    def walk(value: Any, path: list[str]) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, [*path, str(key)])
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            out.setdefault(_manifest_field(path, resource), []).extend(value)
        elif isinstance(value, list):
            for i, sub in enumerate(value):
                walk(sub, [*path, str(i)])
        elif value is not None:
            out.setdefault(_manifest_field(path, resource), []).append(str(value))

    walk(errors, [])
    return out

def _manifest_field(path: list[str], resource: str | None) -> str:
    udata = ".".join(path) or "(request)"
    if resource is not None:
        head = path[0] if path else ""
        name = f"resources[{resource}].{RESOURCE_FIELD_MAP.get(head, head)}"
        return f"{name} (udata: {udata})"
    head = path[0] if path else ""
    if head == "resources" and len(path) > 2:
        return f"resources[{path[1]}].{RESOURCE_FIELD_MAP.get(path[2], path[2])} (udata: {udata})"
    manifest = FIELD_MAP.get(head, head)
    if head == "spatial" or manifest == udata:
        return manifest if manifest == udata else f"{manifest} (udata: {udata})"
    return f"{manifest} (udata: {udata})"
