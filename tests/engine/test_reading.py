"""How the engine reads a file: the text it hands pyarrow is the codec's text, exactly, and
the shortcuts it takes (latin-1's decoder for cp1252, unchecked UTF-8, one block per chunk)
never change a finding."""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendata.validation import engine
from opendata.validation.engine import HandBack, _Run, latin1_outside
from opendata.validation.tabular import validate_table

SCHEMA = {"fields": [{"name": "id", "type": "integer", "constraints": {"required": True}},
                     {"name": "nom", "type": "string", "constraints": {"maxLength": 40}}]}
KW = {"dataset": "d", "resource": "r"}


def test_latin1_outside_names_where_each_codec_differs_from_latin1() -> None:
    assert latin1_outside("cp1252") == (0x80, 0xa0)
    assert latin1_outside("latin-1") == latin1_outside("iso-8859-1") == (0, 0)
    assert latin1_outside("iso8859-15") == (0xa4, 0xbf)
    assert latin1_outside("cp850") is None  # every high byte differs: no shortcut
    assert latin1_outside("utf-8") is None and latin1_outside("no-such-codec") is None


def _reader(encoding: str) -> _Run:
    run = _Run.__new__(_Run)
    run.encoding = encoding
    run._latin1 = latin1_outside(encoding)
    return run


@settings(max_examples=300, derandomize=True, deadline=None)
@given(data=st.binary(max_size=300), encoding=st.sampled_from(
    ["cp1252", "latin-1", "iso8859-15", "cp850"]))
def test_every_chunk_becomes_the_codecs_own_utf8(data: bytes, encoding: str) -> None:
    """Whichever decoder the engine takes, the UTF-8 is the codec's, byte for byte."""
    try:
        want = data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        return  # scan_file reports such a file before the engine reads it
    run = _reader(encoding)
    decoder = codecs.getincrementaldecoder(encoding)()
    assert run._utf8(data, decoder, final=True) == want


def test_a_cp1252_file_with_and_without_its_own_range(tmp_path: Path) -> None:
    """Chunks with 0x80-0x9f (the euro sign, curly quotes) and chunks without: the same
    findings as the reference path, which decodes with the codec."""
    monkey = pytest.MonkeyPatch()
    monkey.setattr(engine, "BLOCK_SIZE", 64)
    try:
        rows = ["id;nom"] + [f"{i};{'Île d’Aix €' if i % 7 == 0 else 'Poitiers é'}"
                             for i in range(1, 60)] + ["x;" + "é" * 41]
        path = tmp_path / "t.csv"
        path.write_bytes(("\n".join(rows) + "\n").encode("cp1252"))
        dialect = {"delimiter": ";", "encoding": "cp1252"}
        fast = engine.validate_table(path, "d/t.csv", SCHEMA, dialect, **KW)
    finally:
        monkey.undo()
    ref = validate_table(path, "d/t.csv", SCHEMA, dialect, **KW)
    assert [asdict(i) for i in fast.issues] == [asdict(i) for i in ref.issues]
    assert [i.code for i in fast.issues] == ["type-error", "constraint-error"]
    assert fast.rows == ref.rows == 60


def test_a_utf8_chunk_that_no_longer_decodes_hands_the_file_back() -> None:
    """scan_file found valid UTF-8; if the file changed since, pyarrow is not handed bytes
    it would take unchecked."""
    run = _reader("utf-8")
    assert run._utf8("déjà\n".encode(), None) == "déjà\n".encode()
    with pytest.raises(HandBack, match="changed while it was read"):
        run._utf8(b"d\xe9j\xe0\n", None)


def test_a_record_longer_than_a_block_is_parsed_whole(tmp_path: Path) -> None:
    """A quoted value with line breaks, longer than pyarrow's block: the chunk is still
    parsed as one block, so its line breaks stay inside the value."""
    path = tmp_path / "t.csv"
    long = "\n".join(["ligne;" + "x" * 60] * 40_000)  # ~2.6 MB in one quoted cell
    path.write_text(f'id;nom\n1;a\n2;"{long}"\n3;b\nz;c\n', encoding="utf-8")
    fast = engine.validate_table(path, "d/t.csv", SCHEMA, {"delimiter": ";"}, **KW)
    ref = validate_table(path, "d/t.csv", SCHEMA, {"delimiter": ";"}, **KW)
    assert fast.engine == "columnar"
    assert [asdict(i) for i in fast.issues] == [asdict(i) for i in ref.issues]
    assert [(i.code, i.row) for i in fast.issues] == [("constraint-error", 3),
                                                      ("type-error", 5)]
    assert fast.rows == ref.rows == 4


def test_validate_no_cache_on_a_plain_schema_loads_no_frictionless(catalog: Path) -> None:
    """The engine compiles the fixture's plain schema itself and every cell takes the fast
    tier: Frictionless (0.2 s to import) is never loaded."""
    from test_startup import run_probe

    loaded, out = run_probe("--root", str(catalog), "validate", "--no-cache", "--format",
                            "json")
    report = json.loads(out)
    [resource] = report["datasets"][0]["resources"]
    assert resource["engine"] == "columnar" and resource["rows"] > 0 and resource["valid"]
    assert {"polars", "pyarrow"} <= loaded
    assert "frictionless" not in loaded


@settings(max_examples=200, derandomize=True, deadline=None)
@given(parts=st.lists(st.sampled_from([b"id;nom\n", b"1;a\n", "é;ü€\n".encode(),
                                       b"\xe9", b"\xc3", b"\xa9", b"\xef\xbb\xbf", b"\x80"]),
                      max_size=12),
       encoding=st.sampled_from(["utf-8", "utf-8-sig"]))
def test_a_utf8_file_is_decoded_once_with_the_same_facts(tmp_path_factory: pytest.TempPathFactory,
                                                        parts: list[bytes],
                                                        encoding: str) -> None:
    """scan_file decodes a file declared UTF-8 once: whether it looks like UTF-8 is whether
    it decodes, split across chunks (4 bytes here) or not, truncated at the end or not."""
    from opendata.validation import tabular

    data = b"".join(parts)
    path = tmp_path_factory.mktemp("scan") / "t.csv"
    path.write_bytes(data)
    monkey = pytest.MonkeyPatch()
    monkey.setattr(tabular, "CHUNK", 4)
    try:
        facts = tabular.scan_file(path, encoding)
    finally:
        monkey.undo()
    try:
        data.decode(encoding)
        decodes = True
    except UnicodeDecodeError:
        decodes = False
    assert (facts.encoding_error is None) is decodes
    assert facts.looks_utf8 is (decodes and not data.isascii())
