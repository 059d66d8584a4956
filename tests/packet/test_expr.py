"""Packet expressions (``netprobe.packet.expr``): parsed, checked, never evaluated."""

from __future__ import annotations

import builtins

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netprobe.errors import UsageError
from netprobe.packet import IP, TCP, UDP, Ether, Layer, Raw, layer_classes
from netprobe.packet.expr import parse_packet


def test_stacks_layers_with_their_fields() -> None:
    p = parse_packet('Ether(dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2", '
                     'ttl=7)/TCP(dport=443, flags="SA")')
    assert [type(x) for x in p.chain()] == [Ether, IP, TCP]
    assert p[Ether].dst == "02:00:00:00:00:02"
    assert (p[IP].src, p[IP].dst, p[IP].ttl) == ("198.18.0.1", "198.18.0.2", 7)
    assert p[TCP].dport == 443 and p[TCP].flags == "SA"
    direct = (Ether(dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.18.0.2", ttl=7)
              / TCP(dport=443, flags="SA"))
    assert bytes(p) == bytes(direct)


def test_bare_names_are_default_layers() -> None:
    p = parse_packet('IP(src="198.18.0.1")/UDP')
    assert bytes(p) == bytes(IP(src="198.18.0.1") / UDP())


@pytest.mark.parametrize(("text", "load"), [
    ('IP(src="198.18.0.1")/"hello"', b"hello"),
    ('IP(src="198.18.0.1")/b"\\x00\\xff"', b"\x00\xff"),
    ('IP(src="198.18.0.1")/Raw(load="é")', "é".encode()),
    ('IP(src="198.18.0.1")/Raw("positional")', b"positional"),
])
def test_payloads(text: str, load: bytes) -> None:
    p = parse_packet(text)
    assert isinstance(p.payload, Raw) and p.payload.load == load


def test_a_payload_alone_is_raw() -> None:
    p = parse_packet('b"abc"')
    assert isinstance(p, Raw) and p.load == b"abc"


@pytest.mark.parametrize(("text", "count"), [
    ("TCP(dport=[22, 80])", 2),
    ("TCP(dport=range(10))", 10),
    ("TCP(dport=range(10, 20, 5))", 2),
    ("TCP(dport=[1, range(5, 8)])", 4),
    ("TCP(dport=(1, 1024))", 1024),  # Scapy's inclusive (low, high)
    ('IP(src="198.18.9.9", dst="198.18.0.0/29")/TCP(dport=[1, 2])', 16),
    ('IP(src="198.18.9.9", dst=["198.18.0.1", "198.18.1.0/31"])', 3),
    ('IP(src="198.18.9.9", ttl=[1, 2])/UDP(sport=[1, 2, 3])/DNS()', 6),
])
def test_sets(text: str, count: int) -> None:
    p = parse_packet(text)
    assert p.set_size() == count
    assert len({bytes(x) for x in p}) == count


def test_true_false_and_none_are_literals() -> None:
    assert parse_packet('IP(dst="198.18.0.1", chksum=None)').chksum is None
    with pytest.raises(UsageError, match="got bool True"):  # read, then refused by the field
        parse_packet("TCP(sport=True)")


def test_negative_numbers_are_literals() -> None:
    assert parse_packet("IP(ttl=-(-3))").ttl == 3
    with pytest.raises(UsageError, match="ttl"):
        parse_packet("IP(ttl=-3)")


def test_bytes_to_dissect_with_fields_that_win() -> None:
    raw = bytes(IP(src="198.18.0.1", dst="198.18.0.2", ttl=5) / TCP(dport=22))
    p = parse_packet(f"IP({raw!r}, ttl=9)")
    assert p.ttl == 9 and p.dst == "198.18.0.2" and p[TCP].dport == 22


def test_every_layer_class_is_known() -> None:
    for name, cls in layer_classes().items():
        if name in ("Raw", "Padding"):
            continue
        try:
            p = parse_packet(f"{name}()")
        except UsageError:
            # a layer with no default for a required field; its name was still known
            continue
        # a class standing for several (Scapy's NTP(), IGMP()) makes the one its values name
        assert type(p) is cls or cls.__dict__.get("dispatches", False)


@pytest.mark.parametrize(("text", "words"), [
    ("", ["empty"]),
    ("Foo()", ["'Foo'", "column 1", "IP"]),
    ("IP()/Nope", ["'Nope'", "column 6"]),
    ("IP(foo=1)", ["'foo'", "ttl"]),
    ("IP(ttl=1, ttl=2)", ["twice"]),
    ("IP(ttl=300)", ["ttl", "300"]),
    ("IP(", ["column"]),
    ("IP(ttl=1+1)", ["column 8"]),
    ("IP(1, 2)", ["keyword"]),
    ("IP(ttl=IP())", ["ttl"]),
    ('"x"/IP()', ["payload"]),
    ("IP()/5", ["stacks layers"]),
    ("range(3)", ["range", "not a packet"]),
    ("TCP(dport=range(2000000))", ["too large"]),
    ("TCP(dport=range(1, 5, 0))", ["range"]),
    ("TCP(dport=range(True))", ["integers"]),
    ("IP(**{'ttl': 1})", ["**"]),
    ("IP(ttl=...)", ["Ellipsis"]),
    ("(" * 300 + "IP()" + ")" * 300, []),
    ("[" * 100001, ["too long"]),
    ("9" * 5000, []),
    ("IP\x00()", []),
])
def test_refusals_say_why(text: str, words: list[str]) -> None:
    with pytest.raises(UsageError) as info:
        parse_packet(text)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


@pytest.mark.parametrize("text", [
    '__import__("os").system("echo pwned")',
    'IP().__class__.__bases__',
    "IP.__init__.__globals__",
    'eval("1")', 'exec("x=1")', 'open("/etc/passwd")', "compile('1', 'f', 'eval')",
    "getattr(IP(), 'build')", "globals()", "vars()", "breakpoint()",
    "lambda: 0", "[x for x in range(3)]", "{1: 2}", "{1, 2}", "(x := 1)",
    'f"{IP()}"', "IP()[0]", "IP() if 1 else IP()", "IP() and IP()", "not IP()",
    "IP(*[1])", "await IP()", "yield IP()", "IP(ttl=__debug__)", "IP(ttl=x)",
])
def test_code_is_never_run(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import ast
    import os

    ran: list[str] = []
    real_compile = builtins.compile

    def spy(name: str) -> object:
        def record(*args: object, **kwargs: object) -> None:
            ran.append(name)
            raise AssertionError(f"{name} called")
        return record

    def compile_ast_only(source: object, filename: object, mode: str, flags: int = 0,
                         *args: object, **kwargs: object) -> object:
        # Python's own parser compiles to a tree only; anything else would be code
        if not flags & ast.PyCF_ONLY_AST:
            ran.append("compile")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    for name in ("eval", "exec", "open", "breakpoint"):
        monkeypatch.setattr(builtins, name, spy(name))
    monkeypatch.setattr(builtins, "compile", compile_ast_only)
    monkeypatch.setattr(os, "system", spy("os.system"))
    try:
        with pytest.raises(UsageError):
            parse_packet(text)
    finally:
        monkeypatch.undo()
    assert ran == []


TOKENS = ["IP", "TCP", "UDP", "Ether", "Raw", "DNS", "Foo", "range", "__import__", "os",
          "(", ")", "[", "]", ",", "/", "=", ".", "*", "**", "+", "-", ":", "lambda",
          "ttl", "dport", "dst", "flags", "options", "load", "0", "1", "255", "65536", "-1",
          "1.5", '"S"', '"198.18.0.1"', '"198.18.0.0/30"', 'b"\\x00"', '"x"', "None",
          "True", "(1, 3)", "__class__", " "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_any_token_soup_is_a_packet_or_a_usage_error(text: str) -> None:
    try:
        p = parse_packet(text)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(p, Layer)
    if p.set_size() <= 64:
        for one in p:
            try:
                one.build()
            except UsageError:
                pass  # e.g. an address that the route hook cannot resolve


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_a_packet_or_a_usage_error(text: str) -> None:
    try:
        p = parse_packet(text)
    except UsageError:
        return
    assert isinstance(p, Layer)
