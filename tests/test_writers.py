"""The release serialisers (pyoxigraph over sorted input): every literal RDF 1.1 allows survives every format,
read back by an independent parser (rdflib's), and the bytes do not depend on the process or its hash seed.

The literals come from :data:`tests.strategies.all_literals`: any Unicode text without surrogates (C0 and C1
controls, NUL, quotes, backslashes, U+2028, non-characters, non-BMP, the empty string), well-formed BCP 47
language tags in any case, ``xsd:string`` spelled out, custom datatype IRIs and ill-typed lexical forms, and
valid values of the common XSD types; one very long literal is added as an explicit example. Left out:
``rdf:XMLLiteral`` and ``rdf:HTML``, whose lexical forms rdflib rewrites (canonical XML) on construction.

RDF/XML is XML 1.0, which cannot hold U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE or U+FFFF in any
form: for a literal with one of those the RDF/XML writer must refuse with a ValueError that names the
character (the hand-written writer it replaces wrote a file no XML parser reads); every other literal must
come back from RDF/XML too, carriage returns included.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD
from tests.strategies import all_literals, examples

from cryokg.release.writers import FORMATS, canonical, to_ntriples, to_rdfxml

ROOT = Path(__file__).resolve().parents[1]
SUBJECT = URIRef("https://w3id.org/cryokg/id/code/0440T")
PREDICATES = [URIRef("https://w3id.org/cryokg/def/p"), URIRef("http://www.w3.org/2004/02/skos/core#altLabel")]
RDFLIB_FORMAT = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SETTINGS = settings(max_examples=examples(300), deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _normal(literal: Literal) -> Literal:
    """RDF 1.1 term equality: ``xsd:string`` is the plain literal; language tags compare case-insensitively."""
    if literal.language:
        return Literal(str(literal), lang=literal.language.lower())
    if literal.datatype == XSD.string:
        return Literal(str(literal))
    return literal


def _normalised(graph: Graph) -> Graph:
    result = Graph()
    for s, p, o in graph:
        result.add((s, p, _normal(o) if isinstance(o, Literal) else o))
    return result


def _graph(literals: list[Literal]) -> Graph:
    graph = Graph()
    for n, literal in enumerate(literals):
        graph.add((SUBJECT, PREDICATES[n % 2], literal))
    return graph


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@SETTINGS
@given(literals=st.lists(all_literals, min_size=1, max_size=6))
@example(literals=[Literal("x" * 200_000 + "\U0001f600" + "\\" * 1000 + '"' * 1000)])
@example(literals=[Literal(""), Literal("", lang="en"), Literal("", datatype=XSD.integer)])
@example(literals=[Literal("line one\r\nline two\rthree", lang="en-GB")])
def test_every_literal_round_trips(fmt: str, literals: list[Literal]) -> None:
    graph = _graph(literals)
    if fmt == "rdfxml" and any(NOT_XML.search(str(literal)) for literal in literals):
        with pytest.raises(ValueError, match=r"U\+[0-9A-F]{4}.*XML 1\.0"):
            to_rdfxml(graph)
        return
    text = FORMATS[fmt](graph)
    back = Graph().parse(data=text, format=RDFLIB_FORMAT[fmt])
    expected = _normalised(graph)
    assert isomorphic(_normalised(back), expected) and len(back) == len(expected), (fmt, text[:2000])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("text", ["\x01", "\x00", "a\x1fb", "\x7f", "\r", "\u2028", "\x85"])
def test_control_characters(fmt: str, text: str) -> None:
    """The cases the issue names, one by one (the old RDF/XML writer wrote U+0001 raw, unreadable XML)."""
    graph = _graph([Literal(text, lang="en"), Literal(text)])
    if fmt == "rdfxml" and NOT_XML.search(text):
        with pytest.raises(ValueError, match=r"XML 1\.0"):
            to_rdfxml(graph)
        return
    back = Graph().parse(data=FORMATS[fmt](graph), format=RDFLIB_FORMAT[fmt])
    assert isomorphic(_normalised(back), _normalised(graph))


def test_ntriples_are_sorted_and_canonical() -> None:
    graph = _graph([Literal("b\tc"), Literal("a", datatype=XSD.string), Literal("\x01", lang="EN")])
    graph.add((URIRef("urn:a"), URIRef("urn:p"), URIRef("urn:b")))
    lines = to_ntriples(graph).split("\n")[:-1]
    assert lines == sorted(lines) and len(lines) == 4
    assert '"b\\tc"' in lines[1] + lines[2] + lines[3], "canonical N-Triples escapes a tab as \\t"
    assert not any("XMLSchema#string" in line for line in lines), "xsd:string is written as a plain literal"


def test_turtle_groups_subjects_with_type_first(release) -> None:
    ordered = canonical(release.asserted)
    text = ordered.turtle(release.prefixes)
    blocks = [line for line in text.splitlines() if line and not line.startswith(("@prefix", "#", "\t"))]
    subjects = [block.split(" ", 1)[0] for block in blocks]
    assert len(subjects) == len(set(subjects)), "each subject is written once"
    assert all(" a " in block for block in blocks if block.split(" ", 2)[1] == "a") and any(
        block.split(" ", 2)[1] == "a" for block in blocks)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("@prefix"))
    for line in text.splitlines():
        if line.startswith("@prefix"):
            assert line.split()[1] in body, f"{line}: declared but never used"
    assert "@prefix sh:" not in text, "a prefix the graph never uses is not declared"


_WRITE_ALL = """
import sys
from pathlib import Path
from cryokg.release.build import build
build(out=Path(sys.argv[1]))
"""


@pytest.mark.slow  # three builds in fresh processes
def test_build_bytes_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Build the release in separate processes under several hash seeds: every file is byte-identical."""
    outs = []
    for seed in ("0", "1", "4242", "random"):
        out = tmp_path / f"build-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", _WRITE_ALL, str(out)], check=True, cwd=ROOT, env=env, timeout=300)
        outs.append(out)
    names = sorted(p.relative_to(outs[0]).as_posix() for p in outs[0].rglob("*") if p.is_file())
    assert "cryokg.ttl" in names and "exports/cryokg.graphml" in names
    for other in outs[1:]:
        assert sorted(p.relative_to(other).as_posix() for p in other.rglob("*") if p.is_file()) == names
        for name in names:
            assert (outs[0] / name).read_bytes() == (other / name).read_bytes(), f"{name} differs under {other.name}"


