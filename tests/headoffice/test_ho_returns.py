"""Returns across shops at head office: what a receipt sold and what is back already in any
shop, holds that never let two shops take back more than was sold (even at the same moment),
offline returns reported over the cap and raised, and proofs that do not verify refused."""

from __future__ import annotations

import threading

import pytest
from tests.headoffice.receipt_proofs import made_up_proof, proof_of_payload, signed_text
from tests.support.headoffice import alerts
from tests.support.shop import sell

from headoffice.cli import enroll
from headoffice.store import Record, ReturnHold, proxy
from till.fiscal.keys import Signer
from till.sync.client import HeadOfficeAnswer, HeadOfficeClient
from till.sync.push import EXIT_OK, run_sync

STATE, HOLD, RELEASE = "/v1/returns/state", "/v1/returns/hold", "/v1/returns/release"


@pytest.fixture
def lyon(headoffice, tmp_path):
    """Till L01 of shop LYON, enrolled at head office: the selling till of the receipts."""
    signer = Signer.create(tmp_path / "lyon.pem")
    enroll("L01", "LYON", signer.public_pem)
    return signer


@pytest.fixture
def client(shop, headoffice):
    """The returning till (01, shop PARIS)."""
    return HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)


def _hold(client, proof, request_id, lines, **more):
    return client.request("POST", HOLD, {"proof": proof, "request_id": request_id,
                                         "lines": [{"position": p, "quantity": q} for p, q in lines],
                                         "offline": False, "return_code": None, **more})


def _refusal(call, *args, **kwargs) -> HeadOfficeAnswer:
    with pytest.raises(HeadOfficeAnswer) as refused:
        call(*args, **kwargs)
    return refused.value


def test_state_hold_then_state_and_release(client, lyon):
    proof = signed_text(made_up_proof(), lyon)
    state = client.request("POST", STATE, {"proof": proof})
    assert state["code"].startswith("TL01-") and (state["till_id"], state["shop_id"]) == ("L01", "LYON")
    assert state["lines"] == [{"position": 1, "sold": 2, "returned": 0}, {"position": 2, "sold": 1, "returned": 0}]
    held = _hold(client, proof, "01-H1", [(1, 1)])
    assert held["held"] is True and held["request_id"] == "01-H1"
    assert held["lines"][0] == {"position": 1, "sold": 2, "returned": 1, "left": 1}
    assert client.request("POST", STATE, {"proof": proof})["lines"][0]["returned"] == 1
    assert client.request("POST", RELEASE, {"request_id": "01-H1"}) == {"released": True}
    assert client.request("POST", RELEASE, {"request_id": "01-H1"}) == {"released": False}
    assert client.request("POST", RELEASE, {"request_id": "never-sent"}) == {"released": False}
    assert client.request("POST", STATE, {"proof": proof})["lines"][0]["returned"] == 0
    assert alerts() == []


def test_the_same_request_counts_once_and_a_reused_id_is_refused(client, lyon):
    proof = signed_text(made_up_proof(), lyon)
    first = _hold(client, proof, "01-H2", [(1, 1)])
    assert _hold(client, proof, "01-H2", [(1, 1)]) == first  # a retry: counted once
    reused = _refusal(_hold, client, proof, "01-H2", [(1, 2)])
    assert (reused.status, reused.body["error"]) == (409, "request_reused")
    other = _refusal(_hold, client, signed_text(made_up_proof(number=43), lyon), "01-H2", [(1, 1)])
    assert (other.status, other.body["error"]) == (409, "request_reused")
    assert client.request("POST", STATE, {"proof": proof})["lines"][0]["returned"] == 1
    with proxy.obj.connection_context():
        assert ReturnHold.select().count() == 1


