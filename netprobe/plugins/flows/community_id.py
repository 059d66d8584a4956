"""Community ID v1 flow hashes (https://github.com/corelight/community-id-spec).

``1:`` followed by the base64 SHA-1 of: the seed (2 bytes), the two
addresses, the protocol (1 byte), a zero byte, and the two ports (2 bytes
each), all in network byte order, the endpoints ordered so that the smaller
(address, port) comes first. Port-less protocols hash no ports. ICMP and
ICMPv6 use the message type as the source port and, for request/response
types, the counterpart type as the destination port (a two-way flow, ordered
like any other); other types keep their code and are one-way (not
reordered). These are the rules Zeek, Suricata and Wireshark apply, so the
IDs join their logs.
"""

from __future__ import annotations

import base64
import hashlib
import struct

from netprobe.packet.flow_events import PORT_PROTOCOLS

#: ICMP request/response pairs (Zeek's and the spec's mapping)
ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP6_PAIRS = {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135,
               139: 140, 140: 139, 144: 145, 145: 144}


def community_id(proto: int, saddr: bytes, daddr: bytes, sport: int | None = None,
                 dport: int | None = None, seed: int = 0) -> str:
    """The Community ID of a flow; addresses packed (4 or 16 bytes).

    For ICMP (1) and ICMPv6 (58) ``sport`` is the message type and ``dport``
    the code. Ports are ignored for protocols other than TCP, UDP, SCTP and
    ICMP; for those they are required.
    """
    one_way = False
    if proto in (1, 58):
        if sport is None or dport is None:
            sport = dport = None
        else:
            pairs = ICMP4_PAIRS if proto == 1 else ICMP6_PAIRS
            if sport in pairs:
                dport = pairs[sport]
            else:
                one_way = True
    elif proto not in PORT_PROTOCOLS:
        sport = dport = None
    if not one_way and (daddr < saddr or (saddr == daddr and sport is not None
                                          and dport is not None and dport < sport)):
        saddr, daddr, sport, dport = daddr, saddr, dport, sport
    data = struct.pack("!H", seed) + saddr + daddr + struct.pack("!BB", proto, 0)
    if sport is not None and dport is not None:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")
