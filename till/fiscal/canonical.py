"""The one byte form of a fiscal payload: what is hashed and signed.

A signature only proves something if the verifier can rebuild the exact bytes that were signed,
on another engine, another machine or another Python, years later. So the form is pinned down
(fiscal-fr.md R-SEC-03):

- UTF-8 JSON, keys sorted by code point, no whitespace (``,`` and ``:`` only);
- every string (keys too) in Unicode NFC, so "é" typed precomposed or decomposed seals alike;
- amounts are integers (cents, basis points): a float is refused with ``TypeError``, never
  rounded, because ``0.1 + 0.2`` would otherwise end up signed;
- times are already ISO-8601 UTC strings (``2024-05-01T09:30:00Z``): a ``datetime`` is refused,
  since its text form depends on who prints it.

``RawJSON`` lets a payload already stored in canonical form be embedded verbatim, so the verifier
does not parse and re-serialise every record's payload to rebuild the signed message.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

__all__ = ["RawJSON", "canonical_json", "canonical_bytes", "nfc", "EXTRACT_DER", "EXTRACT_RAW", "signature_extract"]

_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, check_circular=False
).encode
"""The C encoder in canonical settings; only ever fed trees that ``_scan``/``_clean`` passed."""


class RawJSON(str):
    """Text that is already canonical JSON, emitted as is (not quoted) by ``canonical_json``."""

    __slots__ = ()


_is_nfc = unicodedata.is_normalized


def nfc(text: str) -> str:
    """``text`` in Unicode NFC (cheap when it already is, which is almost always)."""
    if _is_nfc("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _clean(value: Any, raws: list[bool]) -> Any:
    """A copy of ``value`` with NFC strings, checked to hold only JSON-safe, float-free types."""
    kind = type(value)
    if kind is str:
        return nfc(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is RawJSON:
        raws.append(True)
        return value
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"canonical JSON keys must be strings, not {type(key).__name__}")
            key = nfc(key)
            if key in cleaned:
                raise ValueError(f"key {key!r} appears twice once normalised to NFC")
            cleaned[key] = _clean(item, raws)
        return cleaned
    if isinstance(value, (list, tuple)):
        return [_clean(item, raws) for item in value]
    if isinstance(value, float):
        raise TypeError("floats are refused in fiscal payloads: use integer cents or basis points")
    if isinstance(value, str):  # a str subclass other than RawJSON
        return nfc(str(value))
    if isinstance(value, int):  # an int subclass (IntEnum...): its plain value
        return int(value)
    raise TypeError(
        f"{type(value).__name__} is not allowed in a fiscal payload"
        " (datetimes must already be ISO-8601 UTC strings)"
    )


def _scan(container: dict | list | tuple, state: list[bool]) -> None:
    """Check a tree without copying it: state[0] = a copy is needed, state[1] = holds RawJSON.

    The common payload (plain str/int/bool/None, already NFC) then goes straight to the C
    encoder; anything else (a float, a non-NFC string, a subclass) takes ``_clean``, which
    normalises or refuses. This keeps the verifier's cost per record close to the bare
    signature check.
    """
    if type(container) is dict:
        for key in container:
            if type(key) is not str or not _is_nfc("NFC", key):
                state[0] = True
        items = container.values()
    else:
        items = container
    for item in items:
        kind = type(item)
        if kind is str:
            if not _is_nfc("NFC", item):
                state[0] = True
        elif kind is int or kind is bool or item is None:
            continue
        elif kind is dict or kind is list or kind is tuple:
            _scan(item, state)
        elif kind is RawJSON:
            state[1] = True
        else:
            state[0] = True


def _encode_with_raw(value: Any) -> str:
    """Encode a tree holding ``RawJSON`` leaves; same output as the C encoder would give.

    Runs of plain members are encoded by the C encoder in one call, so an envelope around a
    stored payload costs two encoder calls, not one per field.
    """
    if type(value) is RawJSON:
        return str(value)
    if isinstance(value, dict):
        parts: list[str] = []
        run: dict[str, Any] = {}
        for key, item in sorted(value.items()):
            if type(item) is RawJSON or isinstance(item, (dict, list, tuple)):
                if run:
                    parts.append(_encode(run)[1:-1])
                    run = {}
                parts.append(_encode(key) + ":" + _encode_with_raw(item))
            else:
                run[key] = item
        if run:
            parts.append(_encode(run)[1:-1])
        return "{" + ",".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode_with_raw(item) for item in value) + "]"
    return _encode(value)


def canonical_json(obj: Any) -> str:
    """``obj`` as canonical JSON text (see the module docstring for the rules)."""
    if type(obj) is dict or type(obj) is list:
        state = [False, False]
        _scan(obj, state)
        if not state[0]:
            return _encode_with_raw(obj) if state[1] else _encode(obj)
    raws: list[bool] = []
    cleaned = _clean(obj, raws)
    return _encode_with_raw(cleaned) if raws else _encode(cleaned)


def canonical_bytes(obj: Any) -> bytes:
    """``canonical_json(obj)`` encoded in UTF-8: the bytes that get hashed and signed."""
    return canonical_json(obj).encode("utf-8")


EXTRACT_DER = 1
"""The first extract rule: characters 3, 7, 13 and 19 of the record's signature as stored (the
base64url of its DER encoding). Three of them fall on DER header bytes (sequence and integer
lengths), so the four characters carry about 18 random bits. Kept for the records sealed before
the raw rule (``till.fiscal.extracts``): their paper shows it."""

EXTRACT_RAW = 2
"""The extract rule from now on: characters 3, 7, 13 and 19 of the base64url of the raw
signature, r then s as 32-byte big-endian integers (P-256): four characters, 24 random bits."""

_RAW_SIZE = 32  # bytes of r and of s on P-256


def _raw_signature(signature: str) -> str | None:
    """The base64url of r||s for a DER signature stored in base64url, or None if it is not one."""
    try:
        der = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(_RAW_SIZE, "big") + s.to_bytes(_RAW_SIZE, "big")
    except (ValueError, TypeError, OverflowError, binascii.Error):
        return None
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def signature_extract(signature: str, rule: int = EXTRACT_RAW) -> str:
    """The four characters of a record's signature printed as evidence on receipts, copies, Z
    reports and vouchers (fiscal-fr.md R-SEC-06): a reader compares them with the journal without
    the whole signature. ``rule`` is the record's (``till.fiscal.extracts.extract_rule``); a text
    that is no DER signature gets the first rule, so nothing printed is ever empty by surprise."""
    if rule == EXTRACT_RAW:
        signature = _raw_signature(signature) or signature
    return "".join(signature[i - 1] for i in (3, 7, 13, 19) if len(signature) >= i)
