"""What the manager's closures screen hands to the outbox: a report to print, and what was
given up to try again.

Each is one short transaction, committed before the outbox runs (the caller then starts it),
so a screen never holds a transaction open and the tests need no terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

from till.aftersale import outbox
from till.aftersale.jobs import PRINT_LINES, reprint_given_up
from till.aftersale.messages.jobs import failed_messages, retry
from till.fiscal.chain import current_database


def print_lines(till_id: str, lines: list[str]) -> None:
    """Queue ``lines`` (an X or a Z as shown) for ``till_id``'s printer, as they are."""
    with current_database().atomic():
        outbox.enqueue(till_id, PRINT_LINES, {"lines": list(lines)})


@dataclass(frozen=True)
class SentAgain:
    """How many given-up jobs were queued again, to tell the manager."""

    documents: int
    messages: int


def send_again(till_id: str) -> SentAgain:
    """The printer, mail server or SMS gateway is back: every print job and message the outbox
    gave up on is due again, in one transaction. Never-printed documents print as they are, not
    as duplicates (``reprint_given_up``)."""
    with current_database().atomic():
        documents = reprint_given_up(till_id)
        messages = failed_messages(till_id)
        for message in messages:
            retry(message.job_id)
    return SentAgain(documents, len(messages))
