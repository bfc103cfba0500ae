"""Store credit as the tests issue it."""

from __future__ import annotations

from store.models import CreditNote
from till.selling.ticket_writer import DraftLine, DraftPayment, TicketDraft, write_ticket


def issue_note(shop, amount: int) -> CreditNote:
    """A credit note issued the real way: a return-like ticket refunded into store credit."""
    product = shop.products["WIN"]
    line = DraftLine(product_id=product.id, sku="WIN", label=product.name, quantity=-1, unit="piece",
                     unit_price_cents=amount, discount_cents=0, total_cents=-amount, vat_code="N", vat_rate_bp=2000)
    draft = TicketDraft(kind="return", user_id=shop.cashier.id, operator_name=shop.cashier.name, lines=(line,),
                        payments=(DraftPayment("credit_note", -amount),))
    ticket = write_ticket(shop.ctx.sealer, shop.config.accounts, draft, credit_note_validity_days=30)
    return CreditNote.get(CreditNote.issued_ticket == ticket.id)
