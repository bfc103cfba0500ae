"""Benchmarks: build large shops (generate.py) and measure the till against bare SQLite and hashing (run.py)."""
