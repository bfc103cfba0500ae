"""What an insider holding the till's key does to an archive, for the archive verifier's tests."""

from __future__ import annotations

import zipfile

from till.fiscal.canonical import canonical_bytes


def write_resigned(members: dict[str, bytes], manifest: dict, signer, target) -> None:
    """Write the archive ``members`` to ``target`` with ``manifest`` as its manifest, signed again
    with ``signer`` (the till's own key): every signature holds, so only what the records say can
    betray a change."""
    members["manifest.json"] = canonical_bytes(manifest)
    members["manifest.sig"] = canonical_bytes({"algorithm": "ECDSA-P256-SHA256", "key_id": signer.key_id,
                                               "signed_file": "manifest.json",
                                               "signature": signer.sign(members["manifest.json"])})
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
