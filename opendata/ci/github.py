"""GitHub Actions output: workflow annotations and the job summary (``--format github``).

Stewards work in pull requests, so problems must show *on the pull request*: an
``::error file=...,line=...::`` line on a step's stdout becomes an annotation on that line
of the diff, and Markdown appended to the file named by ``$GITHUB_STEP_SUMMARY`` becomes the
run's summary page.  Both are plain text formats; everything here returns strings (or
writes the one summary file), so the CLI only prints.

Escaping follows the runner's rules (actions/toolkit ``command.ts``): in the message
``%``, ``\\r``, ``\\n`` become ``%25``, ``%0D``, ``%0A``; in property values ``:`` and
``,`` are escaped too (``%3A``, ``%2C``), since they separate properties.

Annotation paths are relative to the *repository* root, while opendata's reports are
relative to the catalog root: when the catalog is a sub-folder of the repository, every
path gets that folder as a prefix (:func:`workspace_prefix`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from opendata.validation.report import SHOWN_ERRORS, Issue, ValidationReport

if TYPE_CHECKING:
    from opendata.ci.changes import ChangeSet
    from opendata.harvesters.base import Plan, PlanItem

Level = Literal["error", "warning", "notice"]

#: Issues listed in a summary before "... and N more" (a summary is capped at 1 MiB).
SUMMARY_ISSUES = 200
#: Changes listed per dataset in a plan summary.
SUMMARY_CHANGES = 10


def escape_data(value: str) -> str:
    """Escape an annotation message."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape an annotation property value (file, title...)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(level: Level, message: str, *, file: str | None = None,
               line: int | None = None, col: int | None = None,
               title: str | None = None) -> str:
    """One workflow command: ``::error file=F,line=L,col=C,title=T::message``."""
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
        if line is not None:
            props.append(f"line={int(line)}")
            if col is not None:
                props.append(f"col={int(col)}")
    if title:
        props.append(f"title={escape_property(title)}")
    head = f"::{level}" + (" " + ",".join(props) if props else "")
    return f"{head}::{escape_data(message)}"


def workspace_prefix(root: Path) -> str:
    """The catalog root relative to the repository root, as ``"sub/dir/"`` (or ``""``).

    ``$GITHUB_WORKSPACE`` (the checkout) when set and containing ``root``, else git's
    top-level folder; outside any repository, ``""``.
    """
    root = Path(root).resolve()
    workspace = os.environ.get("GITHUB_WORKSPACE")
    candidates: list[Path] = [Path(workspace).resolve()] if workspace else []
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root,
                             capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()).resolve())
    except FileNotFoundError:
        pass
    for base in candidates:
        try:
            rel = root.relative_to(base).as_posix()
        except ValueError:
            continue
        return "" if rel == "." else rel + "/"
    return ""


def _issue_message(issue: Issue) -> str:
    where = []
    if issue.row is not None:
        where.append(f"row {issue.row}")
    if issue.field:
        where.append(f"field {issue.field}")
    text = issue.message + (f" ({', '.join(where)})" if where else "")
    if issue.hint:
        text += f"\nhint: {issue.hint}"
    return text


def validation_annotations(report: ValidationReport, *, prefix: str = "",
                           changes: ChangeSet | None = None,
                           shown: int = SHOWN_ERRORS) -> list[str]:
    """One annotation per issue, at most ``shown`` per file (GitHub displays only the first
    few per step anyway), then one saying how many more the file has."""
    out: list[str] = []
    per_file: dict[str, int] = {}
    hidden_level: dict[str, Level] = {}
    for issue in report.issues:
        per_file[issue.file] = per_file.get(issue.file, 0) + 1
        if per_file[issue.file] > shown:
            if issue.severity == "error" or issue.file not in hidden_level:
                hidden_level[issue.file] = issue.severity
            continue
        title = f"{issue.code} ({issue.dataset})" if issue.dataset else issue.code
        out.append(annotation(issue.severity, _issue_message(issue),
                              file=prefix + issue.file if issue.file else None,
                              line=issue.line, col=issue.column, title=title))
    for file, count in per_file.items():
        if count > shown:
            out.append(annotation(hidden_level[file], f"{count - shown} more issue(s) in this file: see "
                                  "the run summary or `opendata validate`",
                                  file=prefix + file if file else None,
                                  title="more issues"))
    for folder in changes.deleted if changes else []:
        out.append(annotation("notice", f"dataset folder {folder} was deleted; nothing to "
                              "validate (publishing reports it as an orphan)",
                              title="deleted dataset"))
    return out


def _scope(changes: ChangeSet | None) -> str:
    return changes.describe() if changes else "whole catalog"


def validation_summary(report: ValidationReport, *, changes: ChangeSet | None = None,
                       limit: int = SUMMARY_ISSUES) -> str:
    """Markdown for the run summary: verdict, one table row per dataset, the issues."""
    s = report.to_dict()["summary"]
    verdict = "✅ Valid" if report.valid else "❌ Invalid"
    lines = ["## opendata validate", "", f"Scope: {_scope(changes)}.", ""]
    if not report.datasets and not report.issues:
        lines.append("Nothing to validate.")
        return "\n".join(lines) + "\n"
    lines += [f"**{verdict}**: {s['datasets']} dataset(s), {s['valid_datasets']} valid, "
              f"{s['errors']} error(s), {s['warnings']} warning(s).", "",
              "| Dataset | Status | Rows | Errors | Warnings |", "|---|---|---|---|---|"]
    for name, issues in report.by_dataset().items():
        result = report.datasets.get(name) if name else None
        errors = sum(1 for i in issues if i.severity == "error")
        rows = sum(r.rows or 0 for r in result.resources) if result else 0
        status = "❌ invalid" if errors else ("⚠️ warnings" if issues else "✅ valid")
        lines.append(f"| `{name or '(catalog)'}` | {status} | {rows} | {errors} | "
                     f"{len(issues) - errors} |")
    if report.issues:
        lines += ["", f"<details{' open' if not report.valid else ''}><summary>"
                  f"{len(report.issues)} issue(s)</summary>", ""]
        for issue in report.issues[:limit]:
            mark = "❌" if issue.severity == "error" else "⚠️"
            where = f"`{issue.location()}`"
            where += f", row {issue.row}" if issue.row is not None else ""
            where += f", field `{issue.field}`" if issue.field else ""
            hint = f" — *{issue.hint}*" if issue.hint else ""
            lines.append(f"- {mark} {where}: {issue.message}{hint}")
        if len(report.issues) > limit:
            lines.append(f"- … and {len(report.issues) - limit} more: run "
                         "`opendata validate` locally")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


