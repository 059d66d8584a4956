"""EAPOL, EAP and EAP-MD5 against Scapy (bytes, dissection, printing) and tshark (fields)."""

from __future__ import annotations

import subprocess

import pytest
import scapy.layers.eap as S  # noqa: N812 - S for Scapy, N for netprobe
from scapy.layers.l2 import Ether as SEther

import netprobe.packet.layers.eap as N  # noqa: N812
from netprobe.packet import Ether, Raw
from netprobe.packet.dissect import dissect_as
from tests.packet.layers_compare import ls_matches_scapy, mutations, never_raises, same_face

CASES = [
    "EAPOL()",
    "EAPOL(type=1)",
    "EAPOL(type=2, version=2)",
    "EAPOL(type=3)/Raw(b'x')",
    "EAP(code=1)",
    "EAP(code=1, type=2, message=b'hi')",
    "EAP(code=2, type=3, desired_auth_types=[4, 13])",
    "EAP(code=3, id=4)",
    "EAP(code=4)",
    "EAP(code=2, type=1, identity=b'user', id=9)",
    "EAP(code=1, type=1, message=b'who?')",
    "EAP(code=5, type=2)",
    "EAP_MD5()",
    "EAP_MD5(code=2, id=7, value=b'0123456789abcdef')",
    "EAPOL()/EAP_MD5(value=b'a' * 16, optional_name=b'srv', id=3)",
    "EAPOL()/EAP(code=2, type=1, identity=b'u')",
    "EAPOL(version=2)/EAP(code=3, id=4)",
    "EAPOL(version=3)/EAP(code=1, type=1)",
    "EAP_TLS(id=1, L=1, M=0, S=1, tls_message_len=10, tls_data=b'abc')",
    "EAP_TLS()",
    "EAP_TTLS(S=1)",
    "EAP_PEAP(code=2, tls_data=b'xy')",
    "EAP_FAST()",
    "EAPOL()/EAP_TLS(tls_data=b'hello')",
    "EAPOL()/EAP_PEAP(L=1, tls_message_len=5, tls_data=b'hello')",
    "EAPOL()/EAP_TTLS(L=1, M=1, message_len=100, data=b'x' * 30, version=1)",
    "EAPOL()/EAP_FAST(code=2, data=b'abc')",
    "EAPOL(type=3)/EAPOL_KEY(key_descriptor_type=2, has_key_mic=1, key_ack=0, key_length=16,"
    " key_replay_counter=1, key_nonce=b'N' * 32, key_mic=b'M' * 16,"
    " key_data=b'\\x30\\x14' + b'x' * 20)",
    "EAPOL_KEY()",
    "EAPOL_KEY(key_nonce=b'ab')",
    "EAPOL(type=3)/EAPOL_KEY(key_type=1, key_descriptor_type_version=2, install=1, secure=1)",
]


@pytest.mark.parametrize("expr", [
    "RadioTap()/Dot11(type=2, addr1='02:00:00:00:00:01', addr2='02:00:00:00:00:02',"
    " addr3='02:00:00:00:00:02')/LLC()/SNAP()/EAPOL(type=3)/EAPOL_KEY(key_descriptor_type=2,"
    " key_type=1, key_nonce=b'n' * 32)",
    "Dot11(type=2)/LLC()/SNAP()/EAPOL()/EAP(code=1, type=1)",
])
def test_over_802_11_llc_snap_is_scapys(expr: str) -> None:
    import netprobe.packet as P  # noqa: N812

    P.load_families()
    ours = eval(expr, {n: getattr(P, n) for n in P.__all__})
    same_face(ours, eval(expr, dict(vars(__import__("scapy.all").all))))
MACS = {"src": "02:00:00:00:00:01", "dst": "01:80:c2:00:00:03"}


def _both(expr: str) -> tuple:
    ours = eval(expr, {**vars(N), "Raw": Raw})
    theirs = eval(expr, {**vars(S), "Raw": __import__("scapy.packet").packet.Raw})
    return ours, theirs


@pytest.mark.parametrize("expr", CASES)
def test_alone_is_scapys(expr: str) -> None:
    same_face(*_both(expr))


@pytest.mark.parametrize("expr", [c for c in CASES if c.startswith("EAPOL")])
def test_over_ethernet_is_scapys(expr: str) -> None:
    ours, theirs = _both(expr)
    same_face(Ether(**MACS) / ours, SEther(**MACS) / theirs)


@pytest.mark.parametrize("expr", [
    "Ether()/EAPOL()",
    "Ether(src='02:00:00:00:00:01')/EAPOL()/EAP(code=1, type=1)",
    "Ether(dst='ff:ff:ff:ff:ff:ff')/EAPOL(type=1)",
])
def test_ethernet_destination_is_the_pae_group_as_in_scapy(expr: str) -> None:
    import netprobe.packet as P  # noqa: N812

    P.load_families()
    ours = eval(expr, {n: getattr(P, n) for n in P.__all__})
    same_face(ours, eval(expr, dict(vars(__import__("scapy.all").all))))


def test_trailing_bytes_are_padding_as_in_scapy() -> None:
    for expr in ("EAPOL()/EAP(code=2, type=1, identity=b'u')", "EAPOL()/EAP(code=3)"):
        _ours, theirs = _both(expr)
        data = bytes(SEther(**MACS) / theirs) + b"\x00" * 20
        assert repr(dissect_as(Ether, data)) == repr(SEther(data))


def test_a_cut_or_mutated_frame_never_raises() -> None:
    frames = []
    for expr in CASES[13:]:
        frames += mutations(bytes(Ether(**MACS) / _both(expr)[0]), count=150)
    never_raises(frames, lambda b: dissect_as(Ether, b))


def test_tshark_reads_what_netprobe_builds(tmp_path) -> None:
    from netprobe.library.pcap_write import wrpcap

    pkts = [Ether(**MACS) / _both(e)[0] for e in CASES if e.startswith("EAPOL()/")]
    path = tmp_path / "eap.pcap"
    wrpcap(str(path), pkts)
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-E", "separator=|", "-e", "eapol.version",
         "-e", "eapol.type", "-e", "eapol.len", "-e", "eap.code", "-e", "eap.id",
         "-e", "eap.len", "-e", "eap.type", "-e", "eap.identity", "-e", "eap.md5.value"],
        capture_output=True, text=True, timeout=120, check=True).stdout.splitlines()
    assert len(out) == len(pkts)
    for line, pkt in zip(out, pkts, strict=True):
        version, kind, length, code, ident, elen, etype, identity, md5 = line.split("|")
        eapol, eap = pkt[N.EAPOL], dissect_as(Ether, bytes(pkt)).payload.payload
        assert (int(version), int(kind), int(length)) == (eapol.version, eapol.type,
                                                          len(bytes(eapol)) - 4)
        assert (int(code), int(ident), int(elen)) == (eap.code, eap.id, eap.len)
        if etype:
            assert int(etype) == eap.type
        if identity:
            assert identity.encode() == eap.identity
        if md5:
            assert bytes.fromhex(md5.replace(":", "")) == eap.value


def test_ls_is_scapys() -> None:
    """``ls(Class)`` prints what Scapy's prints, for every class of the family Scapy has."""
    from netprobe.packet.layers import eap as family

    assert ls_matches_scapy(family)
