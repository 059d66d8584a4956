"""``--rounds`` on a terminal: mtr's table drawn again after every round (rich ``Live``).

Only on a terminal: piped or with ``--json`` the records come once, at the
end, one per hop. The frames are :func:`render.rounds_view` of the records
the rounds so far give; the last frame, left on the screen, is the table
``netprobe interpret`` prints for the saved run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from netprobe.plugins.traceroute.plan import TraceOptions

if TYPE_CHECKING:
    from rich.console import Console

    from netprobe.plugins.traceroute.run import TraceRun
    from netprobe.services.json_value import JSONValue
    from netprobe.services.output import Output


def wanted(options: TraceOptions, output: Output) -> bool:
    """True when the rounds of this trace are shown live: several rounds, a table (not
    JSON) and standard output a terminal that can redraw."""
    if options.rounds < 2 or output.json or os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(output.stdout.isatty())
    except (AttributeError, ValueError):
        return False


class LiveRounds:
    """The live table of one ``--rounds`` trace on ``console`` (a rich Console)."""

    def __init__(self, console: Console, options: TraceOptions) -> None:
        from rich.live import Live

        self.options = options
        # redrawn when a round is done, not on a timer: nothing changes in between
        self.live = Live(console=console, auto_refresh=False, transient=False)
        self.started = False

    def round_done(self, run: TraceRun, done: int) -> None:
        """``Tracer``'s ``on_round``: draw the table of the rounds so far."""
        from netprobe.plugins.traceroute.interpret import records

        self.show(list(records(run.outcomes, self.options, {})), done)

    def show(self, records: Sequence[Mapping[str, JSONValue]], done: int | None = None) -> None:
        """Draw ``records`` (``done``: rounds so far; None for the finished trace)."""
        from netprobe.plugins.traceroute.render import rounds_view

        if not self.started:
            self.live.start()
            self.started = True
        self.live.update(rounds_view(records, self.options, done), refresh=True)

    def close(self) -> None:
        """Stop redrawing; the last frame stays on the screen."""
        if self.started:
            self.live.stop()
            self.started = False


__all__ = ["LiveRounds", "wanted"]
