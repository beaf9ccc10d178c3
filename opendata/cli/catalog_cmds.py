"""Commands that work on the catalog itself: validate, build, licences, new, infer."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import click

from opendata.cli import Context, end_progress, pass_ctx, progress_printer
from opendata.cli.ci_options import changed_since_option
from opendata.errors import EXIT_INVALID, EXIT_OK, ConfigError

# Each command imports its stage inside its function: `opendata --help` and a cached
# `validate` must not pay for Frictionless, rdflib or the HTTP stack they do not use.


def _dataset_names(ctx_root: Path, paths: tuple[str, ...]) -> list[str]:
    """Accept dataset names or paths (a dataset folder, a manifest, a file inside one)."""
    names = []
    for p in paths:
        path = Path(p)
        if path.exists():
            path = path.resolve()
            folder = path if path.is_dir() else path.parent
            if folder == (ctx_root / "datasets").resolve() or folder == ctx_root:
                continue  # the whole catalog
            names.append(load_catalog_name(folder))
        else:
            names.append(p)
    return names


def load_catalog_name(folder: Path) -> str:
    manifest = folder / "dataset.yaml"
    if manifest.is_file():
        import yaml

        try:
            data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("name"), str):
                return data["name"]
        except yaml.YAMLError:
            pass
    return folder.name


@click.command("validate")
@click.argument("paths", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="text: summary grouped by dataset; json: the stable "
              "report documented in the README; github: text plus GitHub Actions annotations "
              "and a job summary ($GITHUB_STEP_SUMMARY).")
@click.option("--no-cache", is_flag=True, help="Validate every file again, even unchanged ones.")
@changed_since_option
@pass_ctx
def validate_cmd(ctx, paths: tuple[str, ...], fmt: str, no_cache: bool,
                 changed_since: str | None) -> None:
    """Check manifests, catalog rules and data files.

    PATHS are dataset names or folders (default: the whole catalog). Exit codes: 0 valid,
    1 invalid, 2 usage error, 3 configuration error.
    """
    from opendata.validation.report import render_text
    from opendata.validation.validator import validate

    root = ctx.root
    progress = progress_printer() if fmt == "text" else None
    changes = None
    if changed_since:
        from opendata.ci.changes import validate_changed

        report, changes = validate_changed(root, changed_since, use_cache=not no_cache,
                                           progress=progress, names=paths)
        click.echo(changes.describe(), err=True)
    else:
        report = validate(root, _dataset_names(root, paths), use_cache=not no_cache,
                          progress=progress)
    end_progress(progress)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render_text(report))
    if fmt == "github":
        from opendata.ci.github import emit_validation

        annotations = emit_validation(report, root, changes)
        if annotations:
            click.echo(annotations)
    sys.exit(EXIT_OK if report.valid else EXIT_INVALID)


@click.command("build")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: dist/ at the catalog root).")
@click.option("--no-cache", is_flag=True, help="Validate every file again.")
@pass_ctx
def build_cmd(ctx, dist: Path | None, no_cache: bool) -> None:
    """Validate everything and write dist/: validation report (JSON, Markdown, HTML), one
    Data Package per valid dataset, the catalog index, DCAT-AP and the packs.

    Exits 1 when something is invalid, after writing the report.
    """
    from opendata.pipeline.build import build
    from opendata.validation.report import render_text

    progress = progress_printer()
    result = build(ctx.root, dist, use_cache=not no_cache, progress=progress)
    end_progress(progress)
    click.echo(render_text(result.report))
    click.echo(f"\nwrote {len(result.outputs)} file(s) to {result.dist}")
    sys.exit(EXIT_OK if result.ok else EXIT_INVALID)


def _licences_root(ctx: Context) -> Path:
    """The catalog root, or the current folder outside any catalog: the built-in licences
    are worth reading before ``opendata init``."""
    try:
        return ctx.root
    except ConfigError:
        return Path.cwd()


@click.group("licences", invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def licences_cmd(click_ctx: click.Context, fmt: str) -> None:
    """List the licence registry (built in, plus the catalog's licences/*.yaml) and each
    licence's ids per portal. `opendata licences show KEY` explains one."""
    from opendata.catalog.config import load_licences

    if click_ctx.invoked_subcommand is not None:
        return
    rows = list(load_licences(_licences_root(click_ctx.find_object(Context))))
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in rows], indent=2, ensure_ascii=False))
        return
    click.echo(f"{'key':<14} {'SPDX':<13} {'CKAN':<9} {'data.gouv.fr':<12} open  title")
    for lic in rows:
        click.echo(f"{lic.key:<14} {lic.spdx:<13} {lic.ckan_id:<9} {lic.datagouv_id:<12} "
                   f"{'yes' if lic.open else 'no ':<5} {lic.title}")


