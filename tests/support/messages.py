"""What the message tests share besides fixtures: the SMTP account and a configuration view."""

from __future__ import annotations

USER, PASSWORD = "till@shop.example", "s3cret-pass"
SENDER = "Shop <till@shop.example>"


class WithMessages:
    """The shop's configuration with ``[smtp]``/``[sms]`` sections, as till.toml will carry them."""

    def __init__(self, config, **sections) -> None:
        self._config = config
        self.__dict__.update(sections)

    def __getattr__(self, name):
        return getattr(self._config, name)
