"""The demo shop: its data and how it is built."""
