"""Protocol payloads for UDP scanning: a request each common UDP service answers.

An empty datagram gets no answer from most UDP services (a DNS or SNMP server
drops what it cannot parse), so a UDP scan could never tell them open. Each
payload here is the smallest well-formed request of the protocol registered on
the port, composed from the protocol's specification (cited per payload), that
makes a server reply without changing anything on it: queries, pings, status
and discovery requests only. Unknown ports get an empty datagram, as nmap sends.

Every payload is a constant, so probes are the same from run to run and the
pure tests can dissect them.
"""

from __future__ import annotations

import struct

# A fixed transaction ID / cookie in every payload that has one: answers echo it.
_ID = 0x4E50  # "NP"


# -- BER (ITU-T X.690), the few types SNMP and LDAP requests need ------------------------------
def _ber_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def ber(tag: int, content: bytes) -> bytes:
    """One BER TLV: ``tag``, definite length, ``content``."""
    return bytes([tag]) + _ber_length(len(content)) + content


def ber_int(value: int) -> bytes:
    """An INTEGER (two's complement, minimal length)."""
    length = max(1, (value.bit_length() + 8) // 8)
    return ber(0x02, value.to_bytes(length, "big", signed=True))


def ber_str(value: bytes) -> bytes:
    """An OCTET STRING."""
    return ber(0x04, value)


def ber_seq(*items: bytes) -> bytes:
    """A SEQUENCE of already encoded items."""
    return ber(0x30, b"".join(items))


# -- the payloads -------------------------------------------------------------------------------
def dns_query(name: str, qtype: int, qclass: int = 1, rd: bool = True, ident: int = _ID) -> bytes:
    """A DNS query message (RFC 1035 4.1): header, one question."""
    flags = 0x0100 if rd else 0x0000
    header = struct.pack("!HHHHHH", ident, flags, 1, 0, 0, 0)
    labels = [label.encode("ascii") for label in name.strip(".").split(".") if label]
    qname = b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"
    return header + qname + struct.pack("!HH", qtype, qclass)


#: DNS: the name servers of the root zone, recursion desired (any resolver or
#: authoritative server answers, if only with REFUSED)
DNS = dns_query(".", 2)
#: mDNS (RFC 6762 6.7, "legacy unicast" from a port other than 5353): the DNS-SD
#: service enumeration name (RFC 6763 9), answered by every responder that
#: advertises a service
MDNS = dns_query("_services._dns-sd._udp.local", 12, rd=False, ident=0)


def _netbios_name(name: bytes) -> bytes:
    """NetBIOS first-level encoding (RFC 1001 14.1): 16 bytes → 32 letters, as a DNS label."""
    padded = name.ljust(16, b"\x00")[:16]
    encoded = b"".join(bytes([0x41 + (b >> 4), 0x41 + (b & 0x0F)]) for b in padded)
    return bytes([32]) + encoded + b"\x00"


#: NetBIOS name service node status request for "*" (RFC 1002 4.2.17): every
#: Windows host and Samba nmbd answers with its name table
NETBIOS_NS = struct.pack("!HHHHHH", _ID, 0x0000, 1, 0, 0, 0) + _netbios_name(b"*") + \
    struct.pack("!HH", 0x21, 1)

#: NTP (RFC 5905 7.3): a version-4 client-mode packet (LI 0, VN 4, mode 3) with a
#: transmit timestamp that the server copies into its reply's origin timestamp
NTP = bytes([0x23]) + bytes(39) + struct.pack("!II", 0xE4F1_2A00, _ID)


def _snmpv3_discovery() -> bytes:
    """SNMPv3 engine discovery (RFC 3414 4): any v3 agent answers with a Report PDU."""
    global_data = ber_seq(ber_int(_ID), ber_int(65507), ber_str(b"\x04"),  # reportable
                          ber_int(3))  # USM
    usm = ber_seq(ber_str(b""), ber_int(0), ber_int(0), ber_str(b""), ber_str(b""),
                  ber_str(b""))
    get_request = ber(0xA0, ber_int(_ID) + ber_int(0) + ber_int(0) + ber_seq())
    scoped_pdu = ber_seq(ber_str(b""), ber_str(b""), get_request)
    return ber_seq(ber_int(3), global_data, ber_str(usm), scoped_pdu)


#: SNMP: the v3 discovery request, which agents answer whatever their
#: communities and users are
SNMP = _snmpv3_discovery()


def rpc_null_call(program: int, version: int, xid: int = _ID) -> bytes:
    """An ONC RPC call of procedure 0 (NULL) with AUTH_NONE (RFC 5531 9)."""
    return struct.pack("!IIIIII", xid, 0, 2, program, version, 0) + struct.pack("!IIII", 0, 0,
                                                                                0, 0)


#: the portmapper's NULL procedure (RFC 1833: program 100000 version 2)
PORTMAP = rpc_null_call(100000, 2)
#: NFS version 3's NULL procedure (RFC 1813: program 100003)
NFS = rpc_null_call(100003, 3)

#: SSDP unicast search for everything (UPnP Device Architecture 2.0, 1.3.2)
SSDP = (b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
        b"MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n")

#: SIP OPTIONS (RFC 3261 11): asks a SIP element what it supports
SIP = (b"OPTIONS sip:netprobe@netprobe.invalid SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP netprobe.invalid;branch=z9hG4bK4e50\r\n"
       b"Max-Forwards: 70\r\n"
       b"From: <sip:netprobe@netprobe.invalid>;tag=4e50\r\n"
       b"To: <sip:netprobe@netprobe.invalid>\r\n"
       b"Call-ID: 4e50@netprobe.invalid\r\n"
       b"CSeq: 1 OPTIONS\r\n"
       b"Accept: application/sdp\r\n"
       b"Content-Length: 0\r\n\r\n")

#: STUN Binding Request (RFC 8489 5, 6): type 0x0001, no attributes, magic
#: cookie, 96-bit transaction ID
STUN = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + b"netprobe\x00\x00\x4e\x50"

#: memcached over UDP (protocol.txt "UDP protocol"): an 8-byte frame header
#: (request ID, sequence 0, 1 datagram, reserved) and the ``version`` command
MEMCACHED = struct.pack("!HHHH", _ID, 0, 1, 0) + b"version\r\n"

#: SQL Server Browser CLNT_UCAST_EX ([MC-SQLR] 2.2.2): list the instances
MSSQL_BROWSER = b"\x03"

#: RMCP / ASF Presence Ping (DMTF DSP0136 3.2.4.3): every IPMI BMC answers with a Pong
RMCP_PING = bytes([0x06, 0x00, 0xFF, 0x06]) + struct.pack("!IBBBB", 4542, 0x80, 0x4E, 0, 0)

#: CoAP (RFC 7252): confirmable GET of /.well-known/core (RFC 6690), message ID 0x4e50
COAP = bytes([0x40, 0x01]) + struct.pack("!H", _ID) + bytes([0xBB]) + b".well-known" + \
    bytes([0x04]) + b"core"

#: NAT-PMP (RFC 6886 3.2): version 0, opcode 0 (external address request)
NAT_PMP = b"\x00\x00"

#: XDMCP Query (X Display Manager Control Protocol 1.1): version 1, opcode 2, no
#: authentication names
XDMCP = struct.pack("!HHHB", 1, 2, 1, 0)

#: OpenVPN P_CONTROL_HARD_RESET_CLIENT_V2 (opcode 7, key 0) with a session ID,
#: an empty ACK array and packet ID 0: a server without tls-auth answers with
#: its own hard reset
OPENVPN = bytes([7 << 3]) + b"netprobe" + b"\x00" + struct.pack("!I", 0)

#: Source engine A2S_INFO query (Valve's "Server queries" protocol)
A2S_INFO = b"\xff\xff\xff\xffTSource Engine Query\x00"


def _cldap_rootdse() -> bytes:
    """CLDAP (RFC 1798, as Active Directory uses it): a base search of the root DSE."""
    present = ber(0x87, b"objectClass")  # filter: (objectClass=*)
    search = ber(0x63, ber_str(b"") + ber(0x0A, b"\x00") + ber(0x0A, b"\x00") +
                 ber_int(0) + ber_int(0) + ber(0x01, b"\x00") + present + ber_seq())
    return ber_seq(ber_int(_ID), search)


#: CLDAP root DSE search: domain controllers answer with their naming contexts
CLDAP = _cldap_rootdse()


def _ike_main_mode() -> bytes:
    """An IKEv1 Main Mode first message (RFC 2408 3, RFC 2409 5): one proposal.

    The transform offers 3DES, SHA-1, pre-shared key, MODP 1024 and a lifetime:
    a responder answers with its choice or a NO-PROPOSAL-CHOSEN notification.
    """
    attributes = b"".join(struct.pack("!HH", 0x8000 | kind, value) for kind, value in
                          ((1, 5), (2, 2), (3, 1), (4, 2), (11, 1))) + \
        struct.pack("!HHI", 12, 4, 28800)  # life type seconds, life duration (variable)
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attributes), 1, 1, 0) + attributes
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    sa = struct.pack("!BBHII", 0, 0, 12 + len(proposal), 1, 1) + proposal  # IPSEC DOI, identity
    header = b"netprobe" + bytes(8) + struct.pack("!BBBBII", 1, 0x10, 2, 0, 0,
                                                   28 + len(sa))
    return header + sa


#: ISAKMP / IKEv1 (UDP 500)
IKE = _ike_main_mode()

#: RFC 862/863/867/864/865/868 small services: any datagram gets an answer
SMALL_SERVICE = b"\r\n"

PAYLOADS: dict[int, bytes] = {
    7: SMALL_SERVICE, 13: SMALL_SERVICE, 17: SMALL_SERVICE, 19: SMALL_SERVICE,
    37: SMALL_SERVICE,
    53: DNS, 111: PORTMAP, 123: NTP, 137: NETBIOS_NS, 161: SNMP, 177: XDMCP,
    389: CLDAP, 500: IKE, 623: RMCP_PING, 1194: OPENVPN, 1434: MSSQL_BROWSER,
    1900: SSDP, 2049: NFS, 3478: STUN, 5060: SIP, 5351: NAT_PMP, 5353: MDNS,
    5683: COAP, 11211: MEMCACHED, 27015: A2S_INFO,
}


def payload_for(port: int) -> bytes:
    """The payload a UDP probe to ``port`` carries (empty when none is known)."""
    return PAYLOADS.get(port, b"")
