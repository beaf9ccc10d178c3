"""Hostile archives: refused with exit 5 before anything is written, whatever the trick
(sizes that add up, encryption, exotic compression, names, conflicts, paths in the
pack's own datapackage.json), and never a traceback."""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from pathlib import Path

import pytest

import opendata
from opendata.errors import IntegrityError
from opendata.packages.download import Limits, verify_zip
from opendata.packages.packs import LOCK_NAME


def make_pack(path: Path, members: dict[str, bytes], *, lock: bool = True,
              method: int = zipfile.ZIP_DEFLATED) -> Path:
    """A zip with a correct pack.lock.json over ``members``: only the trick under test
    is wrong, so a refusal is for that trick."""
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if lock:
            files = {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)}
                     for n, d in members.items()}
            zf.writestr(LOCK_NAME, json.dumps({"files": files}))
    return path


def download(run, zip_path: Path, to: Path):
    return run("download", str(zip_path), "--to", str(to))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """1,024 members of 1 MiB of zeros: each under the per-member ratio threshold, 1 GiB
    in all."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zero = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(1024):
            zf.writestr(f"data/f{i:04d}.bin", zero)
    return path


def test_many_small_members_that_add_up_are_refused(run, bomb, tmp_path):
    started = time.monotonic()
    result = download(run, bomb, tmp_path / "out")
    assert time.monotonic() - started < 10
    assert result.exit_code == 5 and "zip bomb" in result.output, result.output
    assert not (tmp_path / "out" / "bomb").exists()


def test_real_bytes_are_capped_whatever_the_ratio(tmp_path):
    pack = make_pack(tmp_path / "p.zip", {f"f{i}.csv": os.urandom(1 << 16) for i in range(8)},
                     method=zipfile.ZIP_STORED)
    with pytest.raises(IntegrityError, match="more than the"):
        verify_zip(pack, Limits(max_total_bytes=300_000))
    with pytest.raises(IntegrityError, match="members, more than the 5 allowed"):
        verify_zip(pack, Limits(max_files=5))


def test_encrypted_member(run, tmp_path):
    path = tmp_path / "enc.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("data.csv")
        info.flag_bits |= 0x1
        zf.writestr(info, b"a,b\n1,2\n")
    result = download(run, path, tmp_path / "out")
    assert result.exit_code == 5 and "encrypted" in result.output, result.output


@pytest.mark.parametrize("method, code", [(zipfile.ZIP_BZIP2, 12), (zipfile.ZIP_LZMA, 14),
                                          (None, 9), (None, 99)])
def test_unsupported_compression(run, tmp_path, method, code):
    path = tmp_path / "c.zip"
    if method is not None:
        make_pack(path, {"data.csv": b"a,b\n1,2\n"}, method=method)
    else:  # deflate64 or AES: Python cannot write them; patch the method of a stored member
        make_pack(path, {"data.csv": b"a,b\n1,2\n"}, lock=False, method=zipfile.ZIP_STORED)
        raw = bytearray(path.read_bytes())
        for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
            at = raw.find(sig)
            raw[at + offset:at + offset + 2] = code.to_bytes(2, "little")
        path.write_bytes(bytes(raw))
    result = download(run, path, tmp_path / "out")
    assert result.exit_code == 5, result.output
    assert f"unsupported compression method ({code})" in result.output


@pytest.mark.parametrize("name", ["a" * 300 + ".csv", "/".join(["d" * 200] * 6) + "/x.csv",
                                  "x\x01.csv", "ok/\x7f"[:-1] + "\n.csv"])
def test_over_long_or_odd_member_names(run, tmp_path, name):
    path = make_pack(tmp_path / "n.zip", {name: b"x"})
    result = download(run, path, tmp_path / "out")
    assert result.exit_code == 5 and "refused" in result.output, result.output


@pytest.mark.parametrize("names", [["data.csv", "DATA.csv"], ["data", "data/x.csv"],
                                   ["a/b.csv", "A/b.csv"]])
def test_conflicting_members(run, tmp_path, names):
    path = make_pack(tmp_path / "c.zip", {n: b"x" for n in names})
    result = download(run, path, tmp_path / "out")
    assert result.exit_code == 5 and "conflicting" in result.output, result.output


def _descriptor(path: str) -> bytes:
    return json.dumps({"name": "p", "resources": [{
        "name": "r", "path": path, "profile": "tabular-data-resource", "format": "csv",
        "schema": {"fields": [{"name": "a", "type": "string"}]}}]}).encode()


@pytest.mark.parametrize("path", ["/etc/passwd", "../../../../etc/passwd", "x/../../p.csv",
                                  "C:/x.csv", 12])
def test_datapackage_paths_are_checked_like_manifest_paths(run, tmp_path, path):
    pack = make_pack(tmp_path / "p-1.0.0.zip", {"datapackage.json": _descriptor(path),
                                                "data.csv": b"a\n1\n"})
    result = download(run, pack, tmp_path / "out")
    assert result.exit_code == 5, result.output
    assert "datapackage.json" in result.output
    with pytest.raises(IntegrityError, match="datapackage.json"):
        opendata.load_pack(pack, to=tmp_path / "cache")
    # the extractions made for it are gone, not left behind as if verified
    assert not (tmp_path / "out" / "p-1.0.0").exists()
    assert not (tmp_path / "cache" / "p-1.0.0").exists()


def test_load_pack_refuses_a_symlink_planted_in_an_extracted_folder(tmp_path):
    pack = make_pack(tmp_path / "p-1.0.0.zip", {"datapackage.json": _descriptor("link.csv"),
                                                "data.csv": b"a\n1\n"})
    folder = opendata.packages.download.extract_pack(pack, tmp_path / "x")
    (folder / "link.csv").symlink_to("/etc/passwd")
    with pytest.raises(IntegrityError, match="symbolic link"):
        opendata.packages.download.read_table(folder, json.loads(_descriptor("link.csv"))[
            "resources"][0])


@pytest.mark.parametrize("descriptor", [b"[1, 2]", b'{"resources": 3}', b'{"resources": [1]}',
                                        b"{" * 5000])
def test_malformed_datapackage_json(run, tmp_path, descriptor):
    pack = make_pack(tmp_path / "p-1.0.0.zip", {"datapackage.json": descriptor})
    result = download(run, pack, tmp_path / "out")
    assert result.exit_code == 5 and "datapackage.json" in result.output, result.output


def test_malformed_schema_in_a_pack_is_an_integrity_error(tmp_path):
    desc = json.loads(_descriptor("data.csv"))
    desc["resources"][0]["schema"] = {"fields": [{"name": 1}]}
    pack = make_pack(tmp_path / "p-1.0.0.zip", {"datapackage.json": json.dumps(desc).encode(),
                                                "data.csv": b"a\n1\n"})
    with pytest.raises(IntegrityError, match="not a valid Table Schema"):
        opendata.load_pack(pack, to=tmp_path / "cache")


def test_a_pack_whose_table_cannot_be_read_leaves_no_extraction(tmp_path):
    descriptor = json.loads(_descriptor("data.csv"))
    descriptor["resources"][0]["dialect"] = "semicolon"
    pack = make_pack(tmp_path / "p-1.0.0.zip", {"datapackage.json": json.dumps(descriptor)
                                                .encode(), "data.csv": b"a\n1\n"})
    with pytest.raises(IntegrityError, match="dialect"):
        opendata.load_pack(pack, to=tmp_path / "cache")
    assert not (tmp_path / "cache" / "p-1.0.0").exists()
    assert pack.is_file()  # the zip itself is the user's: kept