def _formats(ordered, prefixes) -> dict[str, bytes]:
    import io

    out = {}
    for name, write in (("nt", ordered.write_ntriples), ("ttl", lambda h: ordered.write_turtle(h, prefixes, "x")),
                        ("jsonld", ordered.write_jsonld), ("rdf", lambda h: ordered.write_rdfxml(h, prefixes))):
        buffer = io.BytesIO()
        write(buffer)
        out[name] = buffer.getvalue()
    return out


def test_streamed_writers_give_the_bytes_of_the_in_memory_ones(release, tmp_path: Path) -> None:
    """A large graph is sorted through files (small runs here, so the merge is exercised) and re-read block by
    block; every syntax must come out byte for byte as from the triples held in memory, the closure too."""
    import pyoxigraph as ox

    from cryokg.rdf.parsing import oxigraph_term
    from cryokg.release.writers import Canonical

    def triples(graph):
        return [ox.Triple(oxigraph_term(s), oxigraph_term(p), oxigraph_term(o)) for s, p, o in graph]

    held = Canonical.from_triples(triples(release.asserted))
    streamed = Canonical.sort_to_file(triples(release.asserted), tmp_path / "a.nt", run=997)
    assert _formats(streamed, release.prefixes) == _formats(held, release.prefixes)
    assert not [p for p in tmp_path.iterdir() if p.name != "a.nt"], "the sorted runs are removed"
    entailed = triples(release.entailed)
    held_closure = held.union(Canonical.from_triples(entailed))
    streamed_closure = streamed.union(Canonical.sort_to_file(entailed, tmp_path / "e.nt", run=101))
    expected = Canonical.from_triples(triples(release.inferred))
    assert _formats(streamed_closure, release.prefixes) == _formats(held_closure, release.prefixes) \
        == _formats(expected, release.prefixes)


@pytest.mark.parametrize("cut", [0, 1, 2, 3])
def test_rdfxml_refusal_sees_a_character_split_between_writes(cut: int) -> None:
    """U+FFFF is three bytes in UTF-8; the streaming check must find it however the writes cut it."""
    import io

    from cryokg.release.writers import _XmlText

    data = "<a>x\uffffy</a>".encode()
    at = data.index(b"\xef") + cut
    stream = _XmlText(io.BytesIO())
    with pytest.raises(ValueError, match=r"U\+FFFF.*XML 1\.0.*line 1"):
        stream.write(data[:at])
        stream.write(data[at:])
