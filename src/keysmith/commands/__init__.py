"""Subcommands of the `keysmith` CLI, one module each."""
