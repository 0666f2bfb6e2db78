"""specgen: Apifox exports -> endpoint registry -> client, docs and contract tests."""

__version__ = "0.1.0"
