"""The trust network's tables: accreditations made here, trust anchors, federated registries, the revision."""