def test_over_return_is_a_409_with_the_lines_and_holds_nothing(client, lyon):
    proof = signed_text(made_up_proof(), lyon)
    _hold(client, proof, "01-H3", [(1, 1)])
    over = _refusal(_hold, client, proof, "01-H4", [(1, 2), (2, 1)])
    assert (over.status, over.body["error"]) == (409, "over_returned")
    assert over.body["lines"] == [{"position": 1, "sold": 2, "returned": 1, "left": 1},
                                  {"position": 2, "sold": 1, "returned": 0, "left": 1}]
    assert [line["returned"] for line in client.request("POST", STATE, {"proof": proof})["lines"]] == [1, 0]
    malformed = _refusal(_hold, client, proof, "01-H5", [(9, 1)])  # no such line on the receipt
    assert (malformed.status, malformed.body["error"]) == (400, "malformed")
    negative = _refusal(_hold, client, proof, "01-H6", [(1, -1)])
    assert (negative.status, negative.body["error"]) == (400, "malformed")


def test_an_offline_return_over_the_cap_is_recorded_and_raised(client, lyon):
    proof = signed_text(made_up_proof(), lyon)
    _hold(client, proof, "01-H7", [(2, 1)])
    reported = _hold(client, proof, "01-H8", [(2, 1)], offline=True, return_code="T01-0000009x")
    assert reported["held"] is True and reported["lines"][1] == {"position": 2, "sold": 1, "returned": 2, "left": 0}
    assert alerts() == ["OVER_RETURNED"]
    with proxy.obj.connection_context():
        hold = ReturnHold.get(ReturnHold.request_id == "01-H8")
    assert (hold.offline, hold.return_code, hold.amount_cents) == (True, "T01-0000009x", 1000)
    assert client.request("POST", RELEASE, {"request_id": "01-H8"}) == {"released": False}  # written: stays
    assert client.request("POST", STATE, {"proof": proof})["lines"][1]["returned"] == 2


def test_a_forged_proof_an_unknown_till_or_key_is_refused(client, lyon, tmp_path):
    proof = signed_text(made_up_proof(), lyon)
    altered = proof[:-1] + str((int(proof[-1]) + 1) % 10)  # one digit of the signature
    stranger = Signer.create(tmp_path / "stranger.pem")
    forged = made_up_proof()
    refused = _refusal(client.request, "POST", STATE, {"proof": altered})
    assert (refused.status, refused.body["error"]) == (400, "forged")
    assert alerts() == ["RECEIPT_FORGED"]
    unknown_till = _refusal(client.request, "POST", STATE, {"proof": signed_text(made_up_proof("Z99"), lyon)})
    assert (unknown_till.status, unknown_till.body["error"]) == (404, "unknown_till")
    unknown_key = _refusal(client.request, "POST", HOLD, {"proof": signed_text(forged, stranger), "request_id": "X",
                                                          "lines": [{"position": 1, "quantity": 1}]})
    assert (unknown_key.status, unknown_key.body["error"]) == (404, "unknown_key")
    unreadable = _refusal(client.request, "POST", STATE, {"proof": "RQ1" + "9" * 60})
    assert (unreadable.status, unreadable.body["error"]) == (400, "unreadable")
    with proxy.obj.connection_context():
        assert ReturnHold.select().count() == 0


def test_a_proof_signed_by_another_key_under_the_till_key_hint_is_forged(client, lyon, tmp_path):
    """Another key claiming to be L01's (its key hint copied) does not verify: forged."""
    from tests.headoffice.receipt_proofs import _private
    from till.fiscal.receipt_proof import decode, encode, sign_proof

    stranger = Signer.create(tmp_path / "stranger.pem")
    key = _private(stranger)
    text = encode(made_up_proof(), lyon.key_id, lambda message: sign_proof(key, message))
    assert decode(text).proof.key_hint == bytes.fromhex(lyon.key_id)[:8]
    refused = _refusal(client.request, "POST", STATE, {"proof": text})
    assert (refused.status, refused.body["error"]) == (400, "forged")
    assert alerts() == ["RECEIPT_FORGED"]


