"""Raw senders and live capture, in the namespace pair.

Hand-made ICMP echo requests go from a to b; b's kernel answers them. The
capture on a must see the answers, the capture on b must count what
arrived, and the errors for bad filters, bad interfaces and missing
privileges must be the clear ones.
"""

from __future__ import annotations

import socket
import struct
import subprocess
import textwrap
from pathlib import Path

import pytest
from handmade_packets import echo4, ether
from netns_pair import A4, A6, B4, B6, IF_A, IF_B, NS_A, NS_B, NamespacePair

from netprobe.errors import EXIT_ENVIRONMENT, EXIT_USAGE, ScopeError, UsageError
from netprobe.wire import bpf, sendmmsg, sockets
from netprobe.wire.capture import split_batch
from netprobe.wire.scope import Scope

HERE = Path(__file__).resolve().parent
NOBODY = 65534

_PRELUDE = f"""
import json, struct, sys, time
sys.path.insert(0, {str(HERE)!r})
from handmade_packets import echo4, echo6, ether
from netprobe.errors import NetprobeError
from netprobe.wire.capture import Capture, split_batch
from netprobe.wire.sockets import L2Sender, L3Sender

def collect(cap, want, timeout=5.0):
    '''Read batches until ``want`` packets or the deadline; return them.'''
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        got += cap.read_batch(256)
    return got

def error(exc):
    return {{"error": type(exc).__name__, "message": str(exc), "exit": exc.exit_code}}
"""


def run(pair: NamespacePair, ns: str, body: str, *, user: int | None = None) -> dict:
    """Run test code in ``ns`` after the common prelude; return its JSON answer."""
    return pair.run_py(ns, _PRELUDE + textwrap.dedent(body), user=user)


def start(pair: NamespacePair, ns: str, body: str) -> subprocess.Popen[str]:
    """Start test code in the background in ``ns``."""
    return pair.start_py(ns, _PRELUDE + textwrap.dedent(body))


# -- pure parts ---------------------------------------------------------------


def test_split_batch_slices_by_meta_records() -> None:
    buffer = b"AAAA" + b"BBBBBB" + b"C"
    meta = struct.pack("=4I", 100, 250000, 0, 4) + struct.pack("=4I", 101, 0, 4, 6)
    meta += struct.pack("=4I", 102, 999999, 10, 1)
    assert split_batch(buffer, meta) == [
        (100.25, b"AAAA"),
        (101.0, b"BBBBBB"),
        (102.999999, b"C"),
    ]
    assert split_batch(b"", b"") == []


def test_offline_filter_matches_handmade_packets() -> None:
    request = ether("02:00:00:00:00:02", "02:00:00:00:00:01", echo4(A4, B4, 7, 1))
    icmp = bpf.compile_filter("icmp and icmp[icmptype] = icmp-echo", 1)
    assert icmp.matches(request)
    assert not bpf.compile_filter("tcp", 1).matches(request)
    assert bpf.compile_filter(f"src host {A4} and dst host {B4}", 1).matches(request)
    assert not bpf.compile_filter(f"src host {B4}", 1).matches(request)
    # The same expression on raw IP packets (no Ethernet header): linktype 101.
    assert bpf.compile_filter("icmp", 101).matches(echo4(A4, B4, 7, 1))
    assert not bpf.compile_filter("icmp", 1).matches(echo4(A4, B4, 7, 1))


def test_offline_filter_errors_carry_pcaps_message() -> None:
    with pytest.raises(UsageError) as caught:
        bpf.compile_filter("icmp and and", 1)
    assert "syntax error" in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE
    with pytest.raises(UsageError, match="ethernet addresses supported only"):
        bpf.compile_filter("ether host 02:00:00:00:00:01", 101)


