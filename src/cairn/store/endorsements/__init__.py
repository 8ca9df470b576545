"""Endorsements of achievements by organisations."""
