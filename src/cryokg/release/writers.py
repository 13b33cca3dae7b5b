"""Deterministic serialisers: the same graph gives the same bytes in every process, written by libraries, streamed.

rdflib iterates its store in an order that depends on the process's hash seed, so its own writers, fed the
graph directly, give different bytes from run to run. Here pyoxigraph's serialisers get sorted input instead,
and write it to a stream (a file, a socket, a buffer): no writer returns a whole document as one string.

1. **The canonical order** (:class:`Canonical`) is the sorted set of the graph's canonical N-Triples lines
   (https://www.w3.org/TR/n-triples/#canonical-ntriples: fixed escapes, no ``^^xsd:string``, one line per
   triple), sorted by code point (the order of ``LC_ALL=C sort``). That *is* ``cryokg.nt``. Lines come from
   pyoxigraph triples (sorted canonical lines; the release's come from the primary store the sources were
   parsed into, :attr:`cryokg.sources.load.SourceSet.store`) or from an rdflib graph (:func:`canonical`, for
   small graphs such as one resource's description).
2. **Every other format is a re-serialisation of those lines, in one streamed pass**: consecutive lines of one
   subject are one block; each block is parsed back by pyoxigraph (exact: canonical N-Triples round-trips),
   its ``rdf:type`` triples put first, and the triples go to pyoxigraph's Turtle, JSON-LD and RDF/XML
   serialisers, which write triples in the order given and group consecutive triples of one subject (and
   predicate): sorted input, sorted and grouped output. Lines may come from a list or from the ``cryokg.nt``
   just written (:meth:`Canonical.from_file`), so a release of any size is written holding one subject's
   triples at a time.
3. **The inferred closure** is the asserted lines merged with the entailments' own sorted lines
   (:meth:`Canonical.union`): only the entailments are sorted, not the whole closure again.

What is added to the libraries' output, and why (nothing else is touched):

* Turtle gets an optional header comment, and only the prefixes whose namespace starts an IRI of the graph
  (pyoxigraph declares every prefix it is given, longest namespace first);
* JSON-LD and RDF/XML end with a newline;
* RDF/XML: XML parsers turn a raw carriage return into a line feed (XML 1.0, section 2.11) and pyoxigraph
  writes it raw, so it becomes the character reference ``&#13;`` (a filter on the output stream, :class:`_XmlText`).
  XML 1.0 cannot hold the other C0 control characters (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F) nor
  U+FFFE and U+FFFF at all, not even as references, so a graph with such a literal is refused for RDF/XML with a
  ValueError naming the character and the line, instead of writing a file no XML parser reads. Every other
  format carries them (escaped).

JSON-LD is pyoxigraph's: expanded form (full IRIs, no ``@context``), one node object per subject.
Blank nodes are refused (ValueError): their labels are not stable, so no writer could give the same bytes
twice; the sources have none.

Measured with ``scripts/bench_build.py`` at 100 k triples (synthetic sources, seed 0; rows "write: ..."),
the library writers as merged before this layout against this layout, back to back (load average 1.1): the
canonical order 0.70 s (half of it rdflib's N-Triples writer, the way to pyoxigraph terms) against 0.27 s with
``cryokg.nt`` written, Turtle 0.16 / 0.19 s, JSON-LD 0.09 / 0.05 s, RDF/XML 0.19 / 0.11 s, and the inferred Turtle
1.18 s (its own sort of the whole closure) against 0.29 s: 2.33 s against 0.91 s for all of them (the hand-written
writers before the library ones took 1.66 s). At 1 M triples (sorted through files, re-read per syntax) the
writers' peak memory stays within 20 MiB of the build's peak after validation (docs/benchmarks.md).
"""

from __future__ import annotations

import heapq
import io
import itertools
import mmap
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

import pyoxigraph as ox
from rdflib import Graph

from cryokg.gcpause import collector_paused
from cryokg.namespaces import PREFIXES
from cryokg.rdf.parsing import oxigraph_triple

