"""Policy analytics (issue 18): indicators over a snapshot of the production data, released with privacy."""
