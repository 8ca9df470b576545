"""python -m cairn runs the cairn command."""

from cairn.cli import main

main()
