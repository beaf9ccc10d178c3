"""Seeded, bounded fuzzing of everything a catalog or a download feeds opendata.

The property is the issue's: whatever the input, the library raises nothing but an
:class:`~opendata.errors.OpendataError` (or reports an issue), never anything else, and
never hangs.  ``derandomize=True`` makes each run the same examples (seeded by the test),
``max_examples`` bounds the time (the whole file runs in about a minute on 2 cores);
``FUZZ_EXAMPLES`` scales them up for a longer hunt.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from opendata.errors import EXIT_INTEGRITY, EXIT_INVALID, OpendataError
from opendata.packages.download import extract_pack, load_pack, verify_zip
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


# -- crafted zips through extraction -----------------------------------------------------

#: an absolute member name that would land here if extraction ever honoured it
ESCAPE = Path(tempfile.gettempdir()) / "opendata-fuzz-escaped"
SAFE_NAMES = st.sampled_from(["data.csv", "d/data.csv", "d/e/f.txt", "é.csv", "a", "b.json",
                              "D/x.csv", "README"])
NAMES = SAFE_NAMES | SAFE_NAMES | st.lists(
    st.sampled_from(list("ab./\\:-é") + ["..", "data", "x"]), max_size=12).map("".join) \
    | st.sampled_from(["../x", "../../x", "d/../../x", "./a", "a//b", "/abs", str(ESCAPE),
                       "C:/x", "d/", "a\x00b", "pack.lock.json", "datapackage.json", "x" * 300,
                       "d/" + "y" * 256])
#: a Unix mode recorded in the member: none, regular file, folder, symbolic link, FIFO
MODES = st.sampled_from([None, None, None, stat.S_IFREG | 0o644, stat.S_IFDIR | 0o755,
                         stat.S_IFLNK | 0o777, stat.S_IFIFO | 0o644])
zip_member = st.tuples(NAMES, st.binary(max_size=120) | st.sampled_from(
    [b"/etc/passwd", b"../../x", CSV[:200]]), MODES, st.sampled_from([0, 8, 8, 12]),
    st.sampled_from([0, 0, 0, 1]))  # flag bit 1: encrypted
#: members opendata would extract, so that the extraction itself is exercised as often
safe_member = st.tuples(SAFE_NAMES, st.binary(max_size=120), st.sampled_from(
    [None, stat.S_IFREG | 0o644]), st.sampled_from([0, 8]), st.just(0))
zip_members = st.lists(zip_member, max_size=5) | st.lists(
    safe_member, max_size=5, unique_by=lambda m: m[0].casefold())


def _crafted(members: list[tuple[str, bytes, int | None, int, int]], lock: str,
             descriptor: dict[str, Any] | None) -> tuple[bytes, dict[str, bytes]]:
    """The zip, and the files a complete extraction must give (name -> bytes).

    ``lock``: ``none``, ``true`` (every file with its real sha256 and size, so that
    verification passes and extraction is reached) or ``lying`` (one size off)."""
    buf = io.BytesIO()
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(buf, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are on purpose
        entries = list(members)
        if descriptor is not None:
            entries.append(("datapackage.json", json.dumps(descriptor).encode(), None, 8, 0))
        for name, content, mode, method, flags in entries:
            info = zipfile.ZipInfo(name or "x")
            info.compress_type = method
            info.flag_bits = flags & 0x1  # the encryption bit; the others Python owns
            if mode is not None:
                info.create_system, info.external_attr = 3, mode << 16
            try:
                zf.writestr(info, content)
            except (ValueError, NotImplementedError, RuntimeError, UnicodeEncodeError):
                continue
            if not info.is_dir():
                files[info.filename] = content
        if lock != "none":
            table = {n: {"sha256": hashlib.sha256(c).hexdigest(),
                         "bytes": len(c) + (1 if lock == "lying" else 0)}
                     for n, c in files.items() if n != "pack.lock.json"}
            text = json.dumps({"files": table}).encode()
            with contextlib.suppress(ValueError):
                zf.writestr("pack.lock.json", text)
                files["pack.lock.json"] = text
    return buf.getvalue(), files


def _tree(folder: Path) -> dict[str, Path]:
    return {str(p.relative_to(folder)): p for p in folder.rglob("*")}


def _check_extraction(tmp: Path, dest: Path, expected: dict[str, bytes],
                      error: OpendataError | None, before: set[str]) -> None:
    """Nothing outside ``dest`` but what was there; ``dest`` complete or absent."""
    assert not ESCAPE.exists() and not ESCAPE.is_symlink(), "a member escaped to /tmp"
    parents = {p for p in dest.parents if p.is_dir() and not p.is_symlink()}
    outside = {n for n in _tree(tmp) if not (tmp / n).is_relative_to(dest)
               and tmp / n not in parents} - before
    assert not outside, f"written outside the target folder: {sorted(outside)}"
    for path in dest.rglob("*") if dest.exists() else []:
        assert not path.is_symlink() and (path.is_dir() or path.is_file()), path
    if error is not None and not dest.exists():
        assert error.exit_code == EXIT_INTEGRITY, (error.exit_code, error.message)
        event(f"refused, exit {error.exit_code}")
        return
    event("extracted" if error is None else f"extracted, then exit {error.exit_code}")
    got = {n: p.read_bytes() for n, p in _tree(dest).items() if p.is_file()}
    assert got == expected, (sorted(got), sorted(expected))


@fuzz(250)
@given(members=zip_members,
       lock=st.sampled_from(["true", "true", "lying", "none"]))
def test_crafted_zips_extract_inside_their_folder_or_not_at_all(tmp_path, members, lock):
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    data, expected = _crafted(members, lock, None)
    zip_path = work / "p-1.0.0.zip"
    zip_path.write_bytes(data)
    dest = work / "a" / "b" / "p-1.0.0"
    before = set(_tree(work))
    try:
        extract_pack(zip_path, dest)
        error = None
    except OpendataError as exc:
        error = exc
    _check_extraction(work, dest, expected, error, before)
    if error is not None:
        assert error.exit_code == EXIT_INTEGRITY, (error.exit_code, error.message)


RES_PATHS = st.sampled_from(["data.csv", "d/data.csv", "../data.csv", "/etc/passwd",
                             str(ESCAPE), "d", "missing.csv", "data.csv/", "link.csv",
                             "https://example.org/x.csv"]) | st.text(max_size=12)
descriptors = st.fixed_dictionaries({"name": st.just("p"), "resources": st.lists(
    st.fixed_dictionaries({"name": st.sampled_from(["r", "s"]), "path": RES_PATHS | values},
                          optional={"profile": st.just("tabular-data-resource"),
                                    "dialect": values | st.just({"delimiter": ";"}),
                                    "schema": schemas}), max_size=3) | values}) | values


@fuzz(200)
@given(members=zip_members, descriptor=descriptors,
       lock=st.sampled_from(["true", "true", "lying"]))
def test_crafted_packs_load_or_fail_cleanly(tmp_path, members, descriptor, lock):
    """``load_pack`` extracts, then reads the descriptor and the tables: an integrity
    error (exit 5) leaves no folder; a table its schema cannot read (exit 1) comes after a
    complete extraction."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    data, expected = _crafted([*members, ("data.csv", CSV, None, 8, 0)], lock, descriptor)
    zip_path = work / "p-1.0.0.zip"
    zip_path.write_bytes(data)
    cache = work / "cache"
    before = set(_tree(work))
    try:
        load_pack(zip_path, to=cache)
        error = None
    except OpendataError as exc:
        error = exc
    _check_extraction(work, cache / "p-1.0.0", expected, error, before)
    if error is not None:
        assert error.exit_code in (EXIT_INTEGRITY, EXIT_INVALID), (error.exit_code,
                                                                   error.message)
