"""What a person reads while Terraform works: one compact progress line of counts (redrawn in
place on a terminal, repeated every ``interval`` seconds in a CI log), while the full output goes
to a log file; ``verbose`` shows every line as well."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

# Terraform's -json message types, counted in the words of the progress line (the machine-readable
# UI: developer.hashicorp.com/terraform/internals/machine-readable-ui).
_COUNTED = {
    "planned_change": "planned",
    "resource_drift": "drifted",
    "refresh_complete": "refreshed",
    "apply_complete": "done",
    "apply_errored": "failed",
    "read_complete": "read",
}
INTERVAL = 15.0  # seconds between two progress lines in a log that is not a terminal


class Progress:
    """The terminal side of one Terraform command and its log file (appended to)."""

    def __init__(
        self,
        label: str,
        log_path: Path,
        *,
        verbose: bool = False,
        echo: Callable[[str], None] = print,
        stream: TextIO | None = None,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.log_path, self.verbose, self.echo = label, log_path, verbose, echo
        # Redrawn in place only when writing to a terminal ourselves (echo is print).
        self.stream = stream if stream is not None else sys.stdout
        self.interactive = echo is print and self.stream.isatty() and not verbose
        self.interval, self.clock = interval, clock
        self.counts: Counter[str] = Counter()
        self.started = self.last = clock()
        self.drawn = False
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("a", encoding="utf-8")
        self._log.write(f"--- {label}\n")

    def message(self, kind: str, text: str) -> None:
        """One message of Terraform's stream: logged, counted, and shown when verbose."""
        self._log.write(text + "\n")
        if self.verbose:
            self.echo(text)
            return
        if kind in _COUNTED:
            self.counts[_COUNTED[kind]] += 1
        elif kind == "apply_start":
            self.counts["started"] += 1
        else:
            return
        now = self.clock()
        if self.interactive and now - self.last >= 0.1:
            self._draw(now)
        elif not self.interactive and now - self.last >= self.interval:
            self.echo(self.line(now))
            self.last = now

    def log(self, text: str) -> None:
        """Output that only the log keeps (unless verbose)."""
        self._log.write(text.rstrip("\n") + "\n")
        if self.verbose:
            self.echo(text.rstrip("\n"))

    def line(self, now: float | None = None) -> str:
        counts = dict(self.counts)
        started = counts.pop("started", 0)
        if started and "done" in counts:
            counts["in progress"] = max(0, started - counts["done"] - counts.get("failed", 0))
        shown = ", ".join(f"{n} {word}" for word, n in counts.items() if n) or "working"
        seconds = (now if now is not None else self.clock()) - self.started
        return f"{self.label}: {shown} ({seconds:.0f} s)"

    def _draw(self, now: float) -> None:
        self.stream.write("\r\033[K" + self.line(now))
        self.stream.flush()
        self.drawn, self.last = True, now

    def close(self) -> None:
        """The final count line, and where the full output is."""
        self._log.close()
        if self.verbose:
            return
        if self.interactive:
            self.stream.write("\r\033[K")
            self.stream.flush()
        self.echo(f"{self.line()}; full output in {_shown(self.log_path)}")


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
