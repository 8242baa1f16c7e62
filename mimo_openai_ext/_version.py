"""The package version, in one place (the package and the CLI both read it)."""

__version__ = "0.1.0.dev0"
