"""``validate()``: check manifests, catalog rules and data files; return a report.

Order of checks follows what a steward fixes first: a manifest that does not parse, then
fields (JSON Schema), then references between files (organisation, licence, schema, paths),
then the data itself.  Data validation is skipped for a resource whose manifest entry is
already broken, so one typo does not produce a cascade of follow-up errors.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from opendata._version import __version__
from opendata.catalog.config import CONFIG_FILE, load_json_schema
from opendata.catalog.i18n import _
from opendata.catalog.manifests import (
    Catalog,
    Dataset,
    PathProblem,
    Resource,
    date_and_code_problems,
    load_catalog,
    locate,
)
from opendata.catalog.scaffold import (
    config_placeholder_issues,
    download_url_issue,
    placeholder_issues,
)
from opendata.catalog.schemas import (
    ResolvedSchema,
    SchemaRefError,
    national_catalogue,
    resolve_schema,
)
from opendata.catalog.vocab import FREQUENCIES, LANGUAGES, THEMES
from opendata.checksums import source_sha256
from opendata.validation import messages
from opendata.validation.cache import Cache
from opendata.validation.normalise import (
    NormaliseError,
    checked_file,
    ensure_copy,
    is_sheet,
    sheet_copy,
    sheet_options,
    wants_normalised,
)
from opendata.validation.quality import QualityCheck
from opendata.validation.references import Reference, referenced_names
from opendata.validation.report import DatasetResult, Issue, ResourceResult, ValidationReport
from opendata.validation.tabular import FileFacts, normalise_encoding, scan_file

if TYPE_CHECKING:
    from opendata.validation.engine import EngineResult

Progress = Callable[[str], None]

_VOCABS = {
    "themes": ("theme", THEMES),
    "frequency": ("frequency", FREQUENCIES),
    "language": ("language", LANGUAGES),
}


def validate(root: Path | str = ".", datasets: Iterable[str] | None = None, *,
             catalog: Catalog | None = None, use_cache: bool = True,
             progress: Progress | None = None) -> ValidationReport:
    """Validate the catalog at ``root`` (or only the named ``datasets``).

    Returns a :class:`ValidationReport`; never raises for invalid data, only for an
    unusable configuration (:class:`~opendata.errors.ConfigError`) or an unknown dataset
    name (:class:`~opendata.errors.UsageError`).
    """
    catalog = catalog or load_catalog(root)
    messages.activate(catalog.config.language)
    names = list(datasets or [])
    # a dataset whose manifest does not parse is known by its folder name only: naming it
    # must report its load issue, not "no dataset named ..."
    broken = {i.dataset for i in catalog.load_issues}
    loaded = [n for n in names if n not in broken]
    selected = catalog.select(loaded) if loaded or not names else []
    report = ValidationReport()
    cache = Cache(catalog.root) if use_cache else None
    wanted = {d.name for d in selected}
    for issue in catalog.load_issues:
        if not names or issue.dataset in names:
            report.datasets.setdefault(issue.dataset or "", DatasetResult(
                name=issue.dataset or "", manifest=issue.file, valid=False))
            report.add(issue)
    for ds in selected:  # results first, so report.add marks any dataset invalid
        report.datasets.setdefault(ds.name, DatasetResult(name=ds.name,
                                                          manifest=catalog.rel(ds.manifest)))
    _check_unique_names(catalog, report, wanted)
    # impossible dates (2006-02-30) pass the pattern; the format checker refuses them
    validator = jsonschema.Draft202012Validator(
        load_json_schema(catalog.root, "dataset.schema.json"),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    quality = QualityCheck(catalog)
    for i, ds in enumerate(selected, 1):
        if progress:
            progress(f"[{i}/{len(selected)}] {ds.name}")
        errors = list(validator.iter_errors(ds.raw))
        for issue in _check_dataset(catalog, ds, validator, errors):
            report.add(issue)
        _check_resources(catalog, ds, report, cache, _broken_resources(ds, errors))
        quality(ds, report)
    no_url = download_url_issue(CONFIG_FILE, catalog.config.repository,
                                any(r.path for ds in selected for r in ds.resources))
    if no_url:
        report.add(no_url)
    if not catalog.config.homepage and any(
            r.path and wants_normalised(r.raw) for ds in selected for r in ds.resources):
        # a published copy is not in git: only the site serves it, at the homepage
        report.add(Issue(
            file=CONFIG_FILE, code="no-site-url", severity="warning", field="homepage",
            message=_("published copies (normalise: true) are linked in DCAT "
                      "under base_uri, as the site's address: opendata.yaml has no homepage"),
            hint=_("Set `homepage:` in opendata.yaml to the address the site (dist/site) is "
                   "served from.")))
    for issue in config_placeholder_issues(catalog.root):
        report.add(issue)
    report.issues.sort(key=lambda i: (i.dataset or "", i.file, i.line or 0, i.row or 0))
    return report


def _check_unique_names(catalog: Catalog, report: ValidationReport, wanted: set[str]) -> None:
    seen: dict[str, Dataset] = {}
    for ds in catalog.datasets:
        if ds.name in seen and ds.name in wanted:
            first = seen[ds.name]
            line, col = ds.where("name")
            report.add(Issue(
                dataset=ds.name, file=catalog.rel(ds.manifest), line=line, column=col,
                field="name", code="duplicate-name",
                message=messages.text("duplicate-name", name=ds.name,
                                      other=catalog.rel(first.manifest)),
                hint=messages.hint("duplicate-name")))
        seen.setdefault(ds.name, ds)


def _field_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_issue(catalog: Catalog, ds: Dataset, err: jsonschema.ValidationError) -> list[Issue]:
    """Turn one JSON Schema error into messages a steward understands."""
    path = tuple(err.absolute_path)
    rel = catalog.rel(ds.manifest)

    def make(msg: str, p: tuple[Any, ...], hint: str | None, code: str = "schema",
             field: tuple[Any, ...] | None = None) -> Issue:
        line, col = ds.doc.where(p)
        return Issue(dataset=ds.name, file=rel, line=line, column=col,
                     field=_field_path(p if field is None else field) or None, code=code,
                     message=msg, hint=hint)

    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(err.schema.get("properties", {}))
        out = []
        for key in err.instance:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = (messages.hint("did-you-mean", close=close[0]) if close
                    else messages.hint("allowed-fields", allowed=", ".join(allowed)))
            out.append(make(messages.text("unknown-field", key=key), path + (key,), hint,
                            "unknown-field"))
        return out
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        desc = _describe(err.schema, missing)
        return [make(messages.text("missing-field", key=missing), path,
                     messages.hint("add-field-described", key=missing, description=desc)
                     if desc else messages.hint("add-field", key=missing),
                     "missing-field", field=path + (missing,))]
    if err.validator == "enum":
        parent = next((p for p in reversed(path) if isinstance(p, str)), "")
        label, _vocab = _VOCABS.get(parent, (parent or "value", None))
        allowed = ", ".join(str(v) for v in err.validator_value)
        close = difflib.get_close_matches(str(err.instance), [str(v) for v in
                                                              err.validator_value], n=1)
        hint = ((messages.hint("did-you-mean", close=close[0]) or "") + " " if close else ""
                ) + (messages.hint("allowed-codes", allowed=allowed) or "")
        return [make(messages.text("unknown-code", label=label, value=err.instance), path, hint,
                     "unknown-code")]
    if err.validator == "type":
        want = err.validator_value
        got = type(err.instance).__name__
        return [make(messages.text("wrong-type", want=_article(want), got=got,
                                   value=err.instance), path,
                     _describe_node(err.schema), "wrong-type")]
    if err.validator == "oneOf" and path and path[-1] == "schema":
        return [make("schema must be a file path, {shared: NAME}, {name, version} or an "
                     "inline Table Schema with `fields`", path, err.schema.get("description"))]
    if err.validator == "oneOf" and isinstance(err.instance, dict) and "format" in err.instance:
        both = "path" in err.instance and "url" in err.instance
        return [make("a resource needs exactly one of `path` (local file) or `url` (remote "
                     "file)" + (", not both" if both else ""), path,
                     "Give `path: file.csv` for a file in the dataset folder, or `url:`.")]
    if err.validator == "pattern":
        return [make(f"{err.instance!r} has the wrong form", path,
                     _describe_node(err.schema) or f"Expected pattern {err.validator_value}")]
    return [make(err.message, path, _describe_node(err.schema))]


def _article(want: Any) -> str:
    def name(w: Any) -> str:
        return messages.text(f"json-{w}") if f"json-{w}" in messages.MESSAGES else str(w)

    if isinstance(want, list):
        return messages.text("or").join(name(w) for w in want)
    return name(want)


def _describe(schema: dict[str, Any], key: str) -> str | None:
    return schema.get("properties", {}).get(key, {}).get("description")


def _describe_node(schema: dict[str, Any]) -> str | None:
    return schema.get("description") if isinstance(schema, dict) else None


def _check_dataset(catalog: Catalog, ds: Dataset, validator: jsonschema.Validator,
                   errors: list[jsonschema.ValidationError] | None = None) -> list[Issue]:
    issues: list[Issue] = []
    for err in validator.iter_errors(ds.raw) if errors is None else errors:
        issues.extend(_schema_issue(catalog, ds, err))
    rel = catalog.rel(ds.manifest)
    issues.extend(placeholder_issues(ds, rel))

    def at(field: str, msg: str, hint: str, code: str, severity: str = "error") -> Issue:
        line, col = ds.where(field)
        return Issue(dataset=ds.name, file=rel, line=line, column=col, field=field, code=code,
                     message=msg, hint=hint, severity=severity)  # type: ignore[arg-type]

    org = ds.organization
    if isinstance(org, str) and org not in catalog.config.organizations:
        known = list(catalog.config.organizations)
        close = difflib.get_close_matches(org, known, n=3, cutoff=0.5)
        issues.append(at("organization", messages.text("unknown-organization", org=org),
                         ((messages.hint("did-you-mean-any", close=messages.text("or").join(
                             map(repr, close))) or "") + " " if close else "")
                         + (messages.hint("unknown-organization", known=", ".join(known))
                            or ""), "unknown-organization"))
    lic = ds.licence
    if isinstance(lic, str) and lic not in catalog.licences:
        issues.append(at("licence", messages.text("unknown-licence", licence=lic),
                         catalog.licences.suggest(lic), "unknown-licence"))
    elif isinstance(lic, str) and not catalog.licences.get(lic).open:
        issues.append(at("licence", messages.text("closed-licence", licence=lic),
                         messages.hint("closed-licence") or "", "closed-licence"))
    if isinstance(ds.get("name"), str) and ds.name != ds.dir.name:
        issues.append(at("name", messages.text("name-folder-mismatch", name=ds.name,
                                               folder=ds.dir.name),
                         messages.hint("name-folder-mismatch", name=ds.name) or "",
                         "name-folder-mismatch", "warning"))
    temporal = ds.get("temporal")
    if isinstance(temporal, dict) and isinstance(temporal.get("start"), str) and isinstance(
            temporal.get("end"), str) and temporal["start"] > temporal["end"]:
        issues.append(at("temporal", messages.text("temporal-order"),
                         messages.hint("temporal-order") or "", "temporal-order"))
    for problem in date_and_code_problems(ds):
        line, col = ds.where(*problem.path)
        issues.append(Issue(dataset=ds.name, file=rel, line=line, column=col,
                            field=".".join(problem.path), code=problem.code,
                            message=problem.message, hint=problem.hint))
    seen: set[str] = set()
    for res in ds.resources:
        if res.name in seen:
            line, col = ds.where("resources", res.index, "name")
            issues.append(Issue(dataset=ds.name, file=rel, line=line, column=col,
                                field=f"resources[{res.index}].name", code="duplicate-resource",
                                message=messages.text("duplicate-resource", name=res.name),
                                hint=messages.hint("duplicate-resource")))
        seen.add(res.name)
    return issues


_COMMON_ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "iso-8859-15", "utf-16",
                     "ascii", "mac-roman", "cp850"]


def _check_encoding(name: Any) -> tuple[str, str] | None:
    """(message, hint) when ``name`` is not a text encoding Python knows, else None."""
    import codecs

    if name is None:
        return None
    try:
        info = codecs.lookup(str(name))
        if getattr(info, "_is_text_encoding", True):
            return None
        problem = f"{name!r} is not a text encoding (it is a {info.name} codec)"
    except LookupError:
        problem = f"unknown encoding {name!r}"
    close = difflib.get_close_matches(str(name).lower(), _COMMON_ENCODINGS, n=3, cutoff=0.5)
    return problem, ((f"Did you mean {' or '.join(close)}? " if close else "")
                     + "French files are usually utf-8 or cp1252.")


def _broken_resources(ds: Dataset, errors: list[jsonschema.ValidationError]) -> set[int]:
    """Indexes of resources whose manifest entry breaks the JSON Schema."""
    broken: set[int] = set()
    for err in errors:
        path = list(err.absolute_path)
        if len(path) >= 2 and path[0] == "resources" and isinstance(path[1], int):
            broken.add(path[1])
        elif path[:1] == ["resources"]:
            broken.update(r.index for r in ds.resources)
    return broken


def _resource_issue(catalog: Catalog, ds: Dataset, res: Resource, key: str, msg: str,
                    hint: str | None, code: str, severity: str = "error") -> Issue:
    line, col = ds.where("resources", res.index, key)
    return Issue(dataset=ds.name, file=catalog.rel(ds.manifest), line=line, column=col,
                 field=f"resources[{res.index}].{key}", code=code, message=msg, hint=hint,
                 resource=res.name, severity=severity)  # type: ignore[arg-type]


def _check_resources(catalog: Catalog, ds: Dataset, report: ValidationReport,
                     cache: Cache | None, broken: set[int] | None = None) -> None:
    """Check each resource's file and data; ``broken`` resources (their manifest entry
    fails the JSON Schema) are skipped: their dialect or schema cannot be trusted."""
    result = report.datasets[ds.name]
    broken = broken or set()
    for res in ds.resources:
        path = res.path
        if path is None:
            continue
        if res.index in broken:
            continue  # its manifest entry already has an error: no cascade
        file, problem = locate(ds.dir, path) if isinstance(path, str) else (None, PathProblem(
            "unsafe-path", f"path {path!r} is not text", "Write `path: file.csv`."))
        if problem is not None:
            hint = problem.hint
            if problem.code == "missing-file":
                siblings = sorted(p.name for p in ds.dir.iterdir() if p.name != "dataset.yaml")
                close = [c for c in difflib.get_close_matches(path, siblings, n=3)
                         if c != path][:1]
                hint = (messages.hint("did-you-mean", close=close[0]) if close else
                        messages.hint("missing-file", files=", ".join(siblings) or "-"))
            message = problem.message
            if problem.code == "missing-file" and file is not None:
                message = messages.text("missing-file", file=catalog.rel(file))
            elif problem.code == "unsafe-path" and "link" not in message:
                message = messages.text("unsafe-path", path=path)
            elif file is not None:
                message = message.replace(repr(path), catalog.rel(file), 1)
                if problem.code == "unreadable-file":
                    message = "data " + message
            report.add(_resource_issue(catalog, ds, res, "path", message, hint, problem.code))
            continue
        assert file is not None
        rel = catalog.rel(file)
        ignored = [k for k in ("sheet", "header_row") if k in res.raw]
        if ignored and not is_sheet(res):
            # a steward who set them expects one sheet to be read: say nothing is
            report.add(_resource_issue(
                catalog, ds, res, ignored[0], messages.text(
                    "sheet-options-ignored", name=res.name, format=res.format,
                    keys=" ".join(f"`{k}`" for k in ignored)),
                messages.hint("sheet-options-ignored"), "sheet-options-ignored", "warning"))
        if not res.is_tabular:
            continue
        if res.schema is None:
            report.add(_resource_issue(
                catalog, ds, res, "format", messages.text("no-schema", name=res.name),
                messages.hint("no-schema", file=rel), "no-schema", "warning"))
            continue
        encoding_problem = _check_encoding(res.dialect.get("encoding"))
        if encoding_problem:
            report.add(_resource_issue(catalog, ds, res, "dialect", encoding_problem[0],
                                       encoding_problem[1], "unknown-encoding"))
            report.issues[-1].field = f"resources[{res.index}].dialect.encoding"
            continue
        try:
            schema = resolve_schema(res.schema, ds.dir, catalog.root)
        except SchemaRefError as exc:
            message, hint = messages.reword(exc.code, exc.hint_code, exc.params, exc.message,
                                            exc.hint)
            report.add(_resource_issue(catalog, ds, res, "schema", message, hint,
                                       "schema-unresolved"))
            continue
        _validate_data(catalog, ds, res, file, rel, schema.descriptor, schema.digest, result,
                       report, cache, published=_published_label(schema.datagouv),
                       schema_label=_schema_label(schema, catalog))


def _published_label(datagouv: dict[str, str] | None) -> str | None:
    """``scdl/subventions 2.1.1`` for a schema schema.data.gouv.fr publishes (a resource
    declaring it is judged as data.gouv.fr judges it); None for others, including a
    catalog's own additions to its copy of the catalogue, which data.gouv.fr does not know."""
    if not datagouv:
        return None
    if datagouv["version"] not in _shipped_versions().get(datagouv["name"], ()):
        return None
    return f"{datagouv['name']} {datagouv['version']}"


