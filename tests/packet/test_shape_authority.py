"""packet/shape.py is the one place of the ICMP names and of the link-header offsets.

A grep over ``netprobe/`` (its syntax trees, docstrings left out) must find
the ICMP and ICMPv6 code names (Scapy's, nmap's reasons, traceroute's marks)
in ``shape.py`` only; the VLAN rules there and in the declarative ethertype
tables of the layers only; no copy of a link offset table anywhere; and the
C table of ``engine/_batch.c`` exactly as ``shape.c_link_table()`` writes it.
Then the readers that take their offsets from the table are held to the
layers (the dissection authority) on frames Scapy builds, and the names to
Scapy's own tables.
"""

from __future__ import annotations

import ast
import re
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from netprobe.packet import shape
from netprobe.packet.dissect import dissect

scapy_all = pytest.importorskip("scapy.all")
scapy_inet6 = pytest.importorskip("scapy.layers.inet6")
scapy_l2 = pytest.importorskip("scapy.layers.l2")

PACKAGE = Path(shape.__file__).resolve().parents[1]
SHAPE = Path(shape.__file__).resolve()
BATCH_C = PACKAGE / "engine" / "_batch.c"

#: a fallback name of an unlisted code, the way the old tables wrote it, or a traceroute mark
FALLBACK = re.compile(r"^(unreach(-.*)?|![A-Z0-9])$")
#: calls whose first argument is a struct format ("!H" is also traceroute's mark)
STRUCT_CALLS = {"Struct", "pack", "unpack", "pack_into", "unpack_from", "calcsize",
                "iter_unpack"}
#: where ethertype values of VLAN tags may be written: the table itself, and the layers'
#: declarative bindings and ethertype names (which dissection and show() print)
VLAN_ALLOWED = ("packet/shape.py", "packet/layers/", "packet/sysnames.py",
                "library/link_constants.py")
#: the modules that read answers at fixed offsets, with the names of their frame buffers
MATCHERS = {"packet/fastpath.py": ("frame", "answer", "probe"),
            "packet/fragment.py": ("frame",),
            "engine/strictkeys.py": ("frame", "data", "h"),
            "plugins/portscan/verdict.py": ("frame", "answer"),
            "plugins/portscan/interpret.py": ("answer", "data")}


def _icmp_names() -> set[str]:
    names: set[str] = set()
    for types in shape.ICMP.values():
        for entry in types.values():
            for code in (entry.codes or {}).values():
                names |= {n for n in (code.scapy, code.reason, code.mark) if n}
    return names


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(), str(path))


