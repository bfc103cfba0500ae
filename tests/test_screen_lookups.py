"""Small facts screens ask of the workflows instead of reading the models themselves."""

from __future__ import annotations

from till.people.auth import create_user, is_approver
from till.selling import catalogue
from till.selling.basket import Basket


def test_managers_and_technicians_approve_cashiers_do_not(shop):
    technician = create_user("tech", "Tess Tech", "technician", "4242")
    assert is_approver(shop.manager) and is_approver(technician)
    assert not is_approver(shop.cashier)


def test_a_serial_tracked_product_is_known_as_such_even_once_deactivated(shop):
    phone, soap = shop.products["WIN"], shop.products["SOA"]
    phone.serial_tracked = True
    phone.active = False
    phone.save()
    assert catalogue.is_serial_tracked(phone.id)
    assert not catalogue.is_serial_tracked(soap.id)
    assert not catalogue.is_serial_tracked(None)  # a line with no product
    assert not catalogue.is_serial_tracked(999_999)


def test_a_weighed_line_says_so(shop):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    apples = basket.add_product(shop.products["APPL"], 1250)
    soap = basket.add_product(shop.products["SOA"], 2)
    assert apples.weighed and not soap.weighed
