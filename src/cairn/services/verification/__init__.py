"""cairn.services.verification."""
