"""`python -m keysmith.cli`: the same as the `keysmith` command."""

from keysmith.cli import console

console()
