"""The trust network on the web: registry pages for operators and administrators (:mod:`.registry`), the
administrators' page of federated registries (:mod:`.federation`), and what registries publish for anyone,
without sign-in: signed trust lists (:mod:`.lists`), the lookup API and the DCC and EBSI formats
(:mod:`.publication`, :mod:`.ebsi`)."""
