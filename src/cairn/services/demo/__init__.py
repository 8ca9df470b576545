"""cairn.services.demo."""
