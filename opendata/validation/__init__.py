"""Stage 2, validation: manifests and data files checked against their schemas, with the
report (text, JSON, Markdown, HTML), the cache and schema inference.

The Table Schema JSON files, SHACL shapes and the national schema catalogue live in the
repository's ``validation/`` folder (shipped as ``opendata._validation``); this package is
the code that uses them.
"""

from opendata.validation.report import Issue, ValidationReport
from opendata.validation.validator import Progress, validate

__all__ = ["Issue", "Progress", "ValidationReport", "validate"]
