"""OpenID4VP routes: the protocol endpoints and the JSON API."""
