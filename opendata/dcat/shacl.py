"""Checking a DCAT graph against the official DCAT-AP 3.0.1 SHACL shapes (pySHACL).

The shapes are copied into ``validation/shacl/`` (see its README) so the check runs
offline; the groups used are the ones the EU validator's "full" mode combines minus the
deprecated-URI list: existence and cardinality, class ranges, recommendations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from opendata.catalog.config import packaged_validation, validation_path
from opendata.dcat.ns import BoundedNamespaceManager, new_graph

SHAPE_FILES = ("split_shapes.ttl", "split_range.ttl", "split_shapes_recommended.ttl")


@dataclass(frozen=True)
class ShaclResult:
    """One SHACL finding, in words a person can act on."""

    severity: str  # "Violation", "Warning", "Info"
    focus: str
    path: str
    message: str
    shape: str = ""

    def __str__(self) -> str:
        return f"{self.severity}: {self.focus} {self.path}: {self.message}"


@dataclass
class ShaclReport:
    results: list[ShaclResult] = field(default_factory=list)

    @property
    def violations(self) -> list[ShaclResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ShaclResult]:
        return [r for r in self.results if r.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        return not self.violations


def shapes_dir(root: Path | None = None) -> Path:
    """``validation/shacl`` of the catalog if it has one, else the packaged copy."""
    if root is None:
        return packaged_validation() / "shacl"
    return validation_path(root, "shacl")


def load_shapes(root: Path | None = None) -> Graph:
    shapes = Graph()
    folder = shapes_dir(root)
    for name in SHAPE_FILES:
        shapes.parse(folder / name, format="turtle")
    return shapes


def _short(names: BoundedNamespaceManager, node: object) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return names.qname_or_none(node) or f"<{node}>"
    return str(node)


def check_shacl(graph: Graph, root: Path | None = None) -> ShaclReport:
    """Validate ``graph`` with pySHACL against the DCAT-AP 3.0.1 shapes; never raises."""
    from pyshacl import validate

    _conforms, results, _text = validate(graph, shacl_graph=load_shapes(root), inference="none",
                                         advanced=True, allow_warnings=True)
    report = ShaclReport()
    names = new_graph().namespace_manager
    assert isinstance(names, BoundedNamespaceManager)
    for res in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(res, SH.resultSeverity)
        report.results.append(ShaclResult(
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            focus=_short(names, results.value(res, SH.focusNode)),
            path=_short(names, results.value(res, SH.resultPath)),
            message=str(results.value(res, SH.resultMessage) or ""),
            shape=str(results.value(res, SH.sourceShape) or ""),
        ))
    report.results.sort(key=lambda r: (r.severity != "Violation", r.focus, r.path, r.message))
    return report
