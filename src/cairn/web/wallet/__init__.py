"""The learner's wallet pages (``pages``) and shared credentials and public profiles (``share``)."""
