"""Settings dataclasses read from a configuration section that may not exist yet.

Features added after ``till.config.loader`` (messages, loyalty) keep their own frozen settings and read
them with ``from_section``: a till.toml written before a key existed keeps that key's default,
and tests build the settings directly.
"""

from __future__ import annotations

import dataclasses


def from_section(cls, section: object | None):
    """Settings of dataclass ``cls`` from a configuration section: a dataclass, a dict or None."""
    if section is None:
        return cls()
    get = section.get if isinstance(section, dict) else (lambda name, default: getattr(section, name, default))
    return cls(**{f.name: get(f.name, f.default) for f in dataclasses.fields(cls)})
