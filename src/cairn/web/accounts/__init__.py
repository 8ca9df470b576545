"""cairn.web.accounts."""
