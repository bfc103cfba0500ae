"""The till's configuration: one TOML file read into one frozen dataclass tree.

A technician edits the file by hand, so every mistake is reported with the file, the line and
the key (``ConfigError``), and nothing starts on a half-read configuration. Relative paths in
the file (database, key, receipts) are relative to the file's own folder, so a shop folder can
be moved or backed up whole.

``[sync]`` (head office) is the one optional section: ``Config.sync`` is None when it is absent
or its ``url`` is empty, so code asks "is there a head office?" in one place.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import tomllib
import urllib.parse
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from devices.display import DisplayError, DisplaySettings
from devices.scanner import ScannerError, ScannerSettings
from devices.settings import DrawerSettings as DrawerConfig
from devices.settings import PrinterSettings as PrinterConfig
from devices.settings import problems
from till.config.backup import BackupSettings
from till.config.loss_prevention import LossPreventionSettings
from till.config.loss_prevention import parse as parse_loss_prevention
from till.config.loyalty import LoyaltySettings
from till.config.messages import SmsSettings, SmtpSettings
from till.config.reasons import DISPOSITION_NAMES, REASON_DISPOSITIONS, RETURN_REASONS
from till.config.sync import SyncSettings
from till.errors import TillError
from till.means import CASH, codes_where
from till.scanning import ScanError, rules_from_config


class ConfigError(TillError):
    """The configuration file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class ShopConfig:
    """Who the shop is, as printed on every receipt."""

    name: str = "My shop"
    address: str = ""
    siret: str = ""
    vat_number: str = ""
    legal_name: str = ""
    """Company name and form when they differ from the trade name, e.g. "SAS Dupré et Fils"."""
    share_capital: str = ""
    rcs: str = ""
    """Registry city, printed "RCS <city> <SIREN>" (the SIREN is the SIRET's first 9 digits)."""
    locale: str = "fr"
    timezone: str = "Europe/Paris"
    """The shop's time zone (IANA name): business days, closures and printed times follow it."""
    fiscal_year_start: int = 1
    """The month (1-12) the shop's fiscal year starts in: yearly closures cover the fiscal year."""


@dataclass(frozen=True)
class TillConfig:
    """This till: its id in the fiscal chains, its language, where its files live."""

    id: str = "01"
    language: str = "fr"
    database: str = "sqlite:///till.db"
    key_file: str = "keys/till.pem"
    anchor_dir: str = "anchors"
    archive_dir: str = "archives"
    """Where the monthly fiscal archives are written by themselves (0700 folder, 0600 files)."""
    log_file: str = "till.log"
    log_max_kb: int = 1024
    """till.log is rotated at this size (a Pi's SD card must not fill up)..."""
    log_backups: int = 5
    """... into till.log.1 to till.log.5, the oldest dropped."""
    min_free_mb: int = 50
    """Sales are refused (nothing written) when the database's disk has less free space than this
    (``till.selling.disk_room``); ``till doctor`` fails under it too. 0 turns the check off."""


@dataclass(frozen=True)
class SaleConfig:
    """Limits a cashier works within."""

    manager_discount_percent: int = 10
    max_quantity: int = 999
    max_line_cents: int = 1_000_000


@dataclass(frozen=True)
class ScanningConfig:
    """How scanner bursts are told from typing, and the shop's in-store price/weight codes."""

    burst_max_gap_ms: int = 30
    burst_min_length: int = 6
    price_codes: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class PaymentConfig:
    """The card terminal. ``simulator`` is a built-in terminal for the demo and the tests."""

    terminal: str = "simulator"
    """"simulator", "concert" (serial or USB-CDC), "caisse_ap" (IP) or "none"."""
    timeout_s: int = 120
    """The customer's whole payment, from the request to the terminal's answer."""
    simulator_decline_cents: int = -1
    """The simulator declines this exact amount (-1: never), so a decline can be shown."""
    device: str = "/dev/ttyACM0"
    baudrate: int = 9600
    host: str = "127.0.0.1"
    port: int = 8888
    step_timeout_ms: int = 3000
    retries: int = 3
    pos_number: str = "01"
    terminal_id: str = "012345678901"
    simulate: bool = False
    """With concert or caisse_ap: talk the real protocol to a simulator in this process (demo)."""


