"""Cairn vc layer."""
