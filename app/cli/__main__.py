"""`python -m app.cli …` runs the `grants` command."""

from app.cli import main

main()
