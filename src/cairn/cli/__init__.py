"""The ``cairn`` command: ``main`` (serve, catalog, db, settings and the groups below), ``accounts``,
``issuing``, ``vc``, ``esco``, ``skills``; ``common`` holds shared options."""
