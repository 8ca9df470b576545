"""Cairn formats layer."""
