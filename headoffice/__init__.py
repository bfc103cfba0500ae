"""Head office: the receiving side of ``till sync``.

It holds a copy of every till's signed fiscal chains, checked record by record before it is
accepted (link, hash, signature with the till's enrolled key, no gap), so a shop's journal
survives the loss of its till and an auditor can check all shops in one place. It also serves
what tills pull: the catalogue, online orders and the state of credit notes across shops, every
till's key chain, and holds the cap on returns of a receipt in any shop.

Modules: ``store`` (its own peewee models and database, never the till's), ``ingest`` (the
checks and the idempotent write of a batch), ``auth`` (signed requests), ``credit`` (credit notes
across shops), ``till_keys`` (every till's key chain), ``returns`` (returns across shops), ``app`` (Starlette),
``cli`` (``till-headoffice enroll|serve|verify|report``).
"""
