"""After the sale is written: the outbox and its jobs, receipts, the drawer, customer messages (e-mail, SMS)."""
