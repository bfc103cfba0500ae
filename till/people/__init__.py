"""Staff and customers: PINs, login and approvals; the customer file."""
