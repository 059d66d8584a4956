"""A probing run saved as pcapng, and read back: "probe once, interpret many".

The file is an ordinary capture (tshark and Wireshark open it): every probe at
its send time and every answer at its receive time, on one interface per link
type. A netprobe custom block (``NETPROBE_PEN``) written before the packets
describes the run: the subcommand, its arguments and interpretation options,
netprobe's version, the engine's counters, and the pairing of each probe with
its answer (packet indexes, exact float times, number of sends and the
:class:`~netprobe.engine.results.Tag` a plugin gave the result, e.g. the scan
phase). Reading it back gives the same :class:`Result` stream the live run had,
so a plugin's interpretation, a pure function of results and options, prints
the same thing again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from netprobe.engine.results import Counters, Result, Tag
from netprobe.errors import CaptureFileError
from netprobe.version import package_version

#: the ``kind`` of the metadata block; bumped when the layout changes incompatibly
FORMAT = "netprobe-run/1"


class SavedRun:
    """A run read back from a file (or about to be written to one); ``packets`` holds
    every packet of a file without netprobe's metadata, as (data, linktype, time).
    (A plain class: a dataclass costs every probing command about 1 ms to make.)"""

    def __init__(self, plugin: str | None, argv: list[str] | None = None,
                 options: dict[str, Any] | None = None,
                 counters: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None, version: str = "",
                 results: list[Result] | None = None,
                 packets: list[tuple[bytes, int, float]] | None = None) -> None:
        self.plugin = plugin
        self.argv: list[str] = argv if argv is not None else []
        self.options: dict[str, Any] = options if options is not None else {}
        self.counters: dict[str, Any] = counters if counters is not None else {}
        self.extra: dict[str, Any] = extra if extra is not None else {}
        self.version = version
        self.results: list[Result] = results if results is not None else []
        self.packets: list[tuple[bytes, int, float]] = packets if packets is not None else []

    def __repr__(self) -> str:
        return (f"SavedRun(plugin={self.plugin!r}, argv={self.argv!r}, "
                f"results={len(self.results)}, packets={len(self.packets)})")

    @property
    def has_metadata(self) -> bool:
        """True for a file netprobe wrote with ``--save``."""
        return self.plugin is not None


def _tag(tag: Tag | None) -> Any:
    """A result's tag as JSON keeps it (None when its details are not JSON values)."""
    if tag is None:
        return None
    value = tag.to_json()
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return None
    return value


def save_run(path: str, results: Iterable[Result], *, plugin: str, argv: list[str],
             options: Mapping[str, Any] | None = None,
             counters: Counters | Mapping[str, Any] | None = None,
             extra: Mapping[str, Any] | None = None) -> None:
    """Write ``results`` (answered and unanswered) and the run's description to ``path``.

    ``options`` are the interpretation options a later ``netprobe interpret``
    needs (JSON values); ``extra`` anything else the plugin wants back (JSON
    values). Each result's ``tag``, when its details are JSON values, is kept.
    The file appears complete or not at all.
    """
    from netprobe.wire.pcapfile import NETPROBE_PEN, PcapngWriter

    results = list(results)
    counter_dict = (counters.to_dict() if isinstance(counters, Counters)
                    else dict(counters or {}))
    # packets in time order; each remembers which result and which side it is
    events: list[tuple[float, int, int]] = []  # (time, result index, 0 probe / 1 answer)
    for i, r in enumerate(results):
        events.append((r.sent, i, 0))
        if r.answer_bytes is not None and r.received is not None:
            events.append((r.received, i, 1))
    events.sort()
    index: dict[tuple[int, int], int] = {(i, side): n for n, (_, i, side) in enumerate(events)}
    pairs = []
    for i, r in enumerate(results):
        pairs.append([index[(i, 0)], index.get((i, 1), -1), r.sends, r.sent, r.received,
                      _tag(r.tag)])
    meta = {"kind": FORMAT, "plugin": plugin, "argv": list(argv),
            "options": dict(options or {}), "counters": counter_dict,
            "extra": dict(extra or {}), "version": package_version(), "pairs": pairs}
    comment = f"netprobe {plugin} run: " + " ".join(argv)
    with PcapngWriter(path, comment=comment[:1000]) as w:
        ifaces: dict[int, int] = {}
        for lt in sorted({r.probe_linktype for r in results}
                         | {r.answer_linktype for r in results if r.answer_bytes is not None}):
            ifaces[lt] = w.add_interface(lt, tsresol=9)
        w.write_custom_block(NETPROBE_PEN, json.dumps(meta, separators=(",", ":")).encode())
        for ts, i, side in events:
            r = results[i]
            if side == 0:
                data, lt = r.probe_bytes, r.probe_linktype
            else:
                data, lt = r.answer_bytes, r.answer_linktype  # type: ignore[assignment]
            ns = round(ts * 1e9)
            w.write(data, ns // 10**9, ns % 10**9, 10**9, ifindex=ifaces[lt])


def _metadata(reader: Any) -> dict[str, Any] | None:
    from netprobe.wire.pcapfile import NETPROBE_PEN

    for block in reader.custom_blocks:
        if block.pen != NETPROBE_PEN:
            continue
        try:
            meta = json.loads(bytes(block.data).rstrip(b"\0"))
        except ValueError:
            continue
        if isinstance(meta, dict) and meta.get("kind") == FORMAT:
            return meta
    return None


def load_run(path: str) -> SavedRun:
    """Read a file written by :func:`save_run`, or any capture (then ``plugin`` is None).

    Damage raises :class:`CaptureFileError` with the file offset; a saved run
    whose packets do not match its own pairing table is damaged too (nothing
    is invented to fill the gap).
    """
    from netprobe.wire.pcapfile import open_capture

    packets: list[tuple[bytes, int, float]] = []
    with open_capture(path) as reader:
        for rec in reader:
            packets.append((bytes(rec.data), rec.linktype,
                            rec.ts_sec + rec.ts_frac / rec.ts_units))
        meta = _metadata(reader)
    if meta is None:
        return SavedRun(plugin=None, packets=packets)
    run = SavedRun(plugin=str(meta.get("plugin")), argv=list(meta.get("argv") or []),
                   options=dict(meta.get("options") or {}),
                   counters=dict(meta.get("counters") or {}),
                   extra=dict(meta.get("extra") or {}), version=str(meta.get("version", "")))
    for n, pair in enumerate(meta.get("pairs") or []):
        try:
            p_idx, a_idx, sends, sent, received, tag = pair
            probe_data, probe_lt, _ = packets[p_idx]
            answer = packets[a_idx] if a_idx >= 0 else None
        except (ValueError, TypeError, IndexError):
            raise CaptureFileError(path, None, f"saved run is incomplete: result {n} refers "
                                   f"to packets the file does not hold "
                                   f"({len(packets)} packets read)") from None
        r = Result(probe_data, probe_lt, float(sent), int(sends),
                   answer_bytes=None if answer is None else answer[0],
                   answer_linktype=1 if answer is None else answer[1],
                   received=None if received is None else float(received))
        r.tag = Tag.from_json(tag)
        run.results.append(r)
    run.packets = packets
    return run
