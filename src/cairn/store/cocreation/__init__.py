"""Draft definitions shared for comments, and the comments."""
