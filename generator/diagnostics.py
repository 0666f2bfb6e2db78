"""Problems found in the inputs, reported with the file, the line and what was expected."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Diagnostic:
    level: str  # "error" or "warning"
    file: str
    line: int | None
    message: str
    pointer: str = ""  # JSON pointer inside the file's data, where one applies

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        at = f" (at {self.pointer})" if self.pointer else ""
        return _one_line(f"{where}: {self.level}: {self.message}{at}")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _one_line(text: str) -> str:
    """Spec text inside a message cannot break the line or drive the terminal: line breaks,
    escape sequences and bidi overrides are shown as escapes."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


class SpecError(Exception):
    """One or more errors that stop generation; nothing is written."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


@dataclass
class Report:
    """Collects warnings while a run goes on; errors are raised as SpecError at once."""

    warnings: list[Diagnostic] = field(default_factory=list)

    def warn(
        self, file: str, line: int | None, message: str, pointer: str = ""
    ) -> None:
        self.warnings.append(Diagnostic("warning", file, line, message, pointer))


def fail(file: str, line: int | None, message: str, pointer: str = "") -> SpecError:
    return SpecError([Diagnostic("error", file, line, message, pointer)])
