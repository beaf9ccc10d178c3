"""The git history of every dataset folder, from one ``git log`` for the whole catalog.

A dataset page shows when its folder changed and why (the commit subjects).  One log per
dataset would cost a process per page at 10,000 datasets; one log over ``datasets/``,
split by folder, costs one.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from opendata.catalog.manifests import DATASETS_DIR


@dataclass(frozen=True)
class Commit:
    sha: str
    date: datetime
    subject: str


def dataset_histories(root: Path, limit: int = 20) -> dict[str, list[Commit]]:
    """Dataset folder name -> its newest ``limit`` commits (newest first); empty outside git."""
    try:
        log = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotepath=off", "log", "--no-renames",
             "--format=%x00%H%x09%ct%x09%s", "--name-only", "--relative", "--",
             DATASETS_DIR], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    out: dict[str, list[Commit]] = {}
    for record in log.split("\x00")[1:]:
        lines = record.strip("\n").splitlines()
        if not lines:
            continue
        sha, ts, subject = (lines[0].split("\t", 2) + ["", ""])[:3]
        commit = Commit(sha=sha, date=datetime.fromtimestamp(int(ts), UTC), subject=subject)
        seen: set[str] = set()
        for name in lines[1:]:
            parts = name.strip().split("/")
            if len(parts) >= 3 and parts[0] == DATASETS_DIR and parts[1] not in seen:
                seen.add(parts[1])
                commits = out.setdefault(parts[1], [])
                if len(commits) < limit:
                    commits.append(commit)
    return out