@licences_cmd.command("show")
@click.argument("key")
@pass_ctx
def licence_show_cmd(ctx, key: str) -> None:
    """Explain the licence KEY: what reusers may and must do, where it is defined, and the
    id each portal and vocabulary uses for it. KEY may also be any of those ids."""
    from opendata.catalog.config import load_licences

    registry = load_licences(_licences_root(ctx))
    lic = registry.get(key) if key in registry else (registry.find(key) or registry.get(key))
    yes_no = {True: "yes", False: "no"}
    click.echo(f"{lic.title} ({lic.key})")
    if lic.summary:
        click.echo("")
        click.echo(textwrap.fill(lic.summary, width=88))
    click.echo("")
    rows = [
        ("open licence", yes_no[lic.open]),
        ("attribution required", yes_no[lic.attribution]),
        ("share alike", yes_no[lic.share_alike]),
        ("official page", lic.url),
        ("full text", lic.text_url or "(at the official page)"),
        ("SPDX", lic.spdx),
        ("CKAN license_id", lic.ckan_id),
        ("data.gouv.fr license", lic.datagouv_id),
        ("EU vocabulary", lic.eu_uri or "(none)"),
        ("defined", registry.origin(lic.key)),
    ]
    for label, value in rows:
        click.echo(f"  {label + ':':<22} {value}")
    click.echo(f"\nIn a manifest: `licence: {lic.key}`. To change a field, write only that "
               f"field in licences/{lic.key}.yaml.")


@click.command("new")
@click.argument("name")
@click.option("--title", default=None, help="Dataset title (default: from NAME).")
@click.option("--organization", default=None,
              help="Organisation key (default: the first one of opendata.yaml).")
@click.option("--licence", default="etalab-2.0", show_default=True, help="Licence key.")
@pass_ctx
def new_cmd(ctx, name: str, title: str | None, organization: str | None, licence: str) -> None:
    """Create datasets/NAME/ with a commented manifest to fill in."""
    from opendata.catalog.scaffold import new_dataset

    created = new_dataset(ctx.root, name, title=title, organization=organization,
                          licence=licence)
    click.echo(f"created {created.manifest}")
    for issue in created.todo:
        click.echo(f"warning: {issue.location()}: {issue.message}", err=True)
    if created.todo:
        click.echo("fill these in: validate and publish refuse placeholders", err=True)
    click.echo("next: add your data file, then `opendata infer <file> --write` and "
               "`opendata validate " + name + "`")


@click.command("infer")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--write", is_flag=True,
              help="Write FILE's schema to <stem>.schema.json beside it instead of printing.")
@click.option("--sample", default=10000, show_default=True, help="Rows read to infer types.")
@pass_ctx
def infer_cmd(ctx, file: Path, write: bool, sample: int) -> None:
    """Infer a Table Schema and dialect (encoding, delimiter, decimal comma) from FILE, keep
    French codes as text, and name the national schema the file matches best."""
    from opendata.catalog.i18n import _
    from opendata.validation.infer import infer
    from opendata.validation.messages import activate_for

    try:
        root = ctx.root
    except ConfigError:  # a file outside any catalog: the shipped national catalogue only
        root = None
    activate_for(root)  # the notes, in the catalog's language
    result = infer(file, sample_rows=sample, root=root)
    proposed = result.proposed
    if not write:
        click.echo(json.dumps({
            "dialect": result.dialect, "schema": result.schema, "rows": result.rows,
            "notes": result.notes,
            "national": [{"name": m.schema.name, "version": m.version.version,
                          "matched": list(m.matched), "extra": list(m.extra),
                          "missing_required": list(m.missing_required),
                          "score": round(m.score, 3)} for m in result.national],
            "proposed_schema": ({"name": proposed.schema.name,
                                 "version": proposed.version.version} if proposed else None),
        }, indent=2, ensure_ascii=False))
        return
    target = file.with_name(file.stem + ".schema.json")
    target.write_text(json.dumps(result.schema, indent=2, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    click.echo(_("wrote {file}").format(file=target))
    for note in result.notes:
        click.echo(f"  {note}")
    if result.national:
        click.echo(_("national schemas with the same field names:"))
        for line in result.national_summary():
            click.echo(f"  {line}")
    if proposed:
        click.echo(_("this file looks like {name} ({title}); to be checked as data.gouv.fr "
                     "will, declare it instead of the schema file:").format(
            name=proposed.schema.name, title=proposed.schema.title))
        click.echo(f"    {proposed.manifest_line}")
    click.echo(_("add to the resource in dataset.yaml:"))
    click.echo(f"    schema: {target.name}")
    click.echo(f"    dialect: {json.dumps(result.dialect, ensure_ascii=False)}")


COMMANDS = [validate_cmd, build_cmd, licences_cmd, new_cmd, infer_cmd]
