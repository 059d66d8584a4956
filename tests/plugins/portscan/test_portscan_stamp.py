"""Stamped probes are byte for byte what the layers build, with the layers' hash keys."""

from __future__ import annotations

import random
import socket

import numpy as np
import pytest

from netprobe import IP, TCP, IPv6
from netprobe.engine.strictkeys import probe_key
from netprobe.packet import fastpath
from netprobe.packet.dissect import dissect
from netprobe.plugins.portscan.stamp import SCAN_FLAGS, TcpStamper


@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("scan", list(SCAN_FLAGS))
def test_rows_equal_layer_builds(family, scan):
    src = "198.18.1.2" if family == 4 else "2001:db8:1::2"
    st = TcpStamper(family, src, 41234, SCAN_FLAGS[scan], 99)
    rng = random.Random(family)
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    width = 4 if family == 4 else 16
    addrs = [bytes(rng.getrandbits(8) for _ in range(width)) for _ in range(50)]
    ports = [rng.randint(1, 65535) for _ in range(50)]
    rows = st.rows(np.array([list(a) for a in addrs], dtype=np.uint8),
                   np.array(ports, dtype=np.uint64))
    keys = st.keys(rows)
    for i, (a, port) in enumerate(zip(addrs, ports)):
        data = rows[i].tobytes()
        t = 20 if family == 4 else 40
        seq = int.from_bytes(data[t + 4:t + 8], "big")
        options = [("MSS", 1460)] if scan == "syn" else []
        tcp = TCP(sport=41234, dport=port, flags=SCAN_FLAGS[scan], seq=seq, window=1024,
                  options=options)
        net = (IP(src=src, dst=socket.inet_ntop(af, a), ttl=64, id=99) if family == 4
               else IPv6(src=src, dst=socket.inet_ntop(af, a), hlim=64))
        assert data == bytes(net / tcp)
        assert keys[i] == dissect(data, 101).hashkey()


def test_sequence_numbers_are_keyed_cookies():
    a = TcpStamper(4, "198.18.1.2", 40000, 2, 1)
    b = TcpStamper(4, "198.18.1.2", 40000, 2, 2)
    dst = np.array([[198, 18, 1, 11]] * 3, dtype=np.uint8)
    ports = np.array([22, 80, 443], dtype=np.uint64)
    seq_a = [r[24:28].tobytes() for r in a.rows(dst, ports)]
    seq_b = [r[24:28].tobytes() for r in b.rows(dst, ports)]
    assert len(set(seq_a)) == 3 and seq_a != seq_b
    assert seq_a == [r[24:28].tobytes() for r in a.rows(dst, ports)]


def test_prepared_probes_carry_engine_keys():
    st = TcpStamper(4, "198.18.1.2", 40000, 2, 7)
    rows = st.rows(np.array([[198, 18, 1, 15]] * 2, dtype=np.uint8),
                   np.array([80, 3306], dtype=np.uint64))
    for p in st.prepared(rows):
        fast = fastpath.parse(p.data, 101)
        assert p.key == fastpath.key_of(fast, p.data)
        assert p.strict == probe_key(p.data, fast)
    again = st.again([p.data for p in st.prepared(rows)])
    assert [p.data for p in again] == [r.tobytes() for r in rows]
    other = TcpStamper(4, "198.18.1.2", 40001, 2, 7).again([r.tobytes() for r in rows])
    assert [p.data[20:22] for p in other] == [(40001).to_bytes(2, "big")] * 2
    assert [p.data[16:20] + p.data[22:28] for p in other] == [
        r.tobytes()[16:20] + r.tobytes()[22:28] for r in rows]  # same address, port, cookie


@pytest.mark.parametrize("family", [4, 6])
def test_frames_for_a_layer2_sender(family):
    src = "198.18.1.2" if family == 4 else "2001:db8:1::2"
    link = ("02:00:c6:12:01:0f", "02:00:c6:12:01:02")
    st = TcpStamper(family, src, 41000, SCAN_FLAGS["syn"], 5, link=link)
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    addr = "198.18.1.15" if family == 4 else "2001:db8:1::15"
    rows = st.rows(np.array([list(socket.inet_pton(af, addr))], dtype=np.uint8),
                   np.array([3306], dtype=np.uint64))
    frame = rows[0].tobytes()
    pkt = dissect(frame, 1)
    assert pkt.brief().startswith("Ether 02:00:c6:12:01:02 > 02:00:c6:12:01:0f")
    assert st.keys(rows)[0] == pkt.hashkey()
    (probe,) = st.prepared(rows)
    assert probe.linktype == 1 and probe.data == frame
    assert st.target(frame) == socket.inet_pton(af, addr) + (3306).to_bytes(2, "big")
    if family == 4:
        assert probe.strict == probe_key(frame, fastpath.parse(frame, 1))


