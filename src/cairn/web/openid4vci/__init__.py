"""OpenID4VCI: the protocol's endpoints for wallets (``api``) and the learner's offer page (``pages``)."""
