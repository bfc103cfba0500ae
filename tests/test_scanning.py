"""Reading scanned and typed codes: GTINs, in-store labels, tickets, quantities, SKUs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from till import scanning
from till.i18n import _catalogue
from till.scanning import (
    DEFAULT_RULES,
    MESSAGES,
    InvalidCheckDigit,
    PriceCodeRule,
    PricedCode,
    ProductCode,
    ScanError,
    SkuCode,
    TicketCode,
    WeighedCode,
    gtin_check_digit,
    is_valid_gtin,
    make_ean13,
    normalise_gtin,
    parse,
    rules_from_config,
    ticket_code,
)
from tests.support.queries import placeholders
from tests.support.source import parse_python

# --- GS1 check digits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "96385074",  # EAN-8
        "73513537",  # EAN-8
        "3017620422003",  # EAN-13
        "4006381333931",  # EAN-13
        "036000291452",  # UPC-A
        "10012345678902",  # GTIN-14
    ],
)
def test_valid_gtins(code: str) -> None:
    assert is_valid_gtin(code)
    assert gtin_check_digit(code[:-1]) == code[-1]


@pytest.mark.parametrize(
    "code",
    [
        "96385075",  # EAN-8, wrong check digit
        "3017620422004",  # EAN-13, wrong check digit
        "3017620422030",  # EAN-13, two digits swapped
        "036000291453",  # UPC-A, wrong check digit
        "10012345678901",  # GTIN-14, wrong check digit
        "1234567",  # 7 digits
        "123456789012345",  # 15 digits
        "30176204220O3",  # a letter O
        "３０１７６２０４２２００３",  # full-width digits are digits to str.isdigit, not to us
        "",
        3017620422003,  # not text
    ],
)
def test_invalid_gtins(code: object) -> None:
    assert not is_valid_gtin(code)


def test_make_ean13() -> None:
    assert make_ean13("301762042200") == "3017620422003"
    assert make_ean13("210000500000") == "2100005000000"
    with pytest.raises(ValueError):
        make_ean13("30176204220")
    with pytest.raises(ValueError):
        make_ean13("30176204220A")


def test_gtin_check_digit_refuses_non_digits() -> None:
    with pytest.raises(ValueError):
        gtin_check_digit("12a")
    with pytest.raises(ValueError):
        gtin_check_digit("")


def test_ean13_parses_to_itself() -> None:
    assert parse("3017620422003") == ProductCode("3017620422003")


def test_ean8_key_stays_8_digits() -> None:
    assert parse("96385074") == ProductCode("96385074")


def test_upc_a_becomes_its_ean13_form() -> None:
    assert parse("036000291452") == ProductCode("0036000291452")
    assert parse("0036000291452") == ProductCode("0036000291452")


def test_gtin14_with_indicator_0_becomes_ean13() -> None:
    assert parse("03017620422003") == ProductCode("3017620422003")
    assert parse("00036000291452") == ProductCode("0036000291452")  # a UPC-A as GTIN-14


def test_gtin14_with_another_indicator_is_kept() -> None:
    assert parse("10012345678902") == ProductCode("10012345678902")


def test_ean8_padded_to_13_or_14_digits_is_the_ean8() -> None:
    assert parse("0000096385074") == ProductCode("96385074")
    assert parse("00000096385074") == ProductCode("96385074")
    assert normalise_gtin("0000096385074") == "96385074"


def test_normalise_gtin_refuses_what_is_not_a_gtin() -> None:
    with pytest.raises(InvalidCheckDigit):
        normalise_gtin("3017620422004")
    with pytest.raises(ScanError) as caught:
        normalise_gtin("1234")
    assert not isinstance(caught.value, InvalidCheckDigit)
    assert caught.value.message == scanning.NOT_A_GTIN


@pytest.mark.parametrize("code", ["3017620422004", "96385075", "036000291453", "10012345678901"])
def test_bad_check_digit_is_refused_but_keeps_the_raw_text(code: str) -> None:
    with pytest.raises(InvalidCheckDigit) as caught:
        parse(f"  {code}\r\n")
    assert caught.value.code == code
    assert caught.value.message == "Invalid check digit in {code}: this is not a valid barcode"
    assert str(caught.value) == f"Invalid check digit in {code}: this is not a valid barcode"
    assert isinstance(caught.value, ScanError)


# --- In-store labels ---------------------------------------------------------------------------


def test_default_rules_are_the_french_layouts() -> None:
    assert [(r.prefix, r.kind, r.item_digits, r.value_digits, r.decimals) for r in DEFAULT_RULES] == [
        ("21", "weight", 5, 5, 3),
        ("22", "weight", 5, 5, 3),
        ("23", "price", 5, 5, 2),
        ("24", "price", 5, 5, 2),
    ]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("2100005015004", WeighedCode("2100005000000", grams=1500)),  # 1.500 kg
        ("2212345002504", WeighedCode("2212345000005", grams=250)),  # 0.250 kg
        ("2300042012503", PricedCode("2300042000005", price_cents=1250)),  # 12.50 €
        ("2498765000997", PricedCode("2498765000003", price_cents=99)),  # 0.99 €
    ],
)
def test_every_default_rule(code: str, expected: WeighedCode | PricedCode) -> None:
    scan = parse(code)
    assert scan == expected
    assert is_valid_gtin(scan.key)
    assert type(getattr(scan, "grams", getattr(scan, "price_cents", None))) is int


def test_weight_of_several_kilos() -> None:
    assert parse(make_ean13("210000512345")) == WeighedCode("2100005000000", grams=12345)


def test_in_store_prefix_without_rule_is_a_plain_product() -> None:
    assert parse("2000123004563") == ProductCode("2000123004563")


def test_label_with_bad_check_digit_is_refused() -> None:
    with pytest.raises(InvalidCheckDigit) as caught:
        parse("2100005015005")
    assert caught.value.code == "2100005015005"


def test_label_with_zero_value_is_refused() -> None:
    with pytest.raises(ScanError) as caught:
        parse("2100005000000")
    assert caught.value.message == scanning.LABEL_WITHOUT_WEIGHT
    with pytest.raises(ScanError) as caught:
        parse("2300042000005")
    assert caught.value.message == scanning.LABEL_WITHOUT_PRICE


CUSTOM_RULES = (
    PriceCodeRule("25", "price", item_digits=4, value_digits=6, decimals=2),
    PriceCodeRule("26", "weight", item_digits=5, value_digits=5, decimals=2),
    PriceCodeRule("27", "price", item_digits=5, value_digits=5, decimals=3),
)


def test_custom_rule_set() -> None:
    # 4 item digits, 6 value digits: 0123.45 €
    assert parse("2500420123450", CUSTOM_RULES) == PricedCode("2500420000003", price_cents=12345)
    # weight with 2 decimals: 001.50 kg
    assert parse("2600123001502", CUSTOM_RULES) == WeighedCode("2600123000000", grams=1500)
    # price in thousandths of a euro: 1.255 € rounds half-up to 1.26 €
    assert parse("2700001012559", CUSTOM_RULES) == PricedCode("2700001000006", price_cents=126)
    # the default prefixes mean nothing special under these rules
    assert parse("2100005015004", CUSTOM_RULES) == ProductCode("2100005015004")


def test_no_rules_at_all() -> None:
    assert parse("2300042012503", rules=()) == ProductCode("2300042012503")


def test_rules_from_config() -> None:
    rules = rules_from_config(
        [
            {"prefix": "21", "kind": "weight", "decimals": 3},
            {"prefix": 25, "kind": "price", "item_digits": 4, "value_digits": 6, "decimals": 2},
        ]
    )
    assert rules == (
        PriceCodeRule("21", "weight", decimals=3),
        PriceCodeRule("25", "price", 4, 6, decimals=2),
    )
    assert parse("2500420123450", rules) == PricedCode("2500420000003", price_cents=12345)
    assert rules_from_config([]) == ()


@pytest.mark.parametrize(
    ("config", "message", "params"),
    [
        ({"prefix": "21"}, scanning.RULES_NOT_A_LIST, {}),
        ("21", scanning.RULES_NOT_A_LIST, {}),
        (["21"], scanning.RULE_NOT_A_TABLE, {"position": 1}),
        (
            [{"prefix": "21", "kind": "weight", "decimals": 3}, {"prefix": "22", "kind": "weight", "decimal": 3}],
            scanning.RULE_UNKNOWN_SETTING,
            {"position": 2, "setting": "decimal"},
        ),
        ([{"prefix": "21", "kind": "weight"}], scanning.RULE_MISSING_SETTING, {"position": 1, "setting": "decimals"}),
        ([{"prefix": "31", "kind": "weight", "decimals": 3}], scanning.RULE_BAD_PREFIX, {"prefix": "31"}),
        ([{"prefix": "2", "kind": "weight", "decimals": 3}], scanning.RULE_BAD_PREFIX, {"prefix": "2"}),
        ([{"prefix": "210", "kind": "weight", "decimals": 3}], scanning.RULE_BAD_PREFIX, {"prefix": "210"}),
        ([{"prefix": None, "kind": "weight", "decimals": 3}], scanning.RULE_BAD_PREFIX, {"prefix": None}),
        ([{"prefix": "21", "kind": "volume", "decimals": 3}], scanning.RULE_BAD_KIND, {"prefix": "21", "kind": "volume"}),
        (
            [{"prefix": "21", "kind": "weight", "item_digits": 5, "value_digits": 4, "decimals": 3}],
            scanning.RULE_BAD_DIGITS,
            {"prefix": "21", "item_digits": 5, "value_digits": 4},
        ),
        (
            [{"prefix": "21", "kind": "weight", "item_digits": 0, "value_digits": 10, "decimals": 3}],
            scanning.RULE_BAD_DIGITS,
            {"prefix": "21", "item_digits": 0, "value_digits": 10},
        ),
        (
            [{"prefix": "21", "kind": "weight", "item_digits": "5", "decimals": 3}],
            scanning.RULE_NOT_A_NUMBER,
            {"prefix": "21", "setting": "item_digits", "value": "5"},
        ),
        (
            [{"prefix": "21", "kind": "weight", "decimals": True}],
            scanning.RULE_NOT_A_NUMBER,
            {"prefix": "21", "setting": "decimals", "value": True},
        ),
        ([{"prefix": "23", "kind": "price", "decimals": 4}], scanning.RULE_BAD_DECIMALS, {"prefix": "23", "decimals": 4}),
        ([{"prefix": "23", "kind": "price", "decimals": -1}], scanning.RULE_BAD_DECIMALS, {"prefix": "23", "decimals": -1}),
        (
            [{"prefix": "23", "kind": "price", "decimals": 2}, {"prefix": "23", "kind": "weight", "decimals": 3}],
            scanning.RULE_DUPLICATE,
            {"prefix": "23"},
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_rule(config: object, message: str, params: dict) -> None:
    with pytest.raises(ScanError) as caught:
        rules_from_config(config)  # type: ignore[arg-type]
    assert caught.value.message == message
    assert caught.value.params == params


def test_rule_built_in_code_is_checked_too() -> None:
    with pytest.raises(ScanError) as caught:
        PriceCodeRule("21", "weight", 6, 5, decimals=3)
    assert caught.value.message == scanning.RULE_BAD_DIGITS


# --- Ticket codes ------------------------------------------------------------------------------


def test_ticket_code_format() -> None:
    # Luhn over 000426: 6*2=12->3, 2, 4*2=8, 0, 0, 0 -> 13 -> check 7
    assert ticket_code("A1", 426) == "TA1-0004267"
    assert ticket_code("CAISSE01", 0) == "TCAISSE01-0000000"
    assert ticket_code("A1", 1234567) == f"TA1-1234567{scanning.luhn_check_digit('1234567')}"


def test_ticket_round_trip() -> None:
    assert parse("TA1-0004267") == TicketCode("A1", 426)
    assert parse(ticket_code("Shop2", 999_999)) == TicketCode("Shop2", 999_999)
    assert parse(ticket_code("A1", 12_345_678)) == TicketCode("A1", 12_345_678)


def test_ticket_accepts_lower_case_t() -> None:
    assert parse("tA1-0004267") == TicketCode("A1", 426)


def test_ticket_with_corrupted_check_digit_is_refused() -> None:
    with pytest.raises(InvalidCheckDigit) as caught:
        parse("TA1-0004268")
    assert caught.value.code == "TA1-0004268"
    assert caught.value.message == scanning.INVALID_TICKET_CHECK_DIGIT
    with pytest.raises(InvalidCheckDigit):
        parse("TA1-0004167")  # one digit of the number changed


def test_ticket_hyphen_is_exact() -> None:
    assert parse("TA1_0004267") == SkuCode("TA1_0004267")
    assert parse("TA10004267") == SkuCode("TA10004267")


def test_ticket_code_refuses_bad_till_ids_and_numbers() -> None:
    for till_id in ("", "ABCDEFGHI", "A-1", "caisse é"):
        with pytest.raises(ScanError) as caught:
            ticket_code(till_id, 1)
        assert caught.value.message == scanning.INVALID_TILL_ID
    with pytest.raises(ValueError):
        ticket_code("A1", -1)
    with pytest.raises(TypeError):
        ticket_code("A1", 1.0)  # type: ignore[arg-type]


def test_quantity_cannot_apply_to_a_ticket() -> None:
    with pytest.raises(ScanError) as caught:
        parse("2*TA1-0004267")
    assert caught.value.message == scanning.QUANTITY_ON_TICKET


# --- Quantity multiplier ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3*3017620422003", ProductCode("3017620422003", quantity=3)),
        ("3x3017620422003", ProductCode("3017620422003", quantity=3)),
        ("3X3017620422003", ProductCode("3017620422003", quantity=3)),
        ("3 * 3017620422003", ProductCode("3017620422003", quantity=3)),
        ("1*3017620422003", ProductCode("3017620422003", quantity=1)),
        ("999*3017620422003", ProductCode("3017620422003", quantity=999)),
        ("012*3017620422003", ProductCode("3017620422003", quantity=12)),
        ("2*2100005015004", WeighedCode("2100005000000", grams=1500, quantity=2)),
        ("4*2300042012503", PricedCode("2300042000005", price_cents=1250, quantity=4)),
        ("5*ABC12", SkuCode("ABC12", quantity=5)),
        ("3*]E03017620422003", ProductCode("3017620422003", quantity=3)),
    ],
)
def test_multiplier(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("quantity", ["0", "00", "-1", "-3", "1000", "99999999999999999999999"])
def test_multiplier_limits(quantity: str) -> None:
    with pytest.raises(ScanError) as caught:
        parse(f"{quantity}*3017620422003")
    assert caught.value.message == "The quantity must be from 1 to 999, not {quantity}"
    assert caught.value.params == {"quantity": quantity}


def test_multiplier_needs_a_code() -> None:
    with pytest.raises(ScanError) as caught:
        parse("3*  ")
    assert caught.value.message == scanning.QUANTITY_WITHOUT_CODE
    assert caught.value.params == {"quantity": 3}


def test_only_one_multiplier() -> None:
    with pytest.raises(ScanError) as caught:
        parse("2*3*3017620422003")
    assert caught.value.message == scanning.QUANTITY_TWICE


def test_multiplier_with_bad_barcode_still_reports_the_code() -> None:
    with pytest.raises(InvalidCheckDigit) as caught:
        parse("3*3017620422004")
    assert caught.value.code == "3017620422004"


# --- Scanner noise, SKUs, empty input ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("]E03017620422003", ProductCode("3017620422003")),
        ("]E496385074", ProductCode("96385074")),
        ("]E0036000291452\r\n", ProductCode("0036000291452")),
        ("]C1ABC-12", SkuCode("ABC-12")),
        ("  3017620422003\r", ProductCode("3017620422003")),
        ("\x023017620422003\x03", ProductCode("3017620422003")),
        ("\t]E0 3017620422003 \n", ProductCode("3017620422003")),
    ],
)
def test_scanner_prefixes_and_line_endings_are_stripped(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", "1234"),
        ("ABC-123", "ABC-123"),
        ("pain-de-mie", "pain-de-mie"),
        ("1234567", "1234567"),  # 7 digits: no GTIN has that length
        ("12345678901", "12345678901"),  # 11 digits
        ("123456789012345", "123456789012345"),  # 15 digits
        ("T-shirt", "T-shirt"),  # starts with T, not a ticket
        ("TA1-000426", "TA1-000426"),  # too short for a ticket code
        (" sku 42 ", "sku 42"),
    ],
)
def test_sku_fallback(text: str, expected: str) -> None:
    assert parse(text) == SkuCode(expected)


@pytest.mark.parametrize("text", ["", "   ", "\r\n", "\t", "]E0", "]E0\r\n"])
def test_empty_input(text: str) -> None:
    with pytest.raises(ScanError) as caught:
        parse(text)
    assert caught.value.message == "Nothing was scanned"
    assert not isinstance(caught.value, InvalidCheckDigit)


def test_recognisers_are_an_ordered_extension_point() -> None:
    names = [recognise.__name__ for recognise in scanning.RECOGNISERS]
    assert names == ["recognise_receipt_proof", "recognise_ticket", "recognise_credit_note", "recognise_gs1",
                     "recognise_gtin", "recognise_sku"]


def test_results_are_frozen() -> None:
    scan = parse("3017620422003")
    with pytest.raises(AttributeError):
        scan.key = "0"  # type: ignore[misc]


# --- Translations and boundaries ---------------------------------------------------------------

SOURCE = Path(scanning.__file__)
RAISING = {"ScanError", "InvalidCheckDigit"}


def test_every_raised_message_is_listed_in_messages() -> None:
    tree = parse_python(SOURCE.read_text(encoding="utf-8"))
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in RAISING:
            if node.func.id == "InvalidCheckDigit":
                if len(node.args) < 2:
                    used.add(scanning.INVALID_CHECK_DIGIT)
                    continue
                message = node.args[1]
            else:
                message = node.args[0]
            assert isinstance(message, ast.Name), f"line {node.lineno}: use a message constant"
            used.add(getattr(scanning, message.id))
    assert used == set(MESSAGES)
    assert len(MESSAGES) == len(set(MESSAGES))


def test_french_catalogue_translates_every_message() -> None:
    catalogue = _catalogue("fr")
    for message in MESSAGES:
        french = catalogue[message]
        assert french.strip() and french != message
        assert set(placeholders(french)) == set(placeholders(message)), message


def test_errors_are_shown_in_french() -> None:
    with pytest.raises(ScanError) as caught:
        parse("  ")
    assert caught.value.text("fr") == "Rien n'a été scanné"
    with pytest.raises(ScanError) as caught:
        parse("0*3017620422003")
    assert caught.value.text("fr") == "La quantité doit être comprise entre 1 et 999, pas 0"
    with pytest.raises(InvalidCheckDigit) as caught:
        parse("3017620422004")
    assert caught.value.text("fr") == (
        "Clé de contrôle erronée dans 3017620422004 : ce n'est pas un code-barres valide"
    )
    assert caught.value.text("en") == "Invalid check digit in 3017620422004: this is not a valid barcode"


def test_module_stays_plain_python() -> None:
    tree = parse_python(SOURCE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"textual", "rich", "peewee", "store", "devices"}


# --- Receipt proofs (the QR code of a sale's receipt) ------------------------------------------


def _proof_text(lines: int = 10) -> str:
    """A receipt proof's text as a till prints it (ten lines: some 700 digits)."""
    import datetime as dt

    from cryptography.hazmat.primitives.asymmetric import ec

    from till.fiscal.keys import Signer
    from till.fiscal.receipt_proof import ProofLine, ReceiptProof, encode

    signer = Signer(ec.generate_private_key(ec.SECP256R1()))
    sold = tuple(ProofLine(position, make_ean13(f"3760000{position:05d}"), 1 + position % 3, 995 + position, 0,
                           (1 + position % 3) * (995 + position), 2000) for position in range(1, lines + 1))
    proof = ReceiptProof("12345678900012", "01", 4217, dt.datetime(2026, 12, 7, 10, 30), sold,
                         (("card", 2000), ("cash", sum(line.total_cents for line in sold) - 2000)))
    return encode(proof, signer.key_id, signer.sign_proof)


