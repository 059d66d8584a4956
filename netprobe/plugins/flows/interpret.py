"""Conversation tables into records: pure functions, no I/O.

One ``{"type": "flow", ...}`` record per conversation, biggest first, then
one ``{"type": "summary", ...}``::

    {"type": "flow", "proto": "tcp", "a": "198.18.0.1", "a_port": 40000,
     "b": "198.19.0.1", "b_port": 443, "packets": 12, "bytes": 9000,
     "a_to_b": {"packets": 6, "bytes": 700}, "b_to_a": {"packets": 6, "bytes": 8300},
     "ts": 1704067200.123456, "duration_s": 0.25,
     "community_id": "1:...", "state": "SF"}

``a`` is the sender of the conversation's first packet; bytes are frame
lengths on the wire; ``start`` is the first packet's time in seconds since
the epoch and ``duration`` runs to the last packet. Port-less protocols
(ICMP, GRE, ...) have ``a_port``/``b_port`` null.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from netprobe.npimport import np
from netprobe.plugins.flows.community_id import community_id
from netprobe.plugins.flows.conn_state import conn_state
from netprobe.plugins.flows.flow_table import FlowTable

#: names of IP protocols in records (others are shown as their number)
PROTOCOL_NAMES = {
    1: "icmp", 2: "igmp", 4: "ipip", 6: "tcp", 17: "udp", 41: "ipv6", 46: "rsvp", 47: "gre",
    50: "esp", 51: "ah", 58: "icmpv6", 59: "ipv6-nonxt", 88: "eigrp", 89: "ospf", 103: "pim",
    112: "vrrp", 132: "sctp", 136: "udplite",
}


@dataclass(frozen=True)
class Options:
    """How to present a table: how many flows, in which order."""

    top: int = 10
    by: str = "bytes"


def ranking(table: FlowTable, by: str) -> np.ndarray:
    """Conversation indices, the largest first by ``by`` (ties: earlier first)."""
    n = table.n
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pk = table.column("pk_lo") + table.column("pk_hi")
    by_ = table.column("by_lo") + table.column("by_hi")
    dur = table.column("tmax") - table.column("tmin")
    primary = {"bytes": by_, "packets": pk, "duration": dur}[by]
    secondary = {"bytes": pk, "packets": by_, "duration": by_}[by]
    return np.lexsort((np.arange(n), table.column("tmin"), -secondary, -primary))


def selected(table: FlowTable, options: Options) -> np.ndarray:
    """The conversations shown: the top N of the ranking (all with ``top == 0``)."""
    order = ranking(table, options.by)
    return order if options.top == 0 else order[: options.top]


def flow_records(table: FlowTable, options: Options) -> Iterator[dict]:
    """The records of the conversations shown, in order."""
    return _records(table, selected(table, options))


def _records(table: FlowTable, idx: np.ndarray) -> Iterator[dict]:
    # columns are taken once for all the flows shown, then walked as Python values
    col = {name: table.cols[name].take(idx, axis=0) for name in _USED}
    lo_words = col["lo"].astype(">u8").tobytes()
    hi_words = col["hi"].astype(">u8").tobytes()
    values = zip(*(col[name].tolist() for name in _SCALARS))
    for k, row in enumerate(values):
        c = dict(zip(_SCALARS, row))
        ver, proto = c["ver"], c["proto"]
        lo, lo_text = _address(ver, lo_words[16 * k:16 * k + 16])
        hi, hi_text = _address(ver, hi_words[16 * k:16 * k + 16])
        lo_port = None if c["lo_port"] < 0 else c["lo_port"]
        hi_port = None if c["hi_port"] < 0 else c["hi_port"]
        # each end: address, port, text, what it sent (packets, bytes), its TCP bits, payload
        end_lo = (lo, lo_port, lo_text, {"packets": c["pk_lo"], "bytes": c["by_lo"]},
                  c["bits_lo"], c["pay_lo"])
        end_hi = (hi, hi_port, hi_text, {"packets": c["pk_hi"], "bytes": c["by_hi"]},
                  c["bits_hi"], c["pay_hi"])
        (a, a_port, a_text, ab, bits_a, pay_a), (b, b_port, b_text, ba, bits_b, pay_b) = (
            (end_lo, end_hi) if c["a_is_lo"] else (end_hi, end_lo))
        if proto in (1, 58):
            icmp = c["icmp"]
            # the ID of an ICMP conversation is that of its first message
            cid = community_id(proto, a, b,
                               *((icmp >> 8, icmp & 0xFF) if icmp >= 0 else (None, None)))
        else:
            cid = community_id(proto, a, b, a_port, b_port)
        yield {
            "type": "flow",
            "proto": PROTOCOL_NAMES.get(proto, str(proto)),
            "a": a_text,
            "a_port": a_port,
            "b": b_text,
            "b_port": b_port,
            "packets": ab["packets"] + ba["packets"],
            "bytes": ab["bytes"] + ba["bytes"],
            "a_to_b": ab,
            "b_to_a": ba,
            "ts": c["tmin"] / 1e9,
            "duration_s": (c["tmax"] - c["tmin"]) / 1e9,
            "community_id": cid,
            "state": conn_state(proto, bits_a, bits_b, ab["packets"], ba["packets"], pay_a,
                                pay_b),
        }


_SCALARS = ("ver", "proto", "lo_port", "hi_port", "a_is_lo", "pk_lo", "by_lo", "pk_hi",
            "by_hi", "bits_lo", "bits_hi", "pay_lo", "pay_hi", "icmp", "tmin", "tmax")
_USED = (*_SCALARS, "lo", "hi")


def summary_record(table: FlowTable, options: Options) -> dict:
    """What the table holds in all: packets, bytes, flows, the top N's share, the rest."""
    t = table.totals
    shown = selected(table, options)
    flow_bytes = table.column("by_lo") + table.column("by_hi")
    flow_pkts = table.column("pk_lo") + table.column("pk_hi")
    top_bytes = int(flow_bytes[shown].sum()) if len(shown) else 0
    top_pkts = int(flow_pkts[shown].sum()) if len(shown) else 0
    # a tunnelled packet counts in each of its conversations (as tshark's): shares are of
    # what the flows hold, which can be more than the capture's own bytes
    all_bytes = int(flow_bytes.sum())
    all_pkts = int(flow_pkts.sum())
    span = (t.tmax - t.tmin) / 1e9 if t.tmin is not None and t.tmax is not None else 0.0
    no_flow = dict(sorted(t.no_flow.items()))
    return {
        "type": "summary",
        "packets": t.packets,
        "bytes": t.bytes,
        "flows": table.n,
        "top": len(shown),
        "by": options.by,
        "flow_bytes": all_bytes,
        "flow_packets": all_pkts,
        "top_bytes_share": _share(top_bytes, all_bytes),
        "top_packets_share": _share(top_pkts, all_pkts),
        "ts": None if t.first_ts is None else t.first_ts / 1e9,
        "duration_s": span,
        "no_flow_packets": sum(no_flow.values()),
        "no_flow": no_flow,
    }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _address(ver: int, packed: bytes) -> tuple[bytes, str]:
    """An address as the Community ID hashes it (4 or 16 bytes) and as text."""
    if ver == 4:
        v4 = packed[12:]
        return v4, socket.inet_ntop(socket.AF_INET, v4)
    return packed, str(ipaddress.IPv6Address(packed))
