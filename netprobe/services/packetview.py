"""How one packet is shown by ``read``, ``sniff`` and ``craft``: pure functions.

``packet_line`` gives a tcpdump-like summary; ``packet_record`` the JSON object
documented in the README (``type: "packet"``, ``n``, ``ts``, ``len``, ``caplen``,
``linktype``, ``layers``, ``errors``); ``probe_record`` the one probe record of
``craft --sr`` and ``interpret --as sr`` (netprobe/schemas/records.json).

``ts`` is a number of seconds since the epoch (microseconds kept; a file's
nanoseconds are rounded to what a JSON number carries).
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from netprobe.packet.layer import Layer

if TYPE_CHECKING:
    from netprobe.engine.results import Result
    from netprobe.services.json_value import JSONRecord

_NET = ("IP", "IPv6")
_PORTS = ("TCP", "UDP")
_FILLER = ("Raw", "Padding")


def ip_layer(pkt: Layer) -> Layer | None:
    """The packet's outermost IP or IPv6 layer (an ICMP error's quote is inside it)."""
    return next((x for x in pkt.chain() if type(x).__name__ in _NET), None)


def hop_limit(net: Layer) -> int | None:
    """An IP layer's TTL or an IPv6 layer's hop limit (None when unset)."""
    value = net.ttl if type(net).__name__ == "IP" else net.hlim
    return None if value is None else int(value)


def _between(name: str) -> bool:
    """A layer between the network header and the transport: not what a line shows."""
    return name in _FILLER or name.startswith("IPv6ExtHdr") or name == "AH"


def _seconds(ts: str | float | None) -> float | None:
    # the double nearest the exact time, not rounded further: a nanosecond capture keeps
    # all that a JSON number can hold (about a quarter of a microsecond today)
    return None if ts is None else float(ts)


def packet_record(n: int, ts: str | float | None, wirelen: int, caplen: int, linktype: int,
                  pkt: Layer) -> JSONRecord:
    """The JSON object for one packet (``ts``: seconds, as a number or its text)."""
    return {"type": "packet", "n": n, "ts": _seconds(ts), "len": wirelen, "caplen": caplen,
            "linktype": linktype, "layers": pkt.to_dicts(), "errors": pkt.errors}


def packet_fields(data: bytes, linktype: int, ts: float | None, with_hex: bool = True,
                  layer: Layer | None = None) -> JSONRecord:
    """One packet inside a probe record: a packet record without ``type`` and ``n``."""
    from netprobe.packet.dissect import dissect

    pkt = layer if layer is not None else dissect(data, linktype)
    rec = packet_record(0, ts, len(data), len(data), linktype, pkt)
    del rec["type"], rec["n"]
    if with_hex:
        rec["hex"] = data.hex()
    return rec


def probe_record(n: int | None, result: Result, with_hex: bool = True) -> JSONRecord:
    """``{"type": "probe", "n", "sent", "answer", "rtt_ms", "sends"}`` for one engine
    result (``sent``/``answer``: :func:`packet_fields`; ``answer`` null when none came)."""
    rtt = result.rtt
    return {
        "type": "probe", "n": n,
        "sent": packet_fields(result.probe_bytes, result.probe_linktype, result.sent, with_hex),
        "answer": None if result.answer_bytes is None else packet_fields(
            result.answer_bytes, result.answer_linktype, result.received, with_hex),
        "rtt_ms": None if rtt is None else round(rtt * 1000, 3),
        "sends": result.sends,
    }


def packet_text(pkt: Layer) -> str:
    """A one-line description of what the packet is, tcpdump style."""
    layers = pkt.chain()
    net = next((x for x in layers if type(x).__name__ in _NET), None)
    top = None
    if net is not None:
        after = layers[layers.index(net) + 1:]
        top = next((x for x in after if not _between(type(x).__name__)), None)
        if top is None:  # only extension headers: show the first of them
            top = next((x for x in after if type(x).__name__ not in _FILLER), None)
    if net is None:
        inner = [x for x in layers if type(x).__name__ not in _FILLER]
        parts = [x.summary_part() for x in inner[-2:]] or [pkt.summary_part()]
        return " / ".join(parts)
    src, dst = net.src, net.dst
    kind = type(net).__name__
    if top is not None and type(top).__name__ in _PORTS:
        if kind == "IPv6":  # brackets, or the port would read as part of the address
            src, dst = f"[{src}]", f"[{dst}]"
        text = f"{kind} {src}:{top.sport} > {dst}:{top.dport} {type(top).__name__}"
        if type(top).__name__ == "TCP":
            text += f" [{top.flags}] seq={top.seq}"
            if top.flags & 0x10:
                text += f" ack={top.ack}"
        rest = top._payload
        while rest is not None and type(rest).__name__ in _FILLER:
            rest = rest._payload
        if rest is not None:
            text += " " + rest.summary_part()
        return text
    text = f"{kind} {src} > {dst}"
    if top is not None:
        text += " " + top.summary_part()
    return text


def packet_line(n: int, ts: str | None, wirelen: int, pkt: Layer, link: bool = False,
                piece: tuple[int, int] | None = None) -> str:
    """``n ts description length N`` plus any dissection problems.

    ``ts`` ``""`` leaves the time out (``-t``); ``link`` starts the description
    with the link-level header (``-e``). ``piece`` ``(k, K)``, index from 0, marks
    one of K > 1 fragments of a packet with ``[fragment k+1/K]`` instead.
    """
    head = f"{n} " if ts == "" else f"{n} {ts or '-'} "
    if link:
        head += link_header_text(pkt, wirelen)
    line = f"{head}{packet_text(pkt)} length {wirelen}"
    if piece is not None and piece[1] > 1:
        # a piece's upper layer is cut short by design: its length notes would be noise
        return line + f" [fragment {piece[0] + 1}/{piece[1]}]"
    errs = pkt.errors
    if errs:
        line += "  [" + "; ".join(errs) + "]"
    return line


# -- tcpdump's habits: time stamps (-t .. -ttttt), the link header (-e), hex (-X, -XX) --

_LINK_NAMES = ("Ether", "Dot3", "Dot1Q", "Dot1AD", "CookedLinux", "CookedLinuxV2",
               "Loopback", "Null", "PPPoE", "PPPoED", "PPP", "LLC", "SNAP")
_NETWORK_NAMES = ("IP", "IPv6", "ARP")


def _clock(seconds: int) -> str:
    """HH:MM:SS of a delta; as tcpdump, whole days are dropped (a clock, not a count)."""
    hours, rest = divmod(seconds % 86400, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def time_stamp(ts_ns: int, mode: int, previous_ns: int | None, first_ns: int | None) -> str:
    """The time column as tcpdump prints it for ``-t`` given ``mode`` times (microseconds).

    0: ``22:45:17.270862`` (local time of day, the default); 1: nothing;
    2: ``1369953917.270862``; 3: delta since the previous packet
    ``00:00:00.005783``; 4: ``2013-05-30 22:45:17.270862``; 5: delta since the
    first packet. Times are cut to microseconds, as tcpdump prints them.
    """
    micros = ts_ns // 1000
    seconds, frac = divmod(micros, 1_000_000)
    if mode == 1:
        return ""
    if mode == 2:
        return f"{seconds}.{frac:06d}"
    if mode in (3, 5):
        base = previous_ns if mode == 3 else first_ns
        delta = max(0, micros - (ts_ns if base is None else base) // 1000)
        whole, part = divmod(delta, 1_000_000)
        return f"{_clock(whole)}.{part:06d}"
    return f"{_local_clock(seconds, mode >= 4)}.{frac:06d}"


@functools.lru_cache(maxsize=4)
def _local_clock(seconds: int, with_date: bool) -> str:
    """``HH:MM:SS`` (after ``YYYY-MM-DD `` with the date) of local time; packets in
    the same second share one call to the C library."""
    local = time.localtime(seconds)
    day = time.strftime("%Y-%m-%d ", local) if with_date else ""
    return f"{day}{local.tm_hour:02d}:{local.tm_min:02d}:{local.tm_sec:02d}"


def link_header_length(pkt: Layer, data: bytes) -> int:
    """Bytes of ``data`` before the network header (what ``-X`` leaves out)."""
    layers = pkt.chain()
    for layer in layers:
        if type(layer).__name__ in _NETWORK_NAMES:
            try:
                return max(0, len(data) - len(layer.build()))
            except Exception:  # a layer that cannot build again: show everything
                return 0
        if type(layer).__name__ not in _LINK_NAMES:
            break
    return 0


def link_header_text(pkt: Layer, wirelen: int) -> str:
    """What ``-e`` puts before the description: tcpdump's link-level header."""
    if type(pkt).__name__ == "Ether":
        above = pkt._payload
        kind = "Unknown" if above is None else type(above).__name__
        kind = {"IP": "IPv4", "Dot1Q": "802.1Q"}.get(kind, kind)
        return (f"{pkt.src} > {pkt.dst}, ethertype {kind} (0x{pkt.type:04x}), "
                f"length {wirelen}: ")
    if type(pkt).__name__ == "Dot3":  # tcpdump gives the 802.3 length field
        return f"{pkt.src} > {pkt.dst}, 802.3, length {pkt.len}: "
    return f"{pkt.summary_part()}, length {wirelen}: "


def hex_lines(data: bytes) -> list[str]:
    """tcpdump's ``-X`` dump: offset, 16 bytes as 2-byte groups, then their ASCII."""
    lines = []
    for start in range(0, len(data), 16):
        chunk = data[start:start + 16]
        groups = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        text = "".join(chr(b) if 0x20 < b < 0x7F else "." for b in chunk)  # no space
        lines.append(f"\t0x{start:04x}:  {groups:<39}  {text}")
    return lines