@functools.lru_cache(maxsize=1)
def _shipped_versions() -> dict[str, frozenset[str]]:
    """The versions schema.data.gouv.fr publishes, from the copy shipped with opendata."""
    return {s.name: frozenset(v.version for v in s.versions)
            for s in national_catalogue(None).schemas.values()}


def _schema_label(schema: ResolvedSchema, catalog: Catalog) -> str:
    """How messages name a schema: its national name, else its file, else 'the inline schema'."""
    if schema.datagouv:
        return f"{schema.datagouv['name']} {schema.datagouv['version']}"
    if schema.file is not None:
        try:
            return catalog.rel(schema.file)
        except ValueError:
            return str(schema.file)
    return "the inline schema"


def check_table(file: Path, rel: str, descriptor: dict[str, Any], dialect: dict[str, Any], *,
                dataset: str, resource: str, facts: FileFacts, fmt: str,
                columns: dict[str, Any] | None = None, published: str | None = None,
                schema_label: str = "the schema",
                references: dict[str, Reference] | None = None) -> EngineResult:
    """The columnar engine when it covers the file, else the reference path (Frictionless).

    ``OPENDATA_ENGINE=frictionless`` forces the reference path, ``columnar`` the engine
    (whatever it does not cover still goes to Frictionless, and the result says so).
    """
    from opendata.validation import engine
    from opendata.validation.tabular import validate_table

    note = "OPENDATA_ENGINE=frictionless"
    if os.environ.get("OPENDATA_ENGINE", "auto") != "frictionless":
        try:
            return engine.validate_table(file, rel, descriptor, dialect, dataset=dataset,
                                         resource=resource, facts=facts, fmt=fmt,
                                         columns=columns, published=published,
                                         schema_label=schema_label, references=references)
        except engine.HandBack as why:
            note = str(why)
    table = validate_table(file, rel, descriptor, dialect, dataset=dataset,
                           resource=resource, facts=facts, fmt=fmt, columns=columns,
                           published=published, schema_label=schema_label,
                           references=references)
    return engine.from_reference(table, note)


