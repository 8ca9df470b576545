"""OpenID for Verifiable Credential Issuance: a learner offers an award of their wallet to another wallet."""