def _strings(tree: ast.Module) -> Iterator[ast.Constant]:
    """The string constants of a module that are neither docstrings nor struct formats."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in STRUCT_CALLS:
                skip.add(id(node.args[0]))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in skip:
            yield node


def test_icmp_names_are_written_in_shape_only() -> None:
    names = _icmp_names()
    assert {"addr-unreach", "source-policy", "!H", "communication-prohibited"} <= names
    found = [f"{rel}:{node.lineno}: {node.value!r}"
             for rel, tree in _modules() if rel != "packet/shape.py"
             for node in _strings(tree)
             if node.value in names or FALLBACK.match(node.value)]
    assert found == []


def test_vlan_rules_and_link_offset_tables_are_in_shape_only() -> None:
    offsets = {lt: s.header_len for lt, s in shape.LINKS.items()}
    found = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and type(node.value) is int \
                    and node.value in shape.VLAN_TPIDS and not rel.startswith(VLAN_ALLOWED):
                found.append(f"{rel}:{node.lineno}: VLAN ethertype {node.value:#x}")
            if isinstance(node, ast.Dict) and rel != "packet/shape.py":
                pairs = [(k.value, v.value) for k, v in zip(node.keys, node.values, strict=True)
                         if isinstance(k, ast.Constant) and k.value in offsets
                         and isinstance(v, ast.Constant)]
                if len(pairs) >= 2 and all(offsets.get(k) == v for k, v in pairs):
                    found.append(f"{rel}:{node.lineno}: a link offset table {pairs}")
    assert found == []


def test_answer_matchers_read_no_fixed_frame_offset() -> None:
    """Inside the answer matchers, no frame byte is read at a bare number (a link offset)."""
    found = []
    for rel, buffers in MATCHERS.items():
        tree = ast.parse((PACKAGE / rel).read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                    and node.value.id in buffers):
                continue
            s = node.slice
            bounds = [s.lower, s.upper] if isinstance(s, ast.Slice) else [s]
            if any(isinstance(b, ast.Constant) and isinstance(b.value, int) and b.value > 0
                   for b in bounds):
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_the_c_link_table_is_generated_from_shape() -> None:
    source = BATCH_C.read_text()
    start = source.index("/* generated from netprobe.packet.shape.MATCH_LINKS")
    end = source.index("};\n", start) + 3
    assert source[start:end] == shape.c_link_table(), (
        "regenerate: python -c 'from netprobe.packet.shape import c_link_table; "
        "print(c_link_table())' and paste it into netprobe/engine/_batch.c")
    rest = source[:start] + source[end:]
    # outside the generated block: no link type cases, no ethertype numbers, no frame
    # byte at a fixed place
    assert not re.search(r"case\s+\d+\s*:", rest)
    assert not re.search(r"0x(8100|88a8|9100|0800|86dd)\b", rest, re.IGNORECASE)
    assert not re.search(r"\bf\[\d+\]", rest)


# -- the readers against the layers, on frames Scapy builds ----------------------------------------
S = scapy_all
PROBE = S.IP(src="198.18.0.1", dst="198.18.0.2") / S.TCP(sport=40000, dport=80, flags="S",
                                                          seq=7)
ANSWER = S.IP(src="198.18.0.2", dst="198.18.0.1", ttl=61) / S.TCP(sport=80, dport=40000,
                                                                   flags="SA", ack=8)
ANSWER6 = S.IPv6(src="2001:db8::2", dst="2001:db8::1") / S.TCP(sport=80, dport=40000,
                                                               flags="SA", ack=8)
MAC = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
#: link type -> its header in front of an IP packet with this ethertype (raw links: none)
LINK_HEADERS = {
    1: lambda et: S.Ether(type=et, **MAC),
    113: lambda et: S.CookedLinux(proto=et),
    276: lambda et: scapy_l2.CookedLinuxV2(proto=et),
}


def _frame(linktype: int, packet: object, ethertype: int) -> bytes:
    head = LINK_HEADERS.get(linktype)
    return bytes(packet if head is None else head(ethertype) / packet)


def _carries(linktype: int, version: int) -> bool:
    return shape.MATCH_LINKS[linktype][2] in (0, version)


@pytest.mark.parametrize("linktype", sorted(shape.MATCH_LINKS))
def test_matcher_offsets_are_where_scapy_puts_the_ip_header(linktype: int) -> None:
    ip_at, ethertype_at, _version = shape.MATCH_LINKS[linktype]
    packet = PROBE if _carries(linktype, 4) else ANSWER6
    frame = (LINK_HEADERS[linktype](0x0800) / packet) if linktype in LINK_HEADERS else packet
    assert ip_at == len(frame) - len(frame[S.IP if packet is PROBE else S.IPv6])
    if ethertype_at >= 0:
        et = ethertype_at
        assert struct.unpack_from("!H", bytes(frame), et)[0] == 0x0800


@pytest.mark.parametrize("linktype", sorted(shape.MATCH_LINKS))
def test_fastpath_and_strict_keys_agree_with_the_layers(linktype: int) -> None:
    from netprobe.engine import strictkeys
    from netprobe.engine.compiled import batch
    from netprobe.packet import fastpath

    frames = []
    if _carries(linktype, 4):
        probe, answer = _frame(linktype, PROBE, 0x0800), _frame(linktype, ANSWER, 0x0800)
        assert fastpath.hashkey(probe, linktype) == dissect(probe, linktype).hashkey()
        assert fastpath.answers(answer, linktype, probe, linktype) is True
        assert dissect(answer, linktype).answers(dissect(probe, linktype))
        frames.append(answer)
    if _carries(linktype, 6):
        frames.append(_frame(linktype, ANSWER6, 0x86DD))
    one_by_one = [strictkeys.answer_key(f, linktype) for f in frames]
    assert all(k is not None for k in one_by_one)
    buf = b"".join(frames)
    offsets = [sum(len(f) for f in frames[:i]) for i in range(len(frames))]
    meta = b"".join(struct.pack("=IIII", 0, 0, o, len(f))
                    for o, f in zip(offsets, frames, strict=True))
    assert strictkeys.answer_keys(buf, meta, linktype) == one_by_one
    if batch is not None:
        assert batch.answer_keys(buf, meta, linktype) == one_by_one


def test_tagged_answers_are_left_to_the_layers() -> None:
    """Dot1Q.answers compares the tags: the matchers follow none (shape.MATCH_LINKS)."""
    from netprobe.engine import strictkeys
    from netprobe.packet import fastpath

    probe = bytes(S.Ether(**MAC) / PROBE)
    tagged = bytes(S.Ether(**MAC) / S.Dot1Q(vlan=5) / ANSWER)
    assert fastpath.answers(tagged, 1, probe, 1) is None
    assert strictkeys.answer_key(tagged, 1) is None


# -- the names against Scapy's ------------------------------------------------------------------
def test_scapy_code_names_are_scapy_s() -> None:
    from netprobe.packet.layers.icmp import ICMP_CODES

    scapy_inet = pytest.importorskip("scapy.layers.inet")
    assert scapy_inet.icmpcodes == ICMP_CODES
    for icmp_type, cls in ((1, scapy_inet6.ICMPv6DestUnreach),
                           (3, scapy_inet6.ICMPv6TimeExceeded),
                           (4, scapy_inet6.ICMPv6ParamProblem)):
        assert shape.scapy_code_names(6, icmp_type) == cls().get_field("code").i2s


def test_show_prints_scapy_s_code_names() -> None:
    from netprobe.packet import ICMP, IP
    from netprobe.packet.layers.icmpv6 import ICMPv6DestUnreach
    from netprobe.packet.layers.ipv6 import IPv6

    ours = (IP() / ICMP(type=3, code=13)).show(dump=True)
    theirs = (S.IP() / S.ICMP(type=3, code=13)).show(dump=True)
    assert "communication-prohibited" in ours and "communication-prohibited" in theirs
    ours6 = (IPv6() / ICMPv6DestUnreach(code=3)).show(dump=True)
    theirs6 = (S.IPv6() / scapy_inet6.ICMPv6DestUnreach(code=3)).show(dump=True)
    assert "Address unreachable" in ours6 and "Address unreachable" in theirs6


@pytest.mark.parametrize(("version", "icmp_type", "code", "reason", "mark", "written"), [
    (6, 1, 3, "addr-unreach", "!H", "addr-unreach"),
    (6, 1, 5, "source-policy", "!X", "source-policy"),
    (4, 3, 99, "unreach-code-99", "!99", "unreach-code-N"),
    (6, 1, 9, "unreach-code-9", "!9", "unreach-code-N"),
])
def test_the_names_the_old_tables_disagreed_on(version: int, icmp_type: int, code: int,
                                               reason: str, mark: str, written: str) -> None:
    """The README states these (section on shape.py); every reader gives the same."""
    from netprobe.plugins.interpret.views import answer_kind
    from netprobe.plugins.portscan.verdict import connect_verdict
    from netprobe.plugins.traceroute.replies import decode_reply

    assert shape.icmp_reason(version, icmp_type, code) == reason
    assert shape.trace_mark(version, icmp_type, code) == mark
    assert connect_verdict({"status": "unreachable", "icmp": [version, icmp_type, code, ""]}
                           )[1] == reason
    if version == 4:
        packet = S.IP(src="198.18.0.2", dst="198.18.0.1") / S.ICMP(type=icmp_type, code=code)
    else:
        packet = S.IPv6(src="2001:db8::2", dst="2001:db8::1") / scapy_inet6.ICMPv6DestUnreach(
            code=code)
    assert answer_kind(dissect(bytes(packet), 101)) == reason
    assert decode_reply(dissect(bytes(packet), 101)).kind == mark
    readme = (PACKAGE.parent / "README.md").read_text()
    assert f"`{written}`" in readme


# -- the fixed facts of an IP header (shape.ip_header) ---------------------------------------------
def test_ip_header_offsets_are_the_layers_own() -> None:
    """shape's table of protocol, TTL and address offsets says what IP's and IPv6's field
    lists say (the layers import shape, so shape keeps its copy; this keeps them one)."""
    from netprobe.packet.layers.ip import IP
    from netprobe.packet.layers.ipv6_header import IPv6

    for version, cls, names in ((4, IP, ("proto", "ttl", "src", "dst")),
                                (6, IPv6, ("nh", "hlim", "src", "dst"))):
        assert shape._IP_FIELD_AT[version] == tuple(cls.field_offsets[n][0] for n in names)
        assert shape.IP_ADDRESS_LEN[version] == cls.field_offsets["src"][1]


def test_ip_header_reads_what_dissection_reads() -> None:
    from netprobe.packet.layers.ip import IP
    from netprobe.packet.layers.ipv6_header import IPv6
    from netprobe.packet.layers.tcp import TCP
    from netprobe.packet.layers.udp import UDP

    packets = [
        IP(src="198.18.0.1", dst="198.18.0.2", ttl=9) / TCP(dport=80),
        IP(src="198.18.0.1", dst="198.18.0.2", options=[(7, b"\x04" + bytes(4))]) / UDP(),
        IPv6(src="2001:db8::1", dst="2001:db8::2", hlim=3) / UDP(dport=53),
    ]
    for pkt in packets:
        data = b"\x00" * 14 + bytes(pkt)
        got = shape.ip_header(data, 14)
        assert got is not None
        ip = dissect(bytes(pkt), 101)
        assert got.version == ip.version
        assert got.ttl == (ip.ttl if got.version == 4 else ip.hlim)
        assert got.proto == (ip.proto if got.version == 4 else ip.nh)
        size = shape.IP_ADDRESS_LEN[got.version]
        family = socket.AF_INET if got.version == 4 else socket.AF_INET6
        assert data[got.src_at:got.src_at + size] == socket.inet_pton(family, ip.src)
        assert data[got.dst_at:got.dst_at + size] == socket.inet_pton(family, ip.dst)
        assert data[got.transport_at:] == bytes(ip.payload)
    assert shape.ip_header(b"\x45" + bytes(18), 0) is None  # too short
    assert shape.ip_header(bytes(40), 0) is None  # version 0
    assert shape.ip_header(b"\x60" + bytes(30), 0) is None  # IPv6 cut short
