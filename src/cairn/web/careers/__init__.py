"""Skills, occupations and job-ad pages and their JSON API."""
