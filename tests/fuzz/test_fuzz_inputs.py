"""Seeded, bounded fuzzing of everything a catalog or a download feeds opendata.

The property is the issue's: whatever the input, the library raises nothing but an
:class:`~opendata.errors.OpendataError` (or reports an issue), never anything else, and
never hangs.  ``derandomize=True`` makes each run the same examples (seeded by the test),
``max_examples`` bounds the time (the whole file runs in about a minute on 2 cores);
``FUZZ_EXAMPLES`` scales them up for a longer hunt.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.errors import OpendataError
from opendata.packages.download import verify_zip
from opendata.validation.validator import validate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "catalog"
SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))


def fuzz(examples: int):
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None,
                    derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "catalog"
    shutil.copytree(FIXTURE, root)
    return root


BASE = yaml.safe_load((FIXTURE / "datasets" / "demo" / "dataset.yaml").read_text("utf-8"))
CSV = (FIXTURE / "datasets" / "demo" / "points.csv").read_bytes()
SCHEMA = (FIXTURE / "datasets" / "demo" / "points.schema.json").read_text("utf-8")

scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.sampled_from(["", ".", "..", "/etc/passwd", "points.csv", "../x", "utf-8",
                              "cp1252", ";", ",", "2006-02-30", "http://", "\x00", "{fk}"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
MANIFEST_KEYS = list(BASE) + ["extras", "landing_page", "private", "contact", "unknown"]
RESOURCE_KEYS = list(BASE["resources"][0]) + ["url", "type", "mediatype", "description"]
DIALECT_KEYS = ["delimiter", "encoding", "decimalChar", "groupChar", "quoteChar", "header",
                "headerRows", "skipInitialSpace", "commentChar", "other"]


def check(root: Path, **files: bytes | str) -> None:
    """Write the files into the demo dataset, validate, and accept only issues or an
    OpendataError."""
    for name, content in files.items():
        path = root / "datasets" / "demo" / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
        else:
            path.write_bytes(content)
    try:
        report = validate(root, use_cache=False)
    except OpendataError:
        return
    json.dumps(report.to_dict())  # the report itself must serialise


def restore(root: Path) -> None:
    folder = root / "datasets" / "demo"
    (folder / "dataset.yaml").write_text(yaml.safe_dump(BASE, allow_unicode=True), "utf-8")
    (folder / "points.csv").write_bytes(CSV)
    (folder / "points.schema.json").write_text(SCHEMA, "utf-8")


@fuzz(150)
@given(changes=st.dictionaries(st.sampled_from(MANIFEST_KEYS), values, max_size=4))
def test_manifest_fields(root, changes):
    restore(root)
    check(root, **{"dataset.yaml": yaml.safe_dump({**BASE, **changes}, allow_unicode=True)})


@fuzz(150)
@given(changes=st.dictionaries(st.sampled_from(RESOURCE_KEYS), values, max_size=4),
       dialect=st.dictionaries(st.sampled_from(DIALECT_KEYS), values, max_size=4) | values)
def test_resources_and_dialects(root, changes, dialect):
    restore(root)
    resource = {**BASE["resources"][0], **changes, "dialect": dialect}
    check(root, **{"dataset.yaml": yaml.safe_dump({**BASE, "resources": [resource]},
                                                  allow_unicode=True)})


YAML_ALPHABET = st.sampled_from(list(":-[]{}&*!|>'\"#%@`,? \n\t\\") + ["name", "a", "1",
                                 "&x", "*x", "<<", "!!str", "---", "...", "\x07", "é"])


@fuzz(200)
@given(text=st.lists(YAML_ALPHABET, max_size=80).map("".join))
def test_raw_yaml(root, text):
    restore(root)
    check(root, **{"dataset.yaml": text})


field = st.fixed_dictionaries({"name": values}, optional={
    "type": st.sampled_from(["string", "integer", "number", "date", "boolean", "year",
                             "datetime", "geopoint", "nope"]) | values,
    "format": values, "constraints": values, "decimalChar": values, "groupChar": values,
    "trueValues": values, "missingValues": values})
schemas = st.fixed_dictionaries({"fields": st.lists(field, max_size=5) | values}, optional={
    "primaryKey": values, "foreignKeys": values, "missingValues": values}) | values


@fuzz(150)
@given(schema=schemas)
def test_table_schemas(root, schema):
    restore(root)
    check(root, **{"points.schema.json": json.dumps(schema, allow_nan=True)})


cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
rows = st.lists(st.lists(cells | st.sampled_from(["72,5", "01/09/2006", "", '"', "1 000"]),
                         min_size=0, max_size=6), max_size=6)


@fuzz(150)
@given(header=st.booleans(), table=rows, sep=st.sampled_from([";", ",", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
       newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_csv_text(root, header, table, sep, encoding, newline):
    restore(root)
    lines = (["territoire;nb_api;taux;date_releve".replace(";", sep)] if header else [])
    lines += [sep.join(r) for r in table]
    data = newline.join(lines).encode(encoding, errors="replace")
    check(root, **{"points.csv": data})


@fuzz(150)
@given(data=st.binary(max_size=3000) | st.builds(lambda a, b: a + b, st.just(CSV[:60]),
                                                 st.binary(max_size=400)))
def test_csv_bytes(root, data):
    restore(root)
    check(root, **{"points.csv": data})


def _pack_bytes() -> bytes:
    import tempfile

    from opendata.catalog.manifests import load_catalog
    from opendata.packages.packs import build_dataset_package

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "c"
        shutil.copytree(FIXTURE, root)
        report = validate(root, use_cache=False)
        built = build_dataset_package(load_catalog(root), "demo", Path(tmp) / "dist", report)
        return built.zip_path.read_bytes()


PACK = _pack_bytes()


def _verify(tmp: Path, data: bytes) -> None:
    path = tmp / "p-1.0.0.zip"
    path.write_bytes(data)
    with contextlib.suppress(OpendataError):
        verify_zip(path)


@fuzz(300)
@given(flips=st.lists(st.tuples(st.integers(0, len(PACK) - 1), st.integers(1, 255)),
                      min_size=1, max_size=6), cut=st.none() | st.integers(0, len(PACK)))
def test_mutated_packs(tmp_path, flips, cut):
    data = bytearray(PACK)
    for at, xor in flips:
        data[at] ^= xor
    _verify(tmp_path, bytes(data[:cut] if cut is not None else data))


member = st.tuples(st.text(max_size=40) | st.sampled_from(
    ["a", "A", "a/b", "../x", "/abs", "pack.lock.json", "datapackage.json", "x" * 300, "d/"]),
    st.binary(max_size=200), st.integers(0, 0xFFFF), st.sampled_from([0, 8, 12, 14]))


@fuzz(200)
@given(members=st.lists(member, max_size=6), lock=st.booleans())
def test_crafted_zips(tmp_path, members, lock):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        files = {}
        for name, content, flags, method in members:
            info = zipfile.ZipInfo(name or "x")
            info.flag_bits = flags & ~0x8 & ~0x800  # keep the data-descriptor bit Python's
            info.compress_type = method
            try:
                zf.writestr(info, content)
            except (ValueError, NotImplementedError, RuntimeError, UnicodeEncodeError):
                continue
            files[info.filename] = content
        if lock:
            import hashlib

            zf.writestr("pack.lock.json", json.dumps({"files": {
                n: {"sha256": hashlib.sha256(c).hexdigest(), "bytes": len(c)}
                for n, c in files.items()}}))
    _verify(tmp_path, buf.getvalue())
