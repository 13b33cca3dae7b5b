"""The code a structure's treatment takes, summarised from its sourced code assignments for one technique.

One summary, shown the same way wherever a structure is listed beside its code (the browse tree, the class
tables, the per-code diagrams): a definite code (``0440T``), a dispute between candidates
(``disputed: 0441T / 0442T``), an unlisted-code fallback (``64999 (unlisted)``), or nothing. Contested
alternatives (codes outside the family that a manufacturer or payer argues for) are kept apart: they never
replace the answer, they are shown beside it.

The kinds are the local names of ``cryo:AssignmentKind`` individuals (``<base>id/assignment-kind/<kind>``).

>>> answer = summarize([("candidate", "0442T"), ("candidate", "0441T")])
>>> answer.text, answer.status
('disputed: 0441T / 0442T', 'disputed')
>>> summarize([("definite", "0441T"), ("alternative", "64624")]).text
'0441T'
>>> summarize([("fallback", "64999")]).text
'64999 (unlisted)'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["KINDS", "CodeAnswer", "summarize"]

KINDS = ("definite", "candidate", "alternative", "fallback")
"""The assignment kinds, by the local name of their IRI."""


@dataclass(frozen=True)
class CodeAnswer:
    """The codes of one structure for one technique, by kind (each sorted by notation)."""

    definite: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    fallbacks: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """``disputed`` (candidates, none picked), ``definite``, ``fallback`` or ``none``."""
        if self.candidates:
            return "disputed"
        if self.definite:
            return "definite"
        if self.fallbacks:
            return "fallback"
        return "none"

    @property
    def text(self) -> str:
        """The answer in a few characters, as the tree and the tables show it ("" when there is none)."""
        if self.candidates:
            return "disputed: " + " / ".join(self.candidates)
        if self.definite:
            return " / ".join(self.definite)
        if self.fallbacks:
            return " / ".join(f"{code} (unlisted)" for code in self.fallbacks)
        return ""

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code of the answer (not the contested alternatives), in the order :attr:`text` names them."""
        return self.candidates or self.definite or self.fallbacks


def summarize(rows: Iterable[tuple[str, str]]) -> CodeAnswer:
    """The answer from (kind, notation) pairs of one structure's assignments for one technique.

    An unknown kind counts as a candidate: an assignment nobody classified is not a settled answer.
    """
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for kind, notation in rows:
        found[kind if kind in found else "candidate"].add(notation)
    return CodeAnswer(*(tuple(sorted(found[kind])) for kind in KINDS))
