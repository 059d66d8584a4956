"""Made-up scan results for the pure tests: probes stamped as a scan stamps them, answers
built with the layers as the lab's hosts would send them."""

from __future__ import annotations

import socket

import numpy as np

from netprobe import ICMP, IP, TCP, Ether, ICMPv6DestUnreach, IPv6, Raw
from netprobe.engine.results import Result, Tag
from netprobe.plugins.portscan.stamp import SCAN_FLAGS, TcpStamper

SCANNER4, SCANNER6 = "198.18.1.2", "2001:db8:1::2"
MACS = {"src": "02:00:c6:12:01:0b", "dst": "02:00:c6:12:01:02"}
SPORT = 40000


def stamper(family: int = 4, scan: str = "syn") -> TcpStamper:
    return TcpStamper(family, SCANNER4 if family == 4 else SCANNER6, SPORT, SCAN_FLAGS[scan],
                      1234)


def probe(host: str, port: int, scan: str = "syn") -> bytes:
    family = 6 if ":" in host else 4
    s = stamper(family, scan)
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    dst = np.frombuffer(socket.inet_pton(af, host), dtype=np.uint8)[None, :]
    return s.rows(dst, np.array([port], dtype=np.uint64))[0].tobytes()


def _net(host: str, ttl: int):
    if ":" in host:
        return IPv6(src=host, dst=SCANNER6, hlim=ttl)
    return IP(src=host, dst=SCANNER4, ttl=ttl)


def tcp_answer(host: str, port: int, flags: str, probe_bytes: bytes, ttl: int = 64) -> bytes:
    family = 6 if ":" in host else 4
    t = 20 if family == 4 else 40
    seq = int.from_bytes(probe_bytes[t + 4:t + 8], "big")
    return bytes(Ether(**MACS) / _net(host, ttl)
                 / TCP(sport=port, dport=SPORT, flags=flags, seq=7, ack=(seq + 1) & 0xFFFFFFFF))


def icmp_answer(host: str, code: int, probe_bytes: bytes, ttl: int = 64) -> bytes:
    if ":" in host:
        return bytes(Ether(**MACS) / _net(host, ttl) / ICMPv6DestUnreach(code=code)
                     / Raw(probe_bytes[:48]))
    return bytes(Ether(**MACS) / _net(host, ttl) / ICMP(type=3, code=code)
                 / Raw(probe_bytes[:28]))


def result(host: str, port: int, answer: str | None, *, scan: str = "syn", ttl: int = 64,
           sends: int = 1, code: int = 13, tag: str = "tcp") -> Result:
    """A raw scan result: ``answer`` is TCP flags ("SA", "R", "RA"), "icmp", or None."""
    p = probe(host, port, scan)
    data = None
    if answer == "icmp":
        data = icmp_answer(host, code, p, ttl)
    elif answer is not None:
        data = tcp_answer(host, port, answer, p, ttl)
    r = Result(p, 101, 1000.0, sends, answer_bytes=data, answer_linktype=1,
               received=None if data is None else 1000.001)
    r.tag = None if tag is None else Tag(tag)
    return r
