"""DCAT-AP 3.0.1: build the catalog's graph, write it, check it, read DCAT back."""

from opendata.dcat.build import DcatBuilder, build_dcat
from opendata.dcat.read import DcatParseError, parse_dcat, read_catalog
from opendata.dcat.shacl import ShaclReport, ShaclResult, check_shacl
from opendata.dcat.write import (
    FORMATS,
    dataset_graph,
    dcat_build_step,
    page_graphs,
    serialize,
    stream_dcat,
    write_dcat,
)

__all__ = [
    "DcatBuilder",
    "FORMATS",
    "DcatParseError",
    "ShaclReport",
    "ShaclResult",
    "build_dcat",
    "check_shacl",
    "dataset_graph",
    "dcat_build_step",
    "page_graphs",
    "parse_dcat",
    "read_catalog",
    "serialize",
    "stream_dcat",
    "write_dcat",
]