_PLAN_LEVEL: dict[str, Level] = {"invalid": "error", "drifted": "warning",
                                 "orphan": "warning", "create": "notice", "adopt": "notice",
                                 "update": "notice"}


def _plan_message(item: PlanItem, target: str) -> str:
    if item.action == "create":
        text = f"merging creates this dataset on {target}"
    elif item.action == "update":
        text = f"merging updates this dataset on {target}: {len(item.changes)} change(s)"
    elif item.action == "drifted":
        text = f"edited on {target} since opendata published it; publishing will refuse"
    elif item.action == "orphan":
        text = f"{item.dataset} is on {target} but no longer in git"
    else:
        text = f"not publishable to {target}"
    if item.uploads and item.action in ("create", "update"):
        text += f"; uploads: {', '.join(item.uploads)}"
    if item.message:
        text += f"\n{item.message}"
    for change in item.changes[:SUMMARY_CHANGES] if item.action != "create" else []:
        text += f"\n{change}"
    return text


def plan_annotations(plan: Plan, *, manifests: Mapping[str, str] | None = None,
                     prefix: str = "") -> list[str]:
    """An annotation per dataset that merging would change, or that needs attention;
    on the dataset's manifest when it has one (``manifests``: name -> path)."""
    out = []
    for item in plan.items:
        level = _PLAN_LEVEL.get(item.action)
        if level is None:
            continue  # unchanged
        manifest = (manifests or {}).get(item.dataset) if item.action != "orphan" else None
        out.append(annotation(level, _plan_message(item, plan.target),
                              file=prefix + manifest if manifest else None,
                              line=1 if manifest else None,
                              title=f"{plan.target}: {item.action}"))
    return out


def plan_summary(plan: Plan, *, changes: ChangeSet | None = None) -> str:
    """Markdown for the run summary: actions counted, then each dataset that changes."""
    counts = plan.counts()
    lines = [f"## opendata plan: `{plan.target}`", "",
             f"{plan.kind} portal <{plan.url}>. Scope: {_scope(changes)}.", ""]
    if not plan.items:
        lines.append("Nothing to publish.")
        return "\n".join(lines) + "\n"
    lines += ["| Action | Datasets |", "|---|---|"]
    lines += [f"| {action} | {n} |" for action, n in counts.items() if n]
    if not plan.complete:
        lines += ["", "*Orphans are only looked for when the whole catalog is planned.*"]
    todo = [i for i in plan.items if i.action != "unchanged"]
    if todo:
        lines += ["", "### Details", ""]
    for item in todo:
        head = f"- **{item.action}** `{item.dataset}`"
        if item.url and item.action != "create":
            head += f" ([on the portal]({item.url}))"
        if item.action in ("update", "drifted"):
            head += f": {len(item.changes)} change(s)"
        if item.uploads and item.action in ("create", "update"):
            head += f"; uploads: {', '.join(f'`{u}`' for u in item.uploads)}"
        lines.append(head)
        if item.message:
            lines.append(f"  - {item.message}")
        if item.action in ("update", "drifted"):
            for change in item.changes[:SUMMARY_CHANGES]:
                lines.append(f"  - `{change}`")
            if len(item.changes) > SUMMARY_CHANGES:
                lines.append(f"  - … and {len(item.changes) - SUMMARY_CHANGES} more")
    return "\n".join(lines) + "\n"


def append_step_summary(markdown: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Append ``markdown`` to ``$GITHUB_STEP_SUMMARY`` when it is set; the file written, or
    None outside GitHub Actions (appending: several steps share one summary)."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown + "\n")
    return path


def emit_validation(report: ValidationReport, root: Path,
                    changes: ChangeSet | None = None) -> str:
    """Annotation lines for ``report`` (to print), after appending its summary."""
    append_step_summary(validation_summary(report, changes=changes))
    return "\n".join(validation_annotations(report, prefix=workspace_prefix(root),
                                            changes=changes))


def emit_plan(plan: Plan, root: Path, changes: ChangeSet | None = None,
              manifests: Iterable[tuple[str, str]] | None = None) -> str:
    """Annotation lines for ``plan`` (to print), after appending its summary."""
    if manifests is None:
        from opendata.catalog.manifests import load_catalog

        catalog = load_catalog(root)
        manifests = [(ds.name, catalog.rel(ds.manifest)) for ds in catalog.datasets]
    append_step_summary(plan_summary(plan, changes=changes))
    return "\n".join(plan_annotations(plan, manifests=dict(manifests),
                                      prefix=workspace_prefix(root)))


__all__ = ["annotation", "append_step_summary", "emit_plan", "emit_validation",
           "escape_data", "escape_property", "plan_annotations", "plan_summary",
           "validation_annotations", "validation_summary", "workspace_prefix"]
