"""How one packet is shown by ``read``, ``sniff`` and ``craft``: pure functions.

``packet_line`` gives a tcpdump-like summary; ``packet_record`` the JSON object
documented in the README (``n``, ``ts``, ``len``, ``caplen``, ``linktype``,
``layers``, ``errors``).
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer

_NET = ("IP", "IPv6")
_PORTS = ("TCP", "UDP")
_FILLER = ("Raw", "Padding")


def _between(name: str) -> bool:
    """A layer between the network header and the transport: not what a line shows."""
    return name in _FILLER or name.startswith("IPv6ExtHdr") or name == "AH"


def packet_record(n: int, ts: str | None, wirelen: int, caplen: int, linktype: int,
                  pkt: Layer) -> dict[str, Any]:
    """The JSON object for one packet."""
    return {"n": n, "ts": ts, "len": wirelen, "caplen": caplen, "linktype": linktype,
            "layers": pkt.to_dicts(), "errors": pkt.errors}


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
        inner = [x for x in layers if type(x).__name__ not in ("Raw", "Padding")]
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
        while rest is not None and type(rest).__name__ in ("Raw", "Padding"):
            rest = rest._payload
        if rest is not None:
            text += " " + rest.summary_part()
        return text
    text = f"{kind} {src} > {dst}"
    if top is not None:
        text += " " + top.summary_part()
    return text


def packet_line(n: int, ts: str | None, wirelen: int, pkt: Layer) -> str:
    """``n ts description length N`` plus any dissection problems."""
    line = f"{n} {ts or '-'} {packet_text(pkt)} length {wirelen}"
    errs = pkt.errors
    if errs:
        line += "  [" + "; ".join(errs) + "]"
    return line
