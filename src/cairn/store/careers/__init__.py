"""The ESCO release in the store and the careers reads over it."""
