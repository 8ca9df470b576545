"""cairn.web.wallet."""
