"""Issuing's repositories: awards, keys, status lists, bulk appends, award queries."""
