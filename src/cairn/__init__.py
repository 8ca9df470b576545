"""Cairn: open infrastructure for EU micro-credentials.

Issuers describe micro-credentials with every Annex I element of Council Recommendation
2022/C 243/02 and award them as W3C Verifiable Credentials / Open Badges 3.0; learners keep and
share them; anyone verifies them.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
