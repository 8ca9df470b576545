"""cairn.services.catalog."""
