"""What a client sends to ``/claim``: the fields of a form post or a JSON body, checked before any work is done.

The body has already been capped by the server's body limit; here every field is bounded again (the note at
:data:`MAX_WEB_NOTE` characters, at most :data:`MAX_DX` diagnoses) and typed, so the claim is only ever computed for
input of a known, small size. Parsing uses the standard library (``urllib.parse.parse_qsl`` with a field cap,
``json.loads``), each linear in the body's length.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field

__all__ = ["MAX_DX", "MAX_WEB_NOTE", "SETTINGS", "ClaimRequest", "RequestError", "parse_claim_request"]

MAX_WEB_NOTE = 5000
"""The longest note the web page reads (a procedure note; longer ones are refused with 413, not cut)."""
MAX_DX = 12
SETTINGS = ("office", "asc", "hospital-outpatient")
_SPLIT = re.compile(r"[\s,;]+")


class RequestError(ValueError):
    """A request ``/claim`` cannot read: the status to answer with and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class ClaimRequest:
    """The fields of one claim request."""

    note: str = ""
    payer: str = ""
    setting: str = ""
    dx: list[str] = field(default_factory=list)

    def form(self) -> dict:
        """The fields as the page's form shows them again."""
        return {"note": self.note, "payer": self.payer, "setting": self.setting, "dx": " ".join(self.dx)}


def _text(value: object, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RequestError(400, f"'{name}' must be a string")
    if len(value) > limit:
        raise RequestError(413, f"'{name}' is {len(value)} characters long; at most {limit} are read")
    return value.strip()


def parse_claim_request(content_type: str, body: bytes) -> ClaimRequest:
    """The claim request in *body* (``application/x-www-form-urlencoded`` or ``application/json``)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "the body is not UTF-8") from None
    if kind == "application/json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise RequestError(400, f"the body is not JSON: {error}") from None
        if not isinstance(data, dict):
            raise RequestError(400, "the JSON body must be an object with 'note' and optional 'payer', 'setting', 'dx'")
        unknown = sorted(set(data) - {"note", "payer", "setting", "dx"})
        if unknown:
            raise RequestError(400, f"unknown field(s): {', '.join(unknown)[:200]}")
        raw_dx = data.get("dx") or []
    elif kind in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=20)
        except ValueError:
            raise RequestError(400, "too many form fields") from None
        data = {}
        for key, value in pairs:
            data.setdefault(key, value)
        raw_dx = data.get("dx") or ""
    else:
        raise RequestError(415, "send the note as a form (application/x-www-form-urlencoded) or as JSON")
    note = _text(data.get("note"), "note", MAX_WEB_NOTE)
    if not note:
        raise RequestError(422, "the note is empty: paste the procedure note")
    setting = _text(data.get("setting"), "setting", 40)
    if setting and setting not in SETTINGS:
        raise RequestError(422, f"unknown setting {setting!r}; use one of: {', '.join(SETTINGS)}")
    if isinstance(raw_dx, str):
        dx = [d for d in _SPLIT.split(_text(raw_dx, "dx", 200)) if d]
    elif isinstance(raw_dx, list) and all(isinstance(d, str) and len(d) <= 12 for d in raw_dx):
        dx = [d.strip() for d in raw_dx if d.strip()]
    else:
        raise RequestError(400, "'dx' must be a list of ICD-10-CM codes (strings)")
    if len(dx) > MAX_DX:
        raise RequestError(422, f"at most {MAX_DX} diagnosis codes are read")
    return ClaimRequest(note=note, payer=_text(data.get("payer"), "payer", 100), setting=setting, dx=dx)
