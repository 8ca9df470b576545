"""cairn.vc.canon."""