def test_the_selling_shops_own_synced_return_is_counted(shop, headoffice, client):
    """A sale of till 01 returned at till 01 from its own copy, synced: head office counts it."""
    from till.returns.session import ReturnSession
    from tests.support.headoffice import settings_for

    sale = sell(shop, [("WIN", 2), ("BAG", 3)])
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.find(sale.code)
    line = next(line for line in session.lines if line.sku == "BAG")
    session.pick(line.line_id, 2, reason="changed_mind")
    session.complete()
    assert run_sync(shop.ctx, settings_for(headoffice.url)).exit_code == EXIT_OK
    with proxy.obj.connection_context():
        payload = next(p for (p,) in Record.select(Record.payload).where(Record.chain == "T").order_by(Record.sequence)
                       .tuples())
    proof = proof_of_payload(payload)
    assert proof.code == sale.code
    state = client.request("POST", STATE, {"proof": signed_text(proof, shop.ctx.sealer.signer)})
    by_sku = {line.product: line.position for line in proof.lines}
    returned = {line["position"]: line["returned"] for line in state["lines"]}
    assert returned == {by_sku["WIN"]: 0, by_sku["BAG"]: 2}
    assert state["shop_id"] == "PARIS"


@pytest.mark.postgres
@pytest.mark.parametrize("ho_url", ["postgres"], indirect=True)
def test_two_shops_racing_for_the_last_unit_one_wins(shop, headoffice, lyon):
    proof = signed_text(made_up_proof(quantities=(1,)), lyon)
    barrier, outcomes = threading.Barrier(4), []

    def ask(index):
        client = HeadOfficeClient(headoffice.url, shop.ctx.till_id, shop.ctx.sealer.signer)
        barrier.wait()
        try:
            outcomes.append(_hold(client, proof, f"01-R{index}", [(1, 1)]))
        except HeadOfficeAnswer as error:
            outcomes.append(error)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for o in outcomes if isinstance(o, dict) and o["held"]) == 1
    assert sorted(o.body["error"] for o in outcomes if isinstance(o, HeadOfficeAnswer)) == ["over_returned"] * 3
    with proxy.obj.connection_context():
        assert ReturnHold.select().count() == 1


