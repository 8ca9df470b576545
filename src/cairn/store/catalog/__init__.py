"""The catalogue's tables' repositories: organisations and versioned definitions."""
