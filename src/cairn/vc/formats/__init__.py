"""cairn.vc.formats."""
