"""cairn.web.careers."""
