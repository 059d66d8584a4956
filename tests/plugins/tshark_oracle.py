"""tshark as an oracle: run it on a capture and turn its JSON tree into protocol nodes.

Everything is produced at test time from the file under test; nothing is
stored. tshark runs with reassembly and defragmentation off, so that it shows
each packet as it is on the wire, as ``netprobe read`` does, and with raw
(absolute) TCP sequence numbers.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest

TSHARK = shutil.which("tshark")

#: preferences that make tshark show packets one by one, with raw numbers
PREFERENCES = (
    "ip.defragment:FALSE",
    "ipv6.defragment:FALSE",
    "tcp.desegment_tcp_streams:FALSE",
    "tcp.relative_sequence_numbers:FALSE",
    "tcp.analyze_sequence_numbers:FALSE",
    "udp.try_heuristic_first:FALSE",
)

#: protocols kept in tshark's JSON output (-J keeps each with all its children)
PROTOCOLS = ("frame", "eth", "vlan", "ieee8021ad", "ip", "ipv6", "tcp", "udp", "icmp",
             "icmpv6", "arp", "dns", "mdns", "llmnr", "mpls", "gre", "dhcp",
             "radiotap", "wlan")


def require_tshark() -> str:
    """tshark's path; skips without it, but fails under CI=true where it must exist."""
    if TSHARK is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tshark is required when CI=true", pytrace=False)
        pytest.skip("tshark is not installed")
    return TSHARK


class _Obj(list):
    """A JSON object kept as its (key, value) pairs: tshark repeats keys (two "ip" layers)."""


@dataclass
class Node:
    """One protocol in one packet, as tshark dissected it."""

    name: str
    #: field name -> every value seen in this protocol's subtree, in document order
    fields: dict[str, list[object]] = field(default_factory=dict)

    def first(self, name: str) -> object | None:
        """The first value of a field, or None when tshark did not show it."""
        values = self.fields.get(name)
        return values[0] if values else None


@dataclass
class Frame:
    """One packet: tshark's frame fields and its protocol nodes in document order."""

    fields: dict[str, str]
    nodes: list[Node]

    @property
    def chain(self) -> list[str]:
        """The protocol chain tshark reports (``eth:ethertype:ip:tcp``)."""
        return [p for p in self.fields.get("frame.protocols", "").split(":") if p]


@dataclass
class TsharkResult:
    """What tshark said about one file."""

    returncode: int
    frames: list[Frame]
    stderr: str


def command(path: Path) -> list[str]:
    """The tshark command line for ``path``."""
    args = [require_tshark(), "-n", "-r", str(path)]
    for pref in PREFERENCES:
        args += ["-o", pref]
    return [*args, "-T", "json", "-J", " ".join(PROTOCOLS)]


def parse_output(stdout: bytes, returncode: int, stderr: str) -> TsharkResult:
    """Parse tshark's JSON; pcapng custom blocks (frames without encapsulation) are dropped."""
    text = stdout.decode("utf-8", "replace").strip()
    packets = json.loads(text, object_pairs_hook=_Obj) if text else []
    frames = []
    for packet in packets:
        layers = _get(_get(packet, "_source"), "layers")
        nodes: list[Node] = []
        frame_fields: dict[str, str] = {}
        for key, value in layers:
            if key == "frame":
                frame_fields = {k: v for k, v in value if isinstance(v, str)}
            elif key in PROTOCOLS and isinstance(value, _Obj):
                _walk(key, value, nodes)
        if frame_fields.get("frame.encap_type", "") == "":
            continue
        frames.append(Frame(frame_fields, nodes))
    return TsharkResult(returncode, frames, stderr)


def _get(obj: _Obj, key: str) -> _Obj:
    for k, v in obj:
        if k == key:
            return v
    return _Obj()


#: protocols whose compared fields sit in subtrees (flags, options, queries); the
#: subtrees of the others are skipped, which keeps big files quick
DEEP = frozenset({"tcp", "dns", "mdns", "llmnr"})


def _walk(name: str, pairs: _Obj, out: list[Node]) -> None:
    node = Node(name)
    out.append(node)
    nested: list[tuple[str, _Obj]] = []
    fields = node.fields
    deep = name in DEEP

    def collect(obj: _Obj) -> None:
        for key, value in obj:
            if type(value) is _Obj:
                if key in PROTOCOLS:
                    # A protocol inside a protocol (the packet an ICMP error quotes) is
                    # a node of its own, after this one.
                    nested.append((key, value))
                elif deep:
                    collect(value)
            elif key in fields:
                fields[key].append(value)
            else:
                fields[key] = [value]

    collect(pairs)
    for key, value in nested:
        _walk(key, value, out)


def frame_time(text: str) -> Fraction:
    """tshark's ``frame.time_epoch`` as an exact number.

    tshark prints ``%u.%09u`` of (seconds, nanoseconds), so the part after the
    dot is a nanosecond count.
    """
    sec, _, ns = text.partition(".")
    return Fraction(int(sec)) + Fraction(int(ns or "0"), 10**9)


@cache
def encap_for_linktype(linktype: int) -> int | None:
    """The Wireshark encapsulation tshark gives a one-packet pcap of ``linktype``."""
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    record = struct.pack("<IIII", 1, 0, 60, 60) + bytes(60)
    with tempfile.NamedTemporaryFile(suffix=".pcap") as tmp:
        tmp.write(header + record)
        tmp.flush()
        proc = subprocess.run([require_tshark(), "-n", "-r", tmp.name, "-T", "fields", "-e",
                               "frame.encap_type"], capture_output=True, text=True, timeout=60,
                              check=False)
    words = proc.stdout.split()
    return int(words[0]) if proc.returncode == 0 and words else None
