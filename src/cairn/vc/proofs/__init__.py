"""cairn.vc.proofs."""
