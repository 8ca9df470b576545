"""cairn.web.catalog."""
