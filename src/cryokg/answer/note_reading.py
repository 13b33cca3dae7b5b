"""Read what a coder types - a nerve's name or a sentence of a procedure note - for the things coding needs.

``read_note(engine, text)`` returns a :class:`NoteReading`: every *site mention* (the nerve, plexus, ganglion
or group named, with its character span) and, for each, the technique, approach, laterality, body regions and
spinal levels that the text states for it; plus every other mention found (techniques, approaches, devices,
procedure names, imaging guidance, regions), each with its span. ``cryokg suggest`` answers one code per site
mention; ``cryokg claim`` (issue 15) turns the same mentions into claim lines. Nothing here decides a code.

All vocabulary comes from the graph: the labels and synonyms (``skos:prefLabel``, ``skos:altLabel``,
``rdfs:label``, ``skos:notation``) of sites, techniques (cryo:Technique), approaches, devices (which name a
technique through the codes that use their kind of device: "iovera" -> cryoablation), procedure codes (whose
synonyms name procedures, "SGB" -> 64510 -> nerve block of the stellate ganglion), imaging guidance and body
regions. What this module adds is how English is written:

* **Words.** Text and labels are split into words the same way, case, accents and apostrophes folded, each
  word reduced to its dictionary form by simplemma (nerves -> nerve, ganglia -> ganglion, branches -> branch);
  "n." and "nn." read as "nerve". So "genicular nn.", "Genicular Nerve" and "genicular nerves" are one key.
* **Misspellings.** A word that no label holds and that is not an English word (simplemma's dictionary) is
  read as the one label word nearest to it by optimal-string-alignment distance (rapidfuzz): at most 1 edit
  for words of 4-5 letters, 2 for longer ones, the nearest unique, and at most 2 edits in one site's words.
  Every correction is reported.
* **Short synonyms.** An all-capitals synonym that is also an English word in lower case ("PIN", "US") only
  matches when typed in capitals.
* **Lists.** "superomedial, superolateral and inferomedial genicular nerves" and "ulnar and median nerves"
  name one site per item: an item that is no name by itself is read with the words the last item ends with.
* **One-word and loose names.** "pudendal" is read as "pudendal nerve" (a name with "nerve" left off) when the
  text is just the name, or when its sentence also names a technique, device, procedure, region or side (so
  that "mental status" in a note is not the mental nerve). Words that end in nerve, plexus, ganglion or branch
  but are no label ("occipital nerve", "plantar common digital nerve") match every site whose label holds all
  of them; several matches are all reported, never one picked.
* **Where each thing belongs.** A note is cut into sentences (".", ";", "?", "!" and line breaks; not the dot
  of "n."). Regions, sides and levels go to the site they follow (or, with none before, the one they precede)
  and to every site of the same list; those of a sentence without a site go to every site that has none.
  A site's technique and approach are those its sentence names, else those the note names; when a
  sentence names several, the ones nearest the site. Spinal levels are read as ``T4-T6`` -> T4, T5, T6.

Spans are character offsets into the text as given (``text[start:end]``).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import URIRef

from cryokg.answer.matching import cached_for_graph
from cryokg.answer.store import Engine
from cryokg.namespaces import CRYO

__all__ = [
    "SITE_CLASSES",
    "Correction",
    "Lexicon",
    "Mention",
    "NoteReading",
    "SiteMention",
    "canonical_word",
    "lexicon",
    "read_note",
    "read_phrases",
    "words",
]

SITE_CLASSES = (CRYO.Nerve, CRYO.NervePlexus, CRYO.NerveGroup, CRYO.AutonomicGanglion, CRYO.AutonomicPlexus)
"""What a site may be (with the subclasses the vocabulary declares): structures that code assignments and
groups are about."""

KINDS = {"technique": CRYO.Technique, "approach": CRYO.Approach, "device": CRYO.Device,
         "code": CRYO.ProcedureCode, "region": CRYO.BodyRegion, "guidance": CRYO.ImagingGuidance}
"""The other kinds of mention, by the class whose labels name them."""

HEADS = frozenset({"nerve", "plexus", "ganglion", "branch"})
"""Words that end the name of a site: a run of words ending in one of them is a site mention even when no
label matches it (then it is matched loosely, or reported as not understood)."""

FUNCTION_WORDS = frozenset({
    "a", "an", "the", "of", "in", "at", "on", "to", "for", "with", "and", "or", "by", "from", "under", "use",
    "using", "via", "during", "before", "after", "into", "over", "near", "along", "around", "through", "between",
    "then", "than", "was", "were", "is", "are", "be", "been", "being", "this", "that", "these", "those", "as",
    "its", "it", "his", "her", "their", "patient", "pt", "s", "who", "which", "whose", "while", "also", "both",
    "each", "per", "no", "not"})
"""Words that cut a run of name words (they never belong to a site's name unless a label holds them)."""

CONJUNCTIONS = frozenset({"and", "or", ",", "&", "/", "+"})
NUMBER_WORDS = frozenset({"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                          "twelve", "several", "multiple"})
"""Words that count nerves ("six nerves", "three branches"): such words are not a site's name."""
LATERALITY = {"left": "left", "lt": "left", "right": "right", "rt": "right", "bilateral": "bilateral",
              "bilaterally": "bilateral"}
"""Words stating the side (modifiers LT, RT and 50 in the graph say what is coded; these say what is read)."""

_WORD = re.compile(r"[^\W_]+(?:['’`][^\W_]+)*|[^\w\s]")
_APOSTROPHES = re.compile(r"['’`]")
_HARD_BREAKS = frozenset({",", ";", ".", "?", "!", ":"})
_SENTENCE_ENDS = frozenset({";", ".", "?", "!"})
_LEVEL = re.compile(r"\b([CTLS])\s?(\d{1,2})\b(?:\s*(?:-|–|—|to|through|thru)\s*([CTLS])?\s?(\d{1,2})\b)?",
                    re.IGNORECASE)
_MAX_SITE_EDITS = 2
_MAX_LOOSE_MATCHES = 8


@lru_cache(maxsize=65536)
def canonical_word(word: str) -> str:
    """The key of one word: accents, case and apostrophes folded, then its dictionary form.

    >>> [canonical_word(w) for w in ("Nerves", "nn", "ganglia", "Morton's")]
    ['nerve', 'nerve', 'ganglion', 'morton']
    """
    import simplemma

    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii").casefold()
    folded = _APOSTROPHES.sub("", folded)
    if folded in ("n", "nn"):
        return "nerve"
    if not folded.isalpha():
        return folded
    return str(simplemma.lemmatize(folded, lang="en")).casefold()


@lru_cache(maxsize=65536)
def _is_english(word: str) -> bool:
    import simplemma

    return bool(simplemma.is_known(word.casefold(), lang="en"))


@dataclass(frozen=True)
class Token:
    """One word or punctuation mark of the text, with where it is."""

    text: str
    start: int
    end: int
    key: str
    word: bool


def words(text: str) -> list[Token]:
    """The words and punctuation marks of *text*, each with its span and key (:func:`canonical_word`)."""
    tokens = []
    for match in _WORD.finditer(text):
        piece = match.group()
        is_word = piece[0].isalnum()
        tokens.append(Token(piece, match.start(), match.end(), canonical_word(piece) if is_word else piece,
                            is_word))
    return tokens


def _label_keys(label: str) -> list[tuple[str, ...]]:
    """The word keys of a label, and a second form with hyphenated words joined ("ilio-inguinal")."""
    keys = [tuple(t.key for t in words(label) if t.word)]
    joined = re.sub(r"(?<=\w)-(?=\w)", "", label)
    if joined != label:
        keys.append(tuple(t.key for t in words(joined) if t.word))
    return [k for k in keys if k]


# --- the vocabulary ---------------------------------------------------------------------------------------

@dataclass
class Lexicon:
    """Everything the reader matches against, built once per graph (:func:`lexicon`)."""

    tables: dict[str, dict[tuple[str, ...], set[URIRef]]] = field(default_factory=dict)
    capitals: dict[str, dict[str, set[URIRef]]] = field(default_factory=dict)
    """Per kind: all-capitals synonyms that are English words in lower case, keyed by the exact text."""
    headless: dict[tuple[str, ...], set[URIRef]] = field(default_factory=dict)
    """Site names without their final "nerve" ("pudendal")."""
    site_label_sets: dict[URIRef, list[frozenset[str]]] = field(default_factory=dict)
    site_keys: dict[URIRef, list[tuple[str, ...]]] = field(default_factory=dict)
    """The word keys of each site's labels, in order."""
    vocabulary: frozenset[str] = frozenset()
    """Every word of every label: a word outside it may be a misspelling."""
    spelling: dict[str, int] = field(default_factory=dict)
    """The words a misspelling may be read as (words of site, technique and device names), with how many
    labels hold each: of two equally near words, the one more labels hold is read."""
    spelling_words: tuple[str, ...] = ()
    pref: dict[URIRef, str] = field(default_factory=dict)
    device_techniques: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    code_methods: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    code_approaches: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    code_examples: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    groups: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    max_len: int = 1

    def label(self, iri: URIRef) -> str:
        return self.pref.get(iri) or str(iri).rstrip("/").rsplit("/", 1)[-1]


_LABELS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cryo: <https://w3id.org/cryokg/def/>
SELECT ?s ?class ?label ?kind WHERE {
  ?s a ?class .
  { ?s skos:prefLabel ?label BIND("pref" AS ?kind) } UNION { ?s skos:altLabel ?label BIND("alt" AS ?kind) }
  UNION { ?s rdfs:label ?label BIND("rdfs" AS ?kind) } UNION { ?s skos:notation ?label BIND("notation" AS ?kind) }
}"""

_SUBCLASSES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?sub ?super WHERE { ?sub rdfs:subClassOf+ ?super }"""

_FACTS = """PREFIX cryo: <https://w3id.org/cryokg/def/>
SELECT ?s ?p ?o WHERE {
  { ?s cryo:method ?o BIND("method" AS ?p) } UNION { ?s cryo:approach ?o BIND("approach" AS ?p) }
  UNION { ?s cryo:anatomicScope/cryo:scopeExample ?o BIND("example" AS ?p) }
  UNION { ?s cryo:groupMember ?o BIND("member" AS ?p) }
  UNION { ?s a cryo:Device . ?s cryo:instanceOfKind ?kind . ?code cryo:usesDevice ?kind ; cryo:method ?o
          BIND("device" AS ?p) }
  UNION { ?s a cryo:Device . ?code cryo:usesDevice ?s ; cryo:method ?o BIND("device" AS ?p) }
}"""


def _language_ok(label: object) -> bool:
    language = getattr(label, "language", None)
    return not language or str(language).lower().startswith("en")


def _build_lexicon(engine: Engine) -> Lexicon:
    lex = Lexicon()
    supers: dict[URIRef, set[URIRef]] = defaultdict(set)
    for row in engine.select(_SUBCLASSES):
        sub, up = row.get("sub"), row.get("super")
        if isinstance(sub, URIRef) and isinstance(up, URIRef):
            supers[sub].add(up)
    kind_of: dict[URIRef, str] = {cls: kind for kind, cls in KINDS.items()}
    kind_of.update({cls: "site" for cls in SITE_CLASSES})
    for sub, ups in supers.items():
        for up in ups:
            if up in SITE_CLASSES:
                kind_of.setdefault(sub, "site")
    tables: dict[str, dict[tuple[str, ...], set[URIRef]]] = defaultdict(lambda: defaultdict(set))
    capitals: dict[str, dict[str, set[URIRef]]] = defaultdict(lambda: defaultdict(set))
    label_sets: dict[URIRef, list[frozenset[str]]] = defaultdict(list)
    site_keys: dict[URIRef, list[tuple[str, ...]]] = defaultdict(list)
    vocabulary: set[str] = set()
    spelling: dict[str, int] = defaultdict(int)
    for row in engine.select(_LABELS):
        subject, cls, label = row.get("s"), row.get("class"), row.get("label")
        kind = kind_of.get(cls) if isinstance(cls, URIRef) else None
        if not isinstance(subject, URIRef) or kind is None or label is None or not _language_ok(label):
            continue
        text = str(label)
        if str(row.get("kind")) == "pref" or (str(row.get("kind")) == "rdfs" and subject not in lex.pref):
            lex.pref[subject] = text
        if str(row.get("kind")) == "notation" and kind != "code":
            continue
        stripped = text.strip()
        if stripped.isupper() and " " not in stripped and stripped.isalnum() and _is_english(stripped):
            capitals[kind][stripped].add(subject)
            continue
        for key in _label_keys(text):
            tables[kind][key].add(subject)
            vocabulary.update(key)
            if kind == "site":
                label_sets[subject].append(frozenset(key))
                site_keys[subject].append(key)
            if kind in ("site", "technique", "device") and not (stripped.isupper() and len(stripped) <= 6):
                for w in set(key):
                    if w.isalpha() and len(w) >= 4:
                        spelling[w] += 1
    for key, sites in tables["site"].items():
        if len(key) >= 2 and key[-1] == "nerve" and key[:-1] not in tables["site"] and \
                not all(w in FUNCTION_WORDS for w in key[:-1]):
            lex.headless.setdefault(key[:-1], set()).update(sites)
    for row in engine.select(_FACTS):
        s, p, o = row.get("s"), str(row.get("p")), row.get("o")
        if not isinstance(s, URIRef) or not isinstance(o, URIRef):
            continue
        slot = {"method": lex.code_methods, "approach": lex.code_approaches, "example": lex.code_examples,
                "member": lex.groups, "device": lex.device_techniques}[p]
        slot.setdefault(s, set()).add(o)
    lex.tables = {k: dict(v) for k, v in tables.items()}
    lex.capitals = {k: dict(v) for k, v in capitals.items()}
    lex.site_label_sets = dict(label_sets)
    lex.site_keys = dict(site_keys)
    lex.vocabulary = frozenset(vocabulary | FUNCTION_WORDS | set(LATERALITY))
    lex.spelling = dict(sorted(spelling.items()))
    lex.spelling_words = tuple(lex.spelling)
    lex.max_len = max((len(k) for table in lex.tables.values() for k in table), default=1)
    return lex


def lexicon(engine: Engine) -> Lexicon:
    """The reader's vocabulary for the graph behind *engine*, built on first use and then cached."""
    return cached_for_graph(engine, "note-lexicon", _build_lexicon)


# --- what is read -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Correction:
    """A word read as another: ``typed`` (as in the text) read as ``read``, ``distance`` edits apart."""

    typed: str
    read: str
    distance: int

    def to_json(self) -> dict:
        return {"typed": self.typed, "read": self.read, "distance": self.distance}


@dataclass(frozen=True)
class Mention:
    """Words of the text that name something of the graph.

    ``kind``: site, technique, approach, device, code, region, guidance, laterality or level. ``resources``:
    what they name (empty for laterality and levels, whose ``value`` says it). ``how``: label (a label or
    synonym), capitals, coordinated (an item of a list, read with the list's last words), one-word (a site
    name without "nerve"), loose (all of its words are in the labels of ``resources``), procedure (a site read
    from a procedure's name, such as "SGB"), group-member (the words that tell a member of a group named in the
    sentence apart: "superolateral" beside "genicular nerves") or words (laterality and levels).
    """

    kind: str
    start: int
    end: int
    text: str
    resources: tuple[URIRef, ...] = ()
    how: str = "label"
    value: str = ""
    corrections: tuple[Correction, ...] = ()
    sentence: int = 0

    def to_json(self, lex: Lexicon | None = None) -> dict:
        out: dict = {"kind": self.kind, "span": [self.start, self.end], "text": self.text, "how": self.how}
        if self.resources:
            out["resources"] = [{"iri": str(r), "label": lex.label(r) if lex else str(r)} for r in self.resources]
        if self.value:
            out["value"] = self.value
        if self.corrections:
            out["corrections"] = [c.to_json() for c in self.corrections]
        return out


@dataclass
class SiteMention:
    """One site the text names, and what the text says about treating it.

    ``structures``: the sites the words match (one when resolved; several for a group, for loose words or
    a synonym shared by several sites). ``group``: the nerve group the words name, if any. ``techniques`` and
    ``approaches``: what the text states for this site (empty when it states none; several when it does not
    settle it), with the mentions they were read from. ``laterality``: left, right or bilateral, if stated.
    """

    mention: Mention
    structures: tuple[URIRef, ...]
    group: URIRef | None = None
    techniques: tuple[URIRef, ...] = ()
    technique_mentions: tuple[Mention, ...] = ()
    approaches: tuple[URIRef, ...] = ()
    approach_mentions: tuple[Mention, ...] = ()
    laterality: str | None = None
    regions: tuple[URIRef, ...] = ()
    region_mentions: tuple[Mention, ...] = ()
    levels: tuple[str, ...] = ()
    list_id: int | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.mention.start, self.mention.end

    def to_json(self, lex: Lexicon | None = None) -> dict:
        def ref(iri: URIRef) -> dict:
            return {"iri": str(iri), "label": lex.label(iri) if lex else str(iri)}

        return {"text": self.mention.text, "span": [self.mention.start, self.mention.end],
                "how": self.mention.how, "structures": [ref(s) for s in self.structures],
                "group": ref(self.group) if self.group else None,
                "corrections": [c.to_json() for c in self.mention.corrections],
                "techniques": [ref(t) for t in self.techniques],
                "technique_words": [m.text for m in self.technique_mentions],
                "approaches": [ref(a) for a in self.approaches],
                "approach_words": [m.text for m in self.approach_mentions],
                "laterality": self.laterality, "regions": [ref(r) for r in self.regions],
                "levels": list(self.levels)}


@dataclass
class NoteReading:
    """What :func:`read_note` found in one text."""

    text: str
    sites: list[SiteMention] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    """Every other mention (technique, approach, device, code, region, guidance, laterality, level)."""
    unmatched: list[Mention] = field(default_factory=list)
    """Words that look like a site's name (they end in nerve, plexus, ganglion or branch) but match none."""

    def of_kind(self, kind: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind == kind]

    def to_json(self, lex: Lexicon | None = None) -> dict:
        return {"text": self.text, "sites": [s.to_json(lex) for s in self.sites],
                "mentions": [m.to_json(lex) for m in self.mentions],
                "unmatched": [m.to_json(lex) for m in self.unmatched]}


# --- reading ----------------------------------------------------------------------------------------------

class _Reader:
    """One reading of one text (the state of :func:`read_note`)."""

    def __init__(self, lex: Lexicon, text: str) -> None:
        self.lex, self.text = lex, text
        self.tokens = words(text)
        self.sentence_of = self._sentences()
        self.word_ix = [i for i, t in enumerate(self.tokens) if t.word]
        self.keys, self.corrections = self._spell()
        self.used_by_other: set[int] = set()  # token indexes inside non-site mentions

    def _function(self, k: int) -> bool:
        return self.tokens[k].key in FUNCTION_WORDS or self.tokens[k].text.casefold() in FUNCTION_WORDS

    # sentences and segments
    def _sentences(self) -> list[int]:
        numbers, current = [], 0
        for i, token in enumerate(self.tokens):
            if i and "\n" in self.text[self.tokens[i - 1].end:token.start]:
                current += 1
            numbers.append(current)
            if token.text in _SENTENCE_ENDS and not (token.text == "." and i and self.tokens[i - 1].word
                                                     and self.tokens[i - 1].key == "nerve"
                                                     and self.tokens[i - 1].text.lower() in ("n", "nn")):
                current += 1
        return numbers

    def _segments(self) -> list[list[int]]:
        """Runs of word tokens between hard punctuation (commas, sentence ends): a name never spans them."""
        segments: list[list[int]] = [[]]
        for i, token in enumerate(self.tokens):
            if token.word:
                if segments[-1] and self.sentence_of[i] != self.sentence_of[segments[-1][-1]]:
                    segments.append([])
                segments[-1].append(i)
            elif token.text in _HARD_BREAKS and not (token.text == "." and i and self.tokens[i - 1].key == "nerve"):
                segments.append([])
        return [s for s in segments if s]

    # misspellings
    def _spell(self) -> tuple[list[str], dict[int, Correction]]:
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        keys = [t.key for t in self.tokens]
        corrections: dict[int, Correction] = {}
        for i, token in enumerate(self.tokens):
            plain = token.key
            if (not token.word or plain in self.lex.vocabulary or not plain.isalpha() or len(plain) < 4
                    or _is_english(token.text)):
                continue
            limit = 1 if len(plain) <= 5 else 2
            found = process.extract(plain, self.lex.spelling_words, scorer=OSA.distance, score_cutoff=limit,
                                    limit=None)
            if not found:
                continue
            best = min(score for _, score, _ in found)
            nearest = sorted((-self.lex.spelling[choice], choice) for choice, score, _ in found if score == best)
            if len(nearest) == 1 or nearest[0][0] != nearest[1][0]:
                keys[i] = nearest[0][1]
                corrections[i] = Correction(token.text, nearest[0][1], int(best))
        return keys, corrections

    # matching
    def _match_table(self, table: dict[tuple[str, ...], set[URIRef]], capitals: dict[str, set[URIRef]],
                     taken: set[int] | None = None) -> list[tuple[int, int, set[URIRef]]]:
        """Leftmost-longest matches of the table's keys (token index ranges [i, j) of word tokens)."""
        found = []
        for segment in self._segments():
            position = 0
            while position < len(segment):
                hit = None
                for length in range(min(self.lex.max_len, len(segment) - position), 0, -1):
                    span = segment[position:position + length]
                    if taken and any(i in taken for i in span):
                        continue
                    key = tuple(self.keys[i] for i in span)
                    if key in table:
                        hit = (span[0], span[-1] + 1, table[key])
                        break
                    if length == 1 and self.tokens[span[0]].text in capitals:
                        hit = (span[0], span[0] + 1, capitals[self.tokens[span[0]].text])
                        break
                if hit and sum(self.corrections[i].distance for i in range(hit[0], hit[1])
                               if i in self.corrections) <= _MAX_SITE_EDITS:
                    found.append(hit)
                    position = segment.index(hit[1] - 1) + 1
                else:
                    position += 1
        return found

    def _mention(self, kind: str, i: int, j: int, resources: Iterable[URIRef], how: str = "label",
                 value: str = "") -> Mention:
        start, end = self.tokens[i].start, self.tokens[j - 1].end
        fixes = tuple(self.corrections[k] for k in range(i, j) if k in self.corrections)
        return Mention(kind, start, end, self.text[start:end], tuple(sorted(resources)), how, value, fixes,
                       self.sentence_of[i])

    def other_mentions(self) -> list[Mention]:
        found: list[Mention] = []
        for kind in KINDS:
            for i, j, resources in self._match_table(self.lex.tables.get(kind, {}), self.lex.capitals.get(kind, {})):
                found.append(self._mention(kind, i, j, resources))
                if kind != "code":
                    self.used_by_other.update(range(i, j))
        for i in self.word_ix:
            side = LATERALITY.get(self.tokens[i].key)
            if side:
                found.append(self._mention("laterality", i, i + 1, (), "words", side))
                self.used_by_other.add(i)
        for i in self.word_ix[:-1]:
            if self.tokens[i].key == "both" and self.tokens[i + 1].key == "side":
                found.append(self._mention("laterality", i, i + 2, (), "words", "bilateral"))
                self.used_by_other.update((i, i + 1))
        for match in _LEVEL.finditer(self.text):
            inside = [i for i in self.word_ix if match.start() <= self.tokens[i].start < match.end()]
            if not inside:
                continue
            first, last = match.group(1).upper(), (match.group(3) or match.group(1)).upper()
            a, b = int(match.group(2)), int(match.group(4) or match.group(2))
            levels = [f"{first}{n}" for n in range(a, b + 1)] if first == last and a <= b <= a + 30 else \
                [f"{first}{a}", f"{last}{b}"]
            found.append(Mention("level", match.start(), match.end(), match.group(), (), "words",
                                 " ".join(levels), (), self.sentence_of[inside[0]]))
            self.used_by_other.update(inside)
        return sorted(found, key=lambda m: (m.start, m.end, m.kind))

    def sites(self, others: list[Mention]) -> tuple[list[tuple[Mention, int | None]], list[Mention]]:
        """Site mentions in text order (each with its list number, if an item of a list) and unmatched names."""
        lex = self.lex
        site_table = lex.tables.get("site", {})
        hits = [self._narrow(hit) for hit in self._match_table(site_table, lex.capitals.get("site", {}))]
        taken = {k for i, j, _ in hits for k in range(i, j)}
        found: list[tuple[Mention, int | None]] = [(self._mention("site", i, j, r), None) for i, j, r in hits]
        # lists: items read with the words the last item ends with
        lists = 0
        for i, j, _ in sorted(hits):
            items = self._list_items(i, taken)
            if not items:
                continue
            head = [self.keys[k] for k in range(i, j) if self.tokens[k].word]
            new = []
            for item in items:
                for cut in range(1, len(head)):
                    key = tuple(self.keys[k] for k in item) + tuple(head[cut:])
                    if key in site_table:
                        new.append(self._mention("site", item[0], item[-1] + 1, site_table[key], "coordinated"))
                        break
                else:
                    break
            if new:
                lists += 1
                found = [(m, lists if (m.start, m.end) == (self.tokens[i].start, self.tokens[j - 1].end) else n)
                         for m, n in found]
                found += [(m, lists) for m in new]
                taken.update(k for m in new for k in range(len(self.tokens))
                             if m.start <= self.tokens[k].start < m.end)
        # loose names first ("infrapatellar saphenous branches" is one site, not the one-word names "infrapatellar"
        # and "saphenous"), then one-word names, sites named by a procedure's name, and what is left
        for run in self._head_runs(taken):
            mention = self._loose(run)
            if mention is not None:
                found.append((mention, None))
                taken.update(k for k in run if mention.start <= self.tokens[k].start < mention.end)
        sentences_with_context = {m.sentence for m in others if m.kind != "level"}
        for i, j, resources in self._match_table(lex.headless, {}, taken):
            if self._bare(i, j, taken) or self.sentence_of[i] in sentences_with_context:
                found.append((self._mention("site", i, j, resources, "one-word"), None))
                taken.update(range(i, j))
        for code in (m for m in others if m.kind == "code"):
            examples = set().union(*(lex.code_examples.get(c, set()) for c in code.resources))
            overlapping = any(m.start < code.end and code.start < m.end for m, _ in found)
            if examples and not overlapping and len(examples) <= _MAX_LOOSE_MATCHES:
                found.append((Mention("site", code.start, code.end, code.text, tuple(sorted(examples)),
                                      "procedure", "", code.corrections, code.sentence), None))
        unmatched: list[Mention] = []
        for run in self._head_runs(taken):
            mention = self._loose(run)
            if mention is not None:
                found.append((mention, None))
            elif not self._count(run) and not self._part_of_site(run, found):
                unmatched.append(self._mention("site", run[0], run[-1] + 1, (), "unmatched"))
        found.sort(key=lambda f: (f[0].start, f[0].end))
        return found, unmatched

    def group_members(self, found: list[tuple[Mention, int | None]]) -> list[tuple[Mention, int | None]]:
        """Members of a named group read by the words that tell them apart ("genicular cryoneurolysis
        (superolateral, superomedial, inferomedial)": the three genicular nerves). A group whose members are named
        in its sentence (so read, or by their own names) stands for those members only and is dropped."""
        lex = self.lex
        taken = {k for m, _ in found for k in range(len(self.tokens)) if m.start <= self.tokens[k].start < m.end}
        groups = [(m, m.resources[0]) for m, _ in found if len(m.resources) == 1 and m.resources[0] in lex.groups]
        if not groups:
            return found
        added: list[tuple[Mention, int | None]] = []
        dropped: set[int] = set()
        for mention, group in groups:
            members = lex.groups[group]
            prefixes = _member_prefixes(lex, group)
            sentence = [k for k in self.word_ix if self.sentence_of[k] == mention.sentence]
            named = {r for m, _ in found + added if m.sentence == mention.sentence for r in m.resources if r in members}
            position = 0
            while position < len(sentence):
                hit = None
                for length in range(min(3, len(sentence) - position), 0, -1):
                    span = sentence[position:position + length]
                    if span[-1] - span[0] != length - 1 or any(k in taken for k in span):
                        continue
                    key = tuple(self.keys[k] for k in span)
                    if key in prefixes and not all(w in FUNCTION_WORDS for w in key):
                        hit = (span, prefixes[key])
                        break
                if hit is None:
                    position += 1
                    continue
                span, sites = hit
                added.append((self._mention("site", span[0], span[-1] + 1, sites, "group-member"), None))
                taken.update(span)
                named |= sites
                position += len(span)
            if named:
                dropped.add(id(mention))
        return [f for f in found if id(f[0]) not in dropped] + added

    def _count(self, run: list[int]) -> bool:
        """Words that count nerves rather than name one: "six nerves", "all three branches"."""
        return any(self.tokens[k].text.isdigit() or self.keys[k] in NUMBER_WORDS for k in run)

    def _part_of_site(self, run: list[int], found: list[tuple[Mention, int | None]]) -> bool:
        """Words that name a part of a site named right after them: "articular branches of the obturator nerve"."""
        k = run[-1] + 1
        if k >= len(self.tokens) or self.keys[k] != "of":
            return False
        k += 1
        while k < len(self.tokens) and self.keys[k] in ("the", "a", "an"):
            k += 1
        return k < len(self.tokens) and any(m.start == self.tokens[k].start for m, _ in found)

    def _narrow(self, hit: tuple[int, int, set[URIRef]]) -> tuple[int, int, set[URIRef]]:
        """A synonym of several sites preceded by words that pick among them ("plantar" + "common digital
        nerve"): the sites whose labels hold those words too, with the words added to the mention."""
        i, j, sites = hit
        if len(sites) < 2:
            return hit
        k = i - 1
        while k >= 0 and self.tokens[k].word and not self._function(k) \
                and self.sentence_of[k] == self.sentence_of[i]:
            k -= 1
        for start in range(k + 1, i):
            if not all(self.tokens[m].word for m in range(start, i)):
                continue
            wanted = {self.keys[m] for m in range(start, j) if self.tokens[m].word}
            fewer = {s for s in sites if any(wanted <= label for label in self.lex.site_label_sets.get(s, []))}
            if fewer and fewer != sites:
                return start, j, fewer
        return hit

    def _list_items(self, i: int, taken: set[int]) -> list[list[int]]:
        """The items of a list that ends with the site at token *i*, nearest first (token indexes)."""
        items: list[list[int]] = []
        k = i - 1
        while k >= 0:
            if not (self.tokens[k].text in CONJUNCTIONS or self.tokens[k].key in ("and", "or")):
                break
            while k >= 0 and (self.tokens[k].text in CONJUNCTIONS or self.tokens[k].key in ("and", "or")):
                k -= 1
            item: list[int] = []
            while (k >= 0 and self.tokens[k].word and k not in taken and k not in self.used_by_other
                   and not self._function(k)):
                item.insert(0, k)
                k -= 1
            if not item:
                break
            items.append(item)
        return items

    def _bare(self, i: int, j: int, taken: set[int]) -> bool:
        """True when every other word of the text is a function word or part of another mention."""
        return all(k in range(i, j) or k in taken or k in self.used_by_other or self._function(k)
                   for k in self.word_ix)

    def _head_runs(self, taken: set[int]) -> list[list[int]]:
        runs = []
        for segment in self._segments():
            run: list[int] = []
            for k in segment:
                if k in taken or k in self.used_by_other or self._function(k):
                    run = []
                    continue
                run.append(k)
                if self.keys[k] in HEADS and len(run) >= 2:
                    runs.append(list(run))
                    run = []
        return runs

    def _loose(self, run: list[int]) -> Mention | None:
        lex = self.lex
        for start in range(len(run) - 1):
            wanted = {self.keys[k] for k in run[start:]}
            matches = {site for site, sets in lex.site_label_sets.items() if any(wanted <= s for s in sets)}
            groups = {s for s in matches if s in lex.groups}
            matches -= {m for g in groups for m in lex.groups[g]}
            if matches and len(matches) <= _MAX_LOOSE_MATCHES:
                return self._mention("site", run[start], run[-1] + 1, matches, "loose")
        return None


def _member_prefixes(lex: Lexicon, group: URIRef) -> dict[tuple[str, ...], set[URIRef]]:
    """The words that tell the members of *group* apart: a member's label that is the group's label with words in
    front ("superolateral" + "genicular nerve") gives those words."""
    table: dict[tuple[str, ...], set[URIRef]] = defaultdict(set)
    ends = set(lex.site_keys.get(group, []))
    for member in lex.groups.get(group, set()):
        for key in lex.site_keys.get(member, []):
            for end in ends:
                if len(key) > len(end) and key[-len(end):] == end:
                    table[key[:-len(end)]].add(member)
    return dict(table)


def _value(mention: Mention) -> object:
    return mention.value or mention.resources


def _attach(sites: list[SiteMention], lists: list[int | None], mentions: list[Mention]) -> dict[int, list[Mention]]:
    """Which sites each region, side or level mention belongs to: site index -> mentions.

    Within a sentence, a kind of mention with one value (one side, one region) belongs to every site of the
    sentence; with several, each goes to the site it follows (else the one it precedes) and that site's list.
    A sentence without a site gives its mentions to every site that has none of that kind.
    """
    attached: dict[int, list[Mention]] = defaultdict(list)
    homeless: list[Mention] = []
    by_sentence: dict[tuple[int, str], list[Mention]] = defaultdict(list)
    for mention in mentions:
        by_sentence[(mention.sentence, mention.kind)].append(mention)
    for (sentence, _kind), group in sorted(by_sentence.items()):
        same = [k for k, s in enumerate(sites) if s.mention.sentence == sentence]
        if not same:
            homeless.extend(group)
            continue
        if len({repr(_value(m)) for m in group}) == 1:
            for k in same:
                attached[k].extend(group)
            continue
        for mention in group:
            inside = [k for k in same
                      if sites[k].mention.start <= mention.start and mention.end <= sites[k].mention.end]
            before = [k for k in same if sites[k].mention.end <= mention.start]
            after = [k for k in same if sites[k].mention.start >= mention.end]
            target = inside[:1] or (before[-1:] if before else after[:1])
            chosen = set(target)
            if target and lists[target[0]] is not None:
                chosen |= {k for k in same if lists[k] == lists[target[0]]}
            for k in chosen:
                attached[k].append(mention)
    for mention in homeless:
        for k in range(len(sites)):
            if not any(m.kind == mention.kind for m in attached[k]):
                attached[k].append(mention)
    return attached


def _stated(site: SiteMention, evidence: list[tuple[Mention, set[URIRef]]]) -> tuple[tuple[URIRef, ...],
                                                                                       tuple[Mention, ...]]:
    """The resources the text states for *site* from *evidence* (mentions with the resources they stand for):
    those of its sentence, else of the note; agreeing evidence intersects, disagreeing evidence is settled by
    the mentions nearest the site."""
    mine = [e for e in evidence if e[0].sentence == site.mention.sentence] or evidence
    if not mine:
        return (), ()
    common = set.intersection(*(set(r) for _, r in mine))
    if common:
        return tuple(sorted(common)), tuple(m for m, _ in mine)

    def distance(m: Mention) -> int:
        if m.start < site.mention.end and site.mention.start < m.end:
            return 0
        return min(abs(m.start - site.mention.end), abs(site.mention.start - m.end))

    nearest = min(distance(m) for m, _ in mine)
    closest = [e for e in mine if distance(e[0]) == nearest]
    common = set.intersection(*(set(r) for _, r in closest))
    return tuple(sorted(common or set().union(*(r for _, r in closest)))), tuple(m for m, _ in closest)


def read_note(engine: Engine, text: str) -> NoteReading:
    """Read *text* (a name or a procedure note) for its sites and what it says about each (module docstring).

    >>> from cryokg.answer.store import load_store
    >>> reading = read_note(load_store().engine, "Cryoneurolysis of the left IPBSN and AFCN before knee surgery")
    >>> [(s.mention.text, s.laterality, [str(t).rsplit("/", 1)[-1] for t in s.techniques]) for s in reading.sites]
    [('IPBSN', 'left', ['cryoablation']), ('AFCN', 'left', ['cryoablation'])]
    """
    lex = lexicon(engine)
    reader = _Reader(lex, text)
    others = reader.other_mentions()
    found, unmatched = reader.sites(others)
    found = sorted(reader.group_members(found), key=lambda f: (f[0].start, f[0].end))
    reading = NoteReading(text=text, mentions=others, unmatched=unmatched)
    seen: set[tuple[int, int]] = set()
    lists: list[int | None] = []
    for mention, list_id in found:
        if (mention.start, mention.end) in seen:
            continue
        if mention.how in ("one-word", "procedure") and set(mention.resources) <= {
                r for other, _ in found if other is not mention and other.sentence == mention.sentence
                and other.how not in ("one-word", "procedure") for r in other.resources}:
            continue  # "Morton's neuroma" beside "interdigital nerve": the same site, named twice
        seen.add((mention.start, mention.end))
        structures = tuple(mention.resources)
        group = structures[0] if len(structures) == 1 and structures[0] in lex.groups else None
        reading.sites.append(SiteMention(mention=mention, structures=structures, group=group, list_id=list_id))
        lists.append(list_id)
    attached = _attach(reading.sites, lists, [m for m in others if m.kind in ("region", "laterality", "level")])
    techniques: list[tuple[Mention, set[URIRef]]] = []
    approaches: list[tuple[Mention, set[URIRef]]] = []
    for m in others:
        if m.kind == "technique":
            techniques.append((m, set(m.resources)))
        elif m.kind == "device":
            named = set().union(*(lex.device_techniques.get(d, set()) for d in m.resources))
            if named:
                techniques.append((m, named))
        elif m.kind == "code":
            named = set().union(*(lex.code_methods.get(c, set()) for c in m.resources))
            if named:
                techniques.append((m, named))
        elif m.kind == "approach":
            approaches.append((m, set(m.resources)))
    for k, site in enumerate(reading.sites):
        site.techniques, site.technique_mentions = _stated(site, techniques)
        site.approaches, site.approach_mentions = _stated(site, approaches)
        mine = attached.get(k, [])
        sides = sorted({m.value for m in mine if m.kind == "laterality"})
        site.laterality = sides[0] if len(sides) == 1 else ("bilateral" if sides else None)
        site.region_mentions = tuple(m for m in mine if m.kind == "region")
        site.regions = tuple(sorted({r for m in site.region_mentions for r in m.resources}))
        site.levels = tuple(dict.fromkeys(v for m in mine if m.kind == "level" for v in m.value.split()))
    return reading


# --- phrases of other kinds: indications, care settings ------------------------------------------------------------

_PHRASE_LABELS = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?label WHERE { ?s a CLASS . { ?s skos:prefLabel ?label } UNION { ?s skos:altLabel ?label } }"""


_PHRASE_WINDOW = 12
"""A label read in any order must fall within this many words of one sentence."""


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    """The label's word keys, in order."""
    capitals: tuple[bool, ...]
    """Per word: written in capitals in the label (an abbreviation such as TKA), so only matched in capitals."""


def _phrase_table(cls: URIRef) -> Callable[[Engine], dict[URIRef, list[_Phrase]]]:
    def build(engine: Engine) -> dict[URIRef, list[_Phrase]]:
        table: dict[URIRef, list[_Phrase]] = defaultdict(list)
        for row in engine.select(_PHRASE_LABELS.replace("CLASS", cls.n3())):
            subject, label = row.get("s"), row.get("label")
            if not isinstance(subject, URIRef) or label is None or not _language_ok(label):
                continue
            tokens = [tok for tok in words(str(label)) if tok.word]
            if tokens:
                table[subject].append(_Phrase(tuple(tok.key for tok in tokens),
                                              tuple(tok.text.isupper() and len(tok.text) > 1 for tok in tokens)))
        return dict(table)
    return build


def read_phrases(engine: Engine, text: str, cls: URIRef, kind: str, *, any_order: bool = False,
                 ignore: frozenset[str] = frozenset()) -> list[Mention]:
    """Where *text* names resources of *cls* (a care setting, an indication) by a label or synonym: one mention of
    *kind* per resource, in text order.

    A label matches as written (its words in a row; words in capitals, such as "TKA", only in capitals), or with
    *any_order* when all of its words other than function words and *ignore* occur in one sentence, in any order
    and with other words between, within a few words ("pain after thoracotomy" in "pain along the fifth rib after
    a thoracotomy"). A match is dropped when another resource's label matched words in a row that include all of
    its words ("neuroma" inside "Morton's neuroma"). Misspellings are not corrected here.
    """
    table = cached_for_graph(engine, f"phrases:{cls}", _phrase_table(cls))
    reader = _Reader(lexicon(engine), text)
    tokens = reader.tokens
    sentences: dict[int, list[int]] = defaultdict(list)
    for k in reader.word_ix:
        sentences[reader.sentence_of[k]].append(k)

    def fits(k: int, phrase: _Phrase, n: int) -> bool:
        return tokens[k].key == phrase.words[n] and (not phrase.capitals[n] or tokens[k].text.isupper())

    found: list[tuple[URIRef, tuple[int, ...], bool]] = []
    for resource, phrases in sorted(table.items()):
        exact: list[tuple[int, ...]] = []
        loose: list[tuple[int, ...]] = []
        for phrase in phrases:
            for ixs in sentences.values():
                for start in range(len(ixs) - len(phrase.words) + 1):  # as written
                    span = ixs[start:start + len(phrase.words)]
                    if span[-1] - span[0] == len(span) - 1 and all(fits(k, phrase, n) for n, k in enumerate(span)):
                        exact.append(tuple(span))
                wanted = [n for n, w in enumerate(phrase.words) if w not in FUNCTION_WORDS and w not in ignore]
                picked = [next((k for k in ixs if fits(k, phrase, n)), None) for n in wanted]
                if any_order and wanted and all(k is not None for k in picked):
                    chosen = tuple(sorted({k for k in picked if k is not None}))
                    if ixs.index(chosen[-1]) - ixs.index(chosen[0]) < _PHRASE_WINDOW:
                        loose.append(chosen)
        if exact or loose:
            found.append((resource, min(exact or loose, key=lambda s: (s[-1] - s[0], s)), bool(exact)))

    order = {k: n for n, k in enumerate(reader.word_ix)}

    def compact(ixs: tuple[int, ...]) -> bool:  # words in a row (punctuation between them does not count)
        return all(order[b] - order[a] == 1 for a, b in itertools.pairwise(ixs))

    kept = [(r, ixs, exact) for r, ixs, exact in found
            if not any(other != r and compact(ixs2) and set(ixs) < set(ixs2) for other, ixs2, _ in found)]
    mentions = [Mention(kind, tokens[ixs[0]].start, tokens[ixs[-1]].end, text[tokens[ixs[0]].start:tokens[ixs[-1]].end],
                        (r,), "label" if exact else "words", "", (), reader.sentence_of[ixs[0]]) for r, ixs, exact in kept]
    return sorted(mentions, key=lambda m: (m.start, m.end, str(m.resources[0])))

