"""CLI subcommands beyond the core ones; each module registers with `@command` (see app/cli.py)."""
