"""A pytest plugin that fails the whole run if a test token ever leaves the process.

It collects every output of the suite -- what each CLI invocation printed (click's
``CliRunner`` results), each test's captured stdout, stderr and logs, failure reports --
and, at the end, every file the tests wrote under pytest's temporary folder (reports,
dist/, crash reports, downloads), and greps them for the tokens the suite uses: the
fixed test token and the local portals' real tokens.  Input files are skipped: a target
file holding a literal token (to test that it is refused) is the one place it belongs.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from .servers import TEST_TOKEN

REPO = Path(__file__).resolve().parents[2]
#: files that are test inputs, not outputs (targets and manifests written by the tests)
INPUT_SUFFIXES = (".yaml", ".yml")
MAX_SCANNED_BYTES = 64 << 20

_hits: list[str] = []


def tokens() -> list[str]:
    """The test token and the local portals' tokens, when they are installed here."""
    found = [TEST_TOKEN]
    for env_file, key in ((REPO / ".dev" / "udata" / "env", "UDATA_API_KEY"),
                          (REPO / ".dev" / "ckan" / "env", "CKAN_API_TOKEN")):
        try:
            for line in env_file.read_text(encoding="utf-8").splitlines():
                name, _, value = line.partition("=")
                if name.strip().removeprefix("export ") == key and len(value.strip()) >= 8:
                    found.append(value.strip().strip("'\""))
        except OSError:
            pass
    return found


def scan_text(text: str, where: str, secrets: list[str] | None = None) -> list[str]:
    return [f"{where}: holds a test token" for s in (secrets or tokens()) if s and s in text]


def scan_tree(folder: Path, secrets: list[str] | None = None) -> list[str]:
    """Every output file under ``folder`` holding a token (bytes compared, any encoding
    of a visible-ASCII token is the same)."""
    secrets = secrets or tokens()
    needles = [s.encode() for s in secrets]
    hits = []
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            if name.endswith(INPUT_SUFFIXES) or path.is_symlink():
                continue
            try:
                if not path.is_file() or path.stat().st_size > MAX_SCANNED_BYTES:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            hits += [f"{path}: holds a test token" for n in needles if n in data]
    return hits


def pytest_configure(config: pytest.Config) -> None:
    from click.testing import CliRunner

    if getattr(CliRunner.invoke, "_secret_scan", False):
        return
    original = CliRunner.invoke
    secrets = tokens()

    def invoke(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        try:
            text = result.output + (result.stderr if result.stderr_bytes is not None else "")
        except ValueError:
            text = result.output
        _hits.extend(scan_text(text, f"CLI output of {args[1:2]}", secrets))
        return result

    invoke._secret_scan = True  # type: ignore[attr-defined]
    CliRunner.invoke = invoke  # type: ignore[method-assign]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    texts = [content for _name, content in report.sections]
    if report.failed:
        texts.append(report.longreprtext)
    for text in texts:
        _hits.extend(scan_text(text, f"output of {report.nodeid}"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None:
        with contextlib.suppress(OSError):
            _hits.extend(scan_tree(factory.getbasetemp()))
    crash_dir = os.environ.get("OPENDATA_CRASH_DIR")
    if crash_dir and Path(crash_dir).is_dir():
        _hits.extend(scan_tree(Path(crash_dir)))
    if _hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _hits:
        terminalreporter.section("SECRET LEAK: a test token left the process", red=True)
        for hit in sorted(set(_hits))[:50]:
            terminalreporter.line(hit)
    else:
        terminalreporter.line("secret scan: no test token in any output, log or report")
