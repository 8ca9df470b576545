"""Cairn store layer."""
