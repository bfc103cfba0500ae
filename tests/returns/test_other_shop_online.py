"""A receipt of another shop returned here with head office on loopback: the keys come with a
sync, head office holds the cap (what came back in any shop shows on the lines; a line returned
elsewhere meanwhile is refused and nothing is written), and an offline return is reported at the
next sync."""

from __future__ import annotations

import dataclasses
import json

import pytest

from store.models import ReturnHold
from till.aftersale.receipt_proofs import proof_text
from till.fiscal.receipt_proof import ProofError
from till.fiscal.known_tills import keys_of, shop_of
from till.returns import return_holds
from till.returns.remote_returns import OverReturned
from till.returns.session import ReturnError, ReturnSession
from till.shop.running import give_back_return_holds
from till.sync.client import HeadOfficeClient
from till.sync.pull import other_shops
from till.sync.push import EXIT_OK, run_sync
from tests.support.headoffice import alerts, settings_for, write_sync_section
from tests.support.journal import problems_text, verify_shop
from tests.support.queries import payments, row_counts
from tests.support.receipts import headoffice, lyon, lyon_till, proof_of, receipt_text  # noqa: F401 - fixtures
from tests.support.returns import COUNTED
from tests.support.shop import build_shop, open_shop, sell

STATE, HOLD = "/v1/returns/state", "/v1/returns/hold"


def _client(shop, office) -> HeadOfficeClient:
    return HeadOfficeClient(office.url, shop.ctx.till_id, shop.ctx.sealer.signer)


def _session(shop, office, **returns) -> ReturnSession:
    config = dataclasses.replace(shop.config, sync=settings_for(office.url),
                                 returns=dataclasses.replace(shop.config.returns, **returns))
    return ReturnSession(config, shop.ctx.sealer, shop.cashier)


def test_a_sync_brings_the_keys_and_head_office_holds_the_cap(shop, headoffice, lyon):
    client = _client(shop, headoffice)
    other_shops(client, shop.ctx.till_id)  # what each till sync does: every till's key chain kept
    assert keys_of("L01") == [(lyon.key_id, lyon.public_pem)]
    text = receipt_text(lyon, proof_of(shop))
    client.request("POST", HOLD, {"proof": text, "request_id": "G01-1", "offline": False, "return_code": None,
                                  "lines": [{"position": 2, "quantity": 1}]})  # another shop took the soap back

    session = _session(shop, headoffice)
    session.find(text)
    assert session.receipt.ask_head_office() is True
    assert [(line.sold, line.returned, line.elsewhere, line.returnable) for line in session.lines] == [
        (2, 0, 0, 2), (1, 0, 1, 0), (1, 0, 0, 1)]
    session.pick(session.lines[0].line_id, 1)
    ticket = session.complete()
    assert payments(ticket) == [("cash", -895)]  # returns.other_shop_refund: never the card it was paid by
    hold = ReturnHold.get(ReturnHold.ticket_id == ticket.id)
    assert (hold.status, hold.offline) == ("settled", False)
    state = client.request("POST", STATE, {"proof": text})
    assert [line["returned"] for line in state["lines"]] == [1, 1, 0]

    again = _session(shop, headoffice)  # the second visit: this shop's own return is not counted twice
    again.find(text)
    again.receipt.ask_head_office()
    assert [(line.returned, line.elsewhere, line.returnable) for line in again.lines][:2] == [(1, 0, 1), (0, 1, 0)]


def test_a_line_returned_elsewhere_meanwhile_is_refused_and_nothing_is_written(shop, headoffice, lyon):
    client = _client(shop, headoffice)
    other_shops(client, shop.ctx.till_id)
    text = receipt_text(lyon, proof_of(shop))
    session = _session(shop, headoffice)
    session.find(text)
    session.receipt.ask_head_office()
    session.pick(session.lines[0].line_id, 2)
    client.request("POST", HOLD, {"proof": text, "request_id": "G01-2", "offline": False, "return_code": None,
                                  "lines": [{"position": 1, "quantity": 1}]})  # the race: another shop first
    before = row_counts(*COUNTED)
    with pytest.raises(OverReturned) as refused:
        session.complete()
    assert "only 1 of line 1" in refused.value.text("en") and row_counts(*COUNTED) == before
    assert [hold.status for hold in ReturnHold.select()] == ["refused"]


def test_an_offline_return_is_reported_at_the_next_sync(shop, headoffice, lyon):
    client = _client(shop, headoffice)
    other_shops(client, shop.ctx.till_id)
    text = receipt_text(lyon, proof_of(shop))
    headoffice.stop()  # out of reach
    refused = _session(shop, headoffice)  # under "refuse": nothing written, the hold to give back
    refused.find(text)
    refused.pick(refused.lines[0].line_id, 1)
    with pytest.raises(ReturnError, match="does not take back another shop's receipt offline"):
        refused.complete()
    session = _session(shop, headoffice, offline_other_shop="credit_note")
    session.find(text)
    assert session.receipt.ask_head_office() is False
    session.pick(session.lines[1].line_id, 1)
    ticket = session.complete()
    assert payments(ticket) == [("credit_note", -350)]
    hold = ReturnHold.get(ReturnHold.ticket_id == ticket.id)
    assert (hold.status, hold.offline, hold.reported) == ("settled", True, False)

    headoffice.start()
    client = _client(shop, headoffice)
    other_shops(client, shop.ctx.till_id)  # the next sync
    assert [h.status for h in ReturnHold.select().order_by(ReturnHold.id)] == ["released", "settled"]
    hold = ReturnHold.get_by_id(hold.id)
    assert hold.reported is True and json.loads(hold.lines) == [{"position": 2, "quantity": 1}]
    assert [line["returned"] for line in client.request("POST", STATE, {"proof": text})["lines"]] == [0, 1, 0]


