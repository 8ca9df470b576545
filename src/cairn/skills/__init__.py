"""Cairn skills layer."""
