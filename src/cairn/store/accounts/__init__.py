"""cairn.store.accounts."""
