"""HSRP: bytes, reading back and printing as Scapy's HSRP and HSRPmd5 (same process)."""

from __future__ import annotations

import random

import pytest
import scapy.all as scapy_all

import netprobe.packet.layers.hsrp as ours_mod
from netprobe.packet import IP, UDP, Ether, dissect
from tests.packet.layers_compare import (
    mutations,
    never_raises,
    random_ip,
    random_kwargs,
    same_face,
    tshark_rows,
    write_pcap,
)

OURS = {**vars(ours_mod), "IP": IP, "UDP": UDP, "Ether": Ether}
HOSTS = 'IP(src="198.18.0.2", dst="224.0.0.2")/UDP()/'
PACKETS = [
    'HSRP()',
    'HSRP(opcode=1, state=16, hellotime=3, holdtime=10, priority=110, group=5, '
    'auth=b"secret", virtualIP="198.18.0.1")',
    HOSTS + 'HSRP(virtualIP="198.18.0.1")', 'HSRP(auth=b"x" * 10)',
    'HSRP(opcode="Resign", state="Standby")', 'HSRP(opcode=2, state=3, reserved=9)',
    'HSRPmd5(sourceip="198.18.0.9", keyid=5, authdigest=b"a" * 16, flags=3)',
    'HSRP()/HSRPmd5(sourceip="198.18.0.9")',
    HOSTS + 'HSRP(virtualIP="198.18.0.1")/HSRPmd5(sourceip="198.18.0.2", keyid=1)',
    'Ether(src="00:00:0c:07:ac:01", dst="01:00:5e:00:00:02")/' + HOSTS
    + 'HSRP(group=1, priority=255, state="Speak")',
]


@pytest.mark.parametrize("expr", PACKETS)
def test_packet_is_scapys(expr: str) -> None:
    same_face(eval(expr, OURS), eval(expr, vars(scapy_all)))


def test_port_1985_on_either_side_reads_as_hsrp() -> None:
    for sport, dport in ((1985, 4000), (4000, 1985)):
        data = bytes(scapy_all.IP(src="198.18.0.2", dst="224.0.0.2")
                     / scapy_all.UDP(sport=sport, dport=dport) / scapy_all.HSRP())
        assert repr(dissect(data, 228)) == repr(scapy_all.IP(data))


def test_malformed_hsrp_never_raises() -> None:
    never_raises(mutations(bytes(eval('Ether()/' + PACKETS[8], vars(scapy_all)))))


def test_fields_are_tsharks(tmp_path) -> None:
    """HSRP made by netprobe, read by tshark and by netprobe: the same values."""
    frame = bytes(eval('Ether()/' + HOSTS + 'HSRP(opcode=1, state=8, priority=110, group=5, '
                       'virtualIP="198.18.0.1", auth=b"lab")', OURS))
    rows = tshark_rows(write_pcap(tmp_path / "hsrp.pcap", [frame]), "hsrp",
                       ["hsrp.version", "hsrp.opcode", "hsrp.state", "hsrp.hellotime",
                        "hsrp.holdtime", "hsrp.priority", "hsrp.group", "hsrp.auth_data",
                        "hsrp.virt_ip"])
    h = dissect(frame)[ours_mod.HSRP]
    assert rows[1] == [str(v) for v in (h.version, h.opcode, h.state, h.hellotime,
                                        h.holdtime, h.priority, h.group)] + [
        h.auth.rstrip(b"\0").decode(), h.virtualIP]


def test_random_fields_are_scapys() -> None:
    rnd = random.Random(1985)
    spec = {"version": (0, 255), "opcode": (0, 2), "state": [0, 1, 2, 4, 8, 16, 3],
            "hellotime": (0, 255), "holdtime": (0, 255), "priority": (0, 255),
            "group": (0, 255), "reserved": (0, 255),
            "auth": lambda r: bytes(r.randint(97, 122) for _ in range(r.randint(0, 8))),
            "virtualIP": random_ip}
    for _ in range(100):
        kw = random_kwargs(rnd, spec)
        same_face(ours_mod.HSRP(**kw), scapy_all.HSRP(**kw))
