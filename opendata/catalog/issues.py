"""One finding, located in a file: what every stage reports problems with.

It lives in the first stage because loading the catalog already finds problems
(unreadable manifests), and every later stage adds its own of the same kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass
class Issue:
    """One problem, located as precisely as we can: file, line, column, field, row."""

    file: str
    message: str
    code: str
    dataset: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    row: int | None = None
    hint: str | None = None
    severity: Severity = "error"
    resource: str | None = None

    def location(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
            if self.column is not None:
                loc += f":{self.column}"
        return loc
