"""Commands import only what they use: `--help` and a cached `validate` stay light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ["requests", "rdflib", "pyshacl", "ckanapi", "urllib3"]
PROBE = """
import json, sys
from opendata.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def run_probe(*args: str) -> tuple[set[str], str]:
    """``opendata ARGS`` in a fresh process: the modules it loaded, and its stdout."""
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True,
                          text=True, check=True)
    return set(json.loads(proc.stderr.strip().splitlines()[-1])), proc.stdout


def _modules(*args: str) -> set[str]:
    return run_probe(*args)[0]


def test_help_imports_no_http_rdf_or_validation_library() -> None:
    loaded = _modules("--help")
    assert not loaded & {*HEAVY, "frictionless", "polars", "pyarrow", "duckdb", "jsonschema"}


def test_cached_validate_imports_no_http_rdf_or_engine(catalog: Path) -> None:
    first = _modules("--root", str(catalog), "validate")
    assert {"polars", "pyarrow"} <= first  # the engine checked the file
    assert "duckdb" not in first  # its primary key only rises: no duplicate to look for
    again = _modules("--root", str(catalog), "validate")
    assert not again & {*HEAVY, "polars", "pyarrow", "duckdb", "frictionless"}


def test_dcat_help_lists_the_formats_dcat_writes() -> None:
    from opendata.cli.dcat_cmd import FORMAT_NAMES
    from opendata.dcat import FORMATS

    assert tuple(FORMATS) == FORMAT_NAMES
