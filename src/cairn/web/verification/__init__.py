"""cairn.web.verification."""
