"""Credential formats: Open Badges 3.0 (and later OB 2.0, ELM, CLR, baking)."""
