"""Backup and restore of a whole instance: every table in one encrypted archive."""
