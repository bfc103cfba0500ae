"""What an archive says about itself: the JSON Schemas of its records and manifest, and its notice.

An archive must stay readable by an inspector after the till and its software are gone
(fiscal-fr.md R-ARC-01, R-ARC-03), so it carries the schemas its files follow and a short notice
(LISEZMOI.txt) naming each member and how to verify them. Both are written by the exporter
(``till.fiscal.archive``) into every archive; the offline verifier checks the records and the
manifest against the schemas found in the archive itself (``till.fiscal.json_schema``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ARCHIVE_FORMAT", "ARCHIVE_FORMAT_VERSION", "RECORD_SCHEMA", "MANIFEST_SCHEMA", "ARCHIVE_NOTICE",
           "record_schema", "manifest_schema"]

ARCHIVE_FORMAT = "till-fiscal-archive"
ARCHIVE_FORMAT_VERSION = 3
"""Version of the archive layout. Never change what a version means: add a version.

1: one run per chain, records chosen by sealing time; 2: records chosen by business date, in
runs (``chains[].runs``), and ``period.complete`` from the closures; 3: the HISTORY_IMPORTED
declarations that cover the archived tickets (``declarations``), so a ticket's time is checked."""
RECORD_SCHEMA = "schemas/record.schema.json"
MANIFEST_SCHEMA = "schemas/manifest.schema.json"

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_INT, _STR, _NULL_INT, _NULL_STR = {"type": "integer"}, {"type": "string"}, {"type": ["integer", "null"]}, \
    {"type": ["string", "null"]}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None, closed: bool = True) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})},
            "additionalProperties": not closed}


