"""The licence registry: eight licences built into the package, which a catalog's
``licences/`` only extends or overrides (merged field by field, checked against
``validation/licence.schema.json``), and ``opendata licences show``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata.catalog.config import BUILTIN_LICENCES, load_licences
from opendata.cli import main
from opendata.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
EIGHT = {"cc-by-4.0", "cc-by-sa-4.0", "cc0-1.0", "etalab-1.0", "etalab-2.0", "odbl-1.0",
         "odc-by-1.0", "pddl-1.0"}


@pytest.fixture
def bare(catalog: Path) -> Path:
    """The fixture catalog without its own licences/ folder."""
    shutil.rmtree(catalog / "licences")
    return catalog


def test_the_eight_licences_are_built_in(bare: Path) -> None:
    registry = load_licences(bare)
    assert set(registry.keys()) == EIGHT
    assert registry.get("odbl-1.0").share_alike is True
    assert registry.origin("etalab-2.0") == "built in"


def test_a_catalog_file_overrides_only_the_fields_it_sets(bare: Path) -> None:
    (bare / "licences").mkdir()
    (bare / "licences" / "etalab-2.0.yaml").write_text(
        "summary: Free reuse, credit the source.\n", encoding="utf-8")
    registry = load_licences(bare)
    lic = registry.get("etalab-2.0")
    assert lic.summary == "Free reuse, credit the source."
    assert lic.datagouv_id == "lov2" and lic.title.startswith("Licence Ouverte")
    assert registry.origin("etalab-2.0") == "built in, overridden by licences/etalab-2.0.yaml"
    assert len(registry) == 8


def test_a_catalog_file_adds_a_licence(bare: Path, cli) -> None:
    (bare / "licences").mkdir()
    (bare / "licences" / "lo-ville.yaml").write_text(
        "title: Licence de la ville\nurl: https://ville.example/licence\nspdx: LicenseRef-ville\n"
        "ckan_id: other-open\ndatagouv_id: other-open\nopen: true\n", encoding="utf-8")
    registry = load_licences(bare)
    assert "lo-ville" in registry and len(registry) == 9
    assert registry.origin("lo-ville") == "licences/lo-ville.yaml"
    listed = cli("licences", root=bare)
    assert "lo-ville" in listed.stdout and "etalab-2.0" in listed.stdout


def test_an_incomplete_new_licence_names_the_missing_fields(bare: Path, cli) -> None:
    (bare / "licences").mkdir()
    (bare / "licences" / "maison.yaml").write_text("title: Maison\n", encoding="utf-8")
    result = cli("validate", root=bare)
    assert result.exit_code == 3
    assert "licences/maison.yaml: new licence 'maison' lacks field(s) ckan_id, datagouv_id, " \
           "open, spdx, url" in result.stderr
    assert "name the file after its key" in result.stderr


def test_a_misspelt_field_is_located_and_corrected(bare: Path) -> None:
    (bare / "licences").mkdir()
    (bare / "licences" / "odbl-1.0.yaml").write_text(
        "# local wording\nsumary: texte\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_licences(bare)
    assert err.value.message.endswith("licences/odbl-1.0.yaml:2:1: unknown field 'sumary'")
    assert "Did you mean 'summary'?" in (err.value.hint or "")


def test_a_wrong_type_is_located(bare: Path) -> None:
    (bare / "licences").mkdir()
    (bare / "licences" / "cc0-1.0.yaml").write_text("open: sometimes\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_licences(bare)
    assert "licences/cc0-1.0.yaml:1:1: open: 'sometimes' is not of type 'boolean'" \
        in err.value.message
    assert "open licence" in (err.value.hint or "")


def test_a_yml_file_is_not_silently_ignored(bare: Path) -> None:
    (bare / "licences").mkdir()
    (bare / "licences" / "cc0-1.0.yml").write_text("open: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="licence files end in .yaml"):
        load_licences(bare)


def test_the_shipped_schema_accepts_the_built_in_files() -> None:
    import jsonschema
    import yaml

    schema = json.loads((REPO / "validation" / "licence.schema.json").read_text())
    files = sorted(BUILTIN_LICENCES.glob("*.yaml"))
    assert {f.stem for f in files} == EIGHT
    for file in files:
        jsonschema.validate(yaml.safe_load(file.read_text(encoding="utf-8")), schema)


def test_show_explains_a_licence_by_key_or_by_any_portal_id(cli, catalog: Path) -> None:
    result = cli("licences", "show", "odbl-1.0")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("Open Data Commons Open Database License (ODbL) 1.0 (odbl-1.0)")
    assert "partage à l'identique" in out
    assert "share alike:           yes" in out
    assert "data.gouv.fr license:  odc-odbl" in out
    assert "defined:               built in, overridden by licences/odbl-1.0.yaml" in out
    by_id = cli("licences", "show", "lov2")
    assert by_id.exit_code == 0 and "(etalab-2.0)" in by_id.stdout


def test_show_an_unknown_licence_suggests_keys(cli) -> None:
    result = cli("licences", "show", "etalab2")
    assert result.exit_code == 2
    assert "unknown licence 'etalab2'" in result.stderr
    assert "Did you mean 'etalab-2.0'" in result.stderr


def test_licences_work_outside_any_catalog(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["licences", "show", "cc-by-4.0"])
    assert result.exit_code == 0, result.output
    assert "defined:               built in" in result.stdout


def test_wheel_ships_the_licences_and_the_init_templates(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for item in ("pyproject.toml", "README.md", "opendata", "validation"):
        copy = shutil.copytree if (REPO / item).is_dir() else shutil.copyfile
        copy(REPO / item, src / item, **({"ignore": shutil.ignore_patterns("__pycache__")}
                                         if (REPO / item).is_dir() else {}))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("opendata-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = REPO / "opendata" / "catalog"
    expected = {f"opendata/catalog/{p.relative_to(package).as_posix()}"
                for folder in ("licences", "templates") for p in (package / folder).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
    assert len([e for e in expected if "/licences/" in e]) == 8
    assert any("/templates/" in e for e in expected)
    assert expected <= names, sorted(expected - names)
