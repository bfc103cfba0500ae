"""The verdict of an archive check, as the auditor reads it.

``till archive verify`` and ``till journal verify --archive`` print the same report as ``till
journal verify`` (``verify.VerifyReport``: counts, findings, key chains' roots), headed by what
the archive says of itself: its period, the key that signed its manifest, whether it is partial
and why, and, when no root fingerprint was given, what to compare the roots with.
"""

from __future__ import annotations

from dataclasses import dataclass

from till.fiscal.verify import VerifyReport, chains, problems, records
from till.i18n import translate

__all__ = ["ArchiveReport"]


@dataclass
class ArchiveReport(VerifyReport):
    """``VerifyReport`` of an archive, plus what the archive says of itself."""

    archive: str = ""
    period: str | None = None
    key_id: str | None = None
    """The key that signed the manifest, when the signature is valid."""
    manifest_sha256: str | None = None
    roots_given: bool = False
    """Whether the auditor gave the roots to check against (``--root``)."""
    partial: bool = False
    """The manifest says the period was not closed when the archive was made."""
    partial_reason: str = ""

    def lines(self, lang: str | None = None) -> list[str]:
        """The verdict with the period and the signing key, then the counts and findings, then
        the roots of the key chains (and, with none given, what to compare them with)."""
        total = sum(self.counts.values())
        if self.ok:
            head = translate("Archive {file} verified: period {period}, {records} in {chains}, "
                             "manifest signed by key {key_id}.", lang, file=self.archive, period=self.period,
                             records=records(total), chains=chains(len(self.counts)), key_id=self.key_id)
        else:
            head = translate("Archive {file} NOT verified: {problems} in {records}.", lang,
                             file=self.archive, problems=problems(len(self.problems)), records=records(total))
        out = [head] + super().lines(lang)[1:]
        if self.partial:
            out.insert(1, translate("partial archive: the period was not closed when it was made ({reason})", lang,
                                    reason=self.partial_reason))
        if self.roots and not self.roots_given:
            out.append(translate("no root fingerprint was given (--root): compare the root key above with the one "
                                 "printed on the shop's Z reports", lang))
        return out
