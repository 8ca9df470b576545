"""cairn.services.accounts."""
