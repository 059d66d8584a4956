"""The exact-match key declared by the layers (``match_fields``...) is what ``answers()`` says.

``netprobe.packet.matchkey`` turns the TCP, IP and IPv6 layers' declarations
into byte offsets; the engine's strict keys (per packet in Python, and per batch
in C) read only those. Here: the offsets are where Scapy puts the fields; a
strict-key hit is an ``answers()`` match, on built probes and answers (IPv4 and
IPv6, SYN and non-SYN probes, answers with and without ACK, a bare SYN), by
both implementations; changing an answer's field changes ``answers()`` exactly
when the declaration names the field; the C file holds the generated text;
and the key offsets are written nowhere else (the grep test).
"""

from __future__ import annotations

import ast
import itertools
import re
import struct
from pathlib import Path

import pytest

from netprobe.engine import strictkeys
from netprobe.engine.compiled import batch as cbatch
from netprobe.packet import IP, TCP, Ether
from netprobe.packet import matchkey as mk
from netprobe.packet.dissect import dissect
from netprobe.packet.layer import Layer
from netprobe.packet.layers.ipv6_header import IPv6

scapy_all = pytest.importorskip("scapy.all")

PACKAGE = Path(mk.__file__).resolve().parents[1]
BATCH_C = PACKAGE / "engine" / "_batch.c"
MAC = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}
#: per IP version: the network layer, the scanner's address, two targets
NETWORK: dict[int, tuple[type[Layer], str, str, str]] = {
    4: (IP, "198.18.1.2", "198.18.1.11", "198.18.1.12"),
    6: (IPv6, "2001:db8:1::2", "2001:db8:1::11", "2001:db8:1::12"),
}
PROBE_FLAGS = ["S", "SA", "A", "F", "PA", "R", "SE"]
ANSWER_FLAGS = ["SA", "RA", "R", "A", "S", "FA", "SEC", "SR"]
SEQS = [7, 0xFFFFFFFF]


# -- the declaration, against the layers and Scapy -----------------------------------------------
def test_the_layers_declare_the_key_beside_hashkey() -> None:
    assert IP.match_fields == (("src", "dst"),)
    assert IPv6.match_fields == (("src", "dst"), ("dst", "src"))
    assert TCP.match_fields == (("sport", "dport"), ("dport", "sport"))
    assert TCP.match_next == ("S", "A", "ack", "seq")
    for cls in (IP, IPv6, TCP):
        assert "hashkey" in vars(cls) and "answers" in vars(cls)


@pytest.mark.parametrize("version", [4, 6])
def test_key_offsets_are_where_scapy_puts_the_fields(version: int) -> None:
    """Each part's answer and probe offsets hold the declared fields in Scapy's bytes."""
    s = scapy_all
    key = mk.KEY4 if version == 4 else mk.KEY6
    src, dst = ("198.18.7.1", "198.18.9.2") if version == 4 else ("2001:db8::71", "2001:db8::92")
    ip = (s.IP if version == 4 else s.IPv6)(src=src, dst=dst)
    raw = bytes(ip / s.TCP(sport=0x1234, dport=0xABCD, seq=0x01020304, ack=0x0A0B0C0D,
                           flags="SA"))
    layers = {4: IP, 6: IPv6}
    values = {"src": ip.src, "dst": ip.dst, "sport": 0x1234, "dport": 0xABCD}
    declared = [(layers[version], a, p) for a, p in layers[version].match_fields] + \
               [(TCP, a, p) for a, p in TCP.match_fields]
    assert len(declared) == len(key.parts)
    for part, (_cls, answer_field, probe_field) in zip(key.parts, declared, strict=True):
        def encoded(name: str) -> bytes:
            v = values[name]
            if isinstance(v, int):
                return v.to_bytes(2, "big")
            return s.inet_pton(s.socket.AF_INET if version == 4 else s.socket.AF_INET6, v)
        assert raw[part.answer_at:part.answer_at + part.size] == encoded(answer_field)
        assert raw[part.probe_at:part.probe_at + part.size] == encoded(probe_field)
    assert raw[key.seq_at:key.seq_at + mk.ACK_SIZE] == bytes((1, 2, 3, 4))
    assert raw[key.ack_at:key.ack_at + mk.ACK_SIZE] == bytes((10, 11, 12, 13))
    flags = raw[key.tcp_at + mk.TCP_FLAGS]
    assert flags & mk.TCP_SYN and flags & mk.TCP_ACK
    assert not bytes(ip / s.TCP(flags="A"))[key.tcp_at + mk.TCP_FLAGS] & mk.TCP_SYN
    if version == 4:
        assert raw[mk.IP4_VERSION] == mk.IP4_FIRST and raw[mk.IP4_PROTO] == mk.PROTO_TCP
        frag = bytes(s.IP(src=src, dst=dst, flags="MF", frag=0) / s.TCP())
        assert struct.unpack_from("!H", frag, mk.IP4_FRAG)[0] & mk.IP4_FRAG_MASK
        assert not struct.unpack_from("!H", bytes(s.IP(flags="DF") / s.TCP()),
                                      mk.IP4_FRAG)[0] & mk.IP4_FRAG_MASK
    else:
        assert raw[mk.IP6_NH] == mk.PROTO_TCP and raw[mk.IP6_DST] != mk.MULTICAST6_FIRST


