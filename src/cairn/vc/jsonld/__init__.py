"""cairn.vc.jsonld."""
