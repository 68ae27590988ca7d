"""The `chute` command-line client: the page's upload protocol, from a terminal."""

__version__ = "0.1.0"
