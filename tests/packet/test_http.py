"""HTTP/1: requests and responses built as Scapy builds them, and real captures read as
Scapy reads them (layer names, start line, headers), bytes kept."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from link_compare import frames, scapy_dissect
from scapy.layers.inet import IP as S_IP
from scapy.layers.inet import TCP as S_TCP

from netprobe.errors import UsageError
from netprobe.packet import (
    HTTP,
    IP,
    TCP,
    HTTPRequest,
    HTTPResponse,
    Raw,
    dissect,
    dissect_as,
    optional_layers,
)


class NP:
    HTTP, HTTPRequest, HTTPResponse, IP, TCP = HTTP, HTTPRequest, HTTPResponse, IP, TCP


class SC:
    """Scapy's classes; its HTTP layers are set by the fixture below."""

    IP, TCP = S_IP, S_TCP
    HTTP = HTTPRequest = HTTPResponse = None


@pytest.fixture(autouse=True, scope="module")
def _loaded() -> Iterator[None]:
    """HTTP is dissected once loaded, in Scapy (importing its module binds it) as in
    netprobe; both are unloaded after, so that the tests that follow see the default."""
    from scapy.layers import http as s_http
    from scapy.packet import split_layers

    SC.HTTP, SC.HTTPRequest, SC.HTTPResponse = (s_http.HTTP, s_http.HTTPRequest,
                                                 s_http.HTTPResponse)
    optional_layers.load("http")
    yield
    optional_layers.unload("http")
    split_layers(S_TCP, s_http.HTTP)


SPECS = {
    "request-default": lambda m: m.HTTPRequest(),
    "request-host": lambda m: m.HTTP() / m.HTTPRequest(Host="example.com", Path="/x"),
    "request-body": lambda m: m.HTTP() / m.HTTPRequest(Method="POST", Content_Type="text/plain")
    / b"body",
    "request-length-given": lambda m: m.HTTPRequest(Content_Length="5") / b"body",
    "request-many": lambda m: m.HTTPRequest(User_Agent="ua", Accept="*/*", Connection="close",
                                            Cookie=b"a=b", X_Forwarded_For="198.18.0.1",
                                            Unknown_Headers={"X-Foo": "bar", b"X-B": b"c"}),
    "request-in-tcp": lambda m: m.IP(src="198.18.0.1", dst="198.18.0.2")
    / m.TCP(sport=40000, dport=80) / m.HTTP() / m.HTTPRequest(Host="h", Http_Version="HTTP/1.0"),
    "request-default-ports": lambda m: m.IP(src="198.18.0.1", dst="198.18.0.2") / m.TCP()
    / m.HTTP() / m.HTTPRequest(Host="h"),
    "response-dated": lambda m: m.HTTP() / m.HTTPResponse(Date=b"Mon, 07 Dec 2026 10:00:00 GMT"),
    "response-404": lambda m: m.HTTPResponse(Status_Code="404", Reason_Phrase="Not Found",
                                             Date="x", Server="netprobe") / b"gone",
    "response-in-tcp": lambda m: m.IP(src="198.18.0.2", dst="198.18.0.1")
    / m.TCP(sport=80, dport=40000) / m.HTTP()
    / m.HTTPResponse(Date="d", Content_Type="text/html", Set_Cookie="k=v") / b"<html/>",
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_builds_like_scapy(name: str) -> None:
    assert bytes(SPECS[name](NP)) == bytes(SPECS[name](SC))


def test_undated_response_gets_the_current_date_as_scapy_does() -> None:
    ours, theirs = bytes(HTTPResponse()), bytes(SC.HTTPResponse())
    assert ours.split(b"Date: ")[0] == theirs.split(b"Date: ")[0]
    assert len(ours) == len(theirs) and ours.endswith(b" GMT\r\n\r\n")


PAYLOADS = [
    b"GET /a HTTP/1.1\r\nHost: h\r\nuser-agent: x\r\nX-Foo: bar\r\n\r\nbody",
    b"HTTP/1.0 200 OK\r\nServer: s\r\n\r\nhello",
    b"random data",
    b"POST / HTTP/1.1\r\nHost: h",
    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /a HTTP/1.1\nHost: h\n\nbody",
    b"GET /a\r\n\r\n",
    b"GET /a HTTP/1.1 extra\r\nHost:h\r\nBad line\r\n\r\n",
    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
]


def _chain(pkt) -> list:
    out = []
    while pkt:
        out.append(pkt)
        pkt = pkt.payload
    return out


def _same_as_scapy(ours, theirs) -> None:
    o, s = _chain(ours), list(theirs.iterpayloads())
    assert [type(x).__name__ for x in o] == [type(x).__name__ for x in s]
    for a, b in zip(o, s):
        if isinstance(a, (HTTPRequest, HTTPResponse)):
            for name in a.field_names:
                assert getattr(a, name) == getattr(b, name), name


@pytest.mark.parametrize(("payload", "ports"), list(itertools.product(
    PAYLOADS, [(40000, 80), (80, 40000), (8080, 40000)])))
def test_dissects_as_scapy(payload: bytes, ports: tuple[int, int]) -> None:
    raw = bytes(S_TCP(sport=ports[0], dport=ports[1]) / payload)
    ours = dissect_as(TCP, raw)
    _same_as_scapy(ours, S_TCP(raw))
    assert bytes(ours) == raw and ours.errors == []


def test_changed_fields_build_anew() -> None:
    raw = bytes(TCP(sport=40000, dport=80) / Raw(PAYLOADS[0]))
    pkt = dissect_as(TCP, raw)
    pkt[HTTPRequest].Path = "/b"
    assert bytes(pkt[HTTPRequest]).startswith(b"GET /b HTTP/1.1\r\n")
    assert b"Host: h\r\n" in bytes(pkt) and b"X-Foo: bar\r\n" in bytes(pkt)
    again = dissect_as(TCP, raw)
    again[HTTPRequest].Unknown_Headers[b"X-Foo"] = b"baz"  # changed in place
    assert b"X-Foo: baz\r\n" in bytes(again)


def test_bad_values_are_refused_clearly() -> None:
    with pytest.raises(UsageError):
        HTTPRequest(Host=3.5)
    with pytest.raises(UsageError):
        HTTPRequest(Unknown_Headers=["X: y"])


@pytest.mark.parametrize("name", ["pcapplusplus__example.pcap", "zeek__wikipedia.pcap",
                                  "dpkt__nb6-http.pcap"])
def test_corpus_http_as_scapy_reads_it(corpus_dir, name: str) -> None:
    seen = 0
    for linktype, data, wirelen in itertools.islice(frames(corpus_dir / name), 1500):
        ours = dissect(data, linktype, wirelen)
        if not ours.haslayer(HTTP):
            continue
        theirs = scapy_dissect(linktype, data)
        if not theirs.haslayer(SC.HTTP):
            continue
        seen += ours.haslayer(HTTPRequest) or ours.haslayer(HTTPResponse)
        _same_as_scapy(ours[HTTP], theirs[SC.HTTP])
        assert bytes(ours) == data
    assert seen
