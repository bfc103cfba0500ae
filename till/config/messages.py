"""``[smtp]`` and ``[sms]`` of till.toml, as frozen data.

Kept apart from the senders (no smtplib, ssl or urllib here) so that ``till.config.loader`` can hold
them without slowing every command's start.
"""

from __future__ import annotations

from dataclasses import dataclass



@dataclass(frozen=True)
class SmtpSettings:
    """The shop's outgoing mail server."""

    host: str = ""
    """Empty: e-mail is off (nothing is queued at the sale; a queued job fails with a clear message)."""
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = ""
    sender: str = ""
    """The From address, e.g. ``"Librairie du Port <caisse@librairie.example>"``."""
    timeout_s: int = 10
    """The longest one connection, command or answer may take."""
    cafile: str = ""
    """A PEM file of authorities to trust instead of the system's (a shop's own mail relay)."""


@dataclass(frozen=True)
class SmsSettings:
    """The SMS gateway's request template and credentials."""

    url_template: str = ""
    """e.g. ``"https://sms.example/api/send"`` or ``"https://gw.example/send?to={to}&msg={text}"``;
    empty: SMS is off."""
    token: str = ""
    timeout_s: int = 10
    method: str = "POST"
    """``POST`` (form body ``to``, ``text``) or ``GET`` (all in the URL template)."""