def test_report_shows_returns_by_selling_and_by_returning_shop(shop, client, lyon, headoffice, tmp_path, capsys):
    import json

    from headoffice.cli import main as ho_main

    proof = signed_text(made_up_proof(quantities=(3, 1)), lyon)  # line 1: 3 x 10,00 €
    _hold(client, proof, "01-P1", [(1, 1)])                       # 10,00 €
    _hold(client, proof, "01-P2", [(1, 1), (2, 1)], offline=True, return_code="T01-0000010x")  # 20,00 €
    _hold(client, proof, "01-P3", [(1, 1)])
    client.request("POST", RELEASE, {"request_id": "01-P3"})      # given back: not a return
    config = tmp_path / "headoffice.toml"
    config.write_text(f'[headoffice]\ndatabase = "{headoffice.database_url}"\n', encoding="utf-8")
    assert ho_main(["--config", str(config), "report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["returns_by_selling_shop"] == [{"shop_id": "LYON", "returns": 2, "amount_cents": 3000}]
    assert report["returns_by_returning_shop"] == [{"shop_id": "PARIS", "returns": 2, "amount_cents": 3000}]
    assert ho_main(["--config", str(config), "report"]) == 0
    table = capsys.readouterr().out
    assert "by selling shop" in table and "by returning shop" in table and "30.00" in table


def test_an_offline_report_of_a_hold_already_granted_counts_once(client, lyon):
    """The till's hold reached head office but its answer was lost: the till took the return
    offline and reports it under the same request id. One return: counted once, its code noted;
    had the till given the hold back meanwhile, the report holds it again (and raises an over-return)."""
    proof = signed_text(made_up_proof(), lyon)
    _hold(client, proof, "01-L1", [(1, 1)])
    reported = _hold(client, proof, "01-L1", [(1, 1)], offline=True, return_code="T01-0000011x")
    assert reported["lines"][0] == {"position": 1, "sold": 2, "returned": 1, "left": 1}
    _hold(client, proof, "01-L2", [(1, 1)])
    client.request("POST", RELEASE, {"request_id": "01-L2"})
    _hold(client, proof, "01-L3", [(1, 1)])                   # the last unit, taken meanwhile
    again = _hold(client, proof, "01-L2", [(1, 1)], offline=True, return_code="T01-0000012x")
    assert again["held"] is True and again["lines"][0]["returned"] == 3
    with proxy.obj.connection_context():
        codes = dict(ReturnHold.select(ReturnHold.request_id, ReturnHold.return_code).tuples())
    assert (codes["01-L1"], codes["01-L2"]) == ("T01-0000011x", "T01-0000012x")
    assert alerts() == ["OVER_RETURNED"]


def test_numbers_no_column_holds_are_a_400(client, lyon):
    proof = signed_text(made_up_proof(), lyon)
    for request_id, lines in (("0" * 65, [(1, 1)]), ("01-N1", [(1, 2**70)]), ("01-N2", [(2**70, 1)])):
        refused = _refusal(_hold, client, proof, request_id, lines, offline=True)
        assert (refused.status, refused.body["error"]) == (400, "malformed"), refused.body
    assert _refusal(client.request, "POST", RELEASE, {"request_id": "0" * 65}).status == 400
    with proxy.obj.connection_context():
        assert ReturnHold.select().count() == 0


@pytest.mark.postgres
def test_a_return_by_another_till_of_the_selling_shop_from_its_database_is_counted(pg_url, tmp_path):
    """Tills 01 and 02 of one shop share a database: 02 sells, 01 takes one unit back from the
    shop's copy of the ticket (no hold: it had the ticket), both sync; the receipt's state counts it."""
    from tests.headoffice.test_ho_two_tills import till
    from tests.support.headoffice import HeadOffice
    from till.config.loader import load

    one, two = tmp_path / "till01", tmp_path / "till02"
    key_one = till(one, "init", pg_url, "01", "seed").stdout
    key_two = till(two, "init", pg_url, "02").stdout
    code = till(two, "sell", "WIN", "2").stdout.strip()
    till(one, "return", code, "WIN")
    office = HeadOffice(f"sqlite:///{tmp_path / 'ho.db'}").start()
    try:
        enroll("01", "PARIS", key_one)
        enroll("02", "PARIS", key_two)
        assert till(one, "sync", office.url).returncode == 0
        assert till(two, "sync", office.url).returncode == 0
        with proxy.obj.connection_context():
            (payload,) = Record.select(Record.payload).where((Record.till_id == "02") & (Record.chain == "T")).tuples()
        config = load(two / "till.toml")
        seller = Signer.load(config.resolve(config.till.key_file))
        proof = proof_of_payload(payload[0])
        assert proof.code == code
        client = HeadOfficeClient(office.url, "02", seller)
        state = client.request("POST", STATE, {"proof": signed_text(proof, seller)})
        assert [(line["sold"], line["returned"]) for line in state["lines"]] == [(2, 1)]
    finally:
        office.stop()


def test_another_receipt_under_a_known_code_is_refused_and_raised(client, lyon):
    """Two receipts of L01 verify under one code with other lines (the till numbered again after
    a restore from an older backup): the second is refused; a copy of the first is not."""
    first = signed_text(made_up_proof(quantities=(2, 1)), lyon)
    assert client.request("POST", STATE, {"proof": first})["lines"][0]["sold"] == 2
    assert client.request("POST", STATE, {"proof": first})["lines"][0]["sold"] == 2
    refused = _refusal(client.request, "POST", STATE, {"proof": signed_text(made_up_proof(quantities=(5,)), lyon)})
    assert (refused.status, refused.body["error"]) == (409, "conflict")
    assert alerts() == ["RECEIPT_CONFLICT"]