def _dataset_references(root: Path, ds: Any, res: Any, descriptor: dict[str, Any]
                       ) -> dict[str, Reference]:
    """The resources of ``ds`` that ``res``'s foreign keys point at, as the files to read:
    the file itself, or the copy validation checks (a normalised copy, a sheet's CSV).
    A name the dataset lacks is left out (the foreign key check reports that the dataset
    has no such resource); a resource it has but whose keys cannot be read is marked
    ``unreadable``, with why (the check then says so; its own findings say the rest)."""
    out: dict[str, Reference] = {}
    for name in referenced_names(descriptor, res.name):
        other = next((r for r in ds.resources if r.name == name), None)
        if other is None:
            continue
        why = None
        if other.file is None or not other.file.is_file():
            why = _("its file is missing")
        elif not other.is_tabular:
            why = _("it is not a table")
        elif other.schema is None:
            why = _("it has no Table Schema")
        if why is None:
            try:
                schema = resolve_schema(other.schema, ds.dir, root).descriptor
                file, dialect = checked_file(root, other, schema)
            except (SchemaRefError, NormaliseError):
                why = _("its schema or its file cannot be read")
            else:
                if file is None:
                    why = _("its sheet cannot be read")
                else:
                    fmt = other.format if file == other.file else "csv"
                    out[name] = Reference(name, file, schema, dialect, fmt)
                    continue
        out[name] = Reference(name, other.file or ds.dir, {}, {}, other.format,
                              unreadable=why)
    return out


