"""cairn.services.issuing."""
