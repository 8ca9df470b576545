"""The trust network on the web: registries' signed trust lists (``lists``, public) and the administrators' page
of federated registries (``federation``)."""
