"""Pathways on the web: the public pathway pages, a learner's progress in the wallet, and the issuer's pages."""
