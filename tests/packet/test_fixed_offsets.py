"""The readers at fixed offsets take every IP, TCP and UDP offset from one table.

``packet/matchkey.py`` lays out the header facts (offsets, sizes, masks,
shifts) from the layers' field lists; ``packet/fastpath.py`` (the answer
shortcuts, through ``header_struct``) and ``packet/columns.py`` (the flows'
column decoder) read only those. A grep of their syntax trees finds no
literal offset of a header field and no literal header size; then the table
is held to the bytes Scapy builds and to those the layers build, and the
shortcuts' structs to Scapy's field values.
"""

from __future__ import annotations

import ast
import struct
from pathlib import Path

import pytest

from netprobe.packet import fastpath
from netprobe.packet import matchkey as mk

S = pytest.importorskip("scapy.all")

PACKAGE = Path(mk.__file__).resolve().parents[1]
READERS = ("packet/fastpath.py", "packet/columns.py")
#: functions whose second argument is where they read
READ_CALLS = {"be16", "be32", "unpack_from", "gather_rows"}
#: link-header rows: their offsets are shape.py's (tests/packet/test_shape_authority.py)
LINK_ROWS = {"head"}
#: the header sizes a reader must not write as numbers
SIZES = {mk.IP4_HEADER, mk.IP6_HEADER, mk.TCP_HEADER, mk.UDP_HEADER}


def _literals(node: ast.AST | None) -> list[int]:
    """Integer literals of 2 or more in the arithmetic of an index (not inside a mask's
    comparison or a call; 0 and 1 are a row's start and an address's two halves)."""
    if node is None or isinstance(node, (ast.Compare, ast.Call, ast.Attribute)):
        return []
    if isinstance(node, ast.Constant):
        return [node.value] if type(node.value) is int and node.value >= 2 else []
    return [v for child in ast.iter_child_nodes(node) for v in _literals(child)]


