"""Background work on a queue (procrastinate): the wrapper services use, and the tasks Cairn registers."""
