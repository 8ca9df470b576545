"""The catalogue: importing catalogue files (``service``) and editing definitions in the browser
(``editing``), versioned and audited."""
