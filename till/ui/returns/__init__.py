"""The return screens: find, pick, reason, resolve, pay the difference."""
