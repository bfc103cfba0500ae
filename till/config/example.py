"""The starting configuration file that ``till init`` and ``till demo`` write: every section with
its defaults and a comment per key, for a technician to edit by hand. Apart from the loader, which
reads any file; this is the one the till writes.
"""

from __future__ import annotations

_EXAMPLE_KEYS = {
    "shop_name": ("shop.name",), "address": ("shop.address",), "siret": ("shop.siret",),
    "vat_number": ("shop.vat_number",), "legal_name": ("shop.legal_name",),
    "share_capital": ("shop.share_capital",), "rcs": ("shop.rcs",), "till_id": ("till.id",),
    "language": ("shop.locale", "till.language"), "database": ("till.database",),
    "default_reason": ("returns.default_reason",), "offline_other_shop": ("returns.offline_other_shop",),
}
"""Where each of ``render_example``'s settings goes in the file."""


def render_example(**overrides: str) -> str:
    """The text of a starting configuration file, as ``till init`` and ``till demo`` write it.

    The values are set through tomlkit rather than pasted into the text: a shop named
    ``Chez "Marcel"`` must give a valid file, and tomlkit keeps the template's comments."""
    import tomlkit  # deferred: only ``till init`` and ``till demo`` write a configuration file

    values = {
        "shop_name": "My shop",
        "address": "1 rue de la Paix, 75002 Paris",
        "siret": "00000000000000",
        "vat_number": "FR00000000000",
        "legal_name": "",
        "share_capital": "",
        "rcs": "",
        "till_id": "01",
        "language": "fr",
        "database": "sqlite:///till.db",
    }
    document = tomlkit.parse(EXAMPLE_TEMPLATE.format(**values))
    for name, value in overrides.items():
        for key in _EXAMPLE_KEYS[name]:
            section, _, field = key.partition(".")
            document[section][field] = value
    return tomlkit.dumps(document)


