"""UDP scan payloads: each is a well-formed request of its protocol (pure).

DNS-shaped payloads go through netprobe's own DNS dissector; the others are
read back field by field against their specifications with the small decoders
below (BER for SNMP and LDAP, fixed layouts for the rest).
"""

from __future__ import annotations

import struct

import pytest

from netprobe.packet.dissect import dissect, dissect_as
from netprobe.packet.layers.dns import DNS
from netprobe.plugins.lab.services import is_fatal
from netprobe.plugins.portscan import udp_payloads as up


def ber_read(data: bytes, off: int = 0) -> tuple[int, bytes, int]:
    """One BER TLV at ``off``: (tag, content, offset after it)."""
    tag = data[off]
    first = data[off + 1]
    off += 2
    if first & 0x80:
        n = first & 0x7F
        length = int.from_bytes(data[off:off + n], "big")
        off += n
    else:
        length = first
    content = data[off:off + length]
    assert len(content) == length, "BER value cut short"
    return tag, content, off + length


def ber_items(content: bytes) -> list[tuple[int, bytes]]:
    items, off = [], 0
    while off < len(content):
        tag, value, off = ber_read(content, off)
        items.append((tag, value))
    return items


def test_dns_payload_dissects_as_a_query() -> None:
    packet = dissect_as(DNS, up.DNS)
    assert not packet.errors
    assert (packet.qr, packet.opcode, packet.rd, packet.qdcount) == (0, 0, 1, 1)
    assert packet.qd[0].qname == b"." and packet.qd[0].qtype == 2 and packet.qd[0].qclass == 1


def test_mdns_payload_is_a_dns_sd_enumeration() -> None:
    from netprobe import IP, UDP, Raw

    built = bytes(IP(src="198.18.1.2", dst="198.18.1.11") / UDP(sport=40000, dport=5353) /
                  Raw(load=up.MDNS))
    packet = dissect(built, 101)
    dns = packet.getlayer(DNS)
    assert dns is not None and not dns.errors
    assert dns.qd[0].qname == b"_services._dns-sd._udp.local." and dns.qd[0].qtype == 12


def test_netbios_payload_is_a_node_status_request_for_star() -> None:
    packet = dissect_as(DNS, up.NETBIOS_NS)
    assert not packet.errors and packet.qdcount == 1
    label = packet.qd[0].qname.rstrip(b".")
    assert len(label) == 32
    # undo the first-level encoding (RFC 1001 14.1): two letters per byte
    name = bytes(((label[i] - 0x41) << 4) | (label[i + 1] - 0x41) for i in range(0, 32, 2))
    assert name == b"*" + b"\x00" * 15
    assert packet.qd[0].qtype == 0x21 and packet.qd[0].qclass == 1


def test_ntp_payload_is_a_v4_client_request() -> None:
    assert len(up.NTP) == 48
    li, vn, mode = up.NTP[0] >> 6, (up.NTP[0] >> 3) & 7, up.NTP[0] & 7
    assert (li, vn, mode) == (0, 4, 3)
    assert struct.unpack("!Q", up.NTP[40:48])[0] != 0  # a transmit timestamp to echo


def test_snmpv3_payload_is_an_engine_discovery() -> None:
    tag, message, end = ber_read(up.SNMP)
    assert tag == 0x30 and end == len(up.SNMP)
    version, global_data, security, scoped = ber_items(message)
    assert version == (0x02, b"\x03")
    header = ber_items(global_data[1])
    assert header[2] == (0x04, b"\x04")  # reportable, no auth, no priv
    assert header[3] == (0x02, b"\x03")  # user-based security model
    usm = ber_items(ber_read(security[1])[1])
    assert [v for _, v in usm] == [b"", b"\x00", b"\x00", b"", b"", b""]
    _context_engine, _context_name, pdu = ber_items(scoped[1])
    assert pdu[0] == 0xA0  # GetRequest
    assert ber_items(pdu[1])[3] == (0x30, b"")  # no variable bindings


@pytest.mark.parametrize("payload,program,version", [(up.PORTMAP, 100000, 2),
                                                     (up.NFS, 100003, 3)])
