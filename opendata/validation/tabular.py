"""Validating one tabular file against its Table Schema, French files included.

Frictionless does the row-by-row work (streaming, so memory stays flat on large files).
Before it runs we read the file once ourselves to hash it and to check the two things that
otherwise drown a steward in thousands of type errors: the encoding and the delimiter.
"""

from __future__ import annotations

import codecs
import copy
import hashlib
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata.checksums import remember
from opendata.validation import messages
from opendata.validation.custom_checks import build_rules
from opendata.validation.headers import match_header, parse_header
from opendata.validation.messages import N_, _
from opendata.validation.references import (
    Reference,
    drop_unhashable_keys,
    foreign_key_issue_text,
    readable,
    referenced_names,
    unhashable_issue,
)
from opendata.validation.report import Issue

CHUNK = 1 << 20
#: Frictionless stops collecting after this many errors in one file.
LIMIT_ERRORS = 1000
DELIMITERS = [",", ";", "\t", "|"]
_NON_ASCII = re.compile(rb"[\x80-\xff]")


@dataclass
class FileFacts:
    """What one streaming pass over a file tells us."""

    sha256: str
    size: int
    first_line: str = ""
    encoding_error: str | None = None
    encoding_line: int | None = None
    bom: bool = False
    looks_utf8: bool = False
    #: line of the first non-ASCII byte (where a wrong 8-bit encoding would first show)
    non_ascii_line: int | None = None
    #: the first bytes, to tell a compressed, UTF-16 or binary file from a mis-declared one
    head: bytes = b""


@dataclass
class TableResult:
    rows: int | None
    issues: list[Issue] = field(default_factory=list)
    truncated: bool = False


_MAGIC = [(b"\x1f\x8b", N_("gzip-compressed"), N_("Decompress it (gunzip) and point `path:` at "
            "the CSV inside.")),
           (b"PK\x03\x04", N_("a zip archive (an .xlsx or .ods spreadsheet, or a .zip)"),
            N_("Extract the CSV and point `path:` at it, or export the sheet as CSV (UTF-8).")),
           (b"BZh", N_("bzip2-compressed"),
            N_("Decompress it (bunzip2) and point `path:` at the CSV.")),
           (b"\xfd7zXZ", N_("xz-compressed"),
            N_("Decompress it (unxz) and point `path:` at the CSV.")),
           (b"\x7fELF", N_("an executable program"), N_("Check that `path:` names the CSV file.")),
           (b"%PDF", N_("a PDF document"), N_("Give the data as CSV; a PDF is `format: pdf`.")),
           (b"\xd0\xcf\x11\xe0", N_("an old Excel/Office file"), N_("Export the sheet as CSV.")),
           (codecs.BOM_UTF16_LE, N_("UTF-16 text"), N_("Declare `dialect: {encoding: utf-16}`, "
            "or re-save the file as UTF-8.")),
           (codecs.BOM_UTF16_BE, N_("UTF-16 text"), N_("Declare `dialect: {encoding: utf-16}`, "
            "or re-save the file as UTF-8."))]


def describe_non_text(head: bytes) -> tuple[str, str] | None:
    """(what the file is, what to do) when its first bytes show it is not 8-bit or UTF-8
    text: compressed, an archive, UTF-16, or binary (NUL bytes).  None for text.  Both in
    the current language."""
    for magic, what, hint in _MAGIC:
        if head.startswith(magic):
            return _(what), _(hint)
    if b"\x00" in head:
        odd, even = head[1::2], head[0::2]
        if len(head) > 8 and odd.count(0) > len(odd) * 0.9 and sum(
                32 <= b < 127 or b in (9, 10, 13) for b in even) > len(even) * 0.9:
            return _("UTF-16 text (no BOM)"), _("Re-save the file as UTF-8.")
        return (_(_BINARY), _("Check that `path:` names the CSV file, not another kind of "
                              "file."))
    return None


_BINARY = N_("binary data (it contains NUL bytes), not delimited text")


def normalise_encoding(name: str | None) -> str:
    enc = (name or "utf-8").lower().replace("_", "-")
    try:
        return codecs.lookup(enc).name
    except LookupError:
        return enc


