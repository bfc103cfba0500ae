"""A ticket seals who issued it; its receipt and every copy print that, not today's settings.

R-DATA-03: the header of a fiscal document names the shop and the software. The shop's name,
address, SIRET and VAT number and the software version are copied onto the ticket and sealed in
its record, so a copy made after the settings changed still prints what the customer got.
"""

from __future__ import annotations

import dataclasses
import json

from store.models import FiscalRecord, Ticket
from till import __version__
from till.aftersale.duplicates import make_duplicate
from till.aftersale.jobs import receipt_lines
from till.fiscal.verify import verify_journal
from tests.support.journal import unprotect
from tests.support.shop import sell


def _renamed(config, **changes):
    return dataclasses.replace(config, shop=dataclasses.replace(config.shop, **changes))


def _record(ticket) -> FiscalRecord:
    return FiscalRecord.get((FiscalRecord.ticket_id == ticket.id) & (FiscalRecord.chain == "T"))


def test_the_signed_payload_names_the_shop_and_the_software(shop):
    ticket = sell(shop, [("WIN", 1)])
    payload = json.loads(_record(ticket).payload)
    identity = shop.config.shop
    assert payload["shop"] == {"name": identity.name, "address": identity.address, "siret": identity.siret,
                               "vat_number": identity.vat_number}
    assert payload["software_version"] == __version__
    assert verify_journal().ok


def test_a_copy_made_after_the_settings_changed_prints_the_original_identity(shop):
    ticket = sell(shop, [("WIN", 1)])
    original = "\n".join(receipt_lines(shop.config, ticket.id))
    later = _renamed(shop.config, name="Nouveau Nom SAS", address="9 rue Neuve, 13001 Marseille",
                     siret="11111111111111", vat_number="FR00111111111")
    copy = make_duplicate(shop.ctx.sealer, ticket, shop.cashier)
    text = "\n".join(receipt_lines(later, ticket.id, duplicate=copy.number))
    assert shop.config.shop.name in text and shop.config.shop.address in text
    assert f"SIRET {shop.config.shop.siret}" in text and shop.config.shop.vat_number in text
    assert "Nouveau Nom" not in text and "Marseille" not in text and "11111111111111" not in text
    assert "FR00111111111" not in text
    assert text.split("\n")[:3] == original.split("\n")[:3]  # the same header as the original


def test_a_ticket_sealed_without_an_issuer_prints_the_current_settings(shop):
    shop.ctx.sealer.issuer = None  # as a ticket sealed before the issuer was
    ticket = sell(shop, [("WIN", 1)])
    assert "shop" not in json.loads(_record(ticket).payload)
    later = _renamed(shop.config, name="Nouveau Nom SAS")
    assert "Nouveau Nom SAS" in "\n".join(receipt_lines(later, ticket.id))
    assert verify_journal().ok


def test_an_altered_shop_name_on_a_ticket_is_found_by_the_verifier(shop):
    ticket = sell(shop, [("WIN", 1)])
    assert verify_journal().ok
    unprotect(shop.ctx.database)
    Ticket.update(shop_name="Autre boutique").where(Ticket.id == ticket.id).execute()
    report = verify_journal()
    assert any("altered" in problem.what and problem.chain == "T" for problem in report.problems)
