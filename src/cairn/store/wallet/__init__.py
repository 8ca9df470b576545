"""cairn.store.wallet."""
