"""cairn.services.wallet."""
