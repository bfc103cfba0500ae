"""Never lose a shop: what brings a till back after its database or its card is lost.

``backup_format`` says what a backup file holds, ``make`` writes one from the live shop,
``check`` proves one (checksums, the database's integrity, the journal), ``rotation`` says which
to keep, ``restore`` writes a shop folder from one and says how far behind it is, ``job`` makes
one after each daily closure through the outbox. ``rebuild`` (with ``rebuild_rows``) brings a
till back from what head office holds. The first ones sit below the after-sale jobs and the
shop's start, which use them; the rebuild sits above the shop, whose set-up it reuses (see the
layers in pyproject.toml).
"""