def test_head_offices_refusal_of_a_proof_is_said_in_the_tills_words(shop, headoffice, tmp_path):
    """A till this shop knows (an older key list) but head office does not: its own words."""
    text = receipt_text(lyon_till(tmp_path, till_id="M01", shop_id="MARSEILLE"), proof_of(shop, till_id="M01"))
    session = _session(shop, headoffice)
    session.find(text)
    with pytest.raises(ProofError) as refused:
        session.receipt.ask_head_office()
    assert refused.value.reason == "unknown_till" and "till M01, which this shop does not know" in \
        refused.value.text("en")


def test_till_sync_keeps_every_tills_key_chain(shop, headoffice, lyon):
    assert keys_of("L01") is None
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    assert keys_of("L01") == [(lyon.key_id, lyon.public_pem)] and shop_of("L01") == "LYON"
    assert shop_of(shop.ctx.till_id) is None  # this till's own keys: from its journal, never from head office


def test_two_shops_the_receipt_printed_in_lyon_comes_back_in_paris(shop, headoffice, tmp_path):
    """Two databases, two tills: Lyon's till sells and syncs; Paris's till syncs (the keys come),
    then takes back one of the two bottles on the receipt's QR code, with head office's hold."""
    from headoffice.cli import enroll  # deferred: head office's package, only for these tests

    settings = settings_for(headoffice.url)
    lyon = build_shop(tmp_path / "lyon", till_id="L01")
    enroll("L01", "LYON", lyon.ctx.sealer.signer.public_pem)
    sale = sell(lyon, [("WIN", 2)], cash=2000)
    text = proof_text(lyon.config, sale, lyon.ctx.sealer.signer)
    assert run_sync(lyon.ctx, settings).exit_code == EXIT_OK
    lyon.ctx.close()

    paris = open_shop(shop.config.path.parent)
    try:
        assert run_sync(paris.ctx, settings).exit_code == EXIT_OK
        session = ReturnSession(dataclasses.replace(paris.config, sync=settings), paris.ctx.sealer, paris.cashier)
        order = session.find(text)
        assert (order.number, order.shop_id) == (sale.code, "LYON")
        assert session.receipt.ask_head_office() is True
        session.pick(session.lines[0].line_id, 1)
        ticket = session.complete()
        assert payments(ticket) == [("cash", -895)] and ticket.origin_reference == sale.code
        client = _client(paris, headoffice)
        assert [line["returned"] for line in client.request("POST", STATE, {"proof": text})["lines"]] == [1]
        report = verify_shop(paris)
        assert report.ok, problems_text(report)
    finally:
        paris.ctx.close()


def test_an_offline_return_over_the_cap_is_recorded_at_the_sync_and_raised(shop, headoffice, lyon):
    client = _client(shop, headoffice)
    other_shops(client, shop.ctx.till_id)
    text = receipt_text(lyon, proof_of(shop))
    client.request("POST", HOLD, {"proof": text, "request_id": "G01-3", "offline": False, "return_code": None,
                                  "lines": [{"position": 2, "quantity": 1}]})  # the soap came back elsewhere
    headoffice.stop()
    session = _session(shop, headoffice, offline_other_shop="credit_note")
    session.find(text)
    session.receipt.ask_head_office()
    session.pick(session.lines[1].line_id, 1)  # this till cannot know: the receipt alone says 1 sold
    ticket = session.complete()
    headoffice.start()
    other_shops(_client(shop, headoffice), shop.ctx.till_id)
    assert ReturnHold.get(ReturnHold.ticket_id == ticket.id).reported is True
    assert "OVER_RETURNED" in alerts()
    state = _client(shop, headoffice).request("POST", STATE, {"proof": text})
    assert [line["returned"] for line in state["lines"]] == [0, 2, 0]


def test_a_hold_left_by_a_stop_goes_back_to_head_office_at_the_next_start(shop, headoffice, lyon):
    client = _client(shop, headoffice)
    other_shops(client, shop.ctx.till_id)
    text = receipt_text(lyon, proof_of(shop))
    session = _session(shop, headoffice)
    order = session.find(text)
    hold = return_holds.open_hold(shop.ctx.till_id, order, [{"position": 1, "quantity": 2}])
    assert session.receipt.desk.hold(hold, session.receipt.signed) is True  # held; then the till stopped
    assert [line["returned"] for line in client.request("POST", STATE, {"proof": text})["lines"]][0] == 2

    shop.ctx.config = write_sync_section(shop.config.path, headoffice.url)
    thread = give_back_return_holds(shop.ctx)  # what the next start does
    thread.join(timeout=30)
    assert ReturnHold.get_by_id(hold.id).status == "released"
    assert [line["returned"] for line in client.request("POST", STATE, {"proof": text})["lines"]][0] == 0
