"""specgen: Apifox exports -> endpoint registry -> client, docs and contract tests."""
