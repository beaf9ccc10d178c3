"""First and last commit dates of catalog files, from one ``git log`` for the whole catalog.

DCAT's ``dct:issued``/``dct:modified`` should say when a dataset first appeared and last
changed; git knows that better than file times (a fresh clone resets them).  Running one
``git log`` per dataset would cost seconds on a 10,000-dataset catalog, so the whole
history is read once and indexed by file.  Outside git (or for files not committed yet)
the file's modification time stands in.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path


class FileDates:
    """``span(files)`` -> (first, last) dates of a set of files, git first, mtime else."""

    def __init__(self, root: Path, use_git: bool = True):
        self.root = root.resolve()
        self._git: dict[str, tuple[int, int]] = {}
        self._top: Path | None = None
        if use_git:
            self._load_git()

    def _load_git(self) -> None:
        try:
            top = subprocess.run(["git", "-C", str(self.root), "rev-parse", "--show-toplevel"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            log = subprocess.run(
                ["git", "-C", top, "-c", "core.quotepath=off", "log", "--no-renames",
                 "--format=%x00%ct", "--name-only", "--", str(self.root)],
                capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return  # not a git checkout (or no git): file times only
        self._top = Path(top).resolve()
        for record in log.split("\x00")[1:]:
            lines = record.strip().splitlines()
            if not lines:
                continue
            ts = int(lines[0])
            for name in lines[1:]:
                name = name.strip()
                if not name:
                    continue
                first, last = self._git.get(name, (ts, ts))
                self._git[name] = (min(first, ts), max(last, ts))

    def file_span(self, file: Path) -> tuple[int, int] | None:
        """Epoch seconds of the first and last commit touching ``file`` (or its mtime)."""
        if self._top is not None:
            try:
                rel = file.resolve().relative_to(self._top).as_posix()
            except ValueError:
                rel = None
            if rel is not None and rel in self._git:
                return self._git[rel]
        try:
            mtime = int(file.stat().st_mtime)
        except OSError:
            return None
        return (mtime, mtime)

    def span(self, files: Iterable[Path]) -> tuple[datetime, datetime] | None:
        """(issued, modified) of a group of files: earliest first date, latest last date."""
        first: int | None = None
        last: int | None = None
        for file in files:
            got = self.file_span(file)
            if got is None:
                continue
            first = got[0] if first is None else min(first, got[0])
            last = got[1] if last is None else max(last, got[1])
        if first is None or last is None:
            return None
        return (datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC))
