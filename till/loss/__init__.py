"""Loss prevention: signals of return abuse, computed from the records the till already signs."""