__all__ = ["FORMATS", "Canonical", "canonical", "run_size", "serialize", "to_jsonld",
           "to_ntriples", "to_rdfxml", "to_turtle"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDF_TYPE_NT = " <" + _RDF_TYPE + "> "
# A blank node in canonical N-Triples: a line that starts with one, or whose object (after two IRIs) is one.
_BLANK_NODE = re.compile(r"^(?:_:|<[^>]*> <[^>]*> _:)", re.MULTILINE)
# Characters XML 1.0 has no way to write (section 2.2, production Char) are found in the UTF-8 RDF/XML
# output (_NOT_XML_BYTES); surrogates cannot occur in UTF-8.
_BLOCK_LINES = 4096
"""Lines handed to pyoxigraph's parser at once when re-reading canonical N-Triples (whole subjects only)."""


def _blank_node_error() -> ValueError:
    return ValueError("blank nodes cannot be serialised deterministically; give the node an IRI")


def _ntriples_text(triples: Iterable[ox.Triple]) -> str:
    text = (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode("utf-8")
    if "_:" in text and _BLANK_NODE.search(text):  # a plain substring scan; the exact check runs only then
        raise _blank_node_error()
    return text


def _split(text: str) -> list[str]:
    """Canonical N-Triples has one line per triple, ended by "\n" (no other raw line break: \n and \r are
    escaped; str.splitlines would also split at U+2028 or U+0085, which a literal may hold raw)."""
    return [line + "\n" for line in text.split("\n")[:-1]]


def _subject(line: str) -> str:
    return line[:line.index(" ")]  # the subject is an IRI: no space inside


def _turtle_order(line: str) -> tuple[str, bool, str]:
    """Sort key of a canonical N-Triples line for Turtle: subject, then ``rdf:type`` first, then the line."""
    end = line.index(" ")
    return (line[:end], not line.startswith(_RDF_TYPE_NT, end), line)


def _merge_unique(*sources: Iterable[str]) -> Iterator[str]:
    previous = None
    for line in heapq.merge(*sources):
        if line != previous:
            yield line
            previous = line


IN_MEMORY_TRIPLES = 300_000
"""Largest graph whose triples :meth:`Canonical.from_triples` keeps as pyoxigraph objects for the serialisers.
Keeping them saves re-parsing the lines once per syntax (0.12 s per syntax at 100 k triples, on
``scripts/bench_build.py``'s rows "write turtle", "write json-ld", "write rdf/xml"), but costs about 350 bytes a
triple: at 1 M triples that alone would be a third of the memory a build may use (the benchmark's "peak RSS per
asserted triple" row), so larger graphs are sorted into a file and re-read block by block
(:meth:`Canonical.sort_to_file`)."""
RUN_TRIPLES = 200_000
"""Fewest triples sorted in memory at once by :meth:`Canonical.sort_to_file` (one sorted run)."""
MERGED_RUNS = 10
"""Most runs :func:`run_size` lets a sort make: merging many files line by line in Python grew faster than the
graph (``scripts/bench_build.py``, row "write: canonical order + n-triples": 4.3 s at 1 M triples with 5 runs of
200 k, 76.5 s at 10 M with 50 runs, a slope of 1.25), so large graphs get longer runs instead."""


def run_size(triples: int) -> int:
    """How many triples one sorted run of :meth:`Canonical.sort_to_file` holds for a graph of *triples*: at least
    :data:`RUN_TRIPLES` (memory stays low up to a few million triples), at most :data:`MERGED_RUNS` runs."""
    return max(RUN_TRIPLES, -(-triples // MERGED_RUNS))


class Canonical:
    """A graph's triples in canonical order, ready for every serialiser.

    The lines live in a list with the triples in Turtle order (:meth:`from_triples`, :func:`canonical`), in a
    sorted canonical N-Triples file (:meth:`from_file`, :meth:`sort_to_file`: a graph of any size, re-read one
    block of subjects at a time), or are the merge of two others (:meth:`union`). Every writer takes a binary
    stream.
    """

    def __init__(self, lines: Callable[[], Iterable[str]], *, scan: Callable[[list[bytes]], set[bytes]],
                 by_line: dict[str, ox.Triple] | None = None) -> None:
        self._lines = lines
        self._scan = scan
        self._by_line = by_line
        self._ordered: list[ox.Triple] | None = None
        self._used: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    @classmethod
    def from_lines(cls, lines: list[str], by_line: dict[str, ox.Triple] | None = None) -> Canonical:
        """Sorted, unique canonical N-Triples lines (as :func:`canonical_lines` gives); *by_line*: each line's
        triple, when the caller has them."""
        def scan(needles: list[bytes]) -> set[bytes]:
            text = "".join(lines).encode("utf-8")
            return {needle for needle in needles if needle in text}

        return cls(lambda: lines, scan=scan, by_line=by_line)

    @classmethod
    @collector_paused()
    def from_triples(cls, triples: Iterable[ox.Triple]) -> Canonical:
        """*triples* in canonical order, held in memory (the triples too, up to :data:`IN_MEMORY_TRIPLES`)."""
        triples = list(triples)
        lines = _split(_ntriples_text(triples))
        if len(lines) > IN_MEMORY_TRIPLES:
            del triples
            return cls.from_lines(sorted(set(lines)))
        by_line = dict(zip(lines, triples, strict=True))
        del lines, triples
        return cls.from_lines(sorted(by_line), by_line)

    @classmethod
    def sort_to_file(cls, triples: Iterable[ox.Triple], path: Path, *, run: int = RUN_TRIPLES) -> Canonical:
        """Write *triples* as sorted canonical N-Triples to *path*, holding at most *run* triples at a time (an
        external merge sort: sorted runs in temporary files beside *path*, merged); the file's Canonical."""
        path = Path(path)
        runs: list[Path] = []
        iterator = iter(triples)
        try:
            while True:
                chunk = list(itertools.islice(iterator, run))
                if not chunk:
                    break
                with collector_paused():
                    lines = sorted(set(_split(_ntriples_text(chunk))))
                del chunk
                runs.append(path.with_name(f".{path.name}.run{len(runs)}"))
                with runs[-1].open("w", encoding="utf-8", newline="\n") as handle:
                    handle.writelines(lines)
                del lines
            with path.open("w", encoding="utf-8", newline="\n") as out:
                handles = [r.open(encoding="utf-8", newline="\n") for r in runs]
                try:
                    out.writelines(_merge_unique(*handles))
                finally:
                    for handle in handles:
                        handle.close()
        finally:
            for r in runs:
                r.unlink(missing_ok=True)
        return cls.from_file(path)

    @classmethod
    def from_file(cls, path: Path) -> Canonical:
        """The lines of a sorted canonical N-Triples file (``cryokg.nt``), read again for each writer."""
        path = Path(path)

        def lines() -> Iterator[str]:
            with path.open(encoding="utf-8", newline="\n") as handle:  # split at "\n" only, as written
                yield from handle

        def scan(needles: list[bytes]) -> set[bytes]:
            if path.stat().st_size == 0:
                return set()
            with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return {needle for needle in needles if mapped.find(needle) >= 0}

        return cls(lines, scan=scan)

    def union(self, other: Canonical) -> Canonical:
        """Both graphs' triples, still in canonical order (a merge: neither is sorted again)."""
        def scan(needles: list[bytes]) -> set[bytes]:
            found = self._scan(needles)
            return found | other._scan([n for n in needles if n not in found])

        by_line = None
        if self._by_line is not None and other._by_line is not None:
            by_line = {**self._by_line, **other._by_line}
        return Canonical(lambda: _merge_unique(self._lines(), other._lines()), scan=scan, by_line=by_line)

    def lines(self) -> Iterator[str]:
        return iter(self._lines())

    def used_prefixes(self, prefixes: dict[str, str]) -> dict[str, str]:
        """The prefixes whose namespace starts an IRI of the graph, in the table's order (found once per table)."""
        key = tuple(prefixes.items())
        if key not in self._used:
            found = self._scan([("<" + ns).encode("utf-8") for ns in prefixes.values()])
            self._used[key] = {prefix: ns for prefix, ns in prefixes.items() if ("<" + ns).encode("utf-8") in found}
        return self._used[key]

    def triples(self) -> Iterator[ox.Triple]:
        """The triples in Turtle order: by subject, ``rdf:type`` first, then by line. Held triples are put in that
        order once; otherwise each block of lines is put in that order as text and parsed by pyoxigraph, so no
        Python code runs per triple."""
        if self._by_line is not None:
            if self._ordered is None:
                by_line = self._by_line
                self._ordered = [by_line[line] for line in sorted(self._lines(), key=_turtle_order)]
            return iter(self._ordered)
        return itertools.chain.from_iterable(
            ox.parse("".join(sorted(block, key=_turtle_order)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
            for block in self._blocks())

    def _blocks(self) -> Iterator[list[str]]:
        """Lists of about :data:`_BLOCK_LINES` lines, never splitting one subject's lines."""
        block: list[str] = []
        for line in self._lines():
            if len(block) >= _BLOCK_LINES and _subject(line) != _subject(block[-1]):
                yield block
                block = []
            block.append(line)
        if block:
            yield block

    # --- writers: each takes a binary stream ------------------------------------------------------------
    def write_ntriples(self, out: BinaryIO) -> None:
        for line in self._lines():
            out.write(line.encode("utf-8"))

    def write_turtle(self, out: BinaryIO, prefixes: dict[str, str] = PREFIXES, header: str = "") -> None:
        out.write("".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()).encode("utf-8"))
        ox.serialize(self.triples(), out, format=ox.RdfFormat.TURTLE, prefixes=self.used_prefixes(prefixes))

    def write_jsonld(self, out: BinaryIO) -> None:
        ox.serialize(self.triples(), out, format=ox.RdfFormat.JSON_LD)
        out.write(b"\n")

    def write_rdfxml(self, out: BinaryIO, prefixes: dict[str, str] = PREFIXES) -> None:
        filtered = _XmlText(out)
        try:
            ox.serialize(self.triples(), cast(BinaryIO, filtered), format=ox.RdfFormat.RDF_XML,
                         prefixes=self.used_prefixes(prefixes))
        except ValueError as exc:  # e.g. a predicate IRI that cannot be split into an XML QName
            if "XML 1.0" in str(exc):
                raise
            raise ValueError(f"cannot write RDF/XML: {exc}") from None
        out.write(b"\n")

    # --- the same as text, for small graphs (one resource's description) ---------------------------------
    def ntriples(self) -> str:
        return "".join(self._lines())

    def turtle(self, prefixes: dict[str, str] = PREFIXES, header: str = "") -> str:
        return _text(lambda out: self.write_turtle(out, prefixes, header))

    def jsonld(self) -> str:
        return _text(self.write_jsonld)

    def rdfxml(self, prefixes: dict[str, str] = PREFIXES) -> str:
        return _text(lambda out: self.write_rdfxml(out, prefixes))


def _text(write: Callable[[BinaryIO], None]) -> str:
    buffer = io.BytesIO()
    write(buffer)
    return buffer.getvalue().decode("utf-8")


class _XmlText:
    """The binary stream pyoxigraph writes RDF/XML to: raw carriage returns become ``&#13;``, and a character XML 1.0
    cannot hold stops the writer (see the module docstring). A carriage return and the C0 controls are one byte
    in UTF-8; U+FFFE and U+FFFF are three, so the last two bytes of each write are kept for the next check."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.lines = 0
        self.tail = b""

    def write(self, data: bytes) -> int:
        data = bytes(data)
        bad = _NOT_XML_BYTES.search(self.tail + data)
        if bad:
            line = self.lines + (self.tail + data).count(b"\n", 0, bad.start()) + 1
            char = ord(bad.group().decode("utf-8"))
            raise ValueError(f"a literal holds U+{char:04X}, which XML 1.0 (so RDF/XML) cannot represent "
                             f"(line {line} of the RDF/XML); use Turtle, N-Triples or JSON-LD for such data")
        self.lines += data.count(b"\n")
        self.tail = data[-2:]
        self.out.write(data.replace(b"\r", b"&#13;"))
        return len(data)

    def flush(self) -> None:
        self.out.flush()


_NOT_XML_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


@collector_paused()
def canonical(graph: Graph) -> Canonical:
    """The triples of an rdflib *graph* in canonical order; ValueError on blank nodes or on a term pyoxigraph
    refuses (an IRI or language tag that is not valid RDF 1.1)."""
    try:
        triples = [oxigraph_triple(s, p, o) for s, p, o in graph]
    except (ValueError, SyntaxError) as exc:
        raise ValueError(f"the graph holds a term that is not valid RDF 1.1: {exc}") from None
    return Canonical.from_triples(triples)


def to_ntriples(graph: Graph) -> str:
    """Sorted canonical N-Triples, one triple a line."""
    return canonical(graph).ntriples()


def to_turtle(graph: Graph, *, prefixes: dict[str, str] = PREFIXES, header: str = "") -> str:
    """Turtle, subjects sorted, ``a`` first, then predicates and objects sorted; *header* as a comment."""
    return canonical(graph).turtle(prefixes, header)


def to_jsonld(graph: Graph) -> str:
    """Expanded JSON-LD, one node object per subject, in the order of :func:`to_turtle`."""
    return canonical(graph).jsonld()


def to_rdfxml(graph: Graph, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """RDF/XML, one element per subject in the order of :func:`to_turtle` (ValueError on text XML cannot hold)."""
    return canonical(graph).rdfxml(prefixes)


FORMATS = {
    "turtle": to_turtle,
    "ntriples": to_ntriples,
    "jsonld": to_jsonld,
    "rdfxml": to_rdfxml,
}


def serialize(graph: Graph, fmt: str, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """*graph* in one of :data:`FORMATS` (*prefixes* for the formats that abbreviate: Turtle and RDF/XML): the one
    place a format name picks its writer."""
    if fmt == "turtle":
        return to_turtle(graph, prefixes=prefixes)
    if fmt == "rdfxml":
        return to_rdfxml(graph, prefixes=prefixes)
    return FORMATS[fmt](graph)
