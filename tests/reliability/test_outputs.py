"""Atomic outputs: dist/ is always one whole build; interruptions and unwritable outputs
give one clear line and leave nothing half-written (no *.tmp), whatever the moment."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .servers import TEST_TOKEN, Server, never_answer

REPO = Path(__file__).resolve().parents[2]
OPENDATA = [sys.executable, "-c", "from opendata.cli import main; main()"]


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def leftovers(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.rglob("*")
            if p.name.endswith(".tmp") or ".tmp-" in p.name or ".old-" in p.name]


def opendata(*args: str, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("OPENDATA_RAISE_UNEXPECTED", None)  # the real CLI, as a user runs it
    return subprocess.Popen([*OPENDATA, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=full_env, **kw)


def test_dist_that_is_a_file(run, catalog):
    (catalog / "dist").write_text("not a folder", encoding="utf-8")
    result = run("build")
    assert result.exit_code == 74, result.output
    assert f"{catalog / 'dist'}: it is a file" in result.output
    assert (catalog / "dist").read_text(encoding="utf-8") == "not a folder"


def test_dist_holding_the_catalog_is_refused(run, catalog):
    result = run("build", "--dist", str(catalog))
    assert result.exit_code == 2 and "holds the catalog itself" in result.output
    assert (catalog / "datasets" / "demo" / "dataset.yaml").is_file()


def test_foreign_folder_is_never_replaced(run, catalog, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious", encoding="utf-8")
    result = run("build", "--dist", str(mine))
    assert result.exit_code == 74 and "not written by `opendata build`" in result.output
    assert (mine / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_build_replaces_dist_whole_and_keeps_foreign_files(run, catalog):
    assert run("build").exit_code == 0
    dist = catalog / "dist"
    (dist / "publish-report.json").write_text("{}", encoding="utf-8")
    (dist / "packages" / "stale.zip").write_bytes(b"old")
    assert run("build").exit_code == 0
    assert (dist / "publish-report.json").is_file()  # not the build's: carried over
    assert not (dist / "packages" / "stale.zip").exists()  # the build's: replaced whole
    assert (dist / ".opendata-build").is_file() and not leftovers(catalog)


def _in_namespace(mount: str, command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``command`` in a private mount namespace where ``mount`` is a fresh tmpfs
    mounted with the given options: a real full or read-only file system, gone when the
    process ends."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed")
    target = cwd / "out"
    target.mkdir()
    script = f"mount -t tmpfs -o {mount} tmpfs {target} && exec \"$@\""
    env = {**os.environ}
    env.pop("OPENDATA_RAISE_UNEXPECTED", None)
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                           "sh", *command], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)
    if "mount:" in proc.stderr and ("permission denied" in proc.stderr.lower()
                                    or "not permitted" in proc.stderr.lower()):
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    if proc.returncode != 0 and "unshare:" in proc.stderr:
        pytest.skip(f"cannot create a mount namespace here: {proc.stderr.strip()}")
    return proc


@pytest.mark.parametrize("mount, words", [("size=48k", "No space left on device"),
                                          ("ro", "Read-only file system")])
def test_full_or_read_only_disk_is_a_clear_error(catalog, tmp_path, mount, words):
    proc = _in_namespace(mount, [*OPENDATA, "--root", str(catalog), "build", "--dist",
                                 str(tmp_path / "out" / "dist")], tmp_path)
    assert proc.returncode == 74, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and words in lines[0] and str(tmp_path / "out") in lines[0]
    assert "Traceback" not in proc.stderr
    assert "hint:" in proc.stderr


def test_report_on_a_full_disk(run, catalog):
    (catalog / "harvesters").mkdir()
    (catalog / "harvesters" / "t.yaml").write_text(
        "type: ckan\nurl: http://127.0.0.1:9\norganizations: {region-poitou-charentes: x}\n"
        "options: {timeout_s: 1, deadline_s: 1}\n", encoding="utf-8")
    result = run("publish", "--target", "t", "--dry-run", "--report", "/dev/full")
    assert result.exit_code == 74 and "/dev/full" in result.output, result.output


def test_sigint_during_build_leaves_the_previous_dist(tmp_path):
    """Ctrl-C at random moments of a build of the bundled catalog (seeded): exit 130 with
    one line, dist/ byte-identical to before, no *.tmp; or, when the signal comes after
    the swap, a complete new build."""
    root = tmp_path / "cat"
    root.mkdir()
    for name in ("datasets", "opendata.yaml", "licences", "validation"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name)
        elif src.is_file():
            shutil.copy2(src, root / name)
    first = opendata("--root", str(root), "build")
    assert first.wait(300) == 0, first.stderr.read() if first.stderr else ""
    # How long a full build takes here: the signals are spread over that span, so that
    # most land mid-build whether the machine is fast or loaded.
    started = time.monotonic()
    timed = opendata("--root", str(root), "build", "--no-cache")
    timed.communicate(timeout=300)
    assert timed.returncode == 0
    span = time.monotonic() - started
    before = tree_digest(root / "dist")
    rng = random.Random(1313)
    interrupted = 0
    for _ in range(6):
        proc = opendata("--root", str(root), "build", "--no-cache")
        time.sleep(rng.uniform(0.2, 0.9) * span)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err, err
        assert not leftovers(root, tmp_path), leftovers(root, tmp_path)
        if proc.returncode == 130:
            interrupted += 1
            assert err.strip().splitlines()[-1].startswith("interrupted: opendata")
            assert len(err.strip().splitlines()) == 1, err
            assert tree_digest(root / "dist") == before
        else:
            assert proc.returncode == 0, (proc.returncode, err[-3000:])
            assert (root / "dist" / ".opendata-build").is_file()
            before = tree_digest(root / "dist")
    assert interrupted >= 2  # most signals land mid-build


def test_interrupted_publish_still_writes_its_report(catalog, tmp_path):
    server = Server(never_answer)
    try:
        (catalog / "harvesters").mkdir()
        (catalog / "harvesters" / "t.yaml").write_text(
            f"type: ckan\nurl: {server.url}\ntoken_env: OD_TEST_TOKEN\n"
            "organizations: {region-poitou-charentes: x}\n", encoding="utf-8")
        report = tmp_path / "report.json"
        proc = opendata("--root", str(catalog), "publish", "--target", "t", "--report",
                        str(report), env={"OD_TEST_TOKEN": TEST_TOKEN})
        deadline = time.monotonic() + 30
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        server.close()
    assert proc.returncode == 130, err
    import json

    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["ok"] is False and data["complete"] is False and data["error"] == "interrupted"
    assert TEST_TOKEN not in err and not leftovers(tmp_path)
