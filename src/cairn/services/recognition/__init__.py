"""Recognition of micro-credentials: institutions' courses and rules, applications, review, decision credentials."""
