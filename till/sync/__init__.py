"""Sync with head office: push, pull, the HTTP client and the protocol both sides share."""
