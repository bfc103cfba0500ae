"""A finding of a verifier: where (till, chain, sequence) and what, in English and translatable.

Shared by the journal verifier, the closure check and the archive verifier, so that each of
them reports in the same words and none imports another only for this type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from till.i18n import translate


@dataclass(frozen=True)
class Problem:
    """One finding: where (till, chain, sequence or None) and what, in English and translatable."""

    till_id: str
    chain: str
    sequence: int | None
    what: str
    message: str = field(default="", compare=False)
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def text(self, lang: str | None = None) -> str:
        """The finding as one line, e.g. "chain T of till 01, record 42: payload differs ..."."""
        what = translate(self.message, lang, **self.params) if self.message else self.what
        if not self.chain:  # about the keys or the anchor folder, not one chain
            return what
        where = dict(chain=self.chain, till_id=self.till_id, sequence=self.sequence, what=what)
        if self.sequence is None:
            return translate("chain {chain} of till {till_id}: {what}", lang, **where)
        return translate("chain {chain} of till {till_id}, record {sequence}: {what}", lang, **where)


def finding(till_id: str, chain: str, sequence: int | None, message: str, /, **params: Any) -> Problem:
    """A finding at record ``sequence`` of a chain (None: the chain as a whole); ``message`` is the
    English id, filled with ``params`` now and translated when shown (``Problem.text``)."""
    return Problem(till_id, chain, sequence, message.format(**params), message, params)


def table_finding(message: str, /, **params: Any) -> Problem:
    """A finding about a table's row (a credit note, a stock level, a user), not a record."""
    return finding("", "", None, message, **params)


def finding_at(where: tuple[str, str, int | None], message: str, /, **params: Any) -> Problem:
    """``finding`` at ``where``, a (till, chain, sequence) a reader kept from the record."""
    return finding(*where, message, **params)
