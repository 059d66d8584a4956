"""Scapy as the oracle for the application layer families (NTP, SNMP, TFTP, RIP, VRRP,
HSRP, IGMP, IPv4 options): what a packet built both ways builds to, reads back as and
prints, in the same process; and that mutated bytes never make a dissector raise."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from netprobe.packet import dissect
from netprobe.packet.dissect import dissect_as


def same_face(ours: Any, theirs: Any, show: bool = True) -> None:
    """Both packets build the same bytes and print the same ``repr``, ``summary`` and
    ``show()``; read back from those bytes, both print the same again."""
    data = bytes(theirs)
    assert bytes(ours) == data, f"\nours   {bytes(ours).hex()}\nscapys {data.hex()}"
    assert repr(ours) == repr(theirs)
    assert ours.summary() == theirs.summary()
    if show:
        assert ours.show(dump=True) == theirs.show(dump=True)
    read_ours = dissect_as(type(ours), data)
    read_theirs = type(theirs)(data)
    assert repr(read_ours) == repr(read_theirs)
    assert read_ours.summary() == read_theirs.summary()
    if show:
        assert read_ours.show(dump=True) == read_theirs.show(dump=True)
    assert bytes(read_ours) == data


def mutations(data: bytes, count: int = 300, seed: int = 7) -> list[bytes]:
    """Cut and mutated copies of ``data``: every prefix, then random byte changes."""
    rnd = random.Random(seed)
    out = [data[:n] for n in range(len(data))]
    for _ in range(count):
        b = bytearray(data)
        for _ in range(rnd.randint(1, 4)):
            if b:
                b[rnd.randrange(len(b))] = rnd.randrange(256)
        if rnd.random() < 0.3:
            b = b[:rnd.randrange(len(b) + 1)]
        if rnd.random() < 0.2:
            b += bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 20)))
        out.append(bytes(b))
    return out


def never_raises(frames: list[bytes], read: Callable[[bytes], Any] = dissect) -> None:
    """Reading each frame, and printing what was read, raises nothing."""
    for frame in frames:
        pkt = read(frame)
        pkt.summary()
        repr(pkt)
        pkt.show(dump=True)
        pkt.to_dicts()


def tshark_rows(path: Any, display_filter: str, fields: list[str]) -> dict[int, list[str]]:
    """tshark's values of ``fields`` for the frames ``display_filter`` keeps, by frame
    number (1 first); a field with several values gives them comma-separated."""
    import subprocess

    cmd = ["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=a", "-e", "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    rows = {}
    for line in done.stdout.splitlines():
        cells = line.split("\t")
        rows[int(cells[0])] = cells[1:]
    return rows


def corpus_packets(path: Any) -> dict[int, Any]:
    """netprobe's reading of every frame of a capture, by frame number (1 first)."""
    from link_compare import frames

    return {i: dissect(data, lt, wl) for i, (lt, data, wl) in enumerate(frames(path), 1)}


def write_pcap(path: Any, frames: list[bytes]) -> Any:
    """A classic pcap of Ethernet ``frames`` at ``path`` (for tshark to read)."""
    import struct

    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(frames):
            f.write(struct.pack("<IIII", 1_700_000_000 + i, 0, len(frame), len(frame)))
            f.write(frame)
    return path


def random_kwargs(rnd: random.Random, spec: dict[str, Any]) -> dict[str, Any]:
    """Random field values: ``spec`` maps a field to (low, high) numbers, a list to pick
    from, or a function of ``rnd``; each field is given or left out at random."""
    out: dict[str, Any] = {}
    for name, kind in spec.items():
        if rnd.random() < 0.25:
            continue
        if isinstance(kind, tuple):
            out[name] = rnd.randint(*kind)
        elif isinstance(kind, list):
            out[name] = rnd.choice(kind)
        else:
            out[name] = kind(rnd)
    return out


def random_ip(rnd: random.Random) -> str:
    """A random address in the lab's range."""
    return f"198.{rnd.randint(18, 19)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}"


def ls_matches_scapy(family: Any) -> int:
    """``ls(Class)`` prints what Scapy's prints for every class of a layer family module
    that Scapy has too; the number of classes compared (at least one, or it fails)."""
    import contextlib
    import io

    import scapy.all as scapy_all

    from netprobe.packet.present import ls

    compared = 0
    for name in family.__all__:
        cls = getattr(family, name)
        if not isinstance(cls, type) or not hasattr(scapy_all, name):
            continue
        theirs, ours = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(theirs):
            scapy_all.ls(getattr(scapy_all, name))
        with contextlib.redirect_stdout(ours):
            ls(cls)
        assert ours.getvalue() == theirs.getvalue(), name
        compared += 1
    assert compared, f"no class of {family.__name__} is Scapy's"
    return compared
