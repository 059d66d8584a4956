"""``craft --sr`` results as records: one per probe with its answer, then a summary.

Pure functions of the results (each tagged in ``Result.tag`` with its probe
number and fragment place) and the run's counters, so that ``netprobe
interpret RUN.pcapng`` prints from a saved run exactly what the live run printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from netprobe.engine.results import Result
from netprobe.engine.runfile import SavedRun
from netprobe.plugins.craft.render import render

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord, JSONValue

__all__ = ["DEFAULT_OPTIONS", "probe_record", "render", "report", "summary_record"]

#: interpretation options and their defaults
DEFAULT_OPTIONS: JSONRecord = {"hex": True}


def options_of(saved: Mapping[str, JSONValue], overrides: Mapping[str, JSONValue] | None
               ) -> JSONRecord:
    """The saved options with ``overrides`` on top (unknown keys are kept, harmless)."""
    return {**DEFAULT_OPTIONS, **dict(saved), **dict(overrides or {})}


def tag_of(result: Result) -> JSONRecord:
    """The result's tag details (probe number, fragment place), or none."""
    return {} if result.tag is None else dict(result.tag.details)


def is_shown(result: Result) -> bool:
    """True for the results that get a record: probes that are not later fragments."""
    return not tag_of(result).get("frag")


def probe_record(result: Result, options: Mapping[str, JSONValue]) -> JSONRecord:
    """``{"type": "probe", "n", "sent", "answer", "rtt_ms", "sends"}`` for one probe.

    A probe sent as fragments shows its first fragment (the one its answer is
    matched to) and ``"fragments"``: how many there were.
    """
    from netprobe.services.packetview import probe_record as shared_probe_record

    tag = tag_of(result)
    rec = shared_probe_record(tag.get("n"), result, bool(options.get("hex", True)))
    if tag.get("frags", 1) > 1:
        rec["fragments"] = tag["frags"]
    return rec


def summary_record(results: Iterable[Result], counters: Mapping[str, JSONValue]) -> JSONRecord:
    """``{"type": "summary", ...}``: probes, answered, unanswered, packets sent, time."""
    shown = [r for r in results if is_shown(r)]
    answered = sum(r.answer_bytes is not None for r in shown)
    elapsed = counters.get("elapsed")
    return {"type": "summary", "probes": len(shown), "answered": answered,
            "unanswered": len(shown) - answered, "packets_sent": counters.get("sent", 0),
            "retries": counters.get("retries", 0),
            "elapsed_s": None if elapsed is None else round(float(elapsed), 3)}


def report(saved: SavedRun, overrides: Mapping[str, JSONValue] | None) -> Iterator[JSONRecord]:
    """The JSON Lines records of a ``craft --sr`` run, live or read back from ``--save``."""
    options = options_of(saved.options, overrides)
    for result in saved.results:
        if is_shown(result):
            yield probe_record(result, options)
    yield summary_record(saved.results, saved.counters)
