"""The data.gouv.fr-facing catalog variant and reproducible output of every format."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, XSD
from test_dcat_stream import generated

from opendata.catalog.manifests import load_catalog
from opendata.dcat import build_dcat, check_shacl, stream_dcat, write_dcat
from opendata.dcat.datagouv import DATAGOUV_CATALOG, DatagouvVariant, for_datagouv
from opendata.dcat.ns import DCT, SPDX

REPO = Path(__file__).resolve().parent.parent


def _values(graph: Graph) -> list[Literal]:
    return [o for o in graph.objects(None, SPDX.checksumValue) if isinstance(o, Literal)]


def test_datagouv_variant_differs_only_in_the_checksum_literals(tmp_path: Path) -> None:
    catalog = load_catalog(REPO)
    out = tmp_path / "dist"
    written = stream_dcat(catalog, out, ("ttl",), per_dataset=False)
    assert out / DATAGOUV_CATALOG in written
    standard = Graph().parse(out / "catalog.ttl", format="turtle")
    variant = Graph().parse(out / DATAGOUV_CATALOG, format="turtle")
    assert _values(standard) and all(v.datatype == XSD.hexBinary for v in _values(standard))
    # rdflib hands udata bytes for the standard form, a string for the variant
    assert all(isinstance(v.toPython(), bytes) for v in _values(standard))
    assert all(v.datatype is None and isinstance(v.toPython(), str) for v in _values(variant))
    assert sorted(map(str, _values(variant))) == sorted(map(str, _values(standard)))
    assert isomorphic(DatagouvVariant(catalog.licences)(standard), variant)
    # each licence carries its data.gouv.fr id, which udata's License.guess matches exactly
    docs = set(variant.subjects(RDF.type, DCT.LicenseDocument))
    assert docs and {str(variant.value(d, RDFS.label)) for d in docs} == {
        lic.datagouv_id for lic in catalog.licences if URIRef(lic.url) in docs}
    assert not list(standard.objects(None, RDFS.label))
    assert len(variant) == len(standard) + len(docs)


def test_standard_file_conforms_and_the_variant_breaks_only_the_checksum_shape(
        tmp_path: Path) -> None:
    graph = build_dcat(load_catalog(REPO))
    assert check_shacl(graph, REPO).violations == []
    variant = for_datagouv(graph)
    violations = check_shacl(variant, REPO).violations
    assert violations and {v.path for v in violations} == {"spdx:checksumValue"}
    assert len(violations) == len(_values(graph))


def test_variant_is_paged_too_and_links_its_own_pages(tmp_path: Path) -> None:
    root = generated(tmp_path / "cat", 3)
    catalog = load_catalog(root)
    out = tmp_path / "dist"
    stream_dcat(catalog, out, ("ttl",), git=False, per_dataset=False, page_size=1,
                page_base="https://data.example.fr/dcat/")
    pages = sorted(out.glob("catalog-datagouv-page-*.ttl"))
    assert len(pages) == len(sorted(out.glob("catalog-page-*.ttl"))) >= 2
    text = pages[0].read_text(encoding="utf-8")
    assert "https://data.example.fr/dcat/catalog-datagouv-page-2.ttl" in text
    assert "^^xsd:hexBinary" not in "".join(p.read_text(encoding="utf-8") for p in pages)
    # the whole-graph writer writes the same files
    out2 = tmp_path / "dist2"
    write_dcat(build_dcat(catalog, git=False), catalog, out2, ("ttl",), per_dataset=False,
               page_size=1, page_base="https://data.example.fr/dcat/")
    for page in pages:
        assert isomorphic(Graph().parse(page, format="turtle"),
                          Graph().parse(out2 / page.name, format="turtle")), page.name


def test_no_variant_without_turtle_or_when_refused(tmp_path: Path) -> None:
    catalog = load_catalog(REPO)
    stream_dcat(catalog, tmp_path / "a", ("jsonld",), per_dataset=False)
    stream_dcat(catalog, tmp_path / "b", ("ttl",), per_dataset=False, datagouv=False)
    assert not (tmp_path / "a" / DATAGOUV_CATALOG).exists()
    assert not (tmp_path / "b" / DATAGOUV_CATALOG).exists()


def test_two_builds_of_the_same_tree_are_byte_identical(tmp_path: Path) -> None:
    """Blank-node labels derive from their owner's IRI, not rdflib's random ids."""
    root = generated(tmp_path / "cat", 4)
    catalog = load_catalog(root)
    formats = ("ttl", "jsonld", "rdf", "nt")
    first = stream_dcat(catalog, tmp_path / "one", formats, git=False, page_size=2)
    second = stream_dcat(load_catalog(root), tmp_path / "two", formats, git=False,
                         page_size=2)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    whole = tmp_path / "whole"
    write_dcat(build_dcat(catalog, git=False), catalog, whole, formats)
    write_dcat(build_dcat(catalog, git=False), catalog, tmp_path / "whole2", formats)
    for fmt in ("jsonld", "rdf", "nt"):
        assert (whole / f"catalog.{fmt}").read_bytes() == \
            (tmp_path / "whole2" / f"catalog.{fmt}").read_bytes(), fmt
