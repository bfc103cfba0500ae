"""``till restore --from-headoffice --dir DIR``: a till whose backups are gone, rebuilt from head office.

Kept apart from ``till.cli.backup`` (whose ``restore`` calls ``cmd_rebuild``). DIR holds the till's ``till.toml``
(with ``[sync]``) and its key file, and a database without this till's records (``till.backup.
rebuild``). Prints the records rebuilt per chain, the rows rebuilt, and what could not be.
Exit 0 when rebuilt, 1 when refused (nothing stored), 2 for the configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from till.cli.common import FAILED, OK, USAGE, setup_logging
from till.config.loader import load
from till.errors import TillError
from till.i18n import translate


def cmd_rebuild(args: argparse.Namespace) -> int:
    from till.backup.rebuild import rebuild_from_headoffice  # deferred: per command (fast start)
    from till.fiscal.rotation import retired_signers  # deferred: per command (fast start)
    from till.shop.context import TillContext  # deferred: per command (fast start)
    from till.sync.client import HeadOfficeClient  # deferred: per command (fast start)

    path = Path(getattr(args, "config", None) or Path(args.dir) / "till.toml")
    config = load(path)
    setup_logging(config)
    if config.sync is None:
        print("till: " + translate("No head office to rebuild from: add a [sync] section with url to {file}",
                                   file=str(path)), file=sys.stderr)
        return USAGE
    key_path = config.resolve(config.till.key_file)
    if not key_path.exists():  # not `till init`'s advice: a new key would start another journal
        print("till: " + translate("No signing key at {file}: put the till's key file back before rebuilding it",
                                   file=str(key_path)), file=sys.stderr)
        return USAGE
    ctx = TillContext.open(config)
    settings = config.sync
    client = HeadOfficeClient(settings.url, ctx.till_id, ctx.sealer.signer, settings.timeout_s, settings.ca_file,
                              retired_signers(ctx.sealer.signer))
    try:
        report = rebuild_from_headoffice(ctx, client)
    except TillError as refused:
        print("till: " + refused.text(), file=sys.stderr)
        return FAILED
    finally:
        client.close()
        ctx.close()
    print(translate("Rebuilt till {till_id} from head office; root key fingerprint {root}",
                    till_id=config.till.id, root=report.root_fingerprint or "?"))
    for chain, count in report.records.items():
        print(translate("chain {chain}: {count} records, the next is {next}", chain=chain, count=count,
                        next=count + 1))
    for kind, count in sorted(report.rows.items()):
        print(f"{kind}: {count}")
    for code, balance in sorted(report.note_balances.items()):
        print(translate("credit note {code}: head office holds {balance} cents", code=code,
                        balance="?" if balance is None else balance))
    print(translate("Not rebuilt:"))
    for message, params in report.not_rebuilt:
        print("- " + translate(message, **params))
    return OK