def _single_byte_gaps(encoding: str) -> bytes | None:
    """The bytes a single-byte encoding cannot decode (cp1252: 0x81 0x8d 0x8f 0x90 0x9d),
    or None for any other codec.  A chunk of a single-byte encoding without them decodes,
    so :func:`scan_file` need not decode it: finding five bytes runs at memchr speed,
    decoding 100 MB of cp1252 takes 0.1 s, and the engine decodes the file anyway."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name in ("latin-1", "iso8859-1"):
        return b""  # every byte is a character
    try:
        module = importlib.import_module(f"encodings.{name.replace('-', '_')}")
    except ImportError:
        return None
    table = getattr(module, "decoding_table", None)  # the charmap codecs (gencodec.py)
    if not isinstance(table, str) or len(table) != 256:
        return None
    return bytes(b for b in range(256) if table[b] == "\ufffe")


def _line_at(path: Path, offset: int) -> int:
    """The line number of byte ``offset`` of ``path``.  Counted when a finding needs it,
    not during the scan: counting every newline of a file cost a third of its hashing."""
    lines, done = 1, 0
    with path.open("rb") as fh:
        while done < offset and (chunk := fh.read(min(CHUNK, offset - done))):
            lines += chunk.count(b"\n")
            done += len(chunk)
    return lines


def scan_file(path: Path, encoding: str) -> FileFacts:
    """Hash the file and check it decodes with ``encoding``, in one streaming pass."""
    digest = hashlib.sha256()
    size = 0
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    gaps = _single_byte_gaps(encoding)
    # a file declared UTF-8 is decoded once: whether it looks like UTF-8 is whether it
    # decodes (decoding it twice cost a full second pass, 0.14 s per 100 MB of French text)
    declared_utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")
    facts = FileFacts(sha256="", size=0, looks_utf8=True)
    non_ascii = False
    stat = path.stat()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if size == 0:
                facts.bom = chunk.startswith(codecs.BOM_UTF8)
                facts.head = chunk[:4096]
            digest.update(chunk)
            if facts.encoding_error is None and (
                    size == 0 or gaps is None or any(b in chunk for b in gaps)):
                try:
                    text = decoder.decode(chunk)
                    if size == 0:
                        facts.first_line = text[:65536].lstrip("\ufeff").split("\n", 1)[0]
                except UnicodeDecodeError as exc:
                    offset = exc.start
                    bad = chunk[exc.start:exc.end]
                    facts.encoding_error = _(
                        "byte 0x{byte} at offset {offset} is not valid {encoding}").format(
                        byte=bad.hex(), offset=size + offset, encoding=encoding)
                    facts.encoding_line = _line_at(path, size + offset)
            if declared_utf8:
                facts.looks_utf8 = facts.encoding_error is None
            elif facts.looks_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    facts.looks_utf8 = False
            if not non_ascii and not chunk.isascii():  # C speed: no per-byte Python loop
                non_ascii = True
                first = _NON_ASCII.search(chunk).start()  # type: ignore[union-attr]
                facts.non_ascii_line = _line_at(path, size + first)
            size += len(chunk)
    if facts.encoding_error is None:
        try:  # a multi-byte character cut by the end of the file
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            facts.encoding_error = _("the file ends inside a {encoding} character (offset "
                                     "{offset})").format(encoding=encoding,
                                                         offset=size - (exc.end - exc.start))
            facts.encoding_line = _line_at(path, size)
    if declared_utf8:
        facts.looks_utf8 = facts.encoding_error is None
    elif facts.looks_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            facts.looks_utf8 = False
    facts.looks_utf8 = facts.looks_utf8 and non_ascii
    facts.sha256 = digest.hexdigest()
    if size == stat.st_size:  # unchanged while we read it: later steps reuse the hash
        remember(path, stat, facts.sha256)
    facts.size = size
    facts.first_line = facts.first_line.rstrip("\r")
    return facts


#: dialect keys that change how values parse, not just how the file is read
VALUE_OVERRIDES = ("decimalChar", "groupChar")


def _prepare_schema(descriptor: dict[str, Any], dialect: dict[str, Any], *,
                    by_name: bool = False, published: bool = False) -> dict[str, Any]:
    """The descriptor Frictionless runs: the dialect's decimalChar/groupChar on number
    fields lacking them (unless the schema is a published national one: data.gouv.fr reads
    values as the schema says), fields paired by name when the file has a header."""
    schema = copy.deepcopy(descriptor)
    if not published:
        for fld in schema.get("fields", []):
            if fld.get("type") == "number":
                for key in VALUE_OVERRIDES:
                    if key in dialect and key not in fld:
                        fld[key] = dialect[key]
    # schema.data.gouv.fr schemas carry keys Frictionless does not know; it ignores most,
    # but custom_checks is not a Table Schema property (custom_checks.py runs them).
    schema.pop("custom_checks", None)
    if by_name:
        schema["fieldsMatch"] = "partial"
    return schema


def conformance_warnings(base: dict[str, Any], dialect: dict[str, Any], schema: dict[str, Any],
                         published: str) -> list[Issue]:
    """One warning per dialect override that data.gouv.fr will not apply to a file
    declaring the published schema ``published``; both validation paths report these."""
    return [_issue(
        base, _("dialect `{key}: {value!r}` is not applied: data.gouv.fr checks this file "
                "against {schema} as published, which reads numbers with `.` as decimal mark "
                "and no group mark; values written the French way are reported as type "
                "errors there too").format(key=key, value=dialect[key], schema=published),
        "dialect-not-conformant",
        _("Export the file with the schema's own formats (`.` as decimal mark), or add "
          "`normalise: true` to the resource: opendata then publishes a normalised copy."),
        line=1, severity="warning") for key in _published_overrides(dialect, schema)]


def _published_overrides(dialect: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The dialect's value overrides that would change how some field of ``schema`` parses."""
    numbers = [f for f in schema.get("fields", []) if f.get("type") == "number"]
    return [k for k in VALUE_OVERRIDES if k in dialect and any(
        f.get(k, "." if k == "decimalChar" else "") != dialect[k] for f in numbers)]


