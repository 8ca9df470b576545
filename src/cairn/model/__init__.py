"""Cairn model layer."""
