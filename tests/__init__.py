"""The test suite, one folder per package it tests: ``selling/``, ``returns/``, ``credit/``,
``aftersale/`` (``messages/``), ``fiscal/``, ``people/``, ``config/``, ``shop/``, ``cli/``,
``demo/``, ``ui/`` for ``till``'s; ``store/``, ``devices/``, ``reports/``, ``headoffice/`` and
``benchmarks/`` for the others; ``e2e/`` drives the real program in tmux. What tests the
modules at ``till``'s top (money, scanning, logmask, i18n) or the whole code base stays here.

Shared fixtures live in the ``conftest.py`` files, shared helpers in ``tests.support``.
"""
