"""cairn.services.careers."""
