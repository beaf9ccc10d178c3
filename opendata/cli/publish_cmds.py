"""Commands that talk to portals: plan and publish."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from opendata.cli import pass_ctx
from opendata.cli.ci_options import changed_since_option
from opendata.errors import EXIT_OK, EXIT_PUBLISH

if TYPE_CHECKING:
    from opendata.harvesters.base import Plan, PublishResult

_COLOURS = {"create": "green", "adopt": "cyan", "update": "yellow", "unchanged": None,
            "drifted": "red",
            "orphan": "magenta", "invalid": "red"}


def render_plan(p: Plan, *, verbose: bool = True) -> str:
    lines = [f"plan for target {p.target} ({p.kind}, {p.url}):"]
    for item in p.items:
        head = f"  {item.action:<10} {item.dataset}"
        if item.url and item.action != "create":
            head += f"  {item.url}"
        lines.append(click.style(head, fg=_COLOURS.get(item.action)))
        if item.message:
            lines.append(f"             {item.message}")
        for note in item.notes:
            lines.append(f"             note: {note}")
        if verbose and item.action in ("adopt", "update", "drifted"):
            for change in item.changes[:20]:
                lines.append(f"             {change}")
            if len(item.changes) > 20:
                lines.append(f"             ... and {len(item.changes) - 20} more change(s)")
        if item.uploads and item.action in ("create", "adopt", "update"):
            lines.append(f"             upload: {', '.join(item.uploads)}")
    counts = ", ".join(f"{n} {a}" for a, n in p.counts().items() if n)
    lines.append(f"{counts or 'nothing to do'}; {p.requests.get('reads', 0)} read request(s)")
    if not p.complete:
        lines.append("(orphans are only looked for when the whole catalog is planned)")
    return "\n".join(lines)


@click.command("plan")
@click.option("--target", "-t", required=True, help="Target name: harvesters/<target>.yaml.")
@click.argument("datasets", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="github: text plus GitHub Actions annotations and a job "
              "summary ($GITHUB_STEP_SUMMARY).")
@changed_since_option
@pass_ctx
def plan_cmd(ctx, target: str, datasets: tuple[str, ...], fmt: str,
             changed_since: str | None) -> None:
    """Show, without writing anything, what publishing to TARGET would do per dataset:
    create, update (with a field-level diff), unchanged, drifted (edited on the portal since
    opendata published it), orphan (ours, no longer in git), invalid (not publishable).

    DATASETS limits the plan to some datasets (default: all). Reads the portal with the
    token when it is set (needed for private datasets), anonymously otherwise.
    """
    from opendata.harvesters.base import plan

    changes = None
    if changed_since:
        from opendata.ci.changes import plan_changed

        p, changes = plan_changed(ctx.root, target, changed_since, names=datasets)
        click.echo(changes.describe(), err=True)
    else:
        p = plan(ctx.root, target, list(datasets))
    if fmt == "json":
        click.echo(json.dumps(p.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_plan(p))
    if fmt == "github":
        from opendata.ci.github import emit_plan

        annotations = emit_plan(p, ctx.root, changes)
        if annotations:
            click.echo(annotations)


@click.command("publish")
@click.option("--target", "-t", required=True, help="Target name: harvesters/<target>.yaml.")
@click.argument("datasets", nargs=-1)
@click.option("--force", is_flag=True, help="Overwrite datasets edited on the portal (drift).")
@click.option("--prune", is_flag=True,
              help="Delete orphans: datasets carrying opendata's marker that are no longer in "
                   "git. Never touches datasets opendata does not own.")
@click.option("--jobs", "-j", default=1, show_default=True, type=click.IntRange(1, 32),
              help="Datasets published in parallel.")
@click.option("--dry-run", is_flag=True,
              help="Read the portal, then print the write requests (secrets masked) instead "
                   "of sending them.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON report (each dataset's action, status, URL, error) here.")
@changed_since_option
@pass_ctx
def publish_cmd(ctx, target: str, datasets: tuple[str, ...], force: bool, prune: bool,
                jobs: int, dry_run: bool, report_file: Path | None,
                changed_since: str | None) -> None:
    """Publish the catalog (or DATASETS) to TARGET, applying the plan.

    Unchanged datasets cause no write at all; changed files are uploaded again, unchanged
    ones never. Exit code 0 only when every dataset succeeded.
    """
    from opendata.harvesters.base import publish

    tty = sys.stderr.isatty()
    bar = {"obj": None}

    def on_plan(p: Plan) -> None:
        todo = [i for i in p.items if i.action not in ("unchanged",)]
        click.echo(f"publishing to {p.target} ({p.url}): " + ", ".join(
            f"{n} {a}" for a, n in p.counts().items() if n), err=True)
        if tty and todo:
            bar["obj"] = click.progressbar(length=len(p.items), label="publishing",
                                           file=sys.stderr)
            bar["obj"].__enter__()

    done: list[PublishResult] = []

    def on_result(r: PublishResult) -> None:
        done.append(r)
        if bar["obj"] is not None:
            bar["obj"].update(1)
            if r.status not in ("failed", "refused"):
                return
        line = f"{r.status:<8} {r.action:<10} {r.dataset}"
        if r.url:
            line += f"  {r.url}"
        if r.error:
            line += f"\n         {r.error}"
        if r.hint:
            line += f"\n         hint: {r.hint}"
        click.echo(line, err=True)

    options = dict(force=force, prune=prune, jobs=jobs, dry_run=dry_run, on_result=on_result,
                   on_plan=on_plan)
    try:
        if changed_since:
            from opendata.ci.changes import publish_changed

            report, changes = publish_changed(ctx.root, target, changed_since, names=datasets,
                                              **options)
            click.echo(changes.describe(), err=True)
        else:
            report = publish(ctx.root, target, list(datasets), **options)
    except BaseException as exc:
        # interrupted or failed half-way: the report still says what was done
        if report_file:
            _write_report(report_file, {
                "target": target, "ok": False, "complete": False,
                "error": str(exc) if not isinstance(exc, KeyboardInterrupt) else "interrupted",
                "counts": {}, "results": [r.to_dict() for r in done]})
        raise
    finally:
        if bar["obj"] is not None:
            bar["obj"].__exit__(None, None, None)
    data = report.to_dict()
    if report_file:
        _write_report(report_file, data)
    if dry_run:
        for req in report.recorded:
            click.echo(f"{req['method']} {req['url']}  [{req['action']}]")
            if req["payload"] is not None:
                click.echo("  " + json.dumps(req["payload"], ensure_ascii=False)[:2000])
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items())
    req = data["requests"]
    click.echo(f"{counts}; {req.get('reads', 0)} read(s), {req.get('writes', 0)} write(s), "
               f"{req.get('retries', 0)} retry(ies) in {data['seconds']} s")
    sys.exit(EXIT_OK if report.ok else EXIT_PUBLISH)


def _write_report(file: Path, data: dict) -> None:
    """Write the JSON report whole (temporary file, then rename), secrets masked."""
    from opendata.errors import mask_secrets, output_error

    text = mask_secrets(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    tmp = file.with_name(f".{file.name}.tmp")
    try:
        if file.exists() and not file.is_file():  # /dev/stdout, a pipe: write into it
            with file.open("w", encoding="utf-8") as fh:
                fh.write(text)
            return
        file.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(file)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise output_error(file, exc, "cannot write the report") from None


COMMANDS = [plan_cmd, publish_cmd]
