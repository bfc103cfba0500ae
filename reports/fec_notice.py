"""The description file ("notice") that goes with every FEC.

A FEC handed to the tax auditor must come with a description of its content: fields, codes,
character set, separators (A47 A-1 XI; BOFiP BOI-CF-IOR-60-40-20 §390; fiscal-fr.md 3.2). The
export writes it beside the FEC, named after it (``<SIREN>FEC<AAAAMMJJ>_notice.txt``), in French
(the administration's language) and in the FEC's own encoding, so one reader opens both.

Everything in it that depends on the data is taken from the file just written (its journals,
its accounts with their labels, its counts, its SHA-256), so the notice always matches its FEC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from till import __version__

__all__ = ["NoticeFacts", "notice_name", "notice_text", "COLUMN_MEANINGS"]

SUFFIX = "_notice.txt"

COLUMN_MEANINGS = (
    ("JournalCode", "Code du journal de l'écriture"),
    ("JournalLib", "Libellé du journal"),
    ("EcritureNum", "Numéro de l'écriture, séquence continue par journal sur l'exercice, dans l'ordre "
                    "chronologique des tickets et des mouvements de caisse"),
    ("EcritureDate", "Date de comptabilisation (jour de caisse du ticket ou du mouvement de caisse, fuseau de la "
                     "boutique)"),
    ("CompteNum", "Numéro de compte (plan comptable général)"),
    ("CompteLib", "Libellé du compte (nomenclature du plan comptable général)"),
    ("CompAuxNum", "Numéro de compte auxiliaire : renseigné sur le compte des avoirs clients, un par avoir "
                   "(AV suivi des 12 premiers chiffres hexadécimaux du SHA-256 du code de l'avoir) ; vide sinon"),
    ("CompAuxLib", "Libellé du compte auxiliaire : « Avoir » et le code de l'avoir masqué sauf ses 4 derniers "
                   "caractères ; vide sinon"),
    ("PieceRef", "Référence de la pièce justificative : numéro du ticket de caisse, ou du mouvement de caisse "
                 "(P<caisse>-<numéro>)"),
    ("PieceDate", "Date de la pièce justificative"),
    ("EcritureLib", "Libellé de l'écriture : nature du ticket (Vente, Retour, Échange, Annulation) et son numéro ; "
                    "pour un mouvement de caisse, sa nature (Fonds de caisse, Complément du fonds de caisse, Retrait "
                    "vers le coffre, Remise d'espèces en banque, Petite dépense, Correction de moyen de paiement), "
                    "son numéro, le ticket corrigé entre parenthèses et le motif"),
    ("Debit", "Montant au débit (0,00 si l'écriture est au crédit)"),
    ("Credit", "Montant au crédit (0,00 si l'écriture est au débit)"),
    ("EcritureLet", "Lettrage : non utilisé, vide"),
    ("DateLet", "Date de lettrage : non utilisée, vide"),
    ("ValidDate", "Date de validation : jour de la clôture journalière signée qui a scellé le ticket ou le "
                  "mouvement de caisse (pour un mouvement d'un jour sans clôture journalière, celle du mois ou de "
                  "l'exercice qui le couvre)"),
    ("Montantdevise", "Montant en devise : non utilisé (toutes les écritures sont en euros), vide"),
    ("Idevise", "Identifiant de la devise : non utilisé, vide"),
)
"""Each FEC column and what the till puts in it, in the file's order."""

_ENCODINGS = {"iso-8859-15": "ISO-8859-15 (Latin-9)", "utf-8": "UTF-8, sans marque d'ordre d'octets (BOM)"}


@dataclass(frozen=True)
class NoticeFacts:
    """What the notice says of one FEC file, gathered while the file was written."""

    company: str
    siren: str
    first_day: dt.date
    last_day: dt.date
    file_name: str
    encoding: str
    lines: int
    entries: int
    sha256: str
    journals: dict[str, str]
    accounts: dict[str, str]
    aux_accounts: int
    aux_account: str
    cash_journal: str = ""
    """The journal of the cash moves (chain P), when the file has any."""


def notice_name(fec_file_name: str) -> str:
    """``123456789FEC20251231.txt`` -> ``123456789FEC20251231_notice.txt``."""
    return fec_file_name.removesuffix(".txt") + SUFFIX


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _aux_line(count: int, account: str) -> str:
    if not count:
        return "Aucun"
    plural = "s" if count > 1 else ""
    return f"{count} compte{plural} auxiliaire{plural}, un par avoir client, sur le compte {account}"


def _moves_line(journal: str) -> list[str]:
    if not journal:
        return []
    return [f"Mouvements de caisse hors vente (fonds de caisse, retraits, remises en banque, petites dépenses) et "
            f"corrections de moyen de paiement : journal {journal}, pièce P<caisse>-<numéro>, une écriture par "
            f"mouvement."]


def notice_text(facts: NoticeFacts) -> str:
    """The notice of ``facts``, lines ending with LF."""
    lines = [
        "NOTICE DESCRIPTIVE DU FICHIER DES ÉCRITURES COMPTABLES (FEC)",
        "Article A47 A-1 du livre des procédures fiscales",
        "",
        f"Fichier : {facts.file_name}",
        f"Société : {facts.company}",
        f"SIREN : {facts.siren}",
        f"Exercice : du {_day(facts.first_day)} au {_day(facts.last_day)}",
        f"Logiciel : till {__version__} (caisse enregistreuse, logiciel libre)",
        "",
        "FORMAT",
        f"Codage des caractères : {_ENCODINGS.get(facts.encoding, facts.encoding)}",
        "Séparateur de zones : tabulation (caractère 09)",
        "Séparateur d'enregistrements : saut de ligne LF (caractère 0A), pas de saut de ligne après le dernier "
        "enregistrement",
        "Première ligne : noms des 18 zones, dans l'ordre ci-dessous",
        "Séparateur décimal : virgule, sans séparateur de milliers ; montants positifs, en euros",
        "Format des dates : AAAAMMJJ",
        "Nombre de zones par enregistrement : 18",
        "",
        "ZONES (nom, contenu)",
        *(f"{name}\t{meaning}" for name, meaning in COLUMN_MEANINGS),
        "",
        "Journaux utilisés (code, libellé)",
        *(f"{code}\t{label}" for code, label in sorted(facts.journals.items())),
        "",
        "Comptes utilisés (numéro, libellé)",
        *(f"{account}\t{label}" for account, label in sorted(facts.accounts.items())),
        "",
        "Comptes auxiliaires (CompAuxNum)",
        _aux_line(facts.aux_accounts, facts.aux_account),
        "",
        "CONTENU",
        f"Nombre de lignes : {facts.lines} (hors ligne d'en-tête)",
        f"Nombre d'écritures : {facts.entries}",
        "Une écriture par ticket de caisse et par mouvement de caisse ; chaque écriture est équilibrée.",
        *_moves_line(facts.cash_journal),
        f"Empreinte SHA-256 du fichier : {facts.sha256}",
    ]
    return "\n".join(lines) + "\n"
