"""cairn.web.issuing."""
