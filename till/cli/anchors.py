"""``till journal acknowledge-anchor --note ...``: a manager or technician acknowledges a known
anchor failure (``till.fiscal.anchor_check``), so the till may sell again.

Kept apart from ``till.cli.main`` (which calls ``register`` on the ``journal`` group). The
failure is sealed first if it was not yet (so the anchors as found are kept before anything
else is sealed), then the approval, then ANCHOR_ACKNOWLEDGED with the note.
"""

from __future__ import annotations

import argparse

from till.cli.common import OK, manager_approval, open_shop


def register(journal: argparse._SubParsersAction) -> None:
    acknowledge = journal.add_parser(
        "acknowledge-anchor", help="a manager or technician acknowledges a tail anchor failure (sealed, with a note)")
    acknowledge.add_argument("--note", required=True, help="what was checked, and what was lost if anything")
    acknowledge.add_argument("--manager", metavar="LOGIN", help="the manager's or technician's login (asked for "
                             "when not given)")
    acknowledge.add_argument("--pin", help="their PIN (asked for when not given)")
    acknowledge.set_defaults(func=cmd_acknowledge_anchor)


def cmd_acknowledge_anchor(args: argparse.Namespace) -> int:
    from till.errors import TillError  # deferred: per command (fast start)
    from till.fiscal import anchor_check  # deferred: per command (fast start)
    from till.fiscal.chain import flush_anchors  # deferred: per command (fast start)

    if not args.note.strip():
        raise TillError("A note is required: say what was checked or lost")
    ctx = open_shop(args)
    try:
        sealer = ctx.sealer
        if sealer.anchors is None:
            raise TillError("This till keeps no tail anchors: nothing to acknowledge")
        flush_anchors(30.0)
        findings = anchor_check.check_anchors(sealer.anchors, [sealer.till_id])
        if findings.ok:
            print("The tail anchors agree with the journal: nothing to acknowledge.")
            return OK
        if findings.problems:  # the evidence first, before the approval seals anything
            anchor_check.record_failure(sealer, findings, anchor_check.VERIFY)
        for problem in findings.problems + findings.unacknowledged:
            print(problem.text())
        approver = manager_approval(ctx, args, "tail anchor failure acknowledged")
        anchor_check.acknowledge(sealer, approver.id, args.note)
        print(f"Acknowledged by {approver.login}: every chain is anchored again at its last record.")
        return OK
    finally:
        ctx.close()


def check_headoffice(ctx) -> bool:
    """``till journal verify --headoffice``: the last signed chain heads head office holds for
    this till must still be in the journal, as they were. Prints what it finds; True when they
    are (or when head office holds none yet, said so)."""
    from till.errors import TillError  # deferred: per command (fast start)
    from till.fiscal.anchor_check import admitted_keys  # deferred: per command (fast start)
    from till.fiscal.heads import compare_heads, short_digest, statement_signed_by  # deferred: per command
    from till.i18n import translate  # deferred: per command (fast start)
    from till.sync.heads import last_statement  # deferred: per command (fast start)

    if ctx.config.sync is None:
        raise TillError("No head office to sync with: add a [sync] section with url to {file}",
                        file=str(ctx.config.path))
    signed = last_statement(ctx.config.sync, ctx.till_id, ctx.sealer.signer)
    if signed is None:
        print(translate("Head office holds no chain heads of this till yet (none is sent before a closure)."))
        return True
    pem = admitted_keys().get(signed.get("key_id"))
    if pem is None or not statement_signed_by(signed, pem):
        print(translate("The chain heads head office holds are not signed by a key of this journal."))
        return False
    statement = signed["statement"]
    differences = compare_heads(ctx.till_id, statement)
    for line in differences:
        print(line)
    if not differences:
        print(translate("The journal still holds the chain heads of closure {closure} that head office keeps ({digest}).",
                        closure=statement.get("closure"), digest=short_digest(signed.get("digest", ""))))
    return not differences
