"""Tests of the skills layer (ESCO reading, indexing, suggestions)."""
