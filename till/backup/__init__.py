"""Never lose a shop: what brings a till back after its database or its card is lost."""