@dataclass(frozen=True)
class AccountsConfig:
    """The chart of accounts used for each ticket's double-entry lines (PCG defaults)."""

    journal: str = "VT"
    cash: str = "531"
    card: str = "5115"
    credit_note: str = "4197"
    sales_prefix: str = "7071"
    vat_prefix: str = "44571"
    transfer: str = "580"
    """Internal transfers: the safe or the bank, against the drawer (chain P cash moves)."""
    petty_expense: str = "6068"
    """Small expenses paid from the drawer (chain P)."""
    cash_journal: str = "CA"
    """The FEC's journal for chain P documents (cash moves and means corrections): money that
    goes through the drawer without a sale is a cash operation, not a sale."""


@dataclass(frozen=True)
class ReturnsConfig:
    """The shop's return policy. Every breach is refused unless a manager approves it."""

    window_days: int = 30
    """Days after the sale an item may come back, unless its product or category says otherwise."""
    reasons: tuple[str, ...] = RETURN_REASONS
    default_reason: str | None = None
    """The reason each line taken back gets unless the cashier gives another, so that the common
    return needs no reason key; a grocery says "defective", a clothes shop "wrong_size". Not set
    (a file older than the key): the first of ``reasons``, as the reason list opens on it."""
    dispositions: dict[str, str] = field(default_factory=lambda: dict(REASON_DISPOSITIONS))
    """reason -> disposition by default, e.g. ``{ defective = "damaged" }``; unlisted reasons: restock."""
    no_receipt_lookback_days: int = 90
    """Without a receipt, an item is refunded at its lowest selling price over these days."""
    no_receipt_credit_note_only: bool = True
    no_receipt_max_cents: int = 5000
    customer_max_returns: int = 5
    """Returns a customer may make per ``customer_period_days`` (0: no limit)."""
    customer_period_days: int = 30
    online_order_refund: str = CASH
    """How an online order returned in store is refunded by default: "cash" or "credit_note" (the
    till cannot reach the web payment; the cashier may still choose the other)."""
    offline_other_shop: str = "refuse"
    """A receipt of another shop while head office cannot be reached: "refuse", or "credit_note"
    (taken up to ``offline_other_shop_max_cents``, refunded as a credit note, reported at the next sync)."""
    offline_other_shop_max_cents: int = 5000
    """The largest return one receipt of another shop may get offline."""
    other_shop_refund: str = CASH
    """How a receipt of another shop is refunded online: "cash" or "credit_note"; never a card (the
    card was charged through the other shop's terminal contract, which this till cannot reverse)."""

    @property
    def reason_by_default(self) -> str | None:
        """The reason a line taken back starts with: ``default_reason``, else the first of
        ``reasons`` that needs no note; None only if "other" is the shop's one reason."""
        if self.default_reason is not None:
            return self.default_reason
        return next((reason for reason in self.reasons if reason != "other"), None)


@dataclass(frozen=True)
class CreditNotesConfig:
    """Store credit (avoirs): how long a note can be spent."""

    validity_days: int = 365


@dataclass(frozen=True)
class FiscalConfig:
    """The fiscal journal's own settings."""

    clock_jump_forward_hours: int = 72
    """A clock this many hours past the till's last record at start is sealed as
    CLOCK_JUMPED_FORWARD (``till.fiscal.clock``), never refused: a shop closed for a long weekend
    (Saturday evening to Tuesday morning, about 60 hours) stays under it; a holiday week leaves
    one event the manager can explain, and a clock set wrong by days is written down."""


