"""Policy analytics for people and programs: each audience's dashboard, downloads and the open-data API."""
