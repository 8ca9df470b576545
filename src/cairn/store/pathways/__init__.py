"""Storage of stackable pathways."""