def _offset_literals(tree: ast.Module) -> list[str]:
    """Reads at a literal offset: an index, a slice start, or a read call's position; a
    slice may end at its start plus a literal (a width)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            value = node.value
            if isinstance(value, (ast.Call, ast.Attribute)) or (isinstance(value, ast.Name) and (
                    value.id in LINK_ROWS or value.id.lstrip("_").isupper())):
                continue  # a tuple's item, a shape, a link row, a table keyed by number
            parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            for part in parts:
                if not isinstance(part, ast.Slice):
                    bad = _literals(part)
                else:
                    upper = part.upper
                    width = (isinstance(upper, ast.BinOp) and isinstance(upper.op, ast.Add)
                             and part.lower is not None
                             and ast.dump(upper.left) == ast.dump(part.lower))
                    bad = _literals(part.lower) + _literals(upper.left if width else upper)
                if bad:
                    found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in READ_CALLS and not (isinstance(first, ast.Name)
                                           and first.id in LINK_ROWS) \
                    and _literals(node.args[1]):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _size_literals(tree: ast.Module) -> list[str]:
    """Header sizes compared with, added, subtracted or multiplied as numbers."""
    found = []
    for node in ast.walk(tree):
        operands: list[ast.expr] = []
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            operands = [node.left, node.right]
        if any(isinstance(o, ast.Constant) and type(o.value) is int and o.value in SIZES
               for o in operands):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _struct_formats(tree: ast.Module) -> list[str]:
    """struct formats written out (the readers' structs come from ``header_struct``)."""
    return [f"{n.lineno}: {ast.unparse(n)}" for n in ast.walk(tree)
            if isinstance(n, ast.Call) and (getattr(n.func, "attr", None) or getattr(
                n.func, "id", None)) in {"Struct", "unpack", "unpack_from", "calcsize"}
            and n.args and isinstance(n.args[0], ast.Constant)]


@pytest.mark.parametrize("rel", READERS)
def test_readers_write_no_header_offset_or_size(rel: str) -> None:
    tree = ast.parse((PACKAGE / rel).read_text())
    assert _offset_literals(tree) == []
    assert _size_literals(tree) == []
    assert _struct_formats(tree) == []


@pytest.mark.parametrize("source", [
    "rows[:, 9]", "t[:, 12] >> 4", "rows[:, 20:40]", "frame[t + 13]", "be32(rows, 12)",
    "_IPH.unpack_from(frame, off + 2)", "r[:, at:at + 16][:, 8:]",
])
def test_the_grep_sees_fixed_offsets(source: str) -> None:
    """Each way the readers used to read a field at a number is caught."""
    assert _offset_literals(ast.parse(source)) != []


@pytest.mark.parametrize("source", ["tcp * 20 + udp * 8", "hlen == 40", "len(frame) < off + 20"])
def test_the_grep_sees_header_sizes(source: str) -> None:
    assert _size_literals(ast.parse(source)) != []


def test_the_grep_passes_widths_and_named_offsets() -> None:
    source = ("rows[:, col:col + 4]; frame[et:et + 2]; be16(t, mk.TCP_SPORT); head[:, 9]; "
              "why[cap3 < 20]; src[:, 1]; rows.shape[1]")
    assert _offset_literals(ast.parse(source)) == []


# -- the table against the bytes Scapy builds ---------------------------------------------------
def _be(raw: bytes, at: int, size: int) -> int:
    return int.from_bytes(raw[at:at + size], "big")


def test_ipv4_offsets_are_where_scapy_puts_the_fields() -> None:
    pkt = S.IP(src="198.18.3.4", dst="198.19.5.6", proto=99, flags="MF", frag=1234, ttl=9,
               id=0x5151) / S.Raw(b"x" * 11)
    raw = bytes(pkt)
    assert mk.IP4_HEADER == len(bytes(S.IP())) == 20
    assert raw[mk.IP4_VERSION] == mk.IP4_FIRST
    assert raw[mk.IP4_VERSION] >> mk.IP4_VERSION_SHIFT == 4
    assert (raw[mk.IP4_VERSION] & mk.IP4_IHL_MASK) * mk.HEADER_WORD == mk.IP4_HEADER
    assert _be(raw, mk.IP4_LEN, 2) == len(raw)
    assert raw[mk.IP4_PROTO] == 99
    assert _be(raw, mk.IP4_SRC, 4) == 0xC6120304 and _be(raw, mk.IP4_DST, 4) == 0xC6130506
    frag = _be(raw, mk.IP4_FRAG, 2)
    assert frag & mk.IP4_FRAG_OFFSET == 1234 and frag & mk.IP4_FRAG_MASK
    first = _be(bytes(S.IP(flags="MF", frag=0)), mk.IP4_FRAG, 2)
    assert first & mk.IP4_FRAG_MASK and not first & mk.IP4_FRAG_OFFSET
    assert not _be(bytes(S.IP(flags="DF")), mk.IP4_FRAG, 2) & mk.IP4_FRAG_MASK


def test_ipv6_offsets_are_where_scapy_puts_the_fields() -> None:
    src, dst = "2001:db8::1:2", "2001:db8::3:4"
    raw = bytes(S.IPv6(src=src, dst=dst, nh=59, plen=7) / S.Raw(b"y" * 7))
    assert mk.IP6_HEADER == len(bytes(S.IPv6())) == 40
    assert raw[mk.IP6_VERSION] >> mk.IP6_VERSION_SHIFT == mk.IP6_VERSION_VALUE == 6
    assert _be(raw, mk.IP6_PLEN, 2) == 7 and raw[mk.IP6_NH] == 59
    assert raw[mk.IP6_SRC:mk.IP6_SRC + mk.IP6_ADDRESS] == S.inet_pton(S.socket.AF_INET6, src)
    assert raw[mk.IP6_DST:mk.IP6_DST + mk.IP6_ADDRESS] == S.inet_pton(S.socket.AF_INET6, dst)


def test_tcp_and_udp_offsets_are_where_scapy_puts_the_fields() -> None:
    tcp = bytes(S.TCP(sport=0x1234, dport=0xABCD, seq=0x01020304, ack=0x0A0B0C0D, flags="SA",
                      options=[("NOP", None)] * 4))
    assert mk.TCP_HEADER == len(bytes(S.TCP())) == 20
    assert (_be(tcp, mk.TCP_SPORT, 2), _be(tcp, mk.TCP_DPORT, 2)) == (0x1234, 0xABCD)
    assert (_be(tcp, mk.TCP_SEQ_AT, 4), _be(tcp, mk.TCP_ACK_AT, 4)) == (0x01020304, 0x0A0B0C0D)
    assert (tcp[mk.TCP_DATAOFS] >> mk.TCP_DATAOFS_SHIFT) * mk.HEADER_WORD == len(tcp) == 24
    assert tcp[mk.TCP_FLAGS] == mk.TCP_SYN | mk.TCP_ACK
    udp = bytes(S.UDP(sport=5353, dport=0x4321) / S.Raw(b"z" * 5))
    assert mk.UDP_HEADER == len(bytes(S.UDP())) == 8
    assert (_be(udp, mk.TCP_SPORT, 2), _be(udp, mk.TCP_DPORT, 2)) == (5353, 0x4321)
    assert fastpath._UDPH.unpack_from(udp)[2] == len(udp)  # UDP's length field
    assert S.IP(bytes(S.IP() / S.TCP())).proto == mk.PROTO_TCP
    assert S.IP(bytes(S.IP() / S.UDP())).proto == mk.PROTO_UDP


@pytest.mark.parametrize(("layer", "values", "offsets"), [
    ("IP", {"len": 0x1234, "frag": 0x0ABC, "proto": 0x99, "src": "198.18.3.4",
            "dst": "198.19.5.6"},
     {"len": ("IP4_LEN", 2), "frag": ("IP4_FRAG", 2), "proto": ("IP4_PROTO", 1),
      "src": ("IP4_SRC", 4), "dst": ("IP4_DST", 4)}),
    ("IPv6", {"plen": 0x0102, "nh": 0x3B, "src": "2001:db8::1", "dst": "2001:db8::2"},
     {"plen": ("IP6_PLEN", 2), "nh": ("IP6_NH", 1), "src": ("IP6_SRC", 16),
      "dst": ("IP6_DST", 16)}),
    ("TCP", {"sport": 0x1111, "dport": 0x2222, "seq": 0x33333333, "ack": 0x44444444},
     {"sport": ("TCP_SPORT", 2), "dport": ("TCP_DPORT", 2), "seq": ("TCP_SEQ_AT", 4),
      "ack": ("TCP_ACK_AT", 4)}),
])
def test_the_table_reads_what_the_layers_build(layer: str, values: dict[str, object],
                                               offsets: dict[str, tuple[str, int]]) -> None:
    """netprobe's own layers put each field where the table says (as Scapy does, above)."""
    import netprobe.packet as packet
    from netprobe.packet.dissect import dissect_as

    cls = getattr(packet, layer)
    raw = bytes(cls(**values))
    assert len(raw) == {"IP": mk.IP4_HEADER, "IPv6": mk.IP6_HEADER, "TCP": mk.TCP_HEADER}[layer]
    back = dissect_as(cls, raw)
    for name, (const, size) in offsets.items():
        at = getattr(mk, const)
        chunk = raw[at:at + size]
        value = getattr(back, name)
        assert chunk == (value.to_bytes(size, "big") if isinstance(value, int)
                         else S.inet_pton(S.socket.AF_INET6 if ":" in value
                                          else S.socket.AF_INET, value)), name


def test_the_shortcuts_structs_read_scapy_s_fields() -> None:
    """The structs laid out from the layers' fields unpack Scapy's values, in order."""
    ip = S.IP(src="198.18.3.4", dst="198.19.5.6", flags="DF", frag=3) / S.TCP()
    raw = bytes(ip)
    first, length, frag, proto, src, dst = fastpath._IPH.unpack_from(raw)
    assert (first, length, proto) == (raw[0], ip.len if ip.len else len(raw), 6)
    assert frag == (2 << 13 | 3) and (src, dst) == (0xC6120304, 0xC6130506)
    tcp = bytes(S.TCP(sport=7, dport=8, seq=9, ack=10, flags="FA"))
    sport, dport, seq, ack, offset, flags = fastpath._TCPH.unpack_from(tcp)
    assert (sport, dport, seq, ack, offset, flags) == (7, 8, 9, 10, 5 << 4, 0x11)
    udp = bytes(S.UDP(sport=11, dport=12) / S.Raw(b"abc"))
    assert fastpath._UDPH.unpack_from(udp) == (11, 12, 11)
    assert fastpath._PORTS.unpack_from(tcp) == (7, 8)


@pytest.mark.parametrize("fields", [((0, 1), (2, 2)), ((1, 4), (9, 1), (12, 2))])
def test_header_struct_reads_each_field_at_its_offset(fields: tuple[tuple[int, int], ...]
                                                      ) -> None:
    data = bytes(range(1, 41))
    reader = mk.header_struct(*(mk.Bits(at, size, 0, 0) for at, size in fields))
    assert reader.unpack_from(data) == tuple(_be(data, at, size) for at, size in fields)
    assert reader.size == fields[-1][0] + fields[-1][1]
    assert struct.calcsize(reader.format) == reader.size
