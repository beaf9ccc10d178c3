"""Target files: secrets refused without being printed, clear errors for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.errors import ConfigError, UsageError
from opendata.harvesters.targets import load_target


def write(root: Path, text: str, name: str = "portal") -> None:
    (root / "harvesters").mkdir(exist_ok=True)
    (root / "harvesters" / f"{name}.yaml").write_text(text)


def test_valid_target(tmp_path: Path) -> None:
    write(tmp_path, "type: ckan\nurl: https://ckan.example.org/\ntoken_env: CKAN_TOKEN\n"
                    "organizations: {region-x: region-x-ckan}\nname_prefix: rx-\n")
    t = load_target(tmp_path, "portal")
    assert (t.kind, t.url, t.token_env, t.name_prefix) == (
        "ckan", "https://ckan.example.org", "CKAN_TOKEN", "rx-")
    assert t.organizations == {"region-x": "region-x-ckan"}
    assert t.resources == "upload" and t.marker == "opendata_catalog"


@pytest.mark.parametrize("line", ["token: abcdef0123456789", "api_key: udata_xyz123",
                                  "options: {password: hunter2}"])
def test_literal_secret_is_refused_and_never_printed(tmp_path: Path, line: str) -> None:
    write(tmp_path, f"type: ckan\nurl: https://x.org\n{line}\n")
    with pytest.raises(ConfigError) as exc:
        load_target(tmp_path, "portal")
    secret = line.split(": ")[-1].strip("}")
    assert "literal secret" in exc.value.message and "portal.yaml:3:" in exc.value.message
    assert secret not in exc.value.message and secret not in (exc.value.hint or "")
    assert "token_env" in exc.value.hint


def test_token_env_holding_a_token_is_refused_without_echo(tmp_path: Path) -> None:
    write(tmp_path, "type: datagouv\nurl: https://demo.data.gouv.fr\n"
                    "token_env: udata_8f3e-91ab.c0ffee\n")
    with pytest.raises(ConfigError) as exc:
        load_target(tmp_path, "portal")
    assert "NAME of an environment variable" in exc.value.message
    assert "c0ffee" not in exc.value.message


def test_unknown_setting_suggests_the_right_one(tmp_path: Path) -> None:
    write(tmp_path, "type: ckan\nurl: https://x.org\norganisations: {}\n")
    with pytest.raises(ConfigError, match="unknown setting 'organisations'") as exc:
        load_target(tmp_path, "portal")
    assert "organizations" in exc.value.hint


def test_bad_type_and_link_without_template(tmp_path: Path) -> None:
    write(tmp_path, "type: socrata\nurl: https://x.org\n")
    with pytest.raises(ConfigError, match="type must be one of ckan, datagouv"):
        load_target(tmp_path, "portal")
    write(tmp_path, "type: ckan\nurl: https://x.org\nresources: link\n")
    with pytest.raises(ConfigError, match="needs a link_template"):
        load_target(tmp_path, "portal")


def test_unknown_target_lists_known_ones(tmp_path: Path) -> None:
    write(tmp_path, "type: ckan\nurl: https://x.org\n", name="ckan-region")
    with pytest.raises(UsageError) as exc:
        load_target(tmp_path, "ckan-regoin")
    assert "ckan-region" in exc.value.hint


def test_cli_exit_code_for_a_secret_in_a_target(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "cat"
    shutil.copytree(Path(__file__).parent / "fixtures" / "catalog", root)
    write(root, "type: ckan\nurl: https://x.org\ntoken: 0123456789abcdef\n")
    result = CliRunner().invoke(main, ["--root", str(root), "plan", "--target", "portal"])
    assert result.exit_code == 3
    assert "literal secret" in result.output and "0123456789abcdef" not in result.output
