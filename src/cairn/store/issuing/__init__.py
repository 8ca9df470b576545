"""cairn.store.issuing."""
