"""Engine results → traceroute records. Pure: the live run and ``netprobe interpret`` share it.

Each result carries the tag the run gave it (``Result.tag``: role, TTL,
flow, round and planned order, saved with ``--save``); its answer is decoded
by :mod:`replies`. The records are JSON Lines objects:

* ``{"type": "hop", "ttl", "probes": [{"addr", "rtt_ms", "reply"}], "addrs", "mpls",
  "rate_limited"}`` per TTL (``rate_limited``: its answers stopped after a burst
  or came only after a pause, :mod:`ratelimit`), with ``flow`` per probe under
  ``--multipath``, and ``sent``, ``received``, ``loss_pct`` and ``rtt_*_ms``
  statistics over ``--rounds``;
* then ``{"type": "path", "dst", "reached", "hops", ...}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from netprobe.engine.results import Result
from netprobe.engine.runfile import SavedRun
from netprobe.plugins.traceroute.hops import Outcome, assemble, hop_record
from netprobe.plugins.traceroute.plan import TraceOptions
from netprobe.plugins.traceroute.ratelimit import LIMITED, classify
from netprobe.plugins.traceroute.replies import decode_reply
from netprobe.services.packetview import hop_limit, ip_layer

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord, JSONValue
    from netprobe.services.output import Output

PLUGIN = "traceroute"


def _probe_ttl(r: Result) -> int:
    net = ip_layer(r.probe)
    return 0 if net is None else hop_limit(net) or 0


def outcome(r: Result) -> Outcome:
    """What one engine result says, with the run's tag (or the probe's own TTL without one)."""
    # the role is the tag's phase (runs saved before tags were typed: its "role")
    tag = {} if r.tag is None else {"role": r.tag.phase or r.tag.get("role", "hop"),
                                    **r.tag.details}
    ttl = int(tag["ttl"]) if "ttl" in tag else _probe_ttl(r)
    base = {"ttl": ttl, "flow": int(tag.get("flow", 0)), "round": int(tag.get("round", 0)),
            "n": int(tag.get("n", 0)), "role": str(tag.get("role", "hop")),
            "wave": int(tag.get("wave", 0)), "paced": bool(tag.get("paced", False))}
    answer = r.answer
    reply = decode_reply(answer) if answer is not None else None
    if reply is None:
        return Outcome(**base)
    rtt = r.rtt
    return Outcome(**base, addr=reply.addr, kind=reply.kind,
                   rtt_ms=None if rtt is None else round(rtt * 1000.0, 3),
                   reply_ttl=reply.reply_ttl, quoted_ttl=reply.quoted_ttl, mpls=reply.mpls)


def outcomes(results: Iterable[Result]) -> list[Outcome]:
    """:func:`outcome` of every result."""
    return [outcome(r) for r in results]


def records(found: Iterable[Outcome], options: TraceOptions,
            counters: Mapping[str, JSONValue]) -> Iterator[JSONRecord]:
    """The hop records, then the path record."""
    found = list(found)
    path = assemble(found, options.dst, options.first)
    stats = options.rounds > 1
    states = classify(found, options.family, path.end, path.end is not None)
    for hop in path.hops:
        yield hop_record(hop, with_flow=options.multipath, with_stats=stats,
                         rate_limited=states.get(hop.ttl) == LIMITED)
    elapsed = counters.get("elapsed")
    yield {"type": "path", "dst": options.dst, "reached": path.reached,
           "hops": path.hops[-1].ttl if path.hops else 0,
           "target": options.target or options.dst, "family": options.family,
           "method": options.method, "port": options.port, "flow": options.flow,
           "first": options.first, "max_ttl": options.max_ttl,
           "multipath": options.multipath, "confidence": options.confidence,
           "rounds": options.rounds,
           "probes": sum(1 for o in found if o.role == "hop"),
           "answered": sum(1 for o in found if o.role == "hop" and o.answered),
           "elapsed_s": None if elapsed is None else round(float(elapsed), 3)}


def report(saved: SavedRun, overrides: Mapping[str, JSONValue] | None = None
           ) -> Iterator[JSONRecord]:
    """The records of a saved run (``overrides`` replace saved interpretation options)."""
    options = TraceOptions.from_dict({**saved.options, **dict(overrides or {})})
    yield from records(outcomes(saved.results), options, saved.counters)


def render(records: Iterable[Mapping[str, JSONValue]], output: Output) -> None:
    """Write the records for a terminal: traceroute(8)'s lines, or mtr's table over rounds.

    Everything it needs is in the records (the path record repeats the options
    that shape the output), so ``netprobe interpret`` shows what the live run did.
    """
    from netprobe.plugins.traceroute.render import rounds_view, text_lines

    records = list(records)
    path = next((r for r in records if r.get("type") == "path"), None)
    if path is None:
        return
    names = TraceOptions._fields
    options = TraceOptions.from_dict({k: v for k, v in path.items() if k in names})
    if options.rounds > 1:
        output.console.print(rounds_view(records, options))
    else:
        output.lines(text_lines(records, options))