def _references_digest(references: dict[str, Reference]) -> list[Any]:
    """What the validation cache keys on for the referenced files: their content, schema
    and dialect (a changed referenced file must re-check the file pointing at it)."""
    return [[r.name, r.unreadable] if r.unreadable else
            [r.name, source_sha256(r.file), r.descriptor, r.dialect, r.fmt]
            for r in references.values()]


def _validate_data(catalog: Catalog, ds: Dataset, res: Resource, file: Path, rel: str,
                   descriptor: dict[str, Any], schema_digest: str, result: DatasetResult,
                   report: ValidationReport, cache: Cache | None, *,
                   published: str | None = None, schema_label: str = "the schema") -> None:
    dialect = res.dialect
    columns = dict(res.raw.get("columns") or {})
    fmt, offset = res.format, 0
    if is_sheet(res):
        # a spreadsheet is checked as the CSV copy of its sheet, typed cells written in
        # the schema's formats; findings keep the spreadsheet's name and row numbers
        try:
            made = sheet_copy(catalog.root, file, descriptor, res.raw,
                              {"file": rel, "dataset": ds.name, "resource": res.name})
        except NormaliseError as exc:
            report.add(_resource_issue(catalog, ds, res, "path", exc.message, exc.hint,
                                       "normalise-failed"))
            return
        if made.csv is None:
            report.add(made.issue)
            return
        file, dialect, fmt, offset = made.csv, {}, "csv", made.offset
    elif wants_normalised(res.raw):
        # what gets published is the normalised copy: that is what must pass
        try:
            file, dialect = ensure_copy(catalog.root, file, descriptor, dialect).file, {}
        except NormaliseError as exc:
            report.add(_resource_issue(catalog, ds, res, "normalise", exc.message, exc.hint,
                                       "normalise-failed"))
            return
    if cache is None and os.environ.get("OPENDATA_ENGINE", "auto") != "frictionless":
        # the file is checked, not looked up: load the engine's libraries meanwhile
        from opendata.validation.engine import warm_up

        warm_up()
    facts = scan_file(file, normalise_encoding(dialect.get("encoding")))
    references = _dataset_references(catalog.root, ds, res, descriptor)
    key = json.dumps([__version__, facts.sha256, schema_digest, dialect, res.format, columns,
                      published, os.environ.get("OPENDATA_ENGINE", "auto"),
                      messages.current(), _references_digest(references),
                      sheet_options(res.raw) if is_sheet(res) else None],
                     sort_keys=True)
    cached = cache.get(key) if cache else None
    if cached is not None:
        # the key is the content, not the place: an identical file elsewhere (a copied
        # dataset) hits the same entry, so its issues are re-addressed to this resource
        here = {"file": rel, "dataset": ds.name, "resource": res.name}
        try:
            rows, issues, truncated = cached["rows"], [Issue(**{**i, **here}) for i in
                                                       cached["issues"]], cached["truncated"]
            if not (rows is None or isinstance(rows, int)) or not isinstance(truncated, bool):
                raise TypeError("bad cache entry")
        except (KeyError, TypeError, ValueError):
            cached = None  # a corrupted or foreign entry: check the file again
    hit = cached is not None
    if cached is None:
        table = check_table(file, rel, descriptor, dialect, dataset=ds.name,
                            resource=res.name, facts=facts, fmt=fmt, columns=columns,
                            published=published, schema_label=schema_label,
                            references=references)
        rows, issues, truncated = table.rows, table.issues, table.truncated
        for issue in issues if offset else []:  # rows above a sheet's header
            issue.row = issue.row + offset if issue.row is not None else None
            issue.line = issue.line + offset if issue.line is not None else None
        if cache:
            cache.put(key, {"rows": rows, "truncated": truncated,
                            "issues": [i.__dict__ for i in issues], "engine": table.engine,
                            "engine_note": table.engine_note, "error_total": table.error_total,
                            "error_counts": table.error_counts})
    kept = sum(1 for i in issues if i.severity == "error")
    info = cached if cached is not None else {
        "engine": table.engine, "engine_note": table.engine_note,
        "error_total": table.error_total, "error_counts": table.error_counts}
    total = info.get("error_total")
    counts = info.get("error_counts")
    result.resources.append(ResourceResult(
        name=res.name, file=rel, rows=rows, valid=kept == 0, cached=hit,
        error_count=max(kept, total if isinstance(total, int) else 0),
        errors_truncated=truncated, engine=info.get("engine"),
        engine_note=info.get("engine_note"),
        error_counts=counts if isinstance(counts, list) else []))
    for issue in issues:
        report.add(issue)