class FakeSocket:
    """Stands in for a raw socket: records what would have been sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, object]] = []

    def setsockopt(self, *args: object) -> None:
        pass

    def sendto(self, data: bytes, address: object) -> int:
        self.sent.append((data, address))
        return len(data)

    def close(self) -> None:
        pass


def test_l3_scope_refuses_a_whole_batch_before_sending(monkeypatch) -> None:
    """With a scope, a batch holding one outside destination sends nothing at all."""
    fake = FakeSocket()
    monkeypatch.setattr(sockets, "_open", lambda *args: fake)
    monkeypatch.setattr(sendmmsg, "AVAILABLE", False)  # one sendto per packet, recorded
    sender = sockets.L3Sender(scope=Scope(["198.18.0.0/15"]))
    batch = [echo4(A4, B4, 1, 1), echo4(A4, "198.51.100.1", 1, 2), echo4(A4, B4, 1, 3)]
    with pytest.raises(ScopeError, match=r"^198\.51\.100\.1 is outside the allowed scope"):
        sender.send_many(batch)
    with pytest.raises(ScopeError):
        sender.send(batch[1])
    assert fake.sent == [] and sender.stats.sent == 0
    # Inside the scope the same sender sends, each packet to its own destination.
    assert sender.send_many([batch[0], batch[2]]) == 2
    assert fake.sent == [(batch[0], (B4, 0)), (batch[2], (B4, 0))]


def test_l3_rejects_bytes_that_are_not_ip() -> None:
    with pytest.raises(UsageError, match="not an IPv4/IPv6 packet"):
        sockets._runs_by_version([echo4(A4, B4, 1, 1), b"\x00" * 30])


def test_frame_destinations_for_scope_checks() -> None:
    frame = ether("02:00:00:00:00:02", "02:00:00:00:00:01", echo4(A4, "198.51.100.9", 1, 1))
    assert sockets._frame_destination(frame) == socket.inet_aton("198.51.100.9")
    tagged = frame[:12] + b"\x81\x00\x00\x05" + frame[12:]
    assert sockets._frame_destination(tagged) == socket.inet_aton("198.51.100.9")
    arp = frame[:12] + b"\x08\x06" + bytes(24) + socket.inet_aton("198.18.0.9")
    assert sockets._frame_destination(arp) == socket.inet_aton("198.18.0.9")
    lldp = frame[:12] + b"\x88\xcc" + bytes(30)
    assert sockets._frame_destination(lldp) is None


@pytest.mark.parametrize("tpids", [(0x9100,), (0x88A8, 0x8100), (0x9100, 0x8100, 0x8100)])
def test_frame_destination_behind_any_vlan_stack(tpids: tuple[int, ...]) -> None:
    """QinQ's 0x9100 and stacks deeper than two tags are judged by what they carry
    (a frame built by Scapy), as the shape module names the tag ethertypes."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Dot1Q, Ether

    pkt = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=tpids[0])
    for i, nxt in enumerate((*tpids[1:], 0x0800)):
        pkt = pkt / Dot1Q(vlan=i + 1, type=nxt)
    frame = bytes(pkt / IP(src=A4, dst="198.51.100.9") / UDP())
    assert sockets._frame_destination(frame) == socket.inet_aton("198.51.100.9")
    with pytest.raises(UsageError, match="truncated frame"):
        sockets._frame_destination(frame[:14 + 4 * len(tpids) + 10])


# -- in the namespace pair ----------------------------------------------------


@pytest.fixture(scope="module")
def pair():
    with NamespacePair() as created:
        yield created


def _reply_fields(frame_hex: str) -> dict:
    frame = bytes.fromhex(frame_hex)
    ip = frame[14:]
    return {
        "eth_dst": frame[0:6].hex(":"),
        "eth_src": frame[6:12].hex(":"),
        "ethertype": frame[12:14].hex(),
        "ip_src": socket.inet_ntoa(ip[12:16]),
        "ip_dst": socket.inet_ntoa(ip[16:20]),
        "icmp": struct.unpack("!BBHHH", ip[20:28]),
        "payload": ip[28:],
    }


