"""Backups of a shop and their restore: a dead SD card or a lost machine never loses the shop.

``backup_format`` says what a backup file holds, ``make`` writes one from the live shop,
``check`` proves one (checksums, the database's integrity, the journal), ``rotation`` says which
to keep, ``restore`` writes a shop folder from one and says how far behind it is, ``job`` makes
one after each daily closure through the outbox.
"""
