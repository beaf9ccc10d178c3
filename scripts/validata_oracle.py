"""Run Validata (validata-table) on files and print its verdicts as JSON.

Runs inside the virtualenv of ``scripts/validata-dev``, never in the project's: Validata's
pins clash with ours.  Two ways in:

    validata_oracle.py FILE SCHEMA.json [--ignore-header-case]   one report
    validata_oracle.py --batch < jobs.json                       [{file, schema, ignore_header_case}]

Batch mode exists because importing Validata costs a second or two: the differential tests
send every file in one run.  Each report is ``{valid, warnings, errors: [{type, row, field,
message}]}``; a crash of Validata on one file is reported as ``{"crash": "..."}`` for that file.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def run(file: str, schema: str, ignore_header_case: bool = False) -> dict[str, Any]:
    from validata_core import resource_service, validation_service

    try:
        with open(file, "rb") as fh:
            resource = resource_service.from_file_content(file, fh.read())
        report = validation_service.validate_resource(resource, schema, ignore_header_case)
    except Exception as exc:  # Validata's own TypedException and anything else
        return {"crash": f"{type(exc).__name__}: {exc}"}
    out = report.to_dict()
    return {
        "valid": out["valid"],
        "warnings": out["warnings"],
        "errors": [{"type": e.get("type"), "row": e.get("rowNumber"), "field": e.get("fieldName"),
                    "message": e.get("message")} for e in out["errors"]],
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--batch"]:
        jobs = json.load(sys.stdin)
        json.dump([run(j["file"], j["schema"], bool(j.get("ignore_header_case"))) for j in jobs],
                  sys.stdout, ensure_ascii=False)
        return 0
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(run(argv[0], argv[1], "--ignore-header-case" in argv[2:]), sys.stdout,
              ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
