"""Skills and careers: the ESCO release in the store (``esco``) and suggestions, profiles, occupations,
next steps and job ads over it (``service``)."""
