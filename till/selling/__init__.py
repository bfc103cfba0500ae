"""Selling: the basket, checkout and tenders, the ticket writer, stock movements, accounting lines, the catalogue and the card journal."""
