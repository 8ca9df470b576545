"""The trust network on the web: registry pages for operators and administrators (:mod:`.registry`), and what
registries publish for anyone, without sign-in: signed trust lists, the lookup API and the DCC and EBSI
formats (:mod:`.publication`, :mod:`.ebsi`)."""
