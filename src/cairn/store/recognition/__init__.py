"""Courses, recognition rules and recognition applications."""
