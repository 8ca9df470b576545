"""Pathways on the web: the issuer's pages, the JSON API, and the public and wallet pages."""
