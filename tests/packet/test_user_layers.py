"""User-defined protocols (Scapy's ``Packet`` with ``fields_desc``) against Scapy itself.

Each case is Python source that declares classes with Scapy's names and puts what it
found in a list ``out``. The same source runs twice: once after
``from scapy.all import *`` and once with netprobe's names, so the classes are
declared identically on both sides; the two ``out`` lists must be equal (bytes
built, values dissected, hooks' answers). Round trips and malformed input are
checked on netprobe alone, with generated values.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netprobe.packet import IP, TCP, UDP, Raw, bind_layers, dissect_as
from netprobe.packet.packet_class import Packet, split_layers
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    ByteField,
    ConditionalField,
    FieldLenField,
    FlagsField,
    IntField,
    IPField,
    LEShortField,
    MACField,
    PacketListField,
    ShortField,
    SignedByteField,
    StrField,
    StrFixedLenField,
    StrLenField,
    XShortField,
)


def _names(library: str) -> dict[str, Any]:
    ns: dict[str, Any] = {"struct": struct}
    if library == "scapy":
        exec("from scapy.all import *", ns)
    else:
        exec("from netprobe import *\n"
             "from netprobe.packet.packet_class import *\n"
             "from netprobe.packet.scapy_fields import *\n"
             "from netprobe.packet.randval import *\n", ns)
    return ns


def run_both(src: str) -> tuple[list[Any], list[Any]]:
    """``out`` of ``src`` run under Scapy's names, then under netprobe's."""
    results = []
    for library in ("scapy", "netprobe"):
        ns = _names(library)
        exec(src, ns)
        results.append(ns["out"])
    return results[0], results[1]


DISNEY = '''
class Disney(Packet):
    name = "DisneyPacket "
    fields_desc = [ShortField("mickey", 5), XByteField("minnie", 3),
                   IntEnumField("donald", 1, {1: "happy", 2: "cool", 3: "angry"})]
out = []
d = Disney(mickey=1)
out.append(bytes(d))
d.donald = 2
out.append(bytes(d))
e = Disney(bytes(d))
out.append((e.mickey, e.minnie, e.donald))
out.append(bytes(Disney(donald="angry")))
out.append(Disney().name)
out.append(len(Disney()))
'''

BIND = '''
class Disney(Packet):
    fields_desc = [ShortField("mickey", 5), XByteField("minnie", 3), IntField("donald", 1)]
bind_layers(UDP, Disney, dport=2000)
out = []
p = IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=1) / Disney(donald=3)
out.append(bytes(p).hex())
out.append(p[UDP].dport)
q = IP(bytes(p))
out.append((type(q[UDP].payload).__name__, q[Disney].donald, q[Disney].mickey))
p2 = IP(src="198.18.0.2", dst="198.18.0.1") / UDP(sport=1, dport=53) / Disney()
out.append(bytes(p2).hex())
split_layers(UDP, Disney, dport=2000)
q = IP(bytes(p))
out.append(type(q[UDP].payload).__name__)
bind_layers(Disney, TCP, mickey=7)
t = Disney() / TCP(sport=1, dport=2)
out.append(bytes(t).hex())
u = Disney(bytes(t))
out.append((type(u.payload).__name__, u.payload.dport))
split_layers(Disney, TCP, mickey=7)
out.append(type(Disney(bytes(t)).payload).__name__)
'''

FIELDS = '''
class Opt(Packet):
    name = "Option"
    fields_desc = [ByteField("kind", 1),
                   FieldLenField("olen", None, length_of="data", fmt="B"),
                   StrLenField("data", b"", length_from=lambda p: p.olen)]
    def extract_padding(self, s):
        return b"", s
class Hdr(Packet):
    name = "MyHeader"
    fields_desc = [
        BitField("ver", 4, 4), BitField("res", 0, 4),
        FlagsField("flags", 0, 8, ["SYN", "ACK", "FIN", "R3", "R4", "R5", "R6", "R7"]),
        XShortField("id", 0x1234), IPField("src", "198.18.0.1"),
        MACField("mac", "00:11:22:33:44:55"), IP6Field("ip6", "2001:db8::1"),
        ByteEnumField("kind", 2, {1: "one", 2: "two"}), ShortEnumField("code", 7, {7: "seven"}),
        FieldLenField("nlen", None, length_of="nm"),
        StrLenField("nm", b"abc", length_from=lambda p: p.nlen),
        StrFixedLenField("tag", b"xy", 4),
        ConditionalField(IntField("extra", 9), lambda p: p.kind == 1),
        FieldLenField("cnt", None, count_of="opts", fmt="B"),
        PacketListField("opts", [], Opt, count_from=lambda p: p.cnt),
        PacketField("inner", Opt(), Opt),
        PadField(ByteField("pb", 1), 4),
        BitField("b1", 1, 3), FlagsField("f2", 3, 5, "ABCDE"),
        LEShortField("le", 0x102), SignedByteField("sb", -3), LongField("lg", 2**40),
        XIntField("xi", 0xDEAD), LEIntField("lei", 5), SignedShortField("ss", -2),
        StrFixedLenField("vl", b"q", length_from=lambda p: p.kind),
        XStrField("rest", b""),
    ]
out = []
h = Hdr(opts=[Opt(data=b"hi"), Opt(kind=3)], flags="SYN+ACK")
out.append(bytes(h).hex())
out.append(bytes(Hdr(kind=1, extra=77, rest=b"zz", nm="text", mac="02:00:00:00:00:09")).hex())
h2 = Hdr(bytes(h))
names = ["ver", "res", "id", "src", "mac", "ip6", "kind", "code", "nlen", "nm", "tag", "extra",
         "cnt", "pb", "b1", "le", "sb", "lg", "xi", "lei", "ss", "vl", "rest"]
out.append([(n, getattr(h2, n)) for n in names])
out.append([bytes(o) for o in h2.opts])
out.append(bytes(h2.inner))
out.append((str(h2.flags), int(h2.flags), str(h2.f2), int(h2.f2)))
h3 = Hdr(bytes(Hdr(kind=1, extra=77, rest=b"zz")))
out.append((h3.extra, h3.rest, h3.vl))
out.append(bytes(h2) == bytes(h))
out.append(bytes(Hdr(flags=3, kind="one")).hex())
'''

HOOKS = '''
class Chk(Packet):
    name = "Checked"
    fields_desc = [ByteField("type", 1), ShortField("length", None), XShortField("sum", None),
                   IntField("val", 0)]
    def post_build(self, pkt, pay):
        if self.length is None:
            pkt = pkt[:1] + struct.pack("!H", len(pkt) + len(pay)) + pkt[3:]
        if self.sum is None:
            s = sum(pkt + pay) & 0xFFFF
            pkt = pkt[:3] + struct.pack("!H", s) + pkt[5:]
        return pkt + pay
class Req(Packet):
    fields_desc = [ShortField("ident", 0), ByteField("op", 1)]
    def hashret(self):
        return struct.pack("!H", self.ident)
    def answers(self, other):
        return (isinstance(other, Req) and other.op == 1 and self.op == 2
                and self.ident == other.ident)
    def guess_payload_class(self, payload):
        if payload[:1] == b"\\x01":
            return Chk
        return Packet.guess_payload_class(self, payload)
class Tlv(Packet):
    fields_desc = [ByteField("t", 0), FieldLenField("l", None, length_of="v", fmt="B"),
                   StrLenField("v", b"", length_from=lambda p: p.l)]
    def extract_padding(self, s):
        return b"", s
class Tlvs(Packet):
    fields_desc = [ShortField("n", 0), PacketListField("items", [], Tlv)]
class Trail(Packet):
    fields_desc = [ByteField("plen", 2), ByteField("x", 0)]
    def extract_padding(self, s):
        return s[:self.plen], s[self.plen:]
class Sized(Packet):
    fields_desc = [LenField("len", None, fmt="B"), ByteField("x", 1)]
out = []
out.append(bytes(Chk(val=7)).hex())
out.append(bytes(Chk(val=7) / b"abc").hex())
out.append(bytes(Chk(length=99, val=7)).hex())
c = Chk(bytes(Chk(val=9) / b"zz"))
out.append((c.type, c.length, c.sum, c.val, bytes(c.payload)))
a, b = Req(ident=5, op=1), Req(ident=5, op=2)
out.append((bool(b.answers(a)), bool(a.answers(b)), a.hashret() == b.hashret(),
            Req(ident=6).hashret() == a.hashret()))
r = Req(bytes(Req(ident=3) / Chk(val=4)))
out.append((type(r.payload).__name__, r.payload.val))
r = Req(bytes(Req(ident=3) / b"\\x02xyz"))
out.append((type(r.payload).__name__, bytes(r.payload)))
t = Tlvs(bytes(Tlvs(n=2, items=[Tlv(t=1, v=b"ab"), Tlv(t=2, v=b"c"), Tlv(t=3)])))
out.append([(i.t, i.l, i.v) for i in t.items])
out.append(bytes(t).hex())
tr = Trail(b"\\x02\\x05abcdef")
out.append((bytes(tr.payload), type(tr.payload).__name__, len(tr)))
out.append((bytes(Sized()).hex(), bytes(Sized() / b"abcd").hex(), Sized(b"\\x05\\x01zz").len))
'''

INHERIT = '''
class Base(Packet):
    fields_desc = [ByteField("a", 1), ShortField("b", 2)]
class Child(Base):
    pass
class Named(Base):
    name = "Named one"
class More(Packet):
    fields_desc = Base.fields_desc + [IntField("c", 3)]
out = [bytes(Child(a=9)), Child().name, Named().name, Base().name, bytes(More(c=4)),
       More(bytes(More(a=2))).a, [f.name for f in More.fields_desc]]
'''

RANDOM = '''
import random
class R(Packet):
    fields_desc = [ShortField("a", 0), ShortField("b", 0), IPField("ip", "0.0.0.0"),
                   MACField("mac", "00:00:00:00:00:00"), ByteField("c", 0), IntField("d", 0)]
random.seed(7)
out = []
p = R(a=RandShort(), b=RandShort(), ip=RandIP(), mac=RandMAC(), c=RandByte(), d=RandInt())
out.append(bytes(p).hex())
out.append(bytes(p).hex())
out.append(bytes(p / R(a=RandShort()) / R(b=RandShort())).hex())
out.append(bytes(IP(src="198.18.0.1", dst="198.18.0.2", id=RandShort()) / UDP(sport=RandShort())
                 / R(c=RandByte())).hex())
'''

CUSTOM = '''
class LEThree(Field):
    def __init__(self, name, default):
        Field.__init__(self, name, default, "<I")
    def i2repr(self, pkt, x):
        return "v%d" % x
class Upper(StrLenField):
    def i2m(self, pkt, x):
        return x.upper()
    def m2i(self, pkt, x):
        return x.lower()
class Doubled(ByteField):
    def i2m(self, pkt, x):
        return 2 * x
    def m2i(self, pkt, x):
        return x // 2
class OneByte(Field):
    def addfield(self, pkt, s, val):
        return s + bytes([val & 0x7F])
    def getfield(self, pkt, s):
        return s[1:], s[0]
class Cus(Packet):
    fields_desc = [ByteField("n", 3), Doubled("d", 4), LEThree("le", 7),
                   Upper("s", b"abc", length_from=lambda p: p.n), ShortField("z", 9),
                   OneByte("o", 1)]
out = []
out.append(bytes(Cus()).hex())
out.append(bytes(Cus(o=0x85, d=100)).hex())
d = Cus(bytes(Cus(d=10, s=b"xyz", o=5)))
out.append((d.n, d.d, d.le, d.s, d.z, d.o))
out.append([f.i2repr(d, getattr(d, f.name)) for f in Cus.fields_desc])
out.append([(f.name, type(f).__name__) for f in Cus.fields_desc])
'''

LISTS = '''
class T(Packet):
    fields_desc = [FieldLenField("n", None, count_of="v"),
                   FieldListField("v", ["1.2.3.4"], IPField("", "0.0.0.0"),
                                  count_from=lambda p: p.n),
                   ThreeBytesField("t", 5), X3BytesField("x", 6),
                   FieldLenField("bl", None, length_of="b", fmt="B"),
                   FieldListField("b", [1, 2], ShortField("", 0), length_from=lambda p: p.bl),
                   FieldListField("rest", [], ByteField("", 0))]
out = [bytes(T()).hex()]
q = T(bytes(T(v=["1.1.1.1", "2.2.2.2"], b=[7, 8, 9], t=0x123456, rest=[4, 5])))
out.append((q.n, q.v, q.t, q.x, q.bl, q.b, q.rest))
out.append([f.i2repr(q, getattr(q, f.name)) for f in T.fields_desc])
'''

EDGES = '''
class E(Packet):
    fields_desc = [StrLenField("s2", "ab", length_from=lambda p: 2), StrFixedLenField("f", "x", 3),
                   ShortField("n", None), IPField("ip", None), MACField("m", None),
                   ByteEnumField("e", "zero", {0: "zero", 1: "one"}), StrField("data", "")]
out = [bytes(E()), E().data, E().f, E().s2, E().e, E(data="hi").data]
out.append(E(bytes(E(data="yo"))).data)
x = E(n=3)
x.n = 7
x.e = "one"
out.append(bytes(x))
class T(Packet):
    fields_desc = [ShortField("a", 1)]
out.append(bytes(T() / b"yy"))
out.append(T(b"\\x00\\x05extra").payload.load)
t = T(a=1)
t2 = t.copy()
t2.a = 9
out.append((t.a, t2.a, t == T(a=1), t == t2))
out.append((T in (T() / Raw()), bool((T() / Raw()).haslayer(T)), (T() / T(a=2))[T:2].a))
out.append((T().getlayer(T).a, len(T() / T()), T(a=3).getfieldval("a")))
'''

INIT = '''
class P(Packet):
    fields_desc = [ShortField("a", 1)]
    def __init__(self, *args, **kargs):
        extra = kargs.pop("extra", 5)
        Packet.__init__(self, *args, **kargs)
        self.extra = extra
class Q(P):
    fields_desc = [ShortField("a", 1), ByteField("b", 2)]
class R(Q):
    pass
out = []
p = P(a=3, extra=7)
out.append((p.extra, bytes(p)))
q = P(bytes(P(a=9) / b"zz"))
out.append((q.extra, q.a, bytes(q.payload)))
r = Q(b=4, extra=1)
out.append((r.extra, bytes(r)))
out.append((R(b"\\x00\\x07\\x08").extra, R(b"\\x00\\x07\\x08").b))
bind_layers(UDP, P, dport=999)
u = UDP(bytes(UDP(sport=1, dport=999) / P(a=2)))
out.append((u[P].extra, u[P].a))
split_layers(UDP, P, dport=999)
'''

CASES = {"init": INIT, "edges": EDGES, "lists": LISTS, "disney": DISNEY, "bind": BIND,
         "fields": FIELDS, "hooks": HOOKS, "inherit": INHERIT, "random": RANDOM, "custom": CUSTOM}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_as_scapy(case: str) -> None:
    theirs, ours = run_both(CASES[case])
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(theirs, ours, strict=True)):
        assert b == a, f"item {i}: netprobe {b!r}, Scapy {a!r}"


# -- netprobe alone: round trips, malformed input, speed paths --------------------------------
class Fixed(Packet):
    """Fixed fields only: the generated code alone."""

    name = "Fixed header"
    fields_desc = [ByteField("ver", 1), ByteEnumField("kind", 0, {0: "zero", 1: "one"}),
                   ShortField("port", 0), IntField("seq", 0), IPField("addr", "0.0.0.0"),
                   BitField("hi", 0, 3), FlagsField("fl", 0, 5, "ABCDE"), LEShortField("le", 0),
                   SignedByteField("sb", 0), MACField("mac", "00:00:00:00:00:00")]


class Var(Packet):
    """Variable fields after a length."""

    fields_desc = [FieldLenField("n", None, length_of="data", fmt="B"),
                   StrLenField("data", b"", length_from=lambda p: p.n),
                   ConditionalField(ShortField("opt", 0), lambda p: p.n > 2),
                   XShortField("tail", 0), StrField("rest", b"")]


_fixed_values = st.fixed_dictionaries({
    "ver": st.integers(0, 255), "kind": st.integers(0, 255), "port": st.integers(0, 65535),
    "seq": st.integers(0, 2**32 - 1), "addr": st.ip_addresses(v=4).map(str),
    "hi": st.integers(0, 7), "fl": st.integers(0, 31), "le": st.integers(0, 65535),
    "sb": st.integers(-128, 127),
    "mac": st.binary(min_size=6, max_size=6).map(lambda b: b.hex(":")),
})


@settings(max_examples=200, deadline=None)
@given(_fixed_values)
def test_fixed_round_trip(values: dict[str, Any]) -> None:
    raw = bytes(Fixed(**values))
    assert len(raw) == Fixed.fixed_len == 22
    back = Fixed(raw)
    for k, v in values.items():
        assert getattr(back, k) == v, k
    assert bytes(back) == raw
    assert bytes(dissect_as(Fixed, raw)) == raw


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=20), st.integers(0, 65535), st.integers(0, 65535), st.binary(max_size=8))
def test_variable_round_trip(data: bytes, opt: int, tail: int, rest: bytes) -> None:
    raw = bytes(Var(data=data, opt=opt, tail=tail, rest=rest))
    back = Var(raw)
    assert back.n == len(data)
    assert back.data == data
    assert back.opt == (opt if len(data) > 2 else None)
    assert (back.tail, back.rest) == (tail, rest)
    assert bytes(back) == raw


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_malformed_never_raises(buf: bytes) -> None:
    for cls in (Fixed, Var):
        pkt = dissect_as(cls, buf)
        assert bytes(pkt) == buf or pkt.errors or type(pkt) is Raw


def test_short_bytes_become_raw_with_a_note() -> None:
    pkt = dissect_as(Fixed, b"\x01\x02\x03")
    assert type(pkt) is Raw
    assert pkt.errors and "Fixed" in pkt.errors[0]


def test_keywords_win_over_bytes() -> None:
    raw = bytes(Fixed(port=5, seq=6))
    assert Fixed(raw, port=9).port == 9
    assert Fixed(raw, port=9).seq == 6


def test_payload_after_fixed_header() -> None:
    pkt = Fixed(bytes(Fixed(port=1) / b"abc"))
    assert pkt.port == 1
    assert type(pkt.payload) is Raw and pkt.payload.load == b"abc"


def test_field_repr_and_names() -> None:
    assert repr(Fixed.fields_desc[0]) == "<ByteField (Fixed).ver>"
    assert Fixed().name == "Fixed header"
    assert Var().name == "Var"
    assert Fixed(kind="one").kind == 1
    assert Fixed.fields_desc[1].i2repr(None, 1) == "one"
    assert XShortField("x", 0).i2repr(None, 255) == "0xff"


def test_bad_values_are_refused_clearly() -> None:
    from netprobe.errors import UsageError

    with pytest.raises(UsageError, match="port"):
        Fixed(port=70000)
    with pytest.raises(UsageError, match="addr"):
        Fixed(addr="not an address")
    with pytest.raises(UsageError, match="kind"):
        Fixed(kind="nope")


def test_copies_do_not_share_nested_packets() -> None:
    from netprobe.packet.scapy_fields import PacketField

    class Inner(Packet):
        fields_desc = [ByteField("x", 1)]

        def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
            return b"", s

    class Outer(Packet):
        fields_desc = [PacketField("inner", Inner(), Inner),
                       PacketListField("items", [], Inner)]

    a, b = Outer(), Outer()
    a.inner.x = 5
    assert b.inner.x == 1
    c = a / Raw(load=b"z")
    c.inner.x = 7
    assert a.inner.x == 5


def test_split_layers_without_values_removes_every_binding() -> None:
    class Tiny(Packet):
        fields_desc = [ByteField("v", 0)]

    bind_layers(UDP, Tiny, dport=4001)
    bind_layers(UDP, Tiny, sport=4002)
    raw = bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=4001) / Tiny())
    assert IP(raw).haslayer(Tiny)
    split_layers(UDP, Tiny)
    assert not IP(raw).haslayer(Tiny)
    assert type(IP(raw)[UDP].payload) is Raw


def test_split_layers_without_values_removes_two_values_of_one_field() -> None:
    class Twice(Packet):
        fields_desc = [ByteField("v", 0)]

    bind_layers(UDP, Twice, dport=4003)
    bind_layers(UDP, Twice, dport=4004)
    frames = [bytes(IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=1, dport=port) / Twice())
              for port in (4003, 4004)]
    assert all(IP(raw).haslayer(Twice) for raw in frames)
    split_layers(UDP, Twice)
    assert not any(IP(raw).haslayer(Twice) for raw in frames)
    assert (UDP() / Twice()).dport == 53  # building no longer fills it: UDP's default


def test_stacking_fills_bound_field_left_at_default() -> None:
    class Over(Packet):
        fields_desc = [ByteField("v", 0)]

    bind_layers(TCP, Over, dport=4010)
    try:
        assert (TCP() / Over()).dport == 4010
        assert (TCP(dport=22) / Over()).dport == 22
    finally:
        split_layers(TCP, Over)


def test_fields_after_variable_part_need_whole_bytes() -> None:
    with pytest.raises(TypeError, match="whole bytes"):
        class Bad(Packet):
            fields_desc = [StrField("s", b""), BitField("b", 0, 3)]


def test_fixed_strings_pad_and_cut() -> None:
    class S(Packet):
        fields_desc = [StrFixedLenField("s", b"", 4)]

    assert bytes(S(s=b"ab")) == b"ab\x00\x00"
    assert bytes(S(s=b"abcdef")) == b"abcd"


def test_layers_without_their_own_init_keep_the_generated_one() -> None:
    """Only a class (or the subclass of one) that defines __init__ goes through Packet's."""
    assert "__init__" in vars(Fixed) and not Fixed._user_init
    assert "__init__" in vars(Var) and not Var._user_init


def test_subclass_of_a_fieldless_base_reads_its_variable_fields() -> None:
    """A base with hooks but no fields (a family's common class) must not hand its
    subclasses the fixed-header-only forms of building and reading."""

    class Base(Packet):
        def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
            return b"", s

    class Fixedish(Base):
        fields_desc = [ByteField("a", 1)]

    class Varied(Base):
        fields_desc = [FieldLenField("n", None, length_of="s", fmt="B"),
                       StrLenField("s", b"", length_from=lambda p: p.n)]

    assert Fixedish(bytes(Fixedish(a=7))).a == 7
    raw = bytes(Varied(s=b"hello")) + b"tail"
    v = dissect_as(Varied, raw)
    assert (v.n, v.s) == (5, b"hello")
    assert bytes(v.payload) == b"tail"


def test_deleted_field_builds_its_default_again() -> None:
    from netprobe.packet.randval import RandShort

    RandShort()  # random values exist: building looks for them first
    f = Fixed(port=9, seq=3)
    del f.port
    assert bytes(f) == bytes(Fixed(seq=3))
    v = Var(data=b"ab", tail=7)
    del v.tail
    assert bytes(v) == bytes(Var(data=b"ab"))