def _issue(base: dict[str, Any], message: str, code: str, hint: str | None = None,
           **kw: Any) -> Issue:
    return Issue(message=message, code=code, hint=hint, **{**base, **kw})


def text_problems(base: dict[str, Any], facts: FileFacts, encoding: str) -> list[Issue]:
    """Why the file cannot be read as ``encoding`` text, with a hint that fits the cause:
    compressed, an archive, UTF-16, binary, a UTF-8 mark on a cp1252 file, or plainly
    another 8-bit encoding.  Empty when it decodes."""
    odd = describe_non_text(facts.head) if not encoding.startswith("utf-16") else None
    if odd is not None:
        nul = facts.head.find(b"\x00")
        if odd[0] == _(_BINARY) and nul >= 0:
            # text with NUL bytes in it: say where the first one is, as the columnar
            # engine does, so both paths give the same finding
            line = facts.head.count(b"\n", 0, nul) + 1
            return [_issue(base, _("line {line} holds NUL bytes: the file is {what}").format(
                line=line, what=odd[0]), "nul-byte", odd[1], line=line)]
        return [_issue(base, _("the file is {what}").format(what=odd[0]), "not-text", odd[1],
                       line=1)]
    if facts.encoding_error and facts.bom and encoding != "utf-8":
        return [_issue(
            base, _("the file starts with a UTF-8 byte order mark but is not {encoding}: "
                    "{error}").format(encoding=encoding, error=facts.encoding_error),
            "encoding-mismatch", _("Re-save the file without the mark, or as UTF-8 throughout."),
            line=facts.encoding_line)]
    if facts.encoding_error and facts.bom:
        return [_issue(
            base, _("the file starts with a UTF-8 byte order mark but the rest is not UTF-8 "
                    "({error}): two encodings mixed").format(error=facts.encoding_error),
            "encoding-mismatch",
            _("Re-save the whole file as UTF-8 (an editor that added the mark to a cp1252 "
              "file did this); declaring cp1252 would turn the mark into 'ï»¿' in the "
              "header."), line=facts.encoding_line)]
    if facts.encoding_error:
        guess = "utf-8" if facts.looks_utf8 else "cp1252"
        bad = re.search(r"0x([0-9a-f]{2})", facts.encoding_error)
        if not facts.looks_utf8 and bad and bytes.fromhex(bad.group(1)) in (
                b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"):  # not characters in cp1252
            guess = ""
        if not guess:
            return [_issue(
                base, _("the file is not encoded in {encoding} as declared, nor in cp1252: "
                        "{error}").format(encoding=encoding, error=facts.encoding_error),
                "encoding-mismatch",
                _("Find out the file's encoding (`file -i FILE`) and declare it with "
                  "`dialect: {encoding: ...}`, or re-save it as UTF-8."),
                line=facts.encoding_line)]
        return [_issue(
            base, _("the file is not encoded in {encoding} as declared: {error}").format(
                encoding=encoding, error=facts.encoding_error), "encoding-mismatch",
            _("Declare `dialect: {{encoding: {guess}}}` in the manifest, or re-save the file "
              "as {encoding}.").format(guess=guess, encoding=encoding),
            line=facts.encoding_line)]
    return []


def precheck(schema: dict[str, Any], dialect: dict[str, Any], base: dict[str, Any],
             facts: FileFacts, fmt: str) -> tuple[list[Issue], str, str]:
    """The checks before any row is read (empty file, not text, declared encoding,
    delimiter); returns (issues, encoding to read with, delimiter).  Both validation paths
    call it, so a file that cannot be read gets the same one finding whichever path runs."""
    encoding = normalise_encoding(dialect.get("encoding"))
    if facts.size == 0:
        return [_issue(base, _("the file is empty"), "empty-file",
                       _("Export the data again: the file has no header and no rows."))], "", ""
    wrong = text_problems(base, facts, encoding)
    if wrong:
        return wrong, "", ""
    if encoding in ("cp1252", "iso8859-1", "latin-1", "iso8859-15") and facts.looks_utf8:
        return [_issue(
            base, _("the file is declared {encoding} but its accented characters are UTF-8 "
                    "(they would read as 'Ã©')").format(encoding=encoding), "encoding-mismatch",
            _("Declare `dialect: {encoding: utf-8}` in the manifest."),
            line=facts.non_ascii_line)], "", ""
    if encoding == "utf-8" and facts.bom:
        encoding = "utf-8-sig"
    delimiter = dialect.get("delimiter", "\t" if fmt == "tsv" else ",")
    n_fields = len(schema.get("fields", []))
    header = facts.first_line
    names = {str(f.get("name", "")).lower() for f in schema.get("fields", [])}
    one_field = header.strip('"').lower() in names  # a one-column file, matched by name
    if n_fields > 1 and dialect.get("header", True) and header.count(delimiter) == 0 \
            and not one_field:
        found = [d for d in DELIMITERS if header.count(d) >= n_fields - 1]
        shown = {"\t": "\\t"}.get(delimiter, delimiter)
        if found:
            other = {"\t": "\\t"}.get(found[0], found[0])
            hint = _("Declare `dialect: {{delimiter: \"{other}\"}}` in the manifest.").format(
                other=other)
            msg = _("the file's delimiter looks like '{other}', but the manifest declares "
                    "'{shown}' (header: {header!r})").format(other=other, shown=shown,
                                                             header=header[:80])
        else:
            hint = _("Check the file's delimiter and the schema's field list.")
            msg = _("the header has no '{shown}' delimiter but the schema has {n} fields").format(
                shown=shown, n=n_fields)
        return [_issue(base, msg, "delimiter-mismatch", hint, line=1)], "", ""
    return [], encoding, delimiter


def validate_table(file: Path, rel: str, schema: dict[str, Any], dialect: dict[str, Any],
                   *, dataset: str, resource: str, facts: FileFacts | None = None,
                   fmt: str = "csv", columns: dict[str, Any] | None = None,
                   published: str | None = None, schema_label: str = "the schema",
                   references: dict[str, Reference] | None = None) -> TableResult:
    """Validate ``file`` against ``schema``; every problem becomes an :class:`Issue`.

    ``columns`` is the manifest's header policy (``extra``: warning/error/ignore,
    ``ignore_case``). ``published`` names the national schema (``scdl/subventions 2.1.1``)
    when the resource declares one: the file is then judged as data.gouv.fr judges it, and
    dialect overrides that change how values parse are not applied (they are reported).
    ``references`` are the dataset's other resources, by name, that the schema's
    ``foreignKeys`` point at.
    """
    from frictionless import Checklist, Package, Resource, Schema
    from frictionless import errors as ferrors

    from opendata.validation.rules_check import CustomCheckError, RulesCheck

    base = {"file": rel, "dataset": dataset, "resource": resource}
    encoding = normalise_encoding(dialect.get("encoding"))
    facts = facts or scan_file(file, encoding)
    pre, encoding, delimiter = precheck(schema, dialect, base, facts, fmt)
    if pre:
        return TableResult(0 if pre[0].code == "empty-file" else None, pre)
    header = facts.first_line

    issues: list[Issue] = []
    by_name = bool(dialect.get("header", True)) and "headerRows" not in dialect
    policy = columns or {}
    ignore_case = bool(policy.get("ignore_case", False))
    if by_name:
        labels = parse_header(header, delimiter, dialect.get("quoteChar", '"'))
        match = match_header(labels, schema, ignore_case=ignore_case,
                             extra_columns=policy.get("extra", "warning"))
        issues += [_issue(base, f.message, f.code, f.hint, field=f.field, line=1,
                          column=f.column, severity=f.severity) for f in match.findings]
        if match.blocking:
            return TableResult(None, issues)
    if published:
        issues += conformance_warnings(base, dialect, schema, published)
    rules, problems = build_rules(schema, schema_label)
    issues += [_issue(base, p.message, p.code, p.hint, severity=p.severity) for p in problems]

    fdialect = _frictionless_dialect(dialect, delimiter, ignore_case)
    # Frictionless keeps keys in a dict: a list or dict value crashes it; such keys are
    # left out here, each reported, and the rest of the file is checked
    keyed, dropped = drop_unhashable_keys(schema)
    issues += [Issue(**unhashable_issue(base, what, ftype), line=1, severity="warning")
               for what, ftype in dropped]
    try:
        fschema = Schema.from_descriptor(_prepare_schema(keyed, dialect, by_name=by_name,
                                                         published=bool(published)))
    except Exception as exc:  # frictionless raises its own FrictionlessException
        return TableResult(None, [_issue(base, f"the Table Schema {schema_label} is invalid: "
                                         f"{_fill(str(exc), schema)}", "schema-invalid",
                                         f"Fix {schema_label}.")])
    res = Resource(path=file.name, basepath=str(file.parent), schema=fschema,
                   dialect=fdialect, encoding=encoding, format="csv")
    if fschema.foreign_keys:
        # a foreign key names resources: this one by its manifest name (a self-reference
        # may spell it), the others in a package beside it
        res.name = resource
        usable = readable(references)
        others = [_reference_resource(usable[n]) for n in referenced_names(
            keyed, resource) if n in usable]
        if others or any((fk.get("reference") or {}).get("resource") not in ("", resource)
                         for fk in fschema.foreign_keys):
            Package(resources=[res, *others])
    checklist = Checklist(checks=[RulesCheck(rules=rules)]) if rules else None
    try:
        report = res.validate(checklist, limit_errors=LIMIT_ERRORS)
    except TypeError as exc:  # a key over a list or dict in a referenced file
        return TableResult(None, issues + [_issue(
            base, _("{schema}: a key cannot be checked ({error})").format(
                schema=schema_label, error=exc), "key-type-unsupported",
            messages.hint("key-type-unsupported"))])
    task = report.tasks[0]
    rows = task.stats.get("rows")
    for err in task.errors:
        if by_name and err.type in _HEADER_CODES:
            continue  # headers.py judged the header, in Validata's terms
        row = getattr(err, "row_number", None)
        fname = getattr(err, "field_name", None) or getattr(err, "label", None)
        if err.type == "foreign-key":
            msg, hint = foreign_key_issue_text(
                list(err.field_cells), list(err.field_names), err.reference_name,
                list(err.reference_field_names), resource)
            issues.append(_issue(base, msg, err.type, hint, row=row,
                                 field=", ".join(err.field_names), line=row))
            continue
        if isinstance(err, CustomCheckError):
            issues.append(_issue(base, err.note, err.code, check_hint(), row=row,
                                 field=err.field_name, line=row))
            continue
        if err.type in messages.DATA_ERRORS:
            # plain words in the steward's language, never Frictionless' notes
            msg, hint = messages.describe(err.type, getattr(err, "cell", None), err.note,
                                          published=bool(published))
        elif isinstance(err, ferrors.LabelError):
            msg, hint = f"header: {err.note or err.message}", _HINTS.get(err.type)
        else:
            msg, hint = err.note or err.message, _HINTS.get(err.type)
            if err.type in ("scheme-error", "format-error", "source-error", "encoding-error"):
                msg = err.message
            msg = _fill(msg, schema)
            absent = re.search(r'as resource "([^"]*)" does not exist', msg)
            unread = (references or {}).get(absent.group(1)) if absent else None
            if unread is not None and unread.unreadable:
                msg = _("a foreign key points at resource {name!r}, whose keys cannot be "
                        "read ({why}): the values pointing at it are not checked").format(
                            name=unread.name, why=unread.unreadable)
                hint = _("Fix resource {name!r} first (its own finding says how); the "
                         "foreign key is checked once it reads.").format(name=unread.name)
            elif absent:
                msg = _("a foreign key points at resource {name!r}, which this dataset does "
                        "not have").format(name=absent.group(1))
                hint = _("Name a resource of this dataset (its `name` in the manifest) in "
                         "`reference.resource`, or \"\" for this file.")
            if err.type in _SCHEMA_CODES or "foreign key" in msg:  # the schema's, not the data's
                msg = f"{schema_label}: {msg}"
        issues.append(_issue(base, msg, err.type, hint, row=row, field=fname,
                             line=row if row is not None else (1 if isinstance(
                                 err, ferrors.LabelError) else None)))
    if not any(i.severity == "error" for i in issues) and (rows or 0) == 0 and dialect.get(
            "header", True):
        issues.append(_issue(base, messages.text("no-rows"), "no-rows", messages.hint("no-rows"),
                             line=2))
    return TableResult(rows, issues, truncated=len(task.errors) >= LIMIT_ERRORS)


def _frictionless_dialect(dialect: dict[str, Any], delimiter: str, ignore_case: bool = False
                          ) -> Any:
    """The manifest's dialect as Frictionless' Dialect."""
    from frictionless import Dialect, formats

    control = formats.CsvControl(delimiter=delimiter)
    if "quoteChar" in dialect:
        control.quote_char = dialect["quoteChar"]
    if "skipInitialSpace" in dialect:
        control.skip_initial_space = dialect["skipInitialSpace"]
    fdialect = Dialect(controls=[control])
    if ignore_case:
        fdialect.header_case = False
    if dialect.get("header") is False:
        fdialect.header = False
    if "headerRows" in dialect:
        fdialect.header_rows = list(dialect["headerRows"])
    if "commentChar" in dialect:
        fdialect.comment_char = dialect["commentChar"]
    return fdialect


def reading_encoding(file: Path, encoding: str) -> str:
    """The codec to read ``file`` declared ``encoding`` with: ``utf-8-sig`` for UTF-8 with a
    byte order mark, which is not part of the first column's name.  Reads three bytes."""
    if encoding != "utf-8":
        return encoding
    with file.open("rb") as fh:
        return "utf-8-sig" if fh.read(3) == codecs.BOM_UTF8 else encoding


def _reference_resource(ref: Reference) -> Any:
    """A referenced resource as Frictionless reads it for a foreign key's lookup."""
    from frictionless import Resource, Schema

    encoding = reading_encoding(ref.file, normalise_encoding(ref.dialect.get("encoding")))
    delimiter = ref.dialect.get("delimiter", "\t" if ref.fmt == "tsv" else ",")
    by_name = bool(ref.dialect.get("header", True)) and "headerRows" not in ref.dialect
    keyed, _ = drop_unhashable_keys(ref.descriptor)
    schema = Schema.from_descriptor(_prepare_schema(keyed, ref.dialect, by_name=by_name))
    return Resource(path=ref.file.name, basepath=str(ref.file.parent), name=ref.name,
                    schema=schema, dialect=_frictionless_dialect(ref.dialect, delimiter),
                    encoding=encoding, format="csv")


#: header errors Frictionless raises that headers.py already reported
_HEADER_CODES = {"missing-label", "extra-label", "unmatched-header", "blank-label",
                 "duplicate-label", "incorrect-label", "blank-header"}
_CHECK_HINT = N_("Fix the value: the schema's custom check (run by data.gouv.fr too) rejects "
                 "it.")


def check_hint() -> str:
    """The hint of a custom-check error, in the current language (both paths give it)."""
    return _(_CHECK_HINT)

#: frictionless error types that are about the Table Schema rather than the data rows
_SCHEMA_CODES = {"schema-error", "field-error", "foreign-key", "foreign-key-error"}


def _fill(message: str, schema: dict[str, Any]) -> str:
    """Frictionless leaves some templates unfilled (``"{fk}"``): name what they stand for."""
    if "{fk}" in message:
        keys = schema.get("foreignKeys") if isinstance(schema, dict) else None
        shown = "; ".join(
            f"{fk.get('fields')} -> {(fk.get('reference') or {}).get('resource') or 'this file'}"
            f".{(fk.get('reference') or {}).get('fields')}"
            for fk in keys or [] if isinstance(fk, dict))
        message = message.replace('"{fk}"', shown or "(foreign key)").replace(
            "{fk}", shown or "(foreign key)")
    return re.sub(r"\{[a-z_]+\}", "(?)", message)


_HINTS = {
    "missing-label": "Add the column to the file or remove the field from the schema.",
    "extra-label": "Remove the column from the file or add the field to the schema.",
    "incorrect-label": "Rename the column, or the schema field, so that they match.",
}
