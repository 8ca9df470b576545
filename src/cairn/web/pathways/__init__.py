"""Pathways on the web: public pathway pages, a learner's progress in the wallet, the issuer's pages, the API."""
