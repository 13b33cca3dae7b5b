"""The data structure behind :mod:`cryokg.publish.web.search`: every name of a release in compact columns, and
the indexes that answer each tier of the ranking in ascending order of a global name id.

**Ids are the order.** Each name gets an id from its sort key ``(kind weight, len(norm), norm, IRI, first
seen)``, the order the ranking breaks ties in. Within one tier the best resources are then the ones whose
names have the smallest ids, so every tier is a stream of ids in ascending order, and a search stops after the
first *limit* distinct resources: the work depends on *limit*, not on how many names match.

**The indexes** (flat :mod:`array` columns and a few long strings, no Python object per name: 169 bytes a
name at 1 M triples, see :mod:`~cryokg.publish.web.search`):

* *exact*: per kind, the names' ids sorted by (norm, id); the names equal to the query are one bisect range,
  already in id order.
* *word starts*: per role group (labels and code numbers; synonyms) and per kind, one entry per word start of
  every name, sorted by the text from there to the end of the name (a suffix array of word starts). The entries
  whose text starts with the query are one bisect range; because an entry's text begins with a whole word,
  the entries of one vocabulary word are one block and the blocks follow the sorted vocabulary, so a word, or
  every word with a prefix, is a range read from a table without any search. Over the entries' ids sits a
  range-minimum segment tree (:func:`min_tree`); :func:`ascending` reads the ids of any range smallest first,
  each in O(log n), so a range of a million entries costs no more than one of ten.
* *vocabulary*: the sorted distinct words, and the same words in one string, where the words holding the
  query inside them are found by ``str.find`` (C) instead of a Python loop.
* the normalised names in one string, kind after kind and each kind in id order, each name ended by
  :data:`SEP`; the word-start entries are positions in it, and ``str.find`` scans one kind's stretch of it when
  a substring search cannot be answered word by word.

**Bounds** (n names, V vocabulary words, k = limit): exact and prefix tiers O((k + d) log n), where d counts
the names skipped because their resource was already shown (at most the names of the k resources shown); a
fuzzy tier adds C passes over the vocabulary (rapidfuzz for near misses, as before, and ``str.find``),
O(V) each, and V grows far slower than n (9,938 words for 193 k names at 1 M triples). Two cases may need more, and both have a
fallback that is C code, linear at worst, and exact, so no result is ever left out (no "incomplete" flag is
needed): a query word inside more than :data:`SUBSTRING_WORDS` vocabulary words (or a multi-word query that
starts inside a word) is found by ``str.find`` over the kind's names, which stops at the k-th resource; and
a multi-word fuzzy query whose words are each common but rarely together checks at most
:data:`FUZZY_CHECKS` candidates in Python before it intersects the words' id sets with C set operations.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

__all__ = ["FUZZY_CHECKS", "LABEL", "NOTATION", "SUBSTRING_WORDS", "SYNONYM", "NameIndex", "Work", "ascending",
           "min_tree"]

LABEL, SYNONYM, NOTATION = 0, 1, 2
"""Roles of a name; labels and code numbers rank alike (group 0), synonyms below them (group 1)."""
GROUPS = 2
SEP = "\x00"
"""Ends every name in the joined strings: below every character :func:`~cryokg.answer.matching.normalize` keeps
(``[0-9a-z ]``), so a window of text read across the end of a name still sorts and compares as the name does."""
SUBSTRING_WORDS = 16
"""Vocabulary words that may hold a single query word inside them before the substring search scans the
names' text (C ``str.find``) instead of reading each word's block."""
FUZZY_CHECKS = 200
"""Candidates a multi-word fuzzy query checks in Python before it intersects id sets in C instead (at 1 M
triples 200 checks take about 2 ms; the intersection of the words of "1 2 3", the worst seen, 10 ms)."""


@dataclass
class Work:
    """What one search did, for tests and profiling: nothing here depends on the size of the release unless
    a fallback ran (``scans``, ``fallbacks``)."""

    names: int = 0  # name ids read from the tiers' streams
    nodes: int = 0  # segment-tree nodes opened
    checks: int = 0  # multi-word fuzzy candidates checked word by word
    scans: int = 0  # names found by the C substring scan
    fallbacks: int = 0  # C set intersections after FUZZY_CHECKS


class Name(NamedTuple):
    """One name of a resource, as read back from the index."""

    iri: str
    text: str
    norm: str
    role: int


def _offsets(values: Sequence[int]) -> array:
    """*values* as an unsigned array of the smallest item size that holds them."""
    return array("I" if not values or max(values) < 2**32 else "Q", values)


class Strings:
    """A read-only list of strings kept as one UTF-8 buffer and its offsets (about 60 bytes a string less than
    a list of ``str``)."""

    def __init__(self, items: Iterable[str]) -> None:
        data, ends = bytearray(), array("Q", [0])
        for item in items:
            data += item.encode()
            ends.append(len(data))
        self._data = data  # never changed: a bytes copy would only double the peak while building
        self._ends = _offsets(ends)

    def __len__(self) -> int:
        return len(self._ends) - 1

    def __getitem__(self, i: int) -> str:
        return self._data[self._ends[i]:self._ends[i + 1]].decode()


def min_tree(leaves: Sequence[int]) -> array:
    """A bottom-up segment tree of minima over *leaves*: ``tree[m + j]`` is ``leaves[j]``, ``tree[i]`` the
    minimum of ``tree[2i]`` and ``tree[2i + 1]``; built level by level with C ``map(min, ...)``."""
    m = len(leaves)
    if not m:
        return array("I")
    tree = _offsets(leaves)
    tree = array(tree.typecode, bytes(tree.itemsize * m)) + tree
    hi = m
    while hi > 1:
        lo = (hi + 1) // 2  # the children of [lo, hi) are all at or above hi: computed already
        tree[lo:hi] = array(tree.typecode, map(min, tree[2 * lo:2 * hi:2], tree[2 * lo + 1:2 * hi:2]))
        hi = lo
    return tree


def ascending(tree: array, lo: int, hi: int, work: Work) -> Iterator[int]:
    """The leaves ``[lo, hi)`` of *tree* (:func:`min_tree`) smallest first, each in O(log n): a heap of the
    range's O(log n) covering nodes, a node opened into its two children when it comes first."""
    m = len(tree) // 2
    heap: list[tuple[int, int]] = []
    left, right = lo + m, hi + m
    while left < right:
        if left & 1:
            heap.append((tree[left], left))
            left += 1
        if right & 1:
            right -= 1
            heap.append((tree[right], right))
        left >>= 1
        right >>= 1
    heapq.heapify(heap)
    while heap:
        value, node = heap[0]
        if node >= m:
            heapq.heappop(heap)
            yield value
        else:
            work.nodes += 1
            child = node << 1
            heapq.heapreplace(heap, (tree[child], child))
            heapq.heappush(heap, (tree[child + 1], child + 1))


