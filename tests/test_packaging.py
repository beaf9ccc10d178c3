"""An installed opendata must check any catalog offline, not only its own repository: the
wheel has to carry validation/ (JSON Schemas, SHACL shapes, schema.data.gouv.fr copy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_ships_every_validation_file(tmp_path: Path) -> None:
    # build from a fresh copy: setuptools would reuse a stale build/ of the work tree
    src = tmp_path / "src"
    src.mkdir()
    for item in ("pyproject.toml", "README.md", "opendata", "validation"):
        copy = shutil.copytree if (REPO / item).is_dir() else shutil.copyfile
        copy(REPO / item, src / item)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = tmp_path.glob("opendata-*.whl")
    shipped = {n.split("opendata/_validation/", 1)[1]
               for n in zipfile.ZipFile(wheel).namelist() if "opendata/_validation/" in n}
    expected = {p.relative_to(REPO / "validation").as_posix()
                for p in (REPO / "validation").rglob("*") if p.is_file()}
    assert expected, "validation/ is empty?"
    assert shipped == expected
    # the gettext catalogs of the validation messages (French), read from the package
    locale = {p.relative_to(REPO).as_posix()
              for p in (REPO / "opendata" / "catalog" / "locale").rglob("*") if p.is_file()}
    assert {"opendata/catalog/locale/fr/LC_MESSAGES/opendata.mo",
            "opendata/catalog/locale/fr/LC_MESSAGES/opendata.po"} <= locale
    assert locale <= set(zipfile.ZipFile(wheel).namelist())
