"""Catalogue pages and API (``pages``, ``api``) and the definition editor (``editor``, ``editor_form``,
``editor_help``, ``views``)."""