@pytest.mark.parametrize("link", [None, ("02:00:c6:12:01:0f", "02:00:c6:12:01:02")])
def test_compiled_and_numpy_keys_make_the_same_probes(monkeypatch, link):
    from netprobe.plugins.portscan import stamp

    if stamp.cbatch is None:
        pytest.skip("the engine's compiled batch operations are not built here")
    st = TcpStamper(4, "198.18.1.2", 40000, SCAN_FLAGS["syn"], 7, link=link)
    rng = random.Random(4)
    rows = st.rows(np.array([[198, 18, 1, rng.randint(1, 254)] for _ in range(300)],
                            dtype=np.uint8),
                   np.array([rng.randint(1, 65535) for _ in range(300)], dtype=np.uint64))
    compiled = st.prepared(rows)
    monkeypatch.setattr(stamp, "cbatch", None)
    twins = st.prepared(rows)
    assert [(p.data, p.key, p.strict, p.linktype, p.cls) for p in compiled] == [
        (p.data, p.key, p.strict, p.linktype, p.cls) for p in twins]
    assert [p.key for p in twins] == st.keys(rows)


@pytest.mark.parametrize("link", [None, ("02:00:00:00:00:01", "02:00:00:00:00:02")])
@pytest.mark.parametrize("family", [4, 6])
@pytest.mark.parametrize("scan", ["syn", "xmas"])
def test_python_stamping_is_the_numpy_rows_twin(monkeypatch, family, scan, link):
    """Small scans stamp with Python integers: the same bytes, keys and strict keys as the
    numpy rows (both with the compiled keys and with the Python/numpy ones)."""
    from netprobe.plugins.portscan import stamp as stamp_mod

    src = "198.18.1.2" if family == 4 else "2001:db8:1::2"
    rng = random.Random(family * 7 + len(scan))
    width = 4 if family == 4 else 16
    addrs = [bytes(rng.getrandbits(8) for _ in range(width)) for _ in range(200)]
    ports = [rng.randint(0, 65535) for _ in range(200)]
    for compiled in (stamp_mod.cbatch, None):
        monkeypatch.setattr(stamp_mod, "cbatch", compiled)
        st = TcpStamper(family, src, 40001, SCAN_FLAGS[scan], rng.getrandbits(64), link=link)
        rows = st.rows(np.array([list(a) for a in addrs], dtype=np.uint8),
                       np.array(ports, dtype=np.uint64))
        want = st.prepared(rows)
        got = st.prepared_bytes(st.stamp_ints(addrs, ports))
        assert [p.data for p in got] == [p.data for p in want]
        assert [p.key for p in got] == [p.key for p in want]
        assert [p.strict for p in got] == [p.strict for p in want]


def test_resends_of_a_small_pass_are_stamped_alike():
    """``again`` of a few probes (Python integers) and of many (numpy) agree."""
    from netprobe.plugins.portscan import stamp as stamp_mod

    first = TcpStamper(4, "198.18.1.2", 40001, SCAN_FLAGS["syn"], 5)
    later = TcpStamper(4, "198.18.1.2", 40002, SCAN_FLAGS["syn"], 5)
    rng = random.Random(3)
    addrs = [bytes(rng.getrandbits(8) for _ in range(4)) for _ in range(30)]
    probes = first.stamp_ints(addrs, [rng.randint(1, 65535) for _ in addrs])
    small = [p.data for p in later.again(probes)]
    saved = stamp_mod.PYTHON_STAMP_MAX
    try:
        stamp_mod.PYTHON_STAMP_MAX = 0
        large = [p.data for p in later.again(probes)]
    finally:
        stamp_mod.PYTHON_STAMP_MAX = saved
    assert small == large
    assert all(p[20:22] == (40002).to_bytes(2, "big") for p in small)
