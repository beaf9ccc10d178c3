"""Validation results as data, and their renderings (text, JSON, Markdown, HTML).

The JSON form is a stable, documented interface (``REPORT_VERSION``): CI jobs and
other tools parse it.  Keys are only ever added, never renamed, within a version.
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

from opendata.catalog.issues import Issue
from opendata.validation import messages

REPORT_VERSION = 1
#: Errors shown per resource in human output; the rest are counted.
SHOWN_ERRORS = 10

@dataclass
class ResourceResult:
    """Outcome of validating one data file against its Table Schema."""

    name: str
    file: str
    rows: int | None = None
    valid: bool = True
    cached: bool = False
    #: errors in the whole file (the columnar engine counts them all, even past the
    #: findings it keeps; the reference path stops counting at its cap)
    error_count: int = 0
    errors_truncated: bool = False
    #: which path checked the file: "columnar" (the engine) or "frictionless"
    engine: str | None = None
    #: why Frictionless checked it (what the engine does not cover), when it did
    engine_note: str | None = None
    #: exact error counts per field and code: [{"field", "code", "count"}]
    error_counts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DatasetResult:
    name: str
    manifest: str
    valid: bool = True
    resources: list[ResourceResult] = field(default_factory=list)
    #: data.gouv.fr quality predicted by :mod:`opendata.validation.quality` (valid only)
    quality: dict[str, Any] | None = None


@dataclass
class ValidationReport:
    """Everything ``validate()`` found, for every dataset it looked at."""

    datasets: dict[str, DatasetResult] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    def add(self, issue: Issue) -> None:
        self.issues.append(issue)
        if issue.severity == "error" and issue.dataset in self.datasets:
            self.datasets[issue.dataset].valid = False

    def by_dataset(self) -> dict[str | None, list[Issue]]:
        """Issues by dataset (every dataset looked at, then any other name issues carry), in
        one pass: renderers need this for catalogs with thousands of issues."""
        groups: dict[str | None, list[Issue]] = {name: [] for name in self.datasets}
        for issue in self.issues:
            groups.setdefault(issue.dataset, []).append(issue)
        return groups

    def issues_for(self, dataset: str | None) -> list[Issue]:
        return [i for i in self.issues if i.dataset == dataset]

    def valid_datasets(self) -> list[str]:
        return [n for n, d in self.datasets.items() if d.valid]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON report (see README, "Validation report")."""
        return {
            "report_version": REPORT_VERSION,
            "valid": self.valid,
            "summary": {
                "datasets": len(self.datasets),
                "valid_datasets": len(self.valid_datasets()),
                "errors": len(self.errors),
                "warnings": len(self.issues) - len(self.errors),
            },
            # "quality" only where it was predicted (a catalog publishing to data.gouv.fr)
            "datasets": [{k: v for k, v in asdict(d).items() if k != "quality" or v is not None}
                         for d in self.datasets.values()],
            "issues": [{k: v for k, v in asdict(i).items() if v is not None}
                       for i in self.issues],
        }


def _group(report: ValidationReport) -> list[tuple[str | None, list[Issue]]]:
    return list(report.by_dataset().items())


def _issue_line(issue: Issue) -> str:
    parts = [issue.location()]
    if issue.row is not None:
        parts.append(messages.text("row", row=issue.row))
    if issue.field:
        parts.append(messages.text("field", field=issue.field))
    text = ", ".join(parts) + f": {messages.text(issue.severity)}: {issue.message}"
    if issue.hint:
        text += f"\n      {messages.text('hint')}: {issue.hint}"
    return text


