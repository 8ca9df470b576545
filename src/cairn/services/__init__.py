"""Cairn services layer."""
