"""One status line on stderr while a long run works: only on a terminal, only after a second,
never with -q. A single line rewritten in place needs no library (rich would cost more to
import than most runs take)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

DELAY = 1.0  # seconds before anything is shown: short runs stay silent


class Progress:
    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = False
        self.phase = ""

    @classmethod
    def for_terminal(cls, quiet: bool) -> Progress:
        stream = sys.stderr
        return cls(not quiet and stream.isatty(), stream)

    def step(
        self, phase: str, done: int | None = None, total: int | None = None
    ) -> None:
        """Report the current phase (and how far it is, when counted)."""
        self.phase = phase
        if not self.enabled or time.monotonic() - self.started < DELAY:
            return
        count = f" {done}/{total}" if done is not None and total else ""
        self.stream.write(f"\r\x1b[Kspecgen: {phase}{count}")
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        """Clear the line, so the summary that follows starts on a clean one."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


SILENT = Progress(False)