def render_text(report: ValidationReport, *, shown: int = SHOWN_ERRORS) -> str:
    """Human summary grouped by dataset; data errors capped at ``shown`` per resource."""
    out: list[str] = []
    for name, issues in _group(report):
        result = report.datasets.get(name) if name else None
        valid = result.valid if result else not any(i.severity == "error" for i in issues)
        status = messages.text("status-ok" if (valid and not issues) else
                               ("status-warnings" if valid else "status-invalid"))
        rows = ""
        if result and result.resources:
            counts = [messages.text("resource-rows", name=r.name, rows=r.rows)
                      + (messages.text("cached") if r.cached else "")
                      for r in result.resources if r.rows is not None]
            rows = f" ({'; '.join(counts)})" if counts else ""
        out.append(f"{name or '(catalog)'}: {status}{rows}")
        per_resource: dict[str | None, int] = {}
        hidden: dict[str | None, int] = {}
        for issue in issues:
            key = issue.resource if issue.row is not None else None
            per_resource[key] = per_resource.get(key, 0) + 1
            if key is not None and per_resource[key] > shown:
                hidden[key] = hidden.get(key, 0) + 1
                continue
            out.append("  - " + _issue_line(issue))
        truncated = {r.name for r in result.resources if r.errors_truncated} if result else set()
        exact = {r.name: r for r in result.resources if r.engine == "columnar"} if result \
            else {}
        for res_name, count in hidden.items():
            if res_name in exact:  # the engine read the whole file: its total is exact
                res = exact[res_name]
                count = max(count, res.error_count - (per_resource[res_name] - hidden[res_name]))
                extra = ""
            else:
                extra = messages.text("stopped") if res_name in truncated else ""
            out.append("  " + messages.text("more-errors", count=count, resource=res_name)
                       + extra)
    summary = report.to_dict()["summary"]
    out.append("")
    out.append(messages.text("summary", **summary))
    return "\n".join(out)


def _where(issue: Issue, field_quote: str = "") -> str:
    where = issue.location()
    if issue.row:
        where += ", " + messages.text("row", row=issue.row)
    if issue.field:
        where += ", " + messages.text("field", field=f"{field_quote}{issue.field}{field_quote}")
    return where


def render_markdown(report: ValidationReport, *, shown: int = SHOWN_ERRORS) -> str:
    """Readable report for people (dist/validation-report.md, CI summaries)."""
    summary = report.to_dict()["summary"]
    t = messages.text
    lines = [f"# {t('report-title')}", "",
             f"**{t('report-valid' if report.valid else 'report-invalid')}**: "
             f"{t('summary', **summary)}.", "",
             f"| {t('col-dataset')} | {t('col-status')} | {t('col-rows')} | {t('col-errors')} |",
             "|---|---|---|---|"]
    for name, issues in _group(report):
        result = report.datasets.get(name) if name else None
        rows = sum(r.rows or 0 for r in result.resources) if result else 0
        n_err = sum(1 for i in issues if i.severity == "error")
        ok = f"✅ {t('valid')}" if n_err == 0 else f"❌ {t('invalid')}"
        lines.append(f"| `{name or '(catalog)'}` | {ok} | {rows} | {n_err} |")
    for name, issues in _group(report):
        if not issues:
            continue
        lines += ["", f"## `{name or '(catalog)'}`", ""]
        for issue in issues[: shown * 5]:
            hint = f" — *{issue.hint}*" if issue.hint else ""
            lines.append(f"- **{t(issue.severity)}** `{_where(issue, '`')}`: "
                         f"{issue.message}{hint}")
        if len(issues) > shown * 5:
            lines.append(f"- … {t('and-more', count=len(issues) - shown * 5)}")
    return "\n".join(lines) + "\n"


def render_html(report: ValidationReport) -> str:
    """A self-contained HTML page of the report (no scripts, no remote assets)."""
    summary = report.to_dict()["summary"]
    t = messages.text
    rows = []
    for name, issues in _group(report):
        for issue in issues or [None]:
            if issue is None:
                rows.append(f"<tr><td>{html.escape(name or '')}</td><td class=ok>"
                            f"{html.escape(t('valid'))}</td><td></td><td></td></tr>")
                continue
            msg = html.escape(issue.message) + (
                f"<br><small>{html.escape(issue.hint)}</small>" if issue.hint else "")
            rows.append(f"<tr><td>{html.escape(name or '(catalog)')}</td>"
                        f"<td class={issue.severity}>{html.escape(t(issue.severity))}</td>"
                        f"<td><code>{html.escape(_where(issue))}</code></td><td>{msg}</td></tr>")
    title = html.escape(t("report-title"))
    return f"""<!doctype html>
<html lang="{messages.current()}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}
.error{{color:#b00}}.warning{{color:#a60}}.ok{{color:#080}}</style></head>
<body><h1>{title}</h1>
<p>{html.escape(t('summary', **summary))}.</p>
<table><tr><th>{html.escape(t('col-dataset'))}</th><th>{html.escape(t('col-status'))}</th>
<th>{html.escape(t('col-where'))}</th><th>{html.escape(t('col-message'))}</th></tr>
{''.join(rows)}
</table></body></html>
"""
