"""till: a point-of-sale till for small shops, built around fast returns."""

__version__ = "0.1.0"
