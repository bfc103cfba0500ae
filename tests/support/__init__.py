"""Helpers the tests share, each defined once, imported as ``tests.support.<module>``.

``shop``        the small real shop: built (``build_shop``), copied from a template, sold in
``queries``     what tests read back: row counts, payments, stock levels, chain L events
``returns``     return sessions; ``credit``: credit notes issued the real way
``closures``    dated tickets of every kind, for the closure tests; ``journal``: tampering
``pilot``       Textual Pilot: log in, scanner bursts, the screen as text
``postgres``    the throwaway PostgreSQL server; ``net``: free ports and certificates
``headoffice``  head office on loopback; ``messages``: SMTP/SMS settings; ``devices``: device bytes
``reports``     a shop with a known history; ``fec``: an independent FEC checker
``processes``   the ``till`` command in its own process, file modes
"""