class TestInNamespace:
    """Real sockets and captures between namespaces a and b."""

    pytestmark = pytest.mark.lab

    def test_inbound_capture_gets_the_replies_not_what_we_send(
            self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            import os, socket
            flt = "icmp and icmp[4:2] = 0x430b"
            with Capture({IF_A!r}, flt, direction="in") as inbound, \\
                 Capture({IF_A!r}, flt) as both, L3Sender() as tx:
                sock = socket.socket(fileno=os.dup(inbound._handle.getfd()))
                ignoring = sock.getsockopt(263, 23)  # SOL_PACKET, PACKET_IGNORE_OUTGOING
                sock.close()
                tx.send_many([echo4({A4!r}, {B4!r}, 0x430B, s, b"in") for s in range(20)])
                seen_both = collect(both, 40, timeout=5.0)
                seen_in = collect(inbound, 40, timeout=1.0)
                print(json.dumps({{"ignoring": ignoring,
                                   "in": sorted(p[34] for _, p in seen_in),
                                   "both": sorted(p[34] for _, p in seen_both)}}))
            """,
        )
        assert got["ignoring"] == 1, "the kernel was asked to skip our own packets"
        assert got["in"] == [0] * 20, "only the 20 echo replies (ICMP type 0) come in"
        assert got["both"] == [0] * 20 + [8] * 20, "both ways: the requests too"

    def test_a_sender_closed_without_waiting_closes_in_the_background(
            self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            import os, threading
            tx = L2Sender({IF_A!r})
            fd = tx._sock.fileno()
            tx.close(wait=False)
            closers = [t for t in threading.enumerate() if t.name == "sender-close"]
            for t in closers:
                t.join(5)
            try:
                os.fstat(fd)
                fd_open = True
            except OSError:
                fd_open = False
            print(json.dumps({{"closers": len(closers),
                               "alive": any(t.is_alive() for t in closers),
                               "fd_open": fd_open}}))
            """,
        )
        assert got["closers"] <= 1 and not got["alive"]
        assert not got["fd_open"], "the packet socket is closed once the thread is done"

    def test_l3_ipv4_echo_is_answered_and_captured(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            flt = "icmp and src host {B4} and icmp[icmptype] = icmp-echoreply"
            with Capture({IF_A!r}, flt) as cap, L3Sender() as tx:
                t0 = time.time()
                ok = tx.send(echo4({A4!r}, {B4!r}, 0x4301, 17, b"l3-v4"))
                seen = collect(cap, 1, timeout=3.0)
                t1 = time.time()
                print(json.dumps({{"ok": ok, "linktype": cap.linktype, "t0": t0, "t1": t1,
                                   "seen": [(ts, p.hex()) for ts, p in seen],
                                   "stats": cap.stats(), "sent": tx.stats.sent}}))
            """,
        )
        assert got["ok"] is True and got["sent"] == 1
        assert got["linktype"] == 1
        assert len(got["seen"]) == 1, "the filter lets exactly the one reply through"
        ts, frame = got["seen"][0]
        assert got["t0"] - 0.5 <= ts <= got["t1"] + 0.5
        fields = _reply_fields(frame)
        assert fields["eth_dst"] == pair.mac_a and fields["eth_src"] == pair.mac_b
        assert (fields["ip_src"], fields["ip_dst"]) == (B4, A4)
        assert fields["icmp"][0] == 0 and fields["icmp"][3:] == (0x4301, 17)
        assert fields["payload"] == b"l3-v4"
        assert got["stats"][0] >= 1

    def test_l3_ipv6_echo_is_answered_and_captured(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            flt = "icmp6 and src host {B6} and ip6[40] == 129"
            with Capture({IF_A!r}, flt) as cap, L3Sender() as tx:
                ok = tx.send(echo6({A6!r}, {B6!r}, 0x4302, 18, b"l3-v6"))
                seen = collect(cap, 1, timeout=3.0)
                print(json.dumps({{"ok": ok, "seen": [p.hex() for _, p in seen]}}))
            """,
        )
        assert got["ok"] is True
        assert len(got["seen"]) == 1
        frame = bytes.fromhex(got["seen"][0])
        assert frame[12:14] == b"\x86\xdd"
        ip6 = frame[14:]
        assert socket.inet_ntop(socket.AF_INET6, ip6[8:24]) == B6
        assert socket.inet_ntop(socket.AF_INET6, ip6[24:40]) == A6
        assert struct.unpack("!BBHHH", ip6[40:48])[0] == 129
        assert struct.unpack("!BBHHH", ip6[40:48])[3:] == (0x4302, 18)
        assert ip6[48:] == b"l3-v6"

    def test_l2_frame_is_answered_and_captured_on_any(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            flt = "icmp and src host {B4} and icmp[icmptype] = icmp-echoreply"
            with Capture("any", flt) as cap, L2Sender({IF_A!r}) as tx:
                frame = ether({pair.mac_b!r}, {pair.mac_a!r}, echo4({A4!r}, {B4!r}, 0x4303, 19))
                ok = tx.send(frame)
                seen = collect(cap, 1, timeout=3.0)
                print(json.dumps({{"ok": ok, "linktype": cap.linktype,
                                   "seen": [p.hex() for _, p in seen]}}))
            """,
        )
        assert got["ok"] is True
        assert got["linktype"] in (113, 276)  # Linux cooked capture v1 or v2
        assert len(got["seen"]) == 1
        packet = bytes.fromhex(got["seen"][0])
        # The cooked header is 16 (SLL) or 20 (SLL2) bytes; the IP packet follows.
        ip = packet[16:] if got["linktype"] == 113 else packet[20:]
        assert socket.inet_ntoa(ip[12:16]) == B4
        assert struct.unpack("!BBHHH", ip[20:28])[3:] == (0x4303, 19)

    def test_kernel_filter_keeps_other_packets_out(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            with Capture({IF_A!r}, "icmp and src host 198.18.200.99") as narrow, \\
                 Capture({IF_A!r}, "icmp") as wide, L3Sender() as tx:
                for seq in range(5):
                    tx.send(echo4({A4!r}, {B4!r}, 0x4304, seq))
                all_icmp = collect(wide, 10, timeout=2.0)
                none = collect(narrow, 1, timeout=0.3)
                print(json.dumps({{"wide": len(all_icmp), "narrow": len(none),
                                   "filter": narrow.filter}}))
            """,
        )
        assert got["wide"] == 10  # 5 requests out, 5 replies in
        assert got["narrow"] == 0
        assert got["filter"] == "icmp and src host 198.18.200.99"

    def test_raw_batch_meta_describes_the_buffer(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            with Capture({IF_A!r}, "icmp and icmp[4:2] = 0x4305") as cap, L3Sender() as tx:
                tx.send_many([echo4({A4!r}, {B4!r}, 0x4305, s, bytes(s)) for s in range(20)])
                records, buffers = [], []
                deadline = time.monotonic() + 3
                while len(records) < 40 and time.monotonic() < deadline:
                    buf, meta = cap.read_raw_batch(16)
                    assert len(meta) % 16 == 0
                    words = memoryview(meta).cast("I").tolist()
                    for i in range(0, len(words), 4):
                        records.append(words[i:i + 4] + [len(buf)])
                        off, cap_len = words[i + 2], words[i + 3]
                        buffers.append(buf[off:off + cap_len].hex())
                print(json.dumps({{"records": records, "packets": buffers}}))
            """,
        )
        assert len(got["records"]) == 40
        for sec, usec, offset, caplen, buflen in got["records"]:
            assert usec < 1_000_000 and sec > 1_600_000_000
            assert offset + caplen <= buflen
        # 20 requests of 14+20+8+s bytes and their 20 replies, every size twice.
        sizes = sorted(r[3] for r in got["records"])
        assert sizes == sorted([42 + s for s in range(20)] * 2)
        assert all(len(bytes.fromhex(p)) == r[3] for p, r in zip(got["packets"], got["records"]))

    def test_send_many_1000_l3_all_arrive(self, pair: NamespacePair) -> None:
        self._count_at_b(pair, "l3", 1000, 0x4306)

    def test_send_many_1000_l2_all_arrive(self, pair: NamespacePair) -> None:
        self._count_at_b(pair, "l2", 1000, 0x4307)

    def test_send_many_without_sendmmsg_falls_back(self, pair: NamespacePair) -> None:
        self._count_at_b(pair, "l3", 200, 0x4308, disable_sendmmsg=True)
        self._count_at_b(pair, "l2", 200, 0x4309, disable_sendmmsg=True)

    def test_send_many_mixed_ipv4_ipv6(self, pair: NamespacePair) -> None:
        ident = 0x430A
        receiver = start(
            pair,
            NS_B,
            f"""
            # Requests only: b's own replies carry the same identifier.
            flt = ("(icmp and icmp[icmptype] = icmp-echo and icmp[4:2] = {ident}) or "
                   "(icmp6 and ip6[40] == 128 and ip6[44:2] = {ident})")
            with Capture({IF_B!r}, flt, direction="in") as cap:
                print("ready", flush=True)
                seen = collect(cap, 300, timeout=10)
                keys = sorted({{(p[12:14].hex(), struct.unpack("!H", p[-2:])[0]) for _, p in seen}})
                print(json.dumps({{"keys": keys, "packets": len(seen)}}))
            """,
        )
        pair.wait_line(receiver, "ready")
        got = run(
            pair,
            NS_A,
            f"""
            pkts = []
            for seq in range(150):
                # The payload ends with the sequence number, for the receiver to read back.
                tail = struct.pack("!H", seq)
                pkts.append(echo4({A4!r}, {B4!r}, {ident}, seq, tail))
                pkts.append(echo6({A6!r}, {B6!r}, {ident}, seq, tail))
            with L3Sender() as tx:
                print(json.dumps({{"sent": tx.send_many(pkts), "failed": tx.stats.failed}}))
            """,
        )
        assert got == {"sent": 300, "failed": 0}
        received = pair.finish(receiver)
        assert received["packets"] == 300
        keys = received["keys"]
        assert keys == sorted([["0800", s] for s in range(150)] + [["86dd", s] for s in range(150)])

    def test_one_bad_packet_does_not_stop_a_batch(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            good = [echo4({A4!r}, {B4!r}, 0x430B, s) for s in range(10)]
            # Bigger than the 1500-byte MTU with "don't fragment": EMSGSIZE.
            big = echo4({A4!r}, {B4!r}, 0x430B, 99, bytes(3000))
            with L3Sender() as tx:
                sent = tx.send_many(good[:5] + [big] + good[5:])
                print(json.dumps({{"sent": sent, "stats": [tx.stats.sent, tx.stats.failed,
                                                           tx.stats.last_error]}}))
            """,
        )
        assert got["sent"] == 10
        assert got["stats"][:2] == [10, 1]
        assert "too long" in got["stats"][2].lower()

    def test_scope_refusal_in_a_real_sender(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            from netprobe.wire.scope import Scope
            scope = Scope(["198.18.200.0/24"])
            out = {{}}
            with L3Sender(scope=scope) as tx, L2Sender({IF_A!r}, scope=scope) as l2:
                try:
                    tx.send_many([echo4({A4!r}, {B4!r}, 1, 1), echo4({A4!r}, "198.51.100.1", 1, 2)])
                except NetprobeError as exc:
                    out["l3"] = error(exc)
                try:
                    outside = echo6({A6!r}, "2001:db8:99::1", 1, 1)
                    l2.send(ether({pair.mac_b!r}, {pair.mac_a!r}, outside))
                except NetprobeError as exc:
                    out["l2"] = error(exc)
                out["sent"] = [tx.stats.sent, l2.stats.sent]
            print(json.dumps(out))
            """,
        )
        assert got["l3"]["error"] == "ScopeError" and got["l3"]["exit"] == EXIT_USAGE
        assert got["l3"]["message"].startswith("198.51.100.1 is outside the allowed scope")
        assert got["l2"]["message"].startswith("2001:db8:99::1 is outside the allowed scope")
        assert got["sent"] == [0, 0]

    def test_bad_filter_and_bad_interface_are_usage_errors(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            out = {{}}
            for name, make in [
                ("bad_bpf", lambda: Capture({IF_A!r}, "icmp and and")),
                ("bad_iface", lambda: Capture("npw-nosuch0")),
                ("bad_l2_iface", lambda: L2Sender("npw-nosuch0")),
                ("bad_l3_iface", lambda: L3Sender("npw-nosuch0")),
            ]:
                try:
                    make()
                    out[name] = None
                except NetprobeError as exc:
                    out[name] = error(exc)
            print(json.dumps(out))
            """,
        )
        for name in ("bad_bpf", "bad_iface", "bad_l2_iface", "bad_l3_iface"):
            assert got[name] is not None, name
            assert (got[name]["error"], got[name]["exit"]) == ("UsageError", EXIT_USAGE), name
        assert got["bad_bpf"]["message"].startswith("bad capture filter 'icmp and and': ")
        assert "syntax error" in got["bad_bpf"]["message"]
        assert got["bad_iface"]["message"] == "no such interface: 'npw-nosuch0'"
        assert got["bad_l2_iface"]["message"] == "no such interface: 'npw-nosuch0'"

    def test_unprivileged_gets_clear_environment_errors(self, pair: NamespacePair) -> None:
        got = run(
            pair,
            NS_A,
            f"""
            import os
            from netprobe.wire.privileges import require_raw_sockets
            out = {{"uid": os.geteuid()}}
            for name, make in [
                ("check", lambda: require_raw_sockets("a SYN scan", "try -sT")),
                ("l3", lambda: L3Sender()),
                ("l2", lambda: L2Sender({IF_A!r})),
                ("capture", lambda: Capture({IF_A!r})),
            ]:
                try:
                    make()
                    out[name] = None
                except NetprobeError as exc:
                    out[name] = error(exc)
            print(json.dumps(out))
            """,
            user=NOBODY,
        )
        assert got["uid"] == NOBODY
        for name in ("check", "l3", "l2", "capture"):
            assert got[name] is not None, name
            assert got[name]["error"] == "EnvironmentProblem", got[name]
            assert got[name]["exit"] == EXIT_ENVIRONMENT
            assert "needs root or CAP_NET_RAW" in got[name]["message"], got[name]
        assert got["check"]["message"] == "a SYN scan needs root or CAP_NET_RAW; try -sT"

    # -- helpers ---------------------------------------------------------------

    def _count_at_b(
        self, pair: NamespacePair, layer: str, count: int, ident: int, disable_sendmmsg=False
    ) -> None:
        receiver = start(
            pair,
            NS_B,
            f"""
            flt = "icmp[icmptype] = icmp-echo and icmp[4:2] = {ident}"
            with Capture({IF_B!r}, flt, direction="in") as cap:
                print("ready", flush=True)
                seen = collect(cap, {count}, timeout=10)
                seqs = sorted({{struct.unpack_from("!H", p, 14 + 20 + 6)[0] for _, p in seen}})
                print(json.dumps({{"packets": len(seen), "seqs": seqs, "stats": cap.stats()}}))
            """,
        )
        pair.wait_line(receiver, "ready")
        sent = run(
            pair,
            NS_A,
            f"""
            import netprobe.wire.sendmmsg as batching
            if {disable_sendmmsg!r}:
                batching.AVAILABLE = False
            pkts = [echo4({A4!r}, {B4!r}, {ident}, seq) for seq in range({count})]
            if {layer!r} == "l2":
                pkts = [ether({pair.mac_b!r}, {pair.mac_a!r}, p) for p in pkts]
                tx = L2Sender({IF_A!r})
            else:
                tx = L3Sender()
            with tx:
                print(json.dumps({{"sent": tx.send_many(pkts), "failed": tx.stats.failed,
                                   "batched": tx.batching}}))
            """,
        )
        assert sent == {"sent": count, "failed": 0, "batched": not disable_sendmmsg}
        got = pair.finish(receiver)
        assert got["packets"] == count
        assert got["seqs"] == list(range(count))
        assert got["stats"][1] == 0  # nothing dropped by the capture either
