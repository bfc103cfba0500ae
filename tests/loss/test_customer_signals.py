"""Customer signals, on histories written through the sale and return workflows."""

from __future__ import annotations

from till.loss.signal import CUSTOMER, Thresholds
from till.people.customers import create_customer
from tests.support.loss import bought_before, close_the_past, return_all, return_one, return_without_receipt, signals_today, days_ago
from tests.support.shop import sell


def _customer(name: str):
    return create_customer(name, "Client", email=f"{name.lower()}@example.fr")


def test_a_customer_returning_most_of_what_they_buy_is_flagged_with_the_evidence(shop):
    heavy = _customer("Lucas")
    for _ in range(3):  # others who keep what they buy: the shop's median share is 0
        sell(shop, [("BAG", 2)], customer=_customer("Other"))
    sales = [sell(shop, [("SOA", 1)], customer=heavy) for _ in range(4)]
    sell(shop, [("BAG", 1)], customer=heavy)
    returns = [return_all(shop, sale) for sale in sales]

    [signal] = signals_today(shop, code="customer_return_share")
    assert (signal.subject, signal.subject_id, signal.subject_label) == (CUSTOMER, str(heavy.id), "Lucas Client")
    assert signal.value == round(100 * 4 * 350 / (4 * 350 + 120), 1) and signal.threshold == 30
    assert {r.code for r in returns} | {s.code for s in sales} == set(signal.evidence)
    assert signal.params["returns"] == 4 and signal.params["median"] == 0


def test_a_loyal_customer_returning_one_item_in_twenty_is_not_flagged(shop):
    loyal = _customer("Nadia")
    sales = [bought_before(shop, [("COF", 1)], 10, customer=loyal) for _ in range(20)]
    return_one(shop, sales[5], "COF")
    assert [s for s in signals_today(shop) if s.subject == CUSTOMER] == []


def test_a_loyal_customer_with_a_few_returns_among_many_purchases_is_not_flagged(shop):
    loyal = _customer("Paul")
    sales = [bought_before(shop, [("COF", 1)], 10, customer=loyal) for _ in range(20)]
    for sale in sales[:3]:  # three returns (the count passes), 15 % of purchases (the share does not)
        return_one(shop, sale, "COF")
    assert signals_today(shop, code="customer_return_share") == []


def test_returns_without_receipt_are_counted_per_customer(shop):
    regular, once = _customer("Inès"), _customer("Jean")
    first = return_without_receipt(shop, "SOA", regular)
    second = return_without_receipt(shop, "BAG", regular)
    return_without_receipt(shop, "SOA", once)

    [signal] = signals_today(shop, code="customer_no_receipt")
    assert signal.subject_id == str(regular.id) and signal.value == 2 and signal.threshold == 2
    assert signal.evidence == (first.code, second.code)


def test_quick_returns_are_flagged_and_returns_after_a_week_are_not(shop):
    quick, patient = _customer("Rapide"), _customer("Patient")
    late = [bought_before(shop, [("WIN", 1)], 10, customer=patient) for _ in range(3)]
    soon = [bought_before(shop, [("WIN", 1)], 1, customer=quick)]
    close_the_past(shop)
    soon += [sell(shop, [("WIN", 1)], customer=quick) for _ in range(2)]
    for sale in late + soon:
        return_all(shop, sale)

    [signal] = signals_today(shop, code="customer_quick_returns")
    assert signal.subject_id == str(quick.id) and signal.value == 3 and signal.params["days"] == 2


def test_wardrobing_bought_before_an_event_day_and_returned_after_it(shop):
    dresser, buyer = _customer("Chloé"), _customer("Marc")
    worn = [bought_before(shop, [("WIN", 1)], 2, customer=dresser) for _ in range(2)]
    kept = [bought_before(shop, [("WIN", 1)], 0.9, customer=buyer) for _ in range(2)]  # no day between
    for sale in worn + kept:
        return_all(shop, sale)
    event = Thresholds({}, event_dates=[days_ago(shop, 1)])  # yesterday was the shop's event day

    [signal] = signals_today(shop, event, code="customer_wardrobing")
    assert signal.subject_id == str(dresser.id) and signal.value == 2
    assert signals_today(shop, Thresholds({}), code="customer_wardrobing") == [] or days_ago(shop, 1).weekday() >= 5


def test_quick_returns_count_receipts_of_other_shops_this_till_knows(shop, tmp_path):
    from tests.support.receipts import lyon_till, proof_of, receipt_session, receipt_text, returns_policy

    lyon = lyon_till(tmp_path)
    config = returns_policy(shop, offline_other_shop="credit_note", offline_other_shop_max_cents=100_000)
    traveller = _customer("Voyageur")
    written = []
    for number in (41, 42, 43):  # three receipts of the Lyon shop, bought yesterday, returned here today
        session = receipt_session(shop, config)
        session.find(receipt_text(lyon, proof_of(shop, number=number, days_ago=1)))
        session.pick(session.lines[1].line_id, 1)
        session.attach_customer(traveller)
        written.append(session.complete())

    [signal] = signals_today(shop, code="customer_quick_returns")
    assert signal.subject_id == str(traveller.id) and signal.value == 3
    assert set(signal.evidence) >= {ticket.code for ticket in written}
