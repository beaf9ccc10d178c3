"""Foreign keys between resources of one dataset: what both validation paths need to know.

A Table Schema's ``foreignKeys`` may point at another resource of the same dataset
(``reference: {resource: communes, fields: code}``) or at the file itself
(``resource: ""``).  Each path is handed the referenced resources as :class:`Reference`:
the file to read (a spreadsheet's CSV copy, a normalised copy), its schema and dialect.
The finding for a value not found is worded here once, so both paths say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opendata.validation import messages

#: Table Schema types whose values are lists or dicts: Frictionless cannot key them
UNHASHABLE_TYPES = frozenset({"array", "object", "geojson"})


@dataclass(frozen=True)
class Reference:
    """A resource another one's foreign key points at, as a CSV to read."""

    name: str
    file: Path
    descriptor: dict[str, Any]
    dialect: dict[str, Any]
    fmt: str = "csv"
    #: why a resource of the dataset cannot be read for its keys (then ``file`` is its
    #: path in the manifest, not read): the finding says so, not that it does not exist
    unreadable: str | None = None


def readable(references: dict[str, Reference] | None) -> dict[str, Reference]:
    """The references whose keys can be read."""
    return {n: r for n, r in (references or {}).items() if r.unreadable is None}


def referenced_names(schema: dict[str, Any], own: str) -> list[str]:
    """The other resources ``schema``'s foreign keys point at (not the file itself)."""
    out: list[str] = []
    for fk in schema.get("foreignKeys") or []:
        ref = fk.get("reference") if isinstance(fk, dict) else None
        name = ref.get("resource") if isinstance(ref, dict) else None
        if isinstance(name, str) and name and name != own and name not in out:
            out.append(name)
    return out


def shown_values(values: list[Any]) -> str:
    """A key's values as the finding shows them: Frictionless' typed values, joined."""
    return ", ".join("" if v is None else str(v) for v in values)


def foreign_key_issue_text(values: list[Any], fields: list[str], resource: str,
                           reference: list[str], own: str) -> tuple[str, str | None]:
    """(message, hint) for a row whose key ``values`` of ``fields`` is not among the
    ``reference`` fields of ``resource`` (the file itself when empty or ``own``)."""
    target = resource or own
    return (messages.text("foreign-key", value=f"'{shown_values(values)}'",
                          fields=", ".join(fields), resource=target,
                          reference=", ".join(reference)),
            messages.hint("foreign-key"))


def unhashable_issue(base: dict[str, Any], what: str, ftype: str) -> dict[str, Any]:
    """The finding for a key (unique, primaryKey, foreignKeys) over a list or dict type
    that the reference path cannot check: one clear finding instead of a crash."""
    return {**base, "code": "key-type-unsupported",
            "message": messages.text("key-type-unsupported", what=what, type=ftype),
            "hint": messages.hint("key-type-unsupported")}


def drop_unhashable_keys(schema: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """``schema`` without the keys Frictionless crashes on (``unique``, ``primaryKey``,
    ``foreignKeys`` over an array, object or geojson field: their values are lists and
    dicts), and (what, type) for each key dropped, so the reference path reports them."""
    import copy

    types = {f.get("name"): f.get("type", "string") for f in schema.get("fields") or []
             if isinstance(f, dict)}
    odd = {n for n, t in types.items() if t in UNHASHABLE_TYPES}
    if not odd:
        return schema, []
    out = copy.deepcopy(schema)
    dropped: list[tuple[str, str]] = []
    for fld in out.get("fields") or []:
        cons = fld.get("constraints") if isinstance(fld, dict) else None
        if fld.get("name") in odd and isinstance(cons, dict) and cons.get("unique"):
            cons.pop("unique")
            dropped.append(("unique", types[fld["name"]]))
    pk = out.get("primaryKey")
    pk_fields = [pk] if isinstance(pk, str) else list(pk or [])
    hit = [f for f in pk_fields if f in odd]
    if hit:
        out.pop("primaryKey")
        dropped.append(("primaryKey", types[hit[0]]))
    kept = []
    for fk in out.get("foreignKeys") or []:
        fields = fk.get("fields") if isinstance(fk, dict) else None
        names = [fields] if isinstance(fields, str) else list(fields or [])
        hit = [f for f in names if f in odd]
        if hit:
            dropped.append(("foreignKeys", types[hit[0]]))
        else:
            kept.append(fk)
    if "foreignKeys" in out:
        out["foreignKeys"] = kept
    return out, dropped

