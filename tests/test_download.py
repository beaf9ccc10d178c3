"""Downloading packs: verification before extraction, hostile zips, resumed downloads,
re-validation, load_pack."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import responses

import opendata
from opendata.catalog.manifests import load_catalog
from opendata.errors import IntegrityError, UsageError
from opendata.packages.download import Limits, download, extract_pack, fetch_url, verify_zip
from opendata.packages.packs import LOCK_NAME, build_pack

PACK_YAML = """\
name: demo-pack
title: Pack de démonstration
description: Un pack pour les tests de téléchargement.
version: "0.2.0"
select:
  datasets: [demo]
"""


@pytest.fixture
def pack_zip(catalog: Path, tmp_path: Path) -> Path:
    """The fixture catalog's collection, built into tmp_path/dist."""
    (catalog / "datasets" / "packs").mkdir(parents=True)
    (catalog / "datasets" / "packs" / "demo-pack.yaml").write_text(PACK_YAML, encoding="utf-8")
    return build_pack(load_catalog(catalog), "demo-pack", tmp_path / "dist").zip_path


def rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    """Copy a zip, replacing (or dropping, with None) some members' content."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if info.filename in change:
                if change[info.filename] is not None:
                    zout.writestr(info, change[info.filename])
            else:
                zout.writestr(info, zin.read(info))
    return dst


def hostile(path: Path, name: str, *, symlink: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        if symlink:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, b"/etc/passwd")
        else:
            zf.writestr(info, b"evil")
    return path


# --------------------------------------------------------------------------- by path


def test_download_by_path_verifies_extracts_and_revalidates(pack_zip: Path,
                                                            tmp_path: Path) -> None:
    result = download(str(pack_zip), tmp_path / "out")
    folder = tmp_path / "out" / "demo-pack-0.2.0"
    assert result.folder == folder and result.ok and result.validated
    assert [(r.name, r.path) for r in result.resources] == [
        ("demo.points", folder / "demo" / "points.csv")]
    assert (folder / "demo" / "README.md").is_file() and (folder / LOCK_NAME).is_file()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_load_pack_types_french_csv(pack_zip: Path, tmp_path: Path) -> None:
    pack = opendata.load_pack(pack_zip, to=tmp_path / "cache")
    df = pack["points"]  # short name, unambiguous
    assert df is pack.frames["demo.points"]
    assert df["taux"].tolist() == [72.5, 80.1, 65.0]
    assert str(df["nb_api"].dtype) == "Int64"
    assert df["date_releve"].iloc[0] == pd.Timestamp(2006, 9, 1)
    assert df["territoire"].iloc[1] == "Gâtine"
    # an extracted folder loads in place
    again = opendata.load_pack(pack.path)
    assert again["demo.points"].equals(df)


def test_frictionless_cli_says_the_extracted_pack_is_valid(pack_zip: Path,
                                                           tmp_path: Path) -> None:
    folder = download(str(pack_zip), tmp_path / "out").folder
    assert folder is not None
    exe = Path(sys.executable).parent / "frictionless"
    proc = subprocess.run([str(exe), "validate", "datapackage.json"], cwd=folder,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "VALID" in proc.stdout and "INVALID" not in proc.stdout


def test_cli_download_by_path(pack_zip: Path, tmp_path: Path, cli) -> None:
    result = cli("download", str(pack_zip), "--to", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "demo.points" in result.stdout and "data: valid" in result.stdout
    assert str(tmp_path / "out" / "demo-pack-0.2.0" / "demo" / "points.csv") in result.stdout
    again = cli("download", str(tmp_path / "out" / "demo-pack-0.2.0"), "--verify-only")
    assert again.exit_code == 0 and "verified" in again.stdout


# --------------------------------------------------------------------------- integrity


def test_tampered_file_is_named_and_nothing_is_extracted(pack_zip: Path, tmp_path: Path,
                                                         cli) -> None:
    bad = rewrite(pack_zip, tmp_path / "bad.zip",
                  {"demo/points.csv": b"territoire;nb_api;taux;date_releve\nAunis;500;72,5;"
                                      b"01/09/2006\n"})
    out = tmp_path / "out"
    with pytest.raises(IntegrityError) as err:
        download(str(bad), out)
    assert "demo/points.csv: checksum mismatch" in err.value.message
    assert "nothing extracted" in err.value.message
    assert not out.exists() or not any(out.iterdir())
    result = cli("download", str(bad), "--to", str(out))
    assert result.exit_code == 5 and "demo/points.csv" in result.stderr


@pytest.mark.parametrize("change, message", [
    ({"demo/README.md": None}, "demo/README.md: listed in pack.lock.json but missing"),
    ({"extra.txt": None}, None),
])
def test_missing_and_unlisted_members(pack_zip: Path, tmp_path: Path, change, message) -> None:
    if "extra.txt" in change:
        bad = rewrite(pack_zip, tmp_path / "bad.zip", {})
        with zipfile.ZipFile(bad, "a") as zf:
            zf.writestr("extra.txt", b"smuggled")
        message = "extra.txt: not listed in pack.lock.json"
    else:
        bad = rewrite(pack_zip, tmp_path / "bad.zip", change)
    with pytest.raises(IntegrityError, match=message):
        verify_zip(bad)


def test_published_sha256_is_checked(pack_zip: Path, tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="differs from the published"):
        download(str(pack_zip), tmp_path / "out", sha256="0" * 64)
    # the .sha256 file written beside the zip is used when present
    sidecar = pack_zip.with_name(pack_zip.name + ".sha256")
    sidecar.write_text("f" * 64 + f"  {pack_zip.name}\n")
    with pytest.raises(IntegrityError, match="differs from the published"):
        download(str(pack_zip), tmp_path / "out")


@pytest.mark.parametrize("name, symlink, why", [
    ("../evil.txt", False, "climbs out"),
    ("a/../../evil.txt", False, "climbs out"),
    ("/etc/evil.txt", False, "absolute path"),
    ("C:/evil.txt", False, "absolute path"),
    ("a\\..\\evil.txt", False, "backslash"),
    ("link", True, "symbolic link"),
])
def test_hostile_zips_are_refused(tmp_path: Path, name: str, symlink: bool, why: str) -> None:
    bad = hostile(tmp_path / "bad.zip", name, symlink=symlink)
    out = tmp_path / "out"
    with pytest.raises(IntegrityError, match=why):
        download(str(bad), out)
    assert not out.exists() or not any(out.iterdir())
    assert not (tmp_path / "evil.txt").exists()


def test_zip_bomb_caps(pack_zip: Path, tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="more than the 100 allowed"):
        extract_pack(pack_zip, tmp_path / "out", Limits(max_total_bytes=100))
    with pytest.raises(IntegrityError, match="members, more than the 3 allowed"):
        extract_pack(pack_zip, tmp_path / "out", Limits(max_files=3))
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\0" * (8 << 20))  # ~8 KiB compressed
    with pytest.raises(IntegrityError, match="zip bomb"):
        verify_zip(bomb)
    assert not (tmp_path / "out").exists()


def test_member_larger_than_declared_is_stopped(tmp_path: Path) -> None:
    """A zip whose header under-declares a member's size: the actual bytes are counted
    while streaming, so the lie is caught before the disk fills up."""
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(LOCK_NAME, json.dumps({"files": {"data.bin": {"sha256": "x", "bytes": 4}}}))
        zf.writestr("data.bin", b"A" * 4096)
    raw = bytearray(path.read_bytes())
    # patch the central directory's uncompressed size of data.bin to 4
    name_at = raw.rfind(b"data.bin")
    cd = raw.rfind(b"PK\x01\x02", 0, name_at)
    raw[cd + 24:cd + 28] = (4).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(IntegrityError, match="more bytes than declared|damaged"):
        verify_zip(path)


def test_verify_only_detects_an_edited_extraction(pack_zip: Path, tmp_path: Path) -> None:
    folder = download(str(pack_zip), tmp_path / "out").folder
    assert folder is not None
    assert download(str(folder), verify_only=True).ok
    assert download(str(pack_zip), verify_only=True).lock["name"] == "demo-pack"
    (folder / "demo" / "points.csv").write_text("territoire;nb_api\n", encoding="utf-8")
    with pytest.raises(IntegrityError, match="demo/points.csv: checksum mismatch"):
        download(str(folder), verify_only=True)


def test_extraction_replaces_an_earlier_one_but_no_other_folder(pack_zip: Path,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "out"
    download(str(pack_zip), out)
    (out / "demo-pack-0.2.0" / "notes.txt").write_text("mine")
    download(str(pack_zip), out)
    assert not (out / "demo-pack-0.2.0" / "notes.txt").exists()
    other = tmp_path / "other" / "demo-pack-0.2.0"
    other.mkdir(parents=True)
    with pytest.raises(UsageError, match="not an extracted pack"):
        download(str(pack_zip), tmp_path / "other")


def test_portal_source_needs_the_harvester_config(tmp_path: Path, cli) -> None:
    from functools import partial

    from opendata.harvesters.lookup import resolve_portal_source

    with pytest.raises(UsageError, match="portal lookup needs the harvester"):
        download("datagouv:concours-applis", tmp_path,
                 resolve_portal=partial(resolve_portal_source, tmp_path))
    # the packages stage knows no portal: without a resolver, TARGET:PACK is a usage error
    with pytest.raises(UsageError, match="no portal lookup was given"):
        download("datagouv:concours-applis", tmp_path)
    result = cli("download", "datagouv:concours-applis", "--to", str(tmp_path))
    assert result.exit_code == 2


# --------------------------------------------------------------------------- over HTTP


class RangeServer(http.server.ThreadingHTTPServer):
    """Serves one file with Range support; can drop connections part-way."""

    daemon_threads = True

    def __init__(self, data: bytes, *, drops: int = 0, ranges: bool = True):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.data = data
        self.drops = drops  # how many responses to cut in the middle
        self.ranges = ranges
        self.requests: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/packs/demo-pack-0.2.0.zip"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: RangeServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        if not self.path.endswith(".zip"):
            self.send_error(404)
            return
        wanted = self.headers.get("Range")
        srv.requests.append(wanted)
        start = 0
        if wanted and srv.ranges:
            start = int(wanted.removeprefix("bytes=").split("-")[0])
            if start >= len(srv.data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(srv.data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range",
                             f"bytes {start}-{len(srv.data) - 1}/{len(srv.data)}")
        else:
            self.send_response(200)
        body = srv.data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes" if srv.ranges else "none")
        self.end_headers()
        if srv.drops > 0:
            srv.drops -= 1
            self.wfile.write(body[: max(1, len(body) // 2)])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def serve() -> Iterator:
    servers: list[RangeServer] = []

    def start(data: bytes, **kw: object) -> RangeServer:
        srv = RangeServer(data, **kw)  # type: ignore[arg-type]
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_download_over_http_verifies_extracts_and_reloads(pack_zip: Path, tmp_path: Path,
                                                          serve, cli) -> None:
    srv = serve(pack_zip.read_bytes())
    result = cli("download", srv.url, "--to", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "demo-pack-0.2.0.zip").read_bytes() == pack_zip.read_bytes()
    pack = opendata.load_pack(srv.url, to=tmp_path / "cache")
    assert pack["points"]["taux"].iloc[0] == 72.5


def test_interrupted_download_resumes_with_range(pack_zip: Path, tmp_path: Path,
                                                 serve) -> None:
    data = pack_zip.read_bytes()
    srv = serve(data, drops=1)
    result = download(srv.url, tmp_path / "out")
    assert result.resumed and result.ok
    assert srv.requests[0] is None and srv.requests[1] == f"bytes={len(data) // 2}-"
    assert (tmp_path / "out" / "demo-pack-0.2.0.zip").read_bytes() == data
    assert not (tmp_path / "out" / "demo-pack-0.2.0.zip.part").exists()


def test_truncated_download_is_reported_never_extracted_then_resumed(
        pack_zip: Path, tmp_path: Path, serve) -> None:
    data = pack_zip.read_bytes()
    out = tmp_path / "out"
    broken = serve(data, drops=100)
    with pytest.raises(IntegrityError, match="incomplete") as err:
        fetch_url(broken.url, out, attempts=2)
    assert "resumes" in (err.value.hint or "")
    part = out / "demo-pack-0.2.0.zip.part"
    assert 0 < part.stat().st_size < len(data)
    assert sorted(p.name for p in out.iterdir()) == [part.name]  # nothing extracted
    kept = part.stat().st_size
    healthy = serve(data)
    result = download(healthy.url, out)
    assert result.resumed and result.ok and healthy.requests == [f"bytes={kept}-"]
    assert (out / "demo-pack-0.2.0.zip").read_bytes() == data


def test_server_without_ranges_sends_everything_again(pack_zip: Path, tmp_path: Path,
                                                      serve) -> None:
    data = pack_zip.read_bytes()
    srv = serve(data, drops=1, ranges=False)
    result = download(srv.url, tmp_path / "out")
    assert not result.resumed and result.ok
    assert (tmp_path / "out" / "demo-pack-0.2.0.zip").read_bytes() == data


@responses.activate
def test_http_errors_and_bad_ranges(pack_zip: Path, tmp_path: Path) -> None:
    data = pack_zip.read_bytes()
    url = "https://portal.example/missing.zip"
    responses.get(url, status=404)
    with pytest.raises(opendata.errors.PortalError, match="HTTP 404"):
        fetch_url(url, tmp_path)
    # a server answering a range request with another range: start again from zero
    url2 = "https://portal.example/p.zip"
    (tmp_path / "p.zip.part").write_bytes(data[:10])
    responses.get(url2, status=206, body=data[5:],
                  headers={"Content-Range": f"bytes 5-{len(data) - 1}/{len(data)}"})
    responses.get(url2, status=200, body=data)
    path, resumed = fetch_url(url2, tmp_path)
    assert path.read_bytes() == data and not resumed


def test_tampered_download_over_http_is_not_extracted(pack_zip: Path, tmp_path: Path,
                                                      serve) -> None:
    bad = rewrite(pack_zip, tmp_path / "bad.zip", {"demo/LICENCE.md": b"no licence"})
    srv = serve(bad.read_bytes())
    with pytest.raises(IntegrityError, match="demo/LICENCE.md: checksum mismatch"):
        download(srv.url, tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["demo-pack-0.2.0.zip"]


def test_bundled_app_contest_pack_builds_reloads_and_validates(tmp_path: Path) -> None:
    """The bundled catalog's app-contest pack builds, downloads, verifies and reloads."""
    repo = Path(__file__).resolve().parents[1]
    root = tmp_path / "repo"
    root.mkdir()
    for item in ("opendata.yaml", "validation", "datasets"):  # licences are built in
        src = repo / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / item)
    from opendata.pipeline.build import build

    result = build(root, root / "dist")
    bad = result.report.errors
    zip_path = root / "dist" / "packs" / "concours-applis-1.1.0.zip"
    if not zip_path.exists():
        pytest.fail("app-contest pack not built: " + "; ".join(
            f"{i.location()}: {i.message}" for i in bad))
    with zipfile.ZipFile(zip_path) as zf:
        top = json.loads(zf.read("datapackage.json"))
    datasets = {r["dataset"] for r in top["resources"]}
    assert "epn-api-poitou-charentes-2006" in datasets and len(datasets) >= 3
    pack = opendata.load_pack(zip_path, to=tmp_path / "cache")
    assert len(pack.frames) == len(top["resources"])
    exe = Path(sys.executable).parent / "frictionless"
    proc = subprocess.run([str(exe), "validate", str(pack.path / "datapackage.json")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_portal_source_finds_the_published_zip(catalog: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """TARGET:PACK: the harvester's bulk listing gives the bundle's URL."""
    from opendata.harvesters import base
    from opendata.harvesters.lookup import resolve_portal_source

    (catalog / "harvesters").mkdir()
    (catalog / "harvesters" / "demo.yaml").write_text("type: ckan\nurl: http://127.0.0.1:9\n")
    remote = base.Remote(id="1", name="demo-pack", url="http://127.0.0.1:9/dataset/demo-pack",
                         identifier="https://bibliotheque-donnees.fr/pack/demo-pack",
                         current={}, stored_state=None, stored_fingerprint=None,
                         resources=[base.RemoteResource(id="r", name="bundle",
                                                        url="http://127.0.0.1:9/p.zip")])

    class FakePortal:
        def list_owned(self) -> dict[str, base.Remote]:
            return {remote.identifier or "": remote}

    monkeypatch.setattr(base, "make_portal", lambda target, cat: FakePortal())
    assert resolve_portal_source(catalog, "demo", "demo-pack") == "http://127.0.0.1:9/p.zip"
    with pytest.raises(UsageError, match="not published"):
        resolve_portal_source(catalog, "demo", "other-pack")