def test_rpc_payloads_are_null_calls(payload: bytes, program: int, version: int) -> None:
    _xid, kind, rpcvers, prog, vers, proc = struct.unpack("!IIIIII", payload[:24])
    assert (kind, rpcvers, prog, vers, proc) == (0, 2, program, version, 0)
    assert payload[24:] == bytes(16)  # AUTH_NONE credential and verifier


def test_text_protocols_end_their_headers() -> None:
    assert up.SSDP.startswith(b"M-SEARCH * HTTP/1.1\r\n") and up.SSDP.endswith(b"\r\n\r\n")
    assert b'MAN: "ssdp:discover"' in up.SSDP
    lines = up.SIP.split(b"\r\n")
    assert lines[0] == b"OPTIONS sip:netprobe@netprobe.invalid SIP/2.0"
    headers = {line.split(b":", 1)[0] for line in lines[1:] if line}
    assert {b"Via", b"From", b"To", b"Call-ID", b"CSeq", b"Max-Forwards"} <= headers
    assert up.SIP.endswith(b"Content-Length: 0\r\n\r\n")


def test_stun_binding_request() -> None:
    kind, length, cookie = struct.unpack("!HHI", up.STUN[:8])
    assert (kind, length, cookie, len(up.STUN)) == (1, 0, 0x2112A442, 20)


def test_small_binary_requests() -> None:
    assert struct.unpack("!HHHH", up.MEMCACHED[:8])[1:] == (0, 1, 0)
    assert up.MEMCACHED[8:] == b"version\r\n"
    assert up.MSSQL_BROWSER == b"\x03"
    version, _, seq, cls = up.RMCP_PING[:4]
    iana, kind, _, _, length = struct.unpack("!IBBBB", up.RMCP_PING[4:])
    assert (version, seq, cls, iana, kind, length) == (6, 0xFF, 6, 4542, 0x80, 0)
    assert up.NAT_PMP == b"\x00\x00"
    assert struct.unpack("!HHHB", up.XDMCP) == (1, 2, 1, 0)
    assert up.OPENVPN[0] >> 3 == 7 and len(up.OPENVPN) == 14
    assert up.A2S_INFO.startswith(b"\xff\xff\xff\xffT")


def test_coap_get_well_known_core() -> None:
    assert up.COAP[0] >> 6 == 1 and (up.COAP[0] >> 4) & 3 == 0  # version 1, confirmable
    assert up.COAP[1] == 0x01  # GET
    off, number, path = 4 + (up.COAP[0] & 0x0F), 0, []
    while off < len(up.COAP):
        delta, length = up.COAP[off] >> 4, up.COAP[off] & 0x0F
        number += delta
        path.append((number, up.COAP[off + 1:off + 1 + length]))
        off += 1 + length
    assert path == [(11, b".well-known"), (11, b"core")]


def test_cldap_root_dse_search() -> None:
    _, message, _ = ber_read(up.CLDAP)
    _message_id, search = ber_items(message)
    assert search[0] == 0x63
    base, scope, _deref, _size, _time_limit, _types_only, flt, attrs = ber_items(search[1])
    assert base == (0x04, b"") and scope == (0x0A, b"\x00")
    assert flt == (0x87, b"objectClass") and attrs == (0x30, b"")


def test_ike_main_mode_lengths_add_up() -> None:
    header = up.IKE[:28]
    next_payload, version, exchange, _flags, _message_id, length = struct.unpack(
        "!BBBBII", header[16:])
    assert (next_payload, version, exchange, length) == (1, 0x10, 2, len(up.IKE))
    sa_next, _, sa_len, doi, situation = struct.unpack("!BBHII", up.IKE[28:40])
    assert (sa_next, sa_len, doi, situation) == (0, len(up.IKE) - 28, 1, 1)
    _, _, proposal_len, _, proto, spi_size, transforms = struct.unpack("!BBHBBBB",
                                                                       up.IKE[40:48])
    assert (proposal_len, proto, spi_size, transforms) == (len(up.IKE) - 40, 1, 0, 1)


def test_payload_for() -> None:
    assert up.payload_for(53) == up.DNS
    assert up.payload_for(161) == up.SNMP
    assert up.payload_for(40000) == b""
    # none may kill the lab's fragile service (or anything like it)
    for payload in up.PAYLOADS.values():
        assert not is_fatal(payload)
