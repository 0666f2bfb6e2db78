"""The bounds on the work one run may do: `[tool.specgen.limits]`, enforced by readers.guard.

A module of its own, free of imports, so that reading the configuration (which every command
does, `check`'s fast path included) never loads the readers.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    max_input_bytes: int = 20_000_000  # one input file
    max_depth: int = 64  # nested JSON/YAML containers (a schema level is about two)
    max_yaml_nodes: int = 1_000_000  # YAML nodes after alias expansion
    max_output_bytes: int = 200_000_000  # everything one run writes
    # digits of one integer literal: uint64 ids (20 digits) and uint128 (39) fit; a 5,000-digit
    # number is refused (Python itself will not convert more than 4,300 digits)
    max_integer_digits: int = 40

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]