# -- a key hit is an answers() match, by Python, numpy and C -------------------------------------
def _pairs(version: int) -> list[tuple[Layer, Layer]]:
    """Probes and answers: every flag combination, right and wrong addresses, ports, ack."""
    ip, me, there, other = NETWORK[version]
    pairs = []
    for pflags, aflags, seq in itertools.product(PROBE_FLAGS, ANSWER_FLAGS, SEQS):
        probe = ip(src=me, dst=there) / TCP(sport=40000, dport=80, seq=seq, flags=pflags)
        right = dict(src=there, dst=me, sport=80, dport=40000, ack=(seq + 1) & 0xFFFFFFFF)
        variants = [right, {**right, "src": other}, {**right, "dst": other},
                    {**right, "sport": 81}, {**right, "dport": 40001},
                    {**right, "ack": seq}, {**right, "ack": (seq + 2) & 0xFFFFFFFF}]
        for v in variants:
            answer = ip(src=v["src"], dst=v["dst"]) / TCP(sport=v["sport"], dport=v["dport"],
                                                          ack=v["ack"], seq=99, flags=aflags)
            pairs.append((probe, answer))
    return pairs


def _meta(frames: list[bytes]) -> tuple[bytes, bytes]:
    buf, meta = b"", b""
    for f in frames:
        meta += struct.pack("=IIII", 0, 0, len(buf), len(f))
        buf += f + b"\0"
    return buf, meta


def _probe_keys(version: int, probes: list[bytes]) -> list[list[bytes | None]]:
    """The probes' keys by every implementation at hand (per probe, then per batch)."""
    from netprobe.packet.fastpath import parse

    if version == 6:
        return [[strictkeys.probe_key6(p, 0) for p in probes]]
    out = [[strictkeys.probe_key(p, parse(p, 101)) for p in probes]]
    if cbatch is not None:
        out.append(cbatch.ipv4_keys(b"".join(probes), len(probes[0]), 0)[1])
    return out


def _answer_keys(frames: list[bytes], linktype: int) -> list[list[bytes | None]]:
    buf, meta = _meta(frames)
    out = [[strictkeys.answer_key(f, linktype) for f in frames],
           strictkeys.answer_keys(buf, meta, linktype)]
    if cbatch is not None:
        out.append(cbatch.answer_keys(buf, meta, linktype))
    return out


@pytest.mark.parametrize("linktype", [101, 1])
@pytest.mark.parametrize("version", [4, 6])
def test_a_declared_key_hit_is_an_answers_match(version: int, linktype: int) -> None:
    pairs = _pairs(version)
    probes = [bytes(p) for p, _a in pairs]
    frames = [bytes(a) if linktype == 101 else bytes(Ether(**MAC) / a) for _p, a in pairs]
    probe_keys = _probe_keys(version, probes)
    answer_keys = _answer_keys(frames, linktype)
    assert all(keys == probe_keys[0] for keys in probe_keys)  # per packet and C agree
    assert all(keys == answer_keys[0] for keys in answer_keys)
    hits = misses = 0
    for (probe, answer), pkey, akey, frame in zip(pairs, probe_keys[0], answer_keys[0], frames,
                                                 strict=True):
        assert pkey is not None
        hit = akey is not None and (akey == pkey or (
            len(akey) in strictkeys.WITH_ACK and akey[:-mk.ACK_SIZE] == pkey))
        truth = bool(dissect(frame, linktype).getlayer(type(probe)).answers(
            dissect(bytes(probe), 101)))
        syn_probe = int(probe[TCP].flags) & mk.TCP_SYN
        ack_answer = int(answer[TCP].flags) & mk.TCP_ACK
        # a hit is a match; a match is a hit, except a SYN probe's answer without ACK
        # (its key has no acknowledgement number to compare: the general path decides)
        assert hit == truth or (truth and syn_probe and not ack_answer), (
            probe.summary(), answer.summary(), hit, truth)
        hits += hit
        misses += truth and not hit
    assert hits > 100 and misses > 0  # both sides of the rule were exercised