def test_a_receipt_proof_is_recognised_before_anything_could_mistake_its_digits():
    text = _proof_text()
    assert len(text) > 650
    assert parse(text) == scanning.ReceiptProofCode(text)
    assert parse(f"]Q1{text}\r\n") == scanning.ReceiptProofCode(text)  # a scanner's AIM id and suffix
    assert parse(text.lower()) == scanning.ReceiptProofCode(text.lower())  # Caps Lock: "rq1..."
    assert isinstance(parse(text[3:23]), SkuCode)  # its digits alone are no proof


def test_a_quantity_cannot_be_given_for_a_receipt_proof():
    with pytest.raises(ScanError) as refused:
        parse("2*" + _proof_text(1))
    assert refused.value.message == scanning.QUANTITY_ON_TICKET


def test_a_receipt_proof_typed_through_the_wrong_keyboard_layout_is_decoded():
    from devices.keyboard_layout import US_ON_AZERTY, check_layout
    from tests.support.devices import mangle

    text = _proof_text()
    notice = check_layout(mangle(text, US_ON_AZERTY))
    assert notice is not None and notice.code == text


def test_a_wedge_scanner_s_burst_of_a_receipt_proof_arrives_whole():
    from devices.scanner import BurstDetector, Scan, to_event

    text = _proof_text()
    detector = BurstDetector()
    outcomes = []
    for index, char in enumerate(text + "\r"):
        outcomes += detector.feed(char, index * 0.002)  # 2 ms a key: 1.4 s for the whole code
    assert outcomes == [Scan(text)]
    assert to_event(f"]Q1{text}", "wedge").code == text
