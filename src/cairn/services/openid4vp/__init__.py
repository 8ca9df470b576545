"""OpenID for Verifiable Presentations: organisations ask for credentials; Cairn's wallet answers."""