def record_schema() -> dict[str, Any]:
    """Schema of one line of a data file: the signed envelope, hash, signature and key id.

    Amounts are integers (cents, basis points) everywhere: the schema says so, a float fails.
    The ticket payload lists what it holds today and allows keys added later (a new key is
    signed like the others; the signature, not the schema, protects the content).
    """
    ticket_line = _object({
        "line_id": _INT, "position": _INT, "product_id": _NULL_INT, "sku": _STR, "label": _STR, "quantity": _INT,
        "unit": _STR, "unit_price_cents": _INT, "discount_cents": _INT, "total_cents": _INT, "vat_code": _STR,
        "vat_rate_bp": _INT, "origin_line_id": _NULL_INT, "reason": _NULL_STR, "disposition": _NULL_STR,
        "serial": _NULL_STR,
    }, {"origin_order_line_id": _NULL_INT}, closed=False)
    ticket = _object({
        "ticket_id": _INT, "till_id": _STR, "number": _INT, "code": _STR, "kind": _STR, "created_at": _TIME,
        "operator": _object({"user_id": _NULL_INT, "name": _STR}, closed=False),
        "customer": {"anyOf": [{"type": "null"}, _object({"id": _NULL_INT, "name": _NULL_STR}, closed=False)]},
        "origin_ticket_id": _NULL_INT, "total_cents": _INT, "discount_cents": _INT, "line_count": _INT,
        "training": {"type": "boolean"},
        "lines": {"type": "array", "items": {"$ref": "#/$defs/ticket_line"}},
        "vat": {"type": "array", "items": _object(
            {"rate_bp": _INT, "ttc_cents": _INT, "ht_cents": _INT, "vat_cents": _INT}, closed=False)},
        "payments": {"type": "array", "items": _object(
            {"position": _INT, "means": _STR, "amount_cents": _INT, "reference": _NULL_STR}, closed=False)},
    }, {"origin": _object({}, {"reference": _NULL_STR, "signature": _NULL_STR, "order_id": _NULL_INT},
                          closed=False)}, closed=False)
    event = _object({"code": _STR, "description": _STR, "user_id": _NULL_INT, "details": {"type": "object"}},
                    closed=False)
    envelope = _object({
        "format_version": {"const": 1}, "till_id": _STR, "chain": {"type": "string", "pattern": "^[A-Z]{1,2}$"},
        "sequence": {"type": "integer", "minimum": 1}, "kind": _STR, "created_at": _TIME, "ticket_id": _NULL_INT,
        "payload": {"type": "object"}, "previous_signature": _STR, "hash": _SHA256,
        "signature": {"type": "string", "minLength": 1},
        "key_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    })
    return {
        "$schema": _DRAFT, "$id": RECORD_SCHEMA, "title": "A sealed fiscal record (one line of data/*.jsonl)",
        "description": "The signed message is the canonical JSON (UTF-8, NFC, sorted keys, no spaces) of the "
                       "record without hash, signature and key_id; hash is its SHA-256 in hex, signature its "
                       "ECDSA P-256 SHA-256 signature (DER, base64url without padding) by keys/<key_id>.pem.",
        **envelope,
        "allOf": [
            {"if": {"properties": {"chain": {"enum": ["T", "X"]}}},
             "then": {"properties": {"payload": {"$ref": "#/$defs/ticket"}, "ticket_id": _INT}}},
            {"if": {"properties": {"chain": {"const": "L"}}},
             "then": {"properties": {"payload": {"$ref": "#/$defs/event"}}}},
        ],
        "$defs": {"ticket": ticket, "ticket_line": ticket_line, "event": event},
    }


def manifest_schema() -> dict[str, Any]:
    """Schema of ``manifest.json``."""
    before = {"anyOf": [{"type": "null"}, _object({"sequence": _INT, "signature": _STR, "hash": _SHA256})]}
    chain = _object({
        "till_id": _STR, "chain": _STR, "file": _STR, "count": _INT, "first_sequence": _NULL_INT,
        "last_sequence": _NULL_INT, "first_hash": {"anyOf": [{"type": "null"}, _SHA256]},
        "last_hash": {"anyOf": [{"type": "null"}, _SHA256]}, "before": before,
    }, {"runs": {"type": "array", "items": _object({"first_sequence": _INT, "last_sequence": _INT, "count": _INT,
                                                     "before": before})}})
    entry = _object({"name": _STR, "sha256": _SHA256, "size": _INT, "media_type": _STR}, {"schema": _STR})
    key_chain = _object({"till_id": _STR, "file": _STR, "root_key_id": _NULL_STR, "root_fingerprint": _NULL_STR,
                         "keys": {"type": "array", "items": _STR}})
    declaration = _object({"till_id": _STR, "file": _STR, "sequences": {"type": "array", "items": _INT}})
    return {
        "$schema": _DRAFT, "$id": MANIFEST_SCHEMA, "title": "Manifest of a till fiscal archive",
        **_object({
            "format": {"const": ARCHIVE_FORMAT}, "format_version": {"const": ARCHIVE_FORMAT_VERSION},
            "record_format_version": _INT, "software": _object({"name": _STR, "version": _STR}),
            "shop": {"type": "object"}, "period": _object({"label": _STR, "from": _TIME, "to": _TIME, "zone": _STR,
                                                           "complete": {"type": "boolean"}},
                                                          {"incomplete_reason": _STR}),
            "created_at": _TIME, "exported_by": _object({"till_id": _STR, "key_id": _STR}),
            "tills": {"type": "array", "items": _STR},
            "signature": _object({"file": _STR, "algorithm": _STR, "key_id": _STR}),
            "order": _STR, "files": {"type": "array", "items": entry},
            "chains": {"type": "array", "items": chain},
        }, {"schema": _STR, "key_chains": {"type": "array", "items": key_chain},
            "declarations": {"type": "array", "items": declaration}}),
    }


ARCHIVE_NOTICE = """Archive fiscale de caisse (till) / Till fiscal archive

manifest.json   période (complète ou partielle), boutique, fichiers avec leur SHA-256 et taille,
                chaînes (premier et dernier numéro, suites de numéros consécutifs et l'enregistrement
                qui précède chacune) / period (complete or partial), shop, files with SHA-256 and
                size, chains (first and last number, runs of consecutive numbers and the record
                before each run)
manifest.sig    signature ECDSA P-256 SHA-256 (DER, base64url) de manifest.json par keys/<key_id>.pem
data/*.jsonl    un enregistrement signé par ligne, dans l'ordre des numéros, choisi par la date de ce
                qu'il enregistre (ticket : son heure ; clôture : sa période ; autres : leur
                scellement) / one signed record a line, chosen by the date of what it records
schemas/        schémas JSON (draft 2020-12) / JSON Schemas
keys/           clés publiques (PEM) / public keys
key_chain/      enregistrements qui admettent les clés de chaque caisse, depuis sa clé racine (empreinte
                dans manifest.json et sur chaque ticket Z) / records admitting each till's keys, from its
                root key (fingerprint in manifest.json and on every Z report)
declarations/   déclarations d'historique importé (HISTORY_IMPORTED, chaîne L) qui couvrent des tickets
                de l'archive, même scellées dans une autre période / imported history declarations
                covering tickets of the archive, even when sealed in another period

Vérifier / verify:  till journal verify --archive FICHIER.zip --root "EMPREINTE / FINGERPRINT"
                    python -m till.fiscal.archive_verify FICHIER.zip --root "EMPREINTE / FINGERPRINT"
Message signé d'un enregistrement / signed message of a record: le JSON canonique (UTF-8, NFC, clés
triées, sans espaces) de la ligne sans hash, signature ni key_id; hash = SHA-256 de ce message.
"""
