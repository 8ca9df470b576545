"""The demo catalogue: example organisations and micro-credentials shipped with Cairn."""
