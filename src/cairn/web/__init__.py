"""Cairn web layer."""