EXAMPLE_TEMPLATE = """\
# till configuration. Relative paths are relative to this file's folder.

[shop]
name = "{shop_name}"
address = "{address}"
siret = "{siret}"
vat_number = "{vat_number}"
legal_name = "{legal_name}"     # company name and form, if not the trade name: "SAS Dupré et Fils"
share_capital = "{share_capital}"  # e.g. "10 000 €"
rcs = "{rcs}"                   # registry city: printed "RCS <city> <SIREN>"
locale = "{language}"           # language of receipts: "fr" or "en"
timezone = "Europe/Paris"       # business days and daily closures follow this time zone
fiscal_year_start = 1           # month the fiscal year starts in (1-12): yearly closures follow it

[till]
id = "{till_id}"                # this till's id in the fiscal chains: 1-8 letters or digits
language = "{language}"         # language of the screens: "fr" or "en"
database = "{database}"         # or postgresql://user:password@host:5432/shop
key_file = "keys/till.pem"      # private signing key (0600), made by `till init`
anchor_dir = "anchors"          # last record of each chain, kept outside the database
archive_dir = "archives"        # each closed month's signed archive, made by itself: copy it off the till
log_file = "till.log"
log_max_kb = 1024               # till.log is rotated at this size...
log_backups = 5                 # ...into till.log.1 to till.log.5, the oldest dropped
min_free_mb = 50                # sales are refused (nothing written) under this much free disk, in MB

[sale]
manager_discount_percent = 10   # a discount above this needs a manager PIN
max_quantity = 999              # the largest quantity a line may have
max_line_cents = 1000000        # the largest amount of one line, in cents

[scanning]
burst_max_gap_ms = 30           # keys closer than this are a scanner, not a person
burst_min_length = 6

# In-store codes printed by the scales (EAN-13 starting with 2x).
[[scanning.price_codes]]
prefix = "21"
kind = "weight"
item_digits = 5
value_digits = 5
decimals = 3

[[scanning.price_codes]]
prefix = "23"
kind = "price"
item_digits = 5
value_digits = 5
decimals = 2

[payment]
terminal = "simulator"          # "simulator", "concert" (serial/USB), "caisse_ap" (IP) or "none"
timeout_s = 120                 # the whole payment, from request to answer
simulator_decline_cents = 1313  # the simulator declines exactly 13,13 EUR, to show a refusal
device = "/dev/ttyACM0"         # concert: the serial or USB-CDC device (better /dev/serial/by-id/...)
baudrate = 9600
host = "127.0.0.1"              # caisse_ap: the terminal's address and port
port = 8888
step_timeout_ms = 3000          # each protocol step
retries = 3
pos_number = "01"
terminal_id = "012345678901"    # caisse_ap: the 12-digit protocol id the terminal expects
simulate = false                # concert/caisse_ap: a simulator speaking the protocol (demo)

[printer]                       # every driver and key: config/devices.example.toml
driver = "file"                 # file, escpos_usb, escpos_serial, escpos_network, escpos_file or none
path = "receipts.txt"           # file: a text file; escpos_file: /dev/usb/lp0; escpos_serial: the port
width = 42                      # characters: 32 (58 mm), 42 or 48 (80 mm)
profile = "default"             # python-escpos profile, e.g. "TM-T20II", "POS-5890"
code_page = "CP858"             # pinned code page with the euro sign
status_query = "auto"           # ask for paper out / cover open: auto, required or off

[drawer]
kind = "log"                    # log (drawer.log, the demo's), printer (kick pin), serial or none
pin = 2                         # printer kick pin: 2 or 5
sensor = false                  # printer: true if the drawer's switch is wired (read every second)
warn_open_after_s = 60          # a drawer open longer than this is "left open"
give_up_s = 5                   # a sale's drawer not open this long after it is given up, never opened late

[accounts]
journal = "VT"
cash = "531"
card = "5115"
credit_note = "4197"
sales_prefix = "7071"           # sales per VAT rate: 7071 + rate code
vat_prefix = "44571"            # VAT collected per rate: 44571 + rate code
transfer = "580"                # cash to or from the safe or the bank (chain P cash moves)
petty_expense = "6068"          # small expenses paid from the drawer
cash_journal = "CA"             # the FEC journal of chain P documents (cash moves, corrections)

[returns]
window_days = 30                # default return window; products and categories may differ
reasons = ["wrong_size", "defective", "not_as_described", "changed_mind", "damaged_in_transit", "other"]
default_reason = "changed_mind" # each line taken back has it unless the cashier changes it (F3)
dispositions = {{ defective = "damaged", damaged_in_transit = "damaged" }}  # by reason; others: restock
no_receipt_lookback_days = 90   # without a receipt: lowest selling price over these days
no_receipt_credit_note_only = true
no_receipt_max_cents = 5000     # the most refunded without a receipt, in cents
customer_max_returns = 5        # returns per customer per period (0: no limit)
customer_period_days = 30
online_order_refund = "cash"    # an online order returned in store: "cash" or "credit_note"
other_shop_refund = "cash"      # a receipt of another shop: "cash" or "credit_note" (never its card)
offline_other_shop = "refuse"   # another shop's receipt while head office is out of reach: "refuse" or "credit_note"
offline_other_shop_max_cents = 5000  # with "credit_note": the most one such receipt gets back offline

[credit_notes]
validity_days = 365             # a credit note (avoir) can be spent for this long

[fiscal]
clock_jump_forward_hours = 72   # a clock this far past the last record at start is sealed (CLOCK_JUMPED_FORWARD)

[backup]                        # `till backup`: copies of the shop onto a USB stick or a network share
dir = ""                        # where they go (a folder, made 0700); empty: no backups (till doctor warns)
keep_hourly_h = 24              # keep one copy per hour for this many hours
keep_daily_d = 31               # then one per day for this many days
keep_monthly_m = 12             # then one per month for this many months

[smtp]                          # e-mailed receipts and vouchers (only to customers who agreed)
host = ""                       # empty: e-mail is off
port = 587
starttls = true
username = ""
password = ""
sender = ""                     # e.g. "Épicerie du Marché <caisse@example.fr>"
timeout_s = 10
cafile = ""                     # a PEM file of authorities to trust instead of the system's

[sms]                           # SMS through an HTTP gateway (only to customers who agreed)
url_template = ""               # empty: SMS is off; {{to}}, {{text}} and {{token}} are filled in
token = ""
timeout_s = 10
method = "POST"                 # POST (form body to, text) or GET (all in the URL)

[loyalty]
enabled = false
points_per_euro = 1
reward_threshold_points = 100   # points that make one reward voucher (0: none)
reward_cents = 500              # the voucher's value (a credit note)
reward_account = "6234"         # where the voucher's cost is booked

[loss_prevention]               # signals of return abuse, for a manager (`till report signals`)
customer_min_returns = 3        # returns in the period before a customer's share is looked at
customer_share_factor = 2.0     # returned share above this many times the shop's median share...
customer_min_share_pct = 30     # ...and above this share in percent
customer_no_receipt_min = 2     # returns without a receipt in the period
quick_return_days = 2           # a return this many days or fewer after the purchase is quick...
quick_return_min = 3            # ...this many quick returns in the period
wardrobing_span_days = 4        # bought just before a weekend (or event day), returned just after...
wardrobing_min = 2              # ...this many times in the period
event_dates = []                # days that count as a weekend, such as ["2026-12-24"]
reprint_hours = 24              # a receipt reprinted this many hours or fewer before its return
receipt_max_visits = 2          # more return tickets than this on one receipt
card_max_refunds = 2            # more refunds than this to one card in the period
history_days = 365              # how far back purchases count for a customer's share
check_days = 90                 # the days the check at the return screen looks back over

# Head office, for `till sync` and other shops' credit notes: uncomment [sync] and set url.
# [sync]
# url = "https://headoffice.example.fr:8443"  # https off the shop's network
# ca_file = "headoffice-ca.pem"   # a private CA's PEM file; without it, the system's CAs
# batch_size = 5000               # records per request (1 to 20000)
# timeout_s = 30.0                # each request
# attempts = 5                    # times a run resumes after a cut connection
# pause_s = 1.0                   # first pause before resuming (grows each time)
# pull = true                     # catalogue, online orders, credit notes after the push
# Another shop's credit note while head office cannot be reached: "refuse", or "accept" up to
# offline_credit_max_cents (in cents; each one is reported at the next sync).
# offline_credit_policy = "refuse"
# offline_credit_max_cents = 0
"""
