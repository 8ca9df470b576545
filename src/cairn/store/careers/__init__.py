"""cairn.store.careers."""
