"""Modal dialogs: small screens that ask one thing and give it back."""
