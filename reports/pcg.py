"""Account and journal labels for the FEC, from the French chart of accounts (PCG).

The FEC wants each account's label (``CompteLib``, "nomenclature PCG") and one label per
account throughout the file, so a label is a pure function of the account number: the longest
PCG prefix that names it (fiscal-fr.md section 4.4), plus the VAT rate for the per-rate
sub-accounts the till posts to (``7071`` + ``20`` -> "Ventes de marchandises TVA 20 %").
The chart itself (which account each means or rate goes to) is the shop's ``[accounts]``
configuration; this table only names accounts.
"""

from __future__ import annotations

__all__ = ["PCG_LABELS", "JOURNAL_LABELS", "account_label", "journal_label"]

PCG_LABELS = {
    "411": "Clients",
    "4191": "Clients - Avances et acomptes reçus",
    "4197": "Clients - Autres avoirs",
    "4198": "Rabais, remises, ristournes à accorder et autres avoirs à établir",
    "44551": "TVA à décaisser",
    "44567": "Crédit de TVA à reporter",
    "4457": "Taxes sur le chiffre d'affaires collectées",
    "44571": "TVA collectée",
    "467": "Autres comptes débiteurs ou créditeurs",
    "511": "Valeurs à l'encaissement",
    "5112": "Chèques à encaisser",
    "5115": "Cartes bancaires à encaisser",
    "512": "Banques",
    "53": "Caisse",
    "531": "Caisse siège social",
    "532": "Caisse succursales",
    "58": "Virements internes",
    "580": "Virements internes",
    "606": "Achats non stockés de matières et fournitures",
    "6068": "Autres matières et fournitures",
    "627": "Services bancaires et assimilés",
    "658": "Charges diverses de gestion courante",
    "706": "Prestations de services",
    "707": "Ventes de marchandises",
    "7071": "Ventes de marchandises",
    "7085": "Ports et frais accessoires facturés",
    "709": "Rabais, remises et ristournes accordés",
    "7097": "Rabais, remises et ristournes accordés sur ventes de marchandises",
    "758": "Produits divers de gestion courante",
}

_RATES = {"20": "20 %", "10": "10 %", "55": "5,5 %", "21": "2,1 %", "85": "8,5 %", "13": "13 %", "09": "0,9 %",
          "00": "0 %"}

JOURNAL_LABELS = {"VT": "Ventes", "CA": "Caisse", "BQ": "Banque", "OD": "Opérations diverses", "AN": "À-nouveaux"}


def account_label(account: str, sales_prefix: str = "7071", vat_prefix: str = "44571") -> str:
    """The PCG label of ``account``; per-rate sales and VAT sub-accounts name their rate."""
    for prefix, base in ((vat_prefix, "TVA collectée"), (sales_prefix, "Ventes de marchandises")):
        suffix = account[len(prefix):]
        if prefix and account.startswith(prefix) and suffix in _RATES:
            return f"{base} {_RATES[suffix]}"
    for length in range(len(account), 1, -1):
        label = PCG_LABELS.get(account[:length])
        if label:
            return label
    return f"Compte {account}"


def journal_label(code: str) -> str:
    return JOURNAL_LABELS.get(code, f"Journal {code}")