def _merge(streams: list[Iterator[int]]) -> Iterator[int]:
    return streams[0] if len(streams) == 1 else heapq.merge(*streams)


def _rank_order(rows: list[tuple[int, str, int, str]], iris: list[str], weight: list[int]) -> None:
    """Sort *rows* (iri id, norm, role, text) by the ranking's tie-break: kind weight, length, norm, IRI; the
    sort is stable, so among equals the name seen first comes first."""
    rows.sort(key=lambda r: (weight[r[0]], len(r[1]), r[1], iris[r[0]]))


class NameIndex:
    """The names of one release (see the module docstring).

    *names* are ``(iri, text, norm, role)`` in the order they were read; *kinds_of* gives the kind of each of
    the distinct IRIs it is passed (an index into *weights*, the kinds' tie-break weights). A later name of the
    same resource with the same normalised text in the same role group is dropped: the first one always ranks
    at least as well, so it is never shown.
    """

    def __init__(self, names: Iterable[tuple[str, str, str, int]], kinds_of: Callable[[list[str]], Iterable[int]],
                 weights: Sequence[int]) -> None:
        iri_ids: dict[str, int] = {}
        rows = [(iri_ids.setdefault(iri, len(iri_ids)), norm, role, text) for iri, text, norm, role in names]
        iris = list(iri_ids)
        del iri_ids
        self.kinds = len(weights)
        self.iri_kind = array("B", kinds_of(iris))
        _rank_order(rows, iris, [weights[k] for k in self.iri_kind])
        kept: list[tuple[int, str, int, str]] = []
        for row in rows:  # the names of one resource with one norm are adjacent now, first seen first
            j = len(kept) - 1
            while j >= 0 and kept[j][:2] == row[:2] and (kept[j][2] == SYNONYM) != (row[2] == SYNONYM):
                j -= 1
            if j < 0 or kept[j][:2] != row[:2]:
                kept.append(row)
        rows = kept
        del kept
        n = len(rows)
        self.iris = Strings(iris)
        del iris
        self.iri_of = _offsets([r[0] for r in rows])
        self.role = bytes(r[2] for r in rows)
        self.texts = Strings(r[3] for r in rows)
        # the normalised names, one string with kind after kind, each kind in id order
        by_kind: list[list[int]] = [[] for _ in range(self.kinds)]
        for i, row in enumerate(rows):
            by_kind[self.iri_kind[row[0]]].append(i)
        self.by_kind = [array("I", ids) for ids in by_kind]
        del by_kind
        starts = array("Q", [0]) * n
        bounds, parts, pos = [0], [], 0
        for ids in self.by_kind:
            for i in ids:
                starts[i] = pos
                parts.append(rows[i][1])
                pos += len(rows[i][1]) + 1
            bounds.append(pos)
        self.norms = SEP.join(parts) + SEP if parts else ""
        del parts
        self.kind_bounds = bounds
        self.nstart = _offsets(starts)
        self.nlen = _offsets([len(r[1]) for r in rows])
        del rows, starts
        # exact: per kind, ids by (norm, id) (the sort is stable and by_kind is in id order)
        self.exact = [array("I", sorted(ids, key=self.norm)) for ids in self.by_kind]
        # vocabulary
        vocabulary: set[str] = set()
        for i in range(n):
            vocabulary.update(self.norm(i).split())
        self.vocabulary = sorted(vocabulary)
        del vocabulary
        self.joined = "\n" + "\n".join(self.vocabulary) + "\n"
        vstarts, pos = [], 1
        for w in self.vocabulary:
            vstarts.append(pos)
            pos += len(w) + 1
        self.vstarts = _offsets(vstarts)
        # word starts: per group, kind after kind, sorted by the text to the end of the name
        self.sa_pos: list[array] = []
        self.sa_tree: list[array] = []
        self.word_blocks: list[list[array | None]] = []  # [group][kind] -> start of each word's block, or None
        word_id = {w: j for j, w in enumerate(self.vocabulary)}
        for group in range(GROUPS):
            positions, owners, blocks = array("I"), array("I"), []
            for k in range(self.kinds):
                base = len(positions)
                block = self._word_start_block(group, k, positions, owners, word_id)
                blocks.append(_offsets([base + c for c in block]) if len(positions) > base else None)
            self.sa_pos.append(positions)
            self.sa_tree.append(min_tree(owners))
            self.word_blocks.append(blocks)

    def _word_start_block(self, group: int, kind: int, positions: array, owners: array,
                          word_id: dict[str, int]) -> list[int]:
        """Append the word starts of *group* and *kind* to *positions* (and their names' ids to *owners*) in
        the order of their text; return where each vocabulary word's block starts, relative to the first."""
        norms = self.norms
        pos, ids, ends, first_words = array("I"), array("I"), array("I"), array("I")
        for i in self.by_kind[kind]:
            if (self.role[i] == SYNONYM) != bool(group):
                continue
            start, end = self.nstart[i], self.nstart[i] + self.nlen[i]
            for word in self.norm(i).split(" "):
                pos.append(start)
                ids.append(i)
                ends.append(end)
                first_words.append(word_id[word])
                start += len(word) + 1
        order = sorted(range(len(pos)), key=lambda e: norms[pos[e]:ends[e]])
        positions.extend(pos[e] for e in order)
        owners.extend(ids[e] for e in order)
        counts = [0] * (len(self.vocabulary) + 1)
        for j in first_words:
            counts[j + 1] += 1
        for j in range(len(self.vocabulary)):
            counts[j + 1] += counts[j]
        return counts

    # --- reading names ------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.iri_of)

    def norm(self, i: int) -> str:
        start = self.nstart[i]
        return self.norms[start:start + self.nlen[i]]

    def name(self, i: int) -> Name:
        return Name(self.iris[self.iri_of[i]], self.texts[i], self.norm(i), self.role[i])

    # --- ranges ---------------------------------------------------------------------------------------------
    def _words_from(self, text: str) -> tuple[int, int]:
        """The vocabulary words that start with *text*, as an index range."""
        lo = bisect.bisect_left(self.vocabulary, text)
        hi = bisect.bisect_right(self.vocabulary, text, lo, key=lambda w: w[:len(text)])
        return lo, hi

    def _word_id(self, word: str) -> int | None:
        j = bisect.bisect_left(self.vocabulary, word)
        return j if j < len(self.vocabulary) and self.vocabulary[j] == word else None

    def _block(self, group: int, kind: int, first: int, last: int) -> tuple[int, int]:
        """The word-start entries of *group* and *kind* whose first word is one of the vocabulary words
        ``[first, last)``."""
        blocks = self.word_blocks[group][kind]
        return (blocks[first], blocks[last]) if blocks is not None else (0, 0)

    def _starting(self, group: int, kind: int, text: str) -> tuple[int, int]:
        """The word-start entries of *group* and *kind* whose text starts with *text* (normalised)."""
        first, _space, _rest = text.partition(" ")
        if not _space:
            return self._block(group, kind, *self._words_from(first))
        j = self._word_id(first)  # a multi-word text: its first word is whole, a bisect inside that word's block
        if j is None:
            return 0, 0
        lo, hi = self._block(group, kind, j, j + 1)
        norms, width = self.norms, len(text)
        key = lambda p: norms[p:p + width]  # noqa: E731 - the window the entries are compared by
        start = bisect.bisect_left(self.sa_pos[group], text, lo, hi, key=key)
        return start, bisect.bisect_right(self.sa_pos[group], text, start, hi, key=key)

    def _streams(self, ranges: list[tuple[int, int, int, int]], work: Work) -> list[Iterator[int]]:
        """Ascending id streams of (group, kind, first word, last word) word blocks that are not empty."""
        out = []
        for group, kind, first, last in ranges:
            lo, hi = self._block(group, kind, first, last)
            if lo < hi:
                out.append(ascending(self.sa_tree[group], lo, hi, work))
        return out

    def _size(self, kinds: Sequence[int], first: int, last: int) -> int:
        return sum(hi - lo for g in range(GROUPS) for k in kinds for lo, hi in [self._block(g, k, first, last)])

    # --- the tiers ------------------------------------------------------------------------------------------
    def search(self, words: list[str], kinds: Sequence[int], limit: int, work: Work | None = None) -> list[tuple[int, int]]:
        """The best *limit* resources for the normalised query *words* among *kinds*: ``(tier, name id)`` of each
        resource's best name, best first (tiers: 0 exact, 1 label prefix, 2 synonym prefix, 3 fuzzy)."""
        work = work if work is not None else Work()
        query = " ".join(words)
        found: list[tuple[int, int]] = []
        if not query or limit <= 0:
            return found
        shown: set[int] = set()
        tiers = (self._exact(query, kinds), self._prefix(query, kinds, 0, work), self._prefix(query, kinds, 1, work),
                 self._fuzzy(words, kinds, shown, work))
        for tier, stream in enumerate(tiers):
            for i in stream:
                work.names += 1
                iri = self.iri_of[i]
                if iri in shown:
                    continue
                shown.add(iri)
                found.append((tier, i))
                if len(found) >= limit:
                    return found
        return found

    def _exact(self, query: str, kinds: Sequence[int]) -> Iterator[int]:
        streams = []
        for k in kinds:
            ids = self.exact[k]
            lo = bisect.bisect_left(ids, query, key=self.norm)
            hi = bisect.bisect_right(ids, query, lo, key=self.norm)
            if lo < hi:
                streams.append(iter(ids[lo:hi]))
        yield from _merge(streams) if streams else ()

    def _prefix(self, query: str, kinds: Sequence[int], group: int, work: Work) -> Iterator[int]:
        streams = []
        for k in kinds:
            lo, hi = self._starting(group, k, query)
            if lo < hi:
                streams.append(ascending(self.sa_tree[group], lo, hi, work))
        yield from _merge(streams) if streams else ()

    def _fuzzy(self, words: list[str], kinds: Sequence[int], shown: set[int], work: Work) -> Iterator[int]:
        """Tier 3: the query inside a name elsewhere, or every query word matched by a word of the name."""
        streams = self._inside(words, kinds, work)
        near = {w: self._near(w) for w in dict.fromkeys(words)}
        if len(words) == 1:  # the words that start with it are the prefix tiers', shown already: near misses only
            word = words[0]
            streams += self._streams([(g, k, j, j + 1) for j in near[word] for g in range(GROUPS) for k in kinds],
                                     work)
        else:
            streams.append(self._all_words(words, kinds, near, shown, work))
        yield from _merge(streams) if streams else ()

    def _near(self, word: str) -> list[int]:
        """Vocabulary words within the edit-distance cut-off of *word* that do not start with it."""
        if len(word) < 4:
            return []
        cutoff = 1 if len(word) < 8 else 2
        found = process.extract(word, self.vocabulary, scorer=Levenshtein.distance, score_cutoff=cutoff, limit=None)
        return sorted(j for match, _score, j in found if not match.startswith(word))

    def _inside(self, words: list[str], kinds: Sequence[int], work: Work) -> list[Iterator[int]]:
        """Streams of the names holding the query somewhere other than at a word start (a superset may come
        back: names holding it at a word start belong to resources already shown)."""
        query, joined, starts = " ".join(words), self.joined, self.vstarts
        if len(words) > 1:  # the first word must end a longer word: is there one?
            target, p = words[0] + "\n", joined.find(words[0] + "\n")
            if p >= 0 and joined[p - 1] == "\n":  # that is the word itself; any further hit is a longer one
                p = joined.find(target, p + 1)
            return [self._scan(query, k, work) for k in kinds] if p >= 0 else []
        holding: list[int] = []
        p, steps = joined.find(query), 0
        while p >= 0:
            steps += 1
            j = bisect.bisect_right(starts, p) - 1
            if p > starts[j]:
                holding.append(j)
                p = joined.find(query, starts[j] + len(self.vocabulary[j]))
            else:
                p = joined.find(query, p + 1)
            if len(holding) > SUBSTRING_WORDS or steps > 4 * SUBSTRING_WORDS:
                return [self._scan(query, k, work) for k in kinds]
        return self._streams([(g, k, j, j + 1) for j in holding for g in range(GROUPS) for k in kinds], work)

    def _scan(self, query: str, kind: int, work: Work) -> Iterator[int]:
        """The names of *kind* that hold *query*, in id order, by ``str.find`` over the kind's text."""
        norms, ids, nstart = self.norms, self.by_kind[kind], self.nstart
        pos, end = self.kind_bounds[kind], self.kind_bounds[kind + 1]
        while (p := norms.find(query, pos, end)) >= 0:
            i = ids[bisect.bisect_right(ids, p, key=nstart.__getitem__) - 1]
            work.scans += 1
            yield i
            pos = nstart[i] + self.nlen[i] + 1

    def _all_words(self, words: list[str], kinds: Sequence[int], near: dict[str, list[int]], shown: set[int],
                   work: Work) -> Iterator[int]:
        """Names with, for every query word, a word that starts with it or is a near miss of it: the candidates
        of the word with the fewest, in id order, checked against the others."""
        ranges = {w: [self._words_from(w), *((j, j + 1) for j in near[w])] for w in near}  # vocabulary ranges
        sizes = {w: sum(self._size(kinds, *r) for r in ranges[w]) for w in near}
        driver = min(sizes, key=sizes.__getitem__)
        if not sizes[driver]:
            return
        streams = self._streams([(g, k, *r) for r in ranges[driver] for g in range(GROUPS) for k in kinds], work)
        others = [(w, {self.vocabulary[j] for j in near[w]}) for w in near if w != driver]
        last = -1
        for i in _merge(streams):
            if i == last or self.iri_of[i] in shown:
                last = i
                continue
            last = i
            work.checks += 1
            name_words = self.norm(i).split()
            if all(any(nw.startswith(w) or nw in misses for nw in name_words) for w, misses in others):
                yield i
            if work.checks >= FUZZY_CHECKS:
                break
        else:
            return
        # Too many candidates failed: the rest by C set operations, the driver's ids narrowed by each other
        # word's (intersection() reads an id array without making a set of it: no set outgrows the driver's).
        work.fallbacks += 1

        def parts(word: str) -> Iterator[array]:
            for first, final in ranges[word]:
                for g in range(GROUPS):
                    m = len(self.sa_tree[g]) // 2
                    for k in kinds:
                        lo, hi = self._block(g, k, first, final)
                        yield self.sa_tree[g][m + lo:m + hi]

        common: set[int] = set()
        for part in parts(driver):
            common.update(part)
        for word, _misses in others:
            narrowed: set[int] = set()
            for part in parts(word):
                narrowed |= common.intersection(part)
            common = narrowed
        rest = sorted(common)
        yield from rest[bisect.bisect_right(rest, last):]
