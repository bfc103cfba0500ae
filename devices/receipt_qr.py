"""How big a receipt proof's QR code is printed: its version, and the dots per module that fit
the paper. No I/O.

Why: a receipt proof (``till.fiscal.receipt_proof``) is some 700 digits for a ten-line ticket,
a QR code of version 13 at error correction M (69 modules a side) where the ticket code alone
needs version 1. Printed with the ticket code's module size it would be either too small to
scan or, on 58 mm paper (384 dots), wider than the paper. So the module is as large as the
paper allows, up to ``MAX_MODULE_DOTS``; level M (15 % of the code may be lost) because a
thermal receipt fades and creases in a wallet, and H would need two versions more.
"""

from __future__ import annotations

__all__ = ["MAX_MODULE_DOTS", "BORDER_MODULES", "qr_version", "qr_modules", "paper_dots", "module_dots"]

MAX_MODULE_DOTS = 5
"""Largest module printed: 0.6 mm at 203 dpi, read by any 2D scanner at arm's length; larger
only makes the receipt longer."""
BORDER_MODULES = 1
"""The quiet zone python-escpos draws on each side of an image QR code, in modules."""
PAPER_DOTS = {32: 384, 42: 576, 48: 576}
"""Printable dots per line of the usual heads at 203 dpi by characters per line (58 and 80 mm),
for a printer profile that does not say its own."""


def qr_version(text: str) -> int:
    """The QR version ``text`` needs at error correction M (the smallest that holds it)."""
    import qrcode  # deferred: only a receipt printer and the benchmark need it

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    return code.best_fit()


def qr_modules(version: int) -> int:
    """Modules a side of a QR code of ``version``."""
    return 17 + 4 * version


def paper_dots(profile_pixels: object, width: int) -> int:
    """The printable width in dots: the printer profile's when it gives one, else that of the
    usual head for ``width`` characters per line."""
    if isinstance(profile_pixels, int) and profile_pixels > 0:
        return profile_pixels
    return PAPER_DOTS.get(width, 384 if width < 42 else 576)


def module_dots(text: str, dots: int) -> int:
    """Dots per module for ``text``'s QR code to fit ``dots`` with its quiet zone: as large as
    fits, from 1 to ``MAX_MODULE_DOTS``."""
    side = qr_modules(qr_version(text)) + 2 * BORDER_MODULES
    return max(1, min(MAX_MODULE_DOTS, dots // side))
