"""The whole national schema catalogue, offline: resolution of every version, a catalog's own
additions merged with the shipped copy, ``opendata schemas`` and its network update."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
import responses
from click.testing import CliRunner

from opendata.catalog.schemas import (
    SDG_BASE,
    SDG_CATALOGUE_URL,
    SchemaRefError,
    bundled_sdg_dir,
    national_catalogue,
    reference_of_url,
    resolve_schema,
)
from opendata.cli import main
from opendata.validation.validator import validate

SCHEMA_LINE = "    schema: points.schema.json"
SHIPPED = bundled_sdg_dir()


def shipped_table_versions() -> list[tuple[str, str, str]]:
    data = json.loads((SHIPPED / "schemas.json").read_text(encoding="utf-8"))
    return [(s["name"], v["version_name"], v["schema_url"]) for s in data["schemas"]
            if s["schema_type"] == "tableschema" for v in s["versions"]]


def unresolved(catalog: Path):
    return [i for i in validate(catalog).issues if i.code == "schema-unresolved"]


def backticked(hint: str) -> str:
    """The command or manifest line a hint quotes, as a user would copy it."""
    (quoted,) = re.findall(r"`([^`]+)`", hint)
    return quoted


def test_every_table_schema_version_resolves_offline(catalog):
    assert not (catalog / "validation").exists()
    versions = shipped_table_versions()
    assert len(versions) == 167
    assert len({name for name, _, _ in versions}) == 60
    for name, version, url in versions:
        resolved = resolve_schema({"name": name, "version": version}, catalog, catalog)
        assert resolved.descriptor["fields"], (name, version)
        assert resolved.url == url
        assert reference_of_url(url) == {"name": name, "version": version}


def test_a_file_not_named_schema_json(catalog):
    resolved = resolve_schema({"name": "etalab/schema-irve-statique", "version": "2.3.1"},
                              catalog, catalog)
    assert resolved.file.name == "schema-statique.json"
    assert resolved.url == (SDG_BASE + "etalab/schema-irve-statique/2.3.1/"
                            "schema-statique.json")
    assert any(f["name"] == "id_pdc_itinerance" for f in resolved.descriptor["fields"])


def test_catalog_overrides_one_version_and_keeps_the_others(catalog):
    folder = catalog / "validation" / "schema.data.gouv.fr" / "scdl" / "subventions" / "2.1.1"
    folder.mkdir(parents=True)
    (folder / "schema.json").write_text(json.dumps({"fields": [{"name": "mine"}]}),
                                        encoding="utf-8")
    mine = resolve_schema({"name": "scdl/subventions", "version": "2.1.1"}, catalog, catalog)
    assert mine.descriptor == {"fields": [{"name": "mine"}]}
    shipped = resolve_schema({"name": "scdl/subventions", "version": "2.1.0"}, catalog,
                             catalog)
    assert shipped.file.is_relative_to(SHIPPED)
    irve = resolve_schema({"name": "etalab/schema-irve-statique", "version": "2.3.1"}, catalog,
                          catalog)
    assert irve.file.is_relative_to(SHIPPED)
    cat = national_catalogue(catalog)
    assert cat.schemas["scdl/subventions"].version("2.1.1").origin == "catalog"
    assert len(cat.table_schemas()) == 60


def test_catalog_adds_a_schema_with_one_file_and_no_schemas_json(catalog, demo, edit):
    folder = catalog / "validation" / "schema.data.gouv.fr" / "region" / "epn" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "schema.json").write_text(
        (demo / "points.schema.json").read_text(encoding="utf-8"), encoding="utf-8")
    edit(demo / "dataset.yaml", SCHEMA_LINE, '    schema: {name: region/epn, version: "1.0.0"}')
    report = validate(catalog)
    assert report.valid, [i.message for i in report.issues]
    assert "region/epn" in {s.name for s in national_catalogue(catalog).table_schemas()}


def test_unknown_name_hint_followed_literally(catalog, demo, edit):
    edit(demo / "dataset.yaml", SCHEMA_LINE,
         '    schema: {name: etalab/schema-irve-statiqe, version: "2.3.1"}')
    [issue] = unresolved(catalog)
    assert issue.message == ("schema 'etalab/schema-irve-statiqe' is not in the "
                             "schema.data.gouv.fr catalogue")
    line = backticked(issue.hint)
    assert line == 'schema: {name: etalab/schema-irve-statique, version: "2.3.1"}'
    edit(demo / "dataset.yaml", '    schema: {name: etalab/schema-irve-statiqe, version: "2.3.1"}',
         "    " + line)
    assert unresolved(catalog) == []  # resolves; the data itself does not match IRVE


def test_last_part_of_a_name_is_enough_to_be_found(catalog):
    with pytest.raises(SchemaRefError) as exc:
        resolve_schema({"name": "foo/subventions", "version": "2.1.1"}, catalog, catalog)
    assert exc.value.suggestions[0] == "scdl/subventions"


def test_unknown_version_hint_followed_literally(catalog, demo, edit):
    edit(demo / "dataset.yaml", SCHEMA_LINE,
         '    schema: {name: scdl/deliberations, version: "2.1.6"}')
    [issue] = unresolved(catalog)
    assert issue.message == "schema 'scdl/deliberations' has no version '2.1.6'"
    assert "2.1.5" in issue.hint and "1.1.0" in issue.hint
    line = backticked(issue.hint)
    edit(demo / "dataset.yaml", '    schema: {name: scdl/deliberations, version: "2.1.6"}',
         "    " + line)
    assert unresolved(catalog) == []


def test_listed_but_not_copied_hint_followed_literally(catalog, demo, edit):
    folder = catalog / "validation" / "schema.data.gouv.fr"
    folder.mkdir(parents=True)
    url = SDG_BASE + "region/epn/1.0.0/epn.json"
    (folder / "schemas.json").write_text(json.dumps({"schemas": [{
        "name": "region/epn", "schema_type": "tableschema",
        "versions": [{"version_name": "1.0.0", "schema_url": url}]}]}), encoding="utf-8")
    edit(demo / "dataset.yaml", SCHEMA_LINE, '    schema: {name: region/epn, version: "1.0.0"}')
    [issue] = unresolved(catalog)
    assert "has no offline copy" in issue.message
    target = re.search(r"save \S+ as (\S+)\.$", issue.hint).group(1)
    assert target == "validation/schema.data.gouv.fr/region/epn/1.0.0/epn.json"
    (catalog / target).parent.mkdir(parents=True)
    (catalog / target).write_text((demo / "points.schema.json").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    assert validate(catalog).valid


def test_names_that_would_leave_the_copy_are_refused(catalog):
    for name in ("../etc/x", "../x", "scdl/..", "scdl/../../x", "a"):
        with pytest.raises(SchemaRefError, match="not of the form ORGANISATION/SCHEMA"):
            resolve_schema({"name": name, "version": "1.0.0"}, catalog, catalog)
    with pytest.raises(SchemaRefError, match="not a version tag"):
        resolve_schema({"name": "scdl/subventions", "version": "../2.1.1"}, catalog, catalog)


# -- the command line ------------------------------------------------------------------------

def test_list(cli):
    result = cli("schemas", "list")
    assert result.exit_code == 0
    assert "60 Table Schemas, 167 versions" in result.stdout
    assert re.search(r"^etalab/schema-irve-statique +2\.3\.1 +IRVE statique$", result.stdout,
                     re.M)
    listed = json.loads(cli("schemas", "list", "--format", "json").stdout)
    assert len(listed) == 60
    assert {"name": "scdl/budget", "versions": ["0.8.1", "0.8.2", "0.8.3"]}.items() <= \
        next(s for s in listed if s["name"] == "scdl/budget").items()


def test_search_ignores_accents_and_ranks_names_first(cli):
    result = cli("schemas", "search", "délibérations")
    assert result.stdout.splitlines()[0].startswith("scdl/deliberations ")
    fields = cli("schemas", "search", "id_pdc_itinerance").stdout
    assert {line.split()[0] for line in fields.splitlines()} == {
        "etalab/schema-irve-statique", "etalab/schema-irve-dynamique"}
    nothing = cli("schemas", "search", "zzzzqqq")
    assert nothing.exit_code == 0 and "no Table Schema matches 'zzzzqqq'" in nothing.stdout


def test_show_outside_a_catalog(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["schemas", "show", "scdl/subventions", "--version",
                                       "2.1.0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("scdl/subventions 2.1.0: Subventions\n")
    assert '    schema: {name: scdl/subventions, version: "2.1.0"}' in result.stdout
    assert "custom checks: french-siret-value" in result.stdout
    as_json = CliRunner().invoke(main, ["schemas", "show", "scdl/subventions", "--format",
                                        "json"], catch_exceptions=False)
    assert json.loads(as_json.stdout) == json.loads(
        (SHIPPED / "scdl/subventions/2.1.1/schema.json").read_text(encoding="utf-8"))


def test_show_unknown_hints_are_commands_that_work(cli):
    result = cli("schemas", "show", "scdl/subvention")
    assert result.exit_code == 2
    assert "error: schema 'scdl/subvention' is not in the schema.data.gouv.fr catalogue" in \
        result.stderr
    command = backticked(result.stderr.split("hint: ", 1)[1]).split()
    assert command[:2] == ["opendata", "schemas"]
    assert cli(*command[1:]).exit_code == 0
    result = cli("schemas", "show", "scdl/subventions", "--version", "2.1")
    assert result.exit_code == 2
    command = backticked(result.stderr.split("hint: ", 1)[1]).split()
    assert command == ["opendata", "schemas", "show", "scdl/subventions", "--version", "2.1.1"]
    assert cli(*command[1:]).exit_code == 0


# -- update: never the real internet -------------------------------------------------------

def upstream(extra_version: bool = True) -> dict:
    """The shipped catalogue plus a new schema and a new version of a shipped one."""
    data = json.loads((SHIPPED / "schemas.json").read_text(encoding="utf-8"))
    for entry in data["schemas"]:
        if entry["name"] == "scdl/budget" and extra_version:
            entry["versions"].append({"version_name": "0.9.0",
                                      "schema_url": SDG_BASE + "scdl/budget/0.9.0/schema.json"})
    data["schemas"].append({
        "name": "region/epn", "title": "Espaces publics numériques", "schema_type":
        "tableschema", "versions": [{"version_name": "1.0.0",
                                     "schema_url": SDG_BASE + "region/epn/1.0.0/epn.json"}]})
    for hostile in ("../evil", "../../evil"):  # never turned into a path
        data["schemas"].append({"name": hostile, "schema_type": "tableschema", "versions": [
            {"version_name": "1", "schema_url": SDG_BASE + "x/y/1/schema.json"}]})
    return data


@responses.activate
def test_update_fetches_what_the_shipped_copy_lacks(cli, catalog, demo, edit):
    responses.get(SDG_CATALOGUE_URL, json=upstream())
    responses.get(SDG_BASE + "scdl/budget/0.9.0/schema.json",
                  json={"fields": [{"name": "budget"}]})
    responses.get(SDG_BASE + "region/epn/1.0.0/epn.json",
                  body=(demo / "points.schema.json").read_bytes())
    result = cli("schemas", "update")
    assert result.exit_code == 0, result.output
    assert ("schema.data.gouv.fr: 61 Table Schemas, 169 versions; 2 written to "
            "validation/schema.data.gouv.fr/, 167 already held") in result.stdout
    # only the two missing versions were downloaded, besides the catalogue
    assert len(responses.calls) == 3
    local = catalog / "validation" / "schema.data.gouv.fr"
    assert (local / "region/epn/1.0.0/epn.json").is_file()
    assert sorted(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()) \
        == ["region/epn/1.0.0/epn.json", "scdl/budget/0.9.0/schema.json", "schemas.json"]
    assert not (catalog.parent / "evil").exists()
    assert not (catalog / "validation" / "evil").exists()
    edit(demo / "dataset.yaml", SCHEMA_LINE, '    schema: {name: region/epn, version: "1.0.0"}')
    assert validate(catalog).valid
    assert resolve_schema({"name": "scdl/budget", "version": "0.9.0"}, catalog,
                          catalog).descriptor == {"fields": [{"name": "budget"}]}
    assert cli("schemas", "show", "region/epn").stdout.startswith(
        "region/epn 1.0.0: Espaces publics numériques")


@responses.activate
def test_update_of_one_schema_keeps_the_catalog_index_of_others(cli, catalog):
    responses.get(SDG_CATALOGUE_URL, json=upstream())
    responses.get(SDG_BASE + "scdl/budget/0.9.0/schema.json",
                  json={"fields": [{"name": "budget"}]})
    assert cli("schemas", "update", "scdl/budget").exit_code == 0
    index = json.loads((catalog / "validation/schema.data.gouv.fr/schemas.json").read_text())
    assert [e["name"] for e in index["schemas"]] == ["scdl/budget"]
    assert cli("schemas", "update", "scdl/budjet").exit_code == 2


@responses.activate
def test_update_refetch_does_not_duplicate_identical_files(catalog):
    from opendata.catalog.schemas import update_catalogue

    data = upstream(extra_version=False)
    data["schemas"] = [e for e in data["schemas"] if e["name"] == "scdl/budget"]
    responses.get(SDG_CATALOGUE_URL, json=data)
    for version in ("0.8.1", "0.8.2", "0.8.3"):
        responses.get(SDG_BASE + f"scdl/budget/{version}/schema.json",
                      body=(SHIPPED / f"scdl/budget/{version}/schema.json").read_bytes())
    result = update_catalogue(catalog, refetch=True)
    assert (result.same_as_bundled, result.written) == (3, [])


@responses.activate
def test_update_offline_says_so_and_changes_nothing(cli, catalog):
    responses.get(SDG_CATALOGUE_URL, body=requests.ConnectionError("Name or service not known"))
    result = cli("schemas", "update")
    assert result.exit_code == 4
    assert ("error: cannot reach schema.data.gouv.fr (ConnectionError): the network seems "
            "unavailable; nothing was changed") in result.stderr
    assert "keeps working offline with the current copy (60 Table Schemas)" in result.stderr
    assert not (catalog / "validation").exists()


@responses.activate
def test_update_losing_the_network_midway_writes_nothing(cli, catalog):
    responses.get(SDG_CATALOGUE_URL, json=upstream())
    responses.get(SDG_BASE + "scdl/budget/0.9.0/schema.json",
                  json={"fields": [{"name": "budget"}]})
    responses.get(SDG_BASE + "region/epn/1.0.0/epn.json", body=requests.ConnectTimeout())
    result = cli("schemas", "update")
    assert result.exit_code == 4 and "cannot reach schema.data.gouv.fr" in result.stderr
    assert not (catalog / "validation").exists()


@responses.activate
def test_update_with_a_missing_file_saves_the_others(cli, catalog):
    responses.get(SDG_CATALOGUE_URL, json=upstream())
    responses.get(SDG_BASE + "scdl/budget/0.9.0/schema.json", status=404)
    responses.get(SDG_BASE + "region/epn/1.0.0/epn.json", json={"fields": [{"name": "a"}]})
    result = cli("schemas", "update")
    assert result.exit_code == 4
    assert "could not fetch scdl/budget 0.9.0: HTTP 404" in result.stderr
    assert resolve_schema({"name": "region/epn", "version": "1.0.0"}, catalog, catalog)
    with pytest.raises(SchemaRefError, match="has no offline copy"):
        resolve_schema({"name": "scdl/budget", "version": "0.9.0"}, catalog, catalog)


@responses.activate
def test_update_with_a_malformed_catalogue(cli, catalog):
    responses.get(SDG_CATALOGUE_URL, body="<html>maintenance</html>")
    result = cli("schemas", "update")
    assert result.exit_code == 4 and "did not return a schema catalogue" in result.stderr
    assert not (catalog / "validation").exists()
