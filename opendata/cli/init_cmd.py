"""``opendata init``: a new catalog repository, ready to validate, build and publish."""

from __future__ import annotations

from pathlib import Path

import click

from opendata.errors import UsageError

#: The questions ``init`` asks when their option is not given, in order.
QUESTIONS = [
    ("title", "Catalog title"),
    ("base_uri", "Base URI of the catalog's identifiers (e.g. https://data.example.org/)"),
    ("publisher", "Publisher (the body responsible for the catalog)"),
    ("language", "Default language of the datasets (ISO 639-1)"),
    ("organization", "First organisation publishing datasets"),
]


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--title", help="Catalog title.")
@click.option("--base-uri", help="Base of the datasets' stable URIs (<base URI>dataset/<name>).")
@click.option("--publisher", help="Body responsible for the catalog (default: the title).")
@click.option("--language", help="Default language of the datasets (default: fr).")
@click.option("--organization", help="Title of the first organisation (default: the publisher).")
@click.option("--organization-key", help="Its key in manifests (default: from its title).")
@click.option("--email", help="Contact e-mail of the publisher.")
@click.option("--ckan-url", help="A CKAN portal to publish to: writes harvesters/ckan.yaml.")
@click.option("--datagouv-organization", help="Id of your data.gouv.fr organisation: writes "
              "harvesters/datagouv.yaml.")
@click.option("--datagouv-url", help="data.gouv.fr instance (default https://www.data.gouv.fr;"
              " https://demo.data.gouv.fr to try).")
@click.option("--repository", help="Web URL of the catalog's GitHub/GitLab repository "
              "(default: the git remote 'origin' of FOLDER, if any); gives public file URLs.")
@click.option("--opendata-spec", help="What the workflows pip-install, as pip takes it "
              "(default: where this opendata was installed from: its PyPI version, its git "
              "URL and commit, or the public origin remote of the clone it runs from).")
@click.option("--no-input", is_flag=True, help="Never ask: a missing answer is an error "
              "(for scripts).")
def init_cmd(folder: Path, no_input: bool, **answers: str | None) -> None:
    """Start a catalog in FOLDER (default: here): opendata.yaml, .gitignore, the GitHub
    workflows, a README for its stewards and an example dataset that validates.

    Asks for what is not given as an option. Never overwrites a file.
    """
    defaults = {"language": "fr"}
    # answers given as options mean a script or a README line: only what has no default
    # is then asked; with no option at all, every question is asked
    scripted = no_input or any(answers.get(key) for key, _q in QUESTIONS)
    for key, question in QUESTIONS:
        if answers.get(key):
            continue
        default = defaults.get(key) or {"publisher": answers.get("title"),
                                        "organization": answers.get("publisher")}.get(key)
        if scripted and default:
            answers[key] = default
            continue
        if no_input:
            raise UsageError(f"--{key.replace('_', '-')} is required with --no-input",
                             "Give every answer as an option, or leave out --no-input.")
        answers[key] = click.prompt(question, default=default)
    if not (answers.get("ckan_url") or answers.get("datagouv_organization")) and not no_input:
        # no portal given: asked even in scripts, since init writes one (the error below
        # names the options when the answer is blank)
        answers["ckan_url"] = click.prompt("CKAN portal to publish to (blank: none)",
                                           default="", show_default=False) or None
        if not answers["ckan_url"]:
            answers["datagouv_organization"] = click.prompt(
                "data.gouv.fr organisation id (blank: none)", default="",
                show_default=False) or None
    spec = answers.pop("opendata_spec", None)
    from opendata.catalog.scaffold import InitOptions, init_catalog

    opts = InitOptions(**{k: v for k, v in answers.items() if v is not None},  # type: ignore[arg-type]
                       **({"opendata_spec": spec} if spec else {}))
    result = init_catalog(folder, opts)
    for path in result.files:
        click.echo(f"created {path.relative_to(result.folder)}")
    if result.repository:
        click.echo(f"public file URLs from the git remote: {result.repository['raw_url']}")
    else:
        click.echo("no git remote: set repository.raw_url in opendata.yaml once the catalog is "
                   "on GitHub/GitLab, so downloads get public URLs")
    click.echo(f"the workflows install: {result.opendata_spec}")
    if result.spec_note:
        click.secho(f"note: {result.spec_note}", fg="yellow", err=True)
    here = "" if result.folder == Path.cwd().resolve() else f"cd {folder} && "
    target = result.targets[0]
    click.echo(f"\nnext: {here}opendata build, then `opendata plan --target {target}` with the "
               "portal's token in the variable named by harvesters/"
               f"{target}.yaml's token_env")
