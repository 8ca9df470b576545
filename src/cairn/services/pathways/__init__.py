"""Stackable pathways: definitions, learner progress, composite claims and their verification."""