@dataclass(frozen=True)
class Config:
    """Everything the till reads from its configuration file."""

    path: Path
    shop: ShopConfig = field(default_factory=ShopConfig)
    till: TillConfig = field(default_factory=TillConfig)
    sale: SaleConfig = field(default_factory=SaleConfig)
    scanning: ScanningConfig = field(default_factory=ScanningConfig)
    payment: PaymentConfig = field(default_factory=PaymentConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    drawer: DrawerConfig = field(default_factory=DrawerConfig)
    scanner: ScannerSettings = field(default_factory=ScannerSettings)
    display: DisplaySettings = field(default_factory=DisplaySettings)
    accounts: AccountsConfig = field(default_factory=AccountsConfig)
    returns: ReturnsConfig = field(default_factory=ReturnsConfig)
    credit_notes: CreditNotesConfig = field(default_factory=CreditNotesConfig)
    fiscal: FiscalConfig = field(default_factory=FiscalConfig)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    sms: SmsSettings = field(default_factory=SmsSettings)
    loyalty: LoyaltySettings = field(default_factory=LoyaltySettings)
    loss_prevention: LossPreventionSettings = field(default_factory=LossPreventionSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    sync: SyncSettings | None = None
    """Head office for ``till sync``; None when till.toml has no ``[sync]`` url."""

    @property
    def folder(self) -> Path:
        """The folder that relative paths in the file are relative to."""
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the file, made absolute against the file's folder."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else self.folder / candidate

    @property
    def database_url(self) -> str:
        """The database URL, with a relative SQLite file resolved against the file's folder."""
        url = self.till.database
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            target = url[len("sqlite:///"):]
            if target != ":memory:":
                return "sqlite:///" + str(self.resolve(target))
        return url


_SECTIONS = {
    "shop": ShopConfig,
    "till": TillConfig,
    "sale": SaleConfig,
    "scanning": ScanningConfig,
    "payment": PaymentConfig,
    "printer": PrinterConfig,
    "drawer": DrawerConfig,
    "scanner": ScannerSettings,
    "display": DisplaySettings,
    "accounts": AccountsConfig,
    "returns": ReturnsConfig,
    "credit_notes": CreditNotesConfig,
    "fiscal": FiscalConfig,
    "smtp": SmtpSettings,
    "sms": SmsSettings,
    "loyalty": LoyaltySettings,
    "loss_prevention": LossPreventionSettings,
    "backup": BackupSettings,
    "sync": SyncSettings,
}


MAX_INT = 2**53 - 1
"""The largest whole number a setting may hold: stored in a 64-bit column and multiplied by
prices, a larger one fails later, far from the file to fix."""


def load(path: str | Path) -> Config:
    """Read and check the configuration file at ``path``."""
    path = Path(path).expanduser().resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("Configuration file {file} does not exist", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError("Cannot read configuration file {file}: {reason}", file=str(path), reason=str(error)) from None
    try:
        data = tomllib.loads(text)
    except RecursionError:  # thousands of nested brackets: tomllib recurses once per level
        raise ConfigError("{file}: not valid TOML (nested too deeply)", file=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None) or _line_of_decode_error(str(error))
        raise ConfigError(
            "{file}, line {line}: not valid TOML ({reason})", file=str(path), line=line, reason=_reason(error)
        ) from None
    return _build(path, text, data)


def _build(path: Path, text: str, data: dict[str, Any]) -> Config:
    sections: dict[str, Any] = {}
    for name, value in data.items():
        if name not in _SECTIONS:
            raise ConfigError(
                "{file}, line {line}: unknown section [{key}]", file=str(path), line=_line_of(text, name, True), key=name
            )
        if not isinstance(value, dict):
            raise ConfigError(
                "{file}, line {line}: {key} must be a section", file=str(path), line=_line_of(text, name), key=name
            )
        if name == "loss_prevention":  # thresholds by name: the rules' own (``till.config.loss_prevention``)
            sections[name] = parse_loss_prevention(value, _failing(path, text, name))
            continue
        values = _values(path, text, name, _SECTIONS[name], value)
        sections[name] = _sync(path.parent, values) if name == "sync" else _SECTIONS[name](**values)
    config = Config(path=path, **sections)
    _check(config, text)
    if config.sync is not None and not config.sync.url:
        config = dataclasses.replace(config, sync=None)  # checked all the same, for the day a url is set
    return config


def _failing(path: Path, text: str, section: str) -> Callable[[str, str], None]:
    """``fail(key, message)`` for a section checked by its own module: the error with the line."""

    def fail(key: str, message: str) -> None:
        raise ConfigError(message, file=str(path), line=_line_of(text, key, within=section), key=f"{section}.{key}")

    return fail


def _values(path: Path, text: str, name: str, kind: type, values: dict[str, Any]) -> dict[str, Any]:
    """The keys of section ``name`` checked against the fields of ``kind``, ready for ``kind(**...)``."""
    fields = {f.name: f for f in dataclasses.fields(kind)}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        where = {"file": str(path), "line": _line_of(text, key, within=name), "key": f"{name}.{key}"}
        if key not in fields:
            raise ConfigError("{file}, line {line}: unknown key {key}", **where)
        expected = fields[key].type
        if expected in ("int",) and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError("{file}, line {line}: {key} must be a whole number", **where)
        if expected == "int" and abs(value) > MAX_INT:  # TOML allows it; the database and the sums do not
            raise ConfigError("{file}, line {line}: {key} is too large", **where)
        if expected == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError("{file}, line {line}: {key} must be a number", **where)
            value = float(value)
        if expected in ("str", "str | None") and not isinstance(value, str):
            raise ConfigError("{file}, line {line}: {key} must be text in quotes", **where)
        if isinstance(value, str) and "\x00" in value:  # no file name, URL or label holds one
            raise ConfigError("{file}, line {line}: {key} must not contain a NUL character", **where)
        if expected == "bool" and not isinstance(value, bool):
            raise ConfigError("{file}, line {line}: {key} must be true or false", **where)
        if expected == "tuple[str, ...]":
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
                raise ConfigError("{file}, line {line}: {key} must be a list of texts in quotes", **where)
            value = tuple(value)
        elif expected == "dict[str, str]":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError("{file}, line {line}: {key} must be a table of texts, such as "
                                  "{{ defective = \"damaged\" }}", **where)
            value = dict(value)
        elif expected.startswith("tuple"):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError("{file}, line {line}: {key} must be a list of tables", **where)
            value = tuple(value)
        clean[key] = value
    return clean


def _sync(folder: Path, values: dict[str, Any]) -> SyncSettings:
    """``[sync]`` as written (url possibly empty), with ``ca_file`` made absolute: the sync runs
    from cron, whose working folder is not the shop's. An empty ``ca_file`` means the system's CAs."""
    settings = SyncSettings(**{"url": "", **values})
    ca_file = str((folder / Path(settings.ca_file).expanduser()).resolve()) if settings.ca_file else None
    return dataclasses.replace(settings, ca_file=ca_file)


def _check(config: Config, text: str) -> None:
    """Cross-field checks: values that parse but cannot work."""
    def fail(key: str, message: str, **params: object) -> None:
        section, _, name = key.rpartition(".")
        raise ConfigError(message, file=str(config.path), line=_line_of(text, name, within=section), key=key,
                          **params)

    if not re.fullmatch(r"[A-Za-z0-9]{1,8}", config.till.id):
        fail("till.id", "{file}, line {line}: {key} must be 1 to 8 letters or digits")
    if config.till.language not in ("fr", "en"):
        fail("till.language", "{file}, line {line}: {key} must be \"fr\" or \"en\"")
    if not (config.till.database.startswith("sqlite:///") or config.till.database.startswith("postgres")):
        fail("till.database", "{file}, line {line}: {key} must start with sqlite:/// or postgresql://")
    if config.till.database.strip() == "sqlite:///":
        fail("till.database", "{file}, line {line}: {key} must name the database file, such as sqlite:///till.db")
    anchors = config.resolve(config.till.anchor_dir)
    try:
        not_a_folder = anchors.exists() and not anchors.is_dir()
    except OSError:  # a name too long: opening the folder will say why
        not_a_folder = False
    if not_a_folder:
        fail("till.anchor_dir", "{file}, line {line}: {key} is a file, not a folder")
    if config.payment.terminal not in ("simulator", "concert", "caisse_ap", "none"):
        fail("payment.terminal", "{file}, line {line}: {key} names an unknown terminal driver")
    for key, settings in (("scanner.sources", config.scanner), ("display.driver", config.display)):
        try:
            settings.validate()
        except (ScannerError, DisplayError) as error:
            where = f"display.{error.setting}" if isinstance(error, DisplayError) else key
            fail(where, "{file}, line {line}: {key} is wrong: {reason}", reason=error.text())
    for section in ("printer", "drawer"):  # the device drivers' own checks, in the same words
        for key, message, params in problems(getattr(config, section)):
            fail(f"{section}.{key}", message, **params)
    if config.till.min_free_mb < 0:
        fail("till.min_free_mb", "{file}, line {line}: {key} cannot be negative")
    for name in ("log_max_kb", "log_backups"):
        if getattr(config.till, name) < 1:
            fail(f"till.{name}", "{file}, line {line}: {key} must be above 0")
    if not 0 <= config.sale.manager_discount_percent <= 100:
        fail("sale.manager_discount_percent", "{file}, line {line}: {key} must be between 0 and 100")
    if not 1 <= config.sale.max_quantity <= 1_000_000:
        fail("sale.max_quantity", "{file}, line {line}: {key} must be between 1 and 1000000")
    if not 1 <= config.sale.max_line_cents <= 10**12:
        fail("sale.max_line_cents", "{file}, line {line}: {key} must be between 1 and 1000000000000")
    try:

        zoneinfo.ZoneInfo(config.shop.timezone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        fail("shop.timezone", "{file}, line {line}: {key} is not a time zone name such as \"Europe/Paris\"")
    if not 1 <= config.shop.fiscal_year_start <= 12:
        fail("shop.fiscal_year_start", "{file}, line {line}: {key} must be a month from 1 (January) to 12 "
             "(December)")
    if config.returns.online_order_refund not in codes_where(refund_needs_original=False):
        fail("returns.online_order_refund", "{file}, line {line}: {key} must be \"cash\" or \"credit_note\"")
    if config.returns.other_shop_refund not in codes_where(refund_needs_original=False):
        fail("returns.other_shop_refund", "{file}, line {line}: {key} must be \"cash\" or \"credit_note\"")
    if config.returns.offline_other_shop not in ("refuse", "credit_note"):
        fail("returns.offline_other_shop", "{file}, line {line}: {key} must be \"refuse\" or \"credit_note\"")
    for reason, disposition in config.returns.dispositions.items():
        if reason not in config.returns.reasons:
            fail("returns.dispositions", "{file}, line {line}: {key} names {reason}, which is not in returns.reasons",
                 reason=reason)
        if disposition not in DISPOSITION_NAMES:
            fail("returns.dispositions", "{file}, line {line}: {key} sends {reason} to {disposition}: use restock, "
                 "damaged, supplier or repair", reason=reason, disposition=disposition)
    if "other" not in config.returns.reasons:
        fail("returns.reasons", "{file}, line {line}: {key} must keep \"other\" (with a note)")
    default_reason = config.returns.default_reason
    if default_reason == "other":
        fail("returns.default_reason", "{file}, line {line}: {key} cannot be \"other\": that reason needs a note")
    if default_reason is not None and default_reason not in config.returns.reasons:
        fail("returns.default_reason", "{file}, line {line}: {key} is {reason}, which is not in returns.reasons",
             reason=default_reason)
    for key in ("window_days", "no_receipt_lookback_days", "no_receipt_max_cents", "customer_max_returns",
                "customer_period_days", "offline_other_shop_max_cents"):
        if getattr(config.returns, key) < 0:
            fail(f"returns.{key}", "{file}, line {line}: {key} cannot be negative")
    if config.credit_notes.validity_days < 1:
        fail("credit_notes.validity_days", "{file}, line {line}: {key} must be at least 1")
    if config.fiscal.clock_jump_forward_hours < 1:
        fail("fiscal.clock_jump_forward_hours", "{file}, line {line}: {key} must be at least 1")
    if config.scanning.price_codes:

        try:
            rules_from_config(list(config.scanning.price_codes))
        except ScanError as error:
            fail("scanning.price_codes", "{file}, line {line}: {key} is wrong: {reason}", reason=error.text())
    for name in ("keep_hourly_h", "keep_daily_d", "keep_monthly_m"):
        if not 0 <= getattr(config.backup, name) <= 10_000:
            fail(f"backup.{name}", "{file}, line {line}: {key} must be between 0 and 10000")
    if config.backup.configured and config.resolve(config.backup.dir).is_file():
        fail("backup.dir", "{file}, line {line}: {key} is a file, not a folder")
    if config.sync is not None:
        _check_sync(config.sync, fail)


def _check_sync(sync: SyncSettings, fail: Callable[..., None]) -> None:
    """``[sync]``: refused here rather than at 3 a.m. in cron's log (an empty url is "no head office")."""
    address = urllib.parse.urlsplit(sync.url)
    try:
        usable = address.scheme in ("http", "https") and bool(address.hostname) and address.port != 0
    except ValueError:  # a port that is not a number
        usable = False
    if sync.url and not usable:
        fail("sync.url", "{file}, line {line}: {key} must be http:// or https:// and a host, "
                         "such as \"https://headoffice.example.fr:8443\"")
    if sync.url and address.scheme == "http" and not _on_local_network(address.hostname or ""):
        fail("sync.url", "{file}, line {line}: {key} must be https:// for a host off the shop's network "
                         "(http:// is for loopback and private addresses only)")
    if not 1 <= sync.batch_size <= 20_000:
        fail("sync.batch_size", "{file}, line {line}: {key} must be between 1 and 20000")
    if sync.timeout_s <= 0:
        fail("sync.timeout_s", "{file}, line {line}: {key} must be above 0")
    if sync.attempts < 1:
        fail("sync.attempts", "{file}, line {line}: {key} must be at least 1")
    for key in ("pause_s", "offline_credit_max_cents"):
        if getattr(sync, key) < 0:
            fail(f"sync.{key}", "{file}, line {line}: {key} cannot be negative")
    if sync.offline_credit_policy not in ("refuse", "accept"):
        fail("sync.offline_credit_policy", "{file}, line {line}: {key} must be \"refuse\" or \"accept\"")


def _on_local_network(host: str) -> bool:
    """Whether plain http to ``host`` stays on the shop's network: loopback or a private
    address. A name could resolve anywhere, so only ``localhost`` is taken on trust; the
    fiscal chains and credit notes must not cross the internet in clear."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _line_of(text: str, key: str, section: bool = False, within: str = "") -> int:
    """The first line that defines ``key`` (or the section header), 1-based; 1 when not found.

    With ``within``, the search starts at that section's header: several sections have a
    ``timeout_s`` or a ``port``, and the line shown must be the one to fix."""
    pattern = (
        rf"^\s*\[+\s*(?:[\w.]*\.)?{re.escape(key)}\s*\]+" if section else rf"^\s*\"?{re.escape(key)}\"?\s*="
    )
    start = _line_of(text, within, section=True) - 1 if within else 0
    lines = text.splitlines()
    for number, line in enumerate(lines[start:], start=start + 1):
        if re.search(pattern, line):
            return number
    return 1


def _line_of_decode_error(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


def _reason(error: tomllib.TOMLDecodeError) -> str:
    return getattr(error, "msg", None) or re.sub(r"\s*\(at line.*\)$", "", str(error))
