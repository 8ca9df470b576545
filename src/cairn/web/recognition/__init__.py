"""Recognition of micro-credentials for people: the public course and rules pages, the learner's applications in the
wallet and the institution's review queue."""