@pytest.mark.parametrize("version", [4, 6])
@pytest.mark.parametrize("pflags", ["S", "A"])
def test_answers_depends_on_the_declared_fields_only(version: int, pflags: str) -> None:
    """Change one field of a matching answer: answers() changes exactly when the layers
    declare the field (match_fields; ack by match_next when the probe is a SYN)."""
    ip, me, there, other = NETWORK[version]
    probe = ip(src=me, dst=there) / TCP(sport=40000, dport=80, seq=7, flags=pflags)
    base = dict(src=there, dst=me, sport=80, dport=40000, ack=8, seq=99, window=100,
                urgptr=0)
    changes = {"src": other, "dst": other, "sport": 81, "dport": 40001, "ack": 9,
               "seq": 5, "window": 7, "urgptr": 3}
    declared = {a for a, _p in ip.match_fields} | {a for a, _p in TCP.match_fields}
    if pflags == TCP.match_next[0]:
        declared.add(TCP.match_next[2])
    ipf = ("src", "dst")
    extra = {"ttl": 3} if version == 4 else {"hlim": 3, "tc": 4, "fl": 5}

    def answers(fields: dict, ip_extra: dict) -> bool:
        a = ip(**{k: fields[k] for k in ipf}, **ip_extra) / TCP(
            flags="SA", **{k: v for k, v in fields.items() if k not in ipf})
        return bool(dissect(bytes(a), 101).answers(dissect(bytes(probe), 101)))

    assert answers(base, {})
    for name, value in changes.items():
        assert answers({**base, name: value}, {}) == (name not in declared), name
    for name, value in extra.items():
        assert answers(base, {name: value}), name


# -- the generated C text and the grep ---------------------------------------------------------
def _generated_span(source: str) -> tuple[int, int]:
    start = source.index(mk.C_MARK)
    end = source.index(mk.C_END, start) + len(mk.C_END) + 1
    return start, end


def test_the_c_key_block_is_generated_from_the_layers() -> None:
    source = BATCH_C.read_text()
    start, end = _generated_span(source)
    assert source[start:end] == mk.c_key_table(), (
        "regenerate the block of netprobe/engine/_batch.c that starts with "
        f"{mk.C_MARK!r} from netprobe.packet.matchkey.c_key_table(), then rebuild")


#: the C functions that read packet headers, and their frame pointers
C_READERS = ("probe_key", "answer_key", "ipv4_keys", "answer_keys")
C_FRAMES = r"(?:row|h|f|ip|tcp|p)"
#: the Python names of frame buffers in strictkeys.py
PY_FRAMES = {"frame", "data", "h", "arr", "a", "row"}


def _c_function(source: str, name: str) -> str:
    m = re.search(rf"^static[^\n]*\n{name}\(.*?^}}\n", source, re.MULTILINE | re.DOTALL)
    assert m is not None, name
    return m.group(0)


def test_the_c_readers_write_no_header_offset() -> None:
    """Outside the generated blocks, the C readers index frames only by named offsets
    (and + 1, the second byte of a word), and write no flag or field value as a number."""
    source = BATCH_C.read_text()
    start, end = _generated_span(source)
    rest = source[:start] + source[end:]
    found = []
    for name in C_READERS:
        body = _c_function(rest, name)
        for m in re.finditer(rf"\b{C_FRAMES}\[([^\]]*)\]", body):
            if re.search(r"\b(?:[2-9]|[1-9]\d+|0x[0-9a-f]+)\b", m.group(1), re.IGNORECASE):
                found.append(f"{name}: {m.group(0)}")
        found += [f"{name}: {h}" for h in re.findall(
            r"(?<![\w.])(?:0x0*(?:2|10|45|3f|ff)|[2-9]\d)(?![\w.])", body, re.IGNORECASE)]
    assert found == []


def test_strictkeys_writes_no_header_offset() -> None:
    """strictkeys.py indexes frames by the declaration's offsets only: no number bigger
    than 1 inside a frame subscript, and no flag or field value written as a number."""
    path = PACKAGE / "engine" / "strictkeys.py"
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id in PY_FRAMES:
            for c in ast.walk(node.slice):
                if isinstance(c, ast.Constant) and type(c.value) is int and c.value > 1:
                    found.append(f"{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.RShift)) \
                and isinstance(node.right, ast.Constant):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.Compare):
            for c in node.comparators:
                if isinstance(c, ast.Constant) and type(c.value) is int and c.value > 6:
                    found.append(f"{node.lineno}: {ast.unparse(node)}")
    assert found == []


def test_no_other_module_reads_a_key_at_fixed_offsets() -> None:
    """A run of the answer's key that spans several declared fields (IPv6's addresses and
    ports, 36 bytes) is sliced at a fixed offset nowhere in the package: the keys are
    made in strictkeys.py from the declaration, and in the generated C."""
    spans = {(a, a + n) for k in (mk.KEY4, mk.KEY6) for a, n in k.answer_runs
             if sum(p.answer_at >= a and p.answer_at < a + n for p in k.parts) > 1}
    assert (8, 44) in spans
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Slice):
                continue
            bounds = []
            for b in (node.lower, node.upper):
                # ``base + 8`` or ``8``: the number added to where the header starts
                if isinstance(b, ast.BinOp) and isinstance(b.op, ast.Add) \
                        and isinstance(b.right, ast.Constant):
                    bounds.append(b.right.value)
                elif isinstance(b, ast.Constant):
                    bounds.append(b.value)
            if tuple(bounds) in spans:
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    assert found == []
