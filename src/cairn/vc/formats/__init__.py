"""Credential formats read besides W3C VCs: Open Badges 2.0 (``ob2``, ``ob2_documents``, ``ob2_signed``),
European Digital Credentials with SHACL shapes and JAdES seals (``elm``, ``elm_shacl``, ``jades``) and baked
images and PDFs (``baking``). :mod:`cairn.vc.intake` registers them."""
