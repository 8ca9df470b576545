"""cairn.store.catalog."""
