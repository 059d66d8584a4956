"""Community ID v1 against the published test vectors.

The vectors are the tables of corelight/community-id-spec
(``baseline/README.md``: default seed, seed 1) and entries of its
``baseline/baseline_deflt.json`` (computed from real captures).
"""

from __future__ import annotations

import ipaddress

import pytest

from netprobe.plugins.flows.community_id import community_id

V6A = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
V6B = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

#: proto, source, destination, source port (ICMP: type), destination port (ICMP: code)
TUPLES = [
    (6, "1.2.3.4", "5.6.7.8", 1122, 3344),
    (6, "5.6.7.8", "1.2.3.4", 3344, 1122),
    (17, "1.2.3.4", "5.6.7.8", 1122, 3344),
    (17, "5.6.7.8", "1.2.3.4", 3344, 1122),
    (132, "1.2.3.4", "5.6.7.8", 1122, 3344),
    (132, "5.6.7.8", "1.2.3.4", 3344, 1122),
    (1, "1.2.3.4", "5.6.7.8", 8, 0),
    (1, "5.6.7.8", "1.2.3.4", 0, 0),
    (1, "1.2.3.4", "5.6.7.8", 11, 0),
    (58, V6A, V6B, 128, 0),
    (58, V6B, V6A, 129, 0),
    (58, V6A, V6B, 146, 0),
    (46, "1.2.3.4", "5.6.7.8", None, None),
    (46, "5.6.7.8", "1.2.3.4", None, None),
    (46, V6A, V6B, None, None),
    (46, V6B, V6A, None, None),
]
SEED0 = [
    "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:wCb3OG7yAFWelaUydu0D+125CLM=",
    "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
    "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
    "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=",
    "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=",
    "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=",
    "1:fYC8+pz24E+EhANP1EZhpX0Dw10=",
    "1:ikv3kmf89luf73WPz1jOs49S768=", "1:ikv3kmf89luf73WPz1jOs49S768=",
    "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=",
]
SEED1 = [
    "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
    "1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
    "1:uitchpn5MMGAQKBJh7bIr/bAr7s=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
    "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=",
    "1:1DD7cWGC/Yg91YGsQeni8du3pIA=",
    "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE=",
    "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=",
    "1:/buhqeOmaRCopOZFy9HnoJd5XW8=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
    "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
]

#: from baseline_deflt.json: ICMP entries there hold type and mapped port
CAPTURED = [
    (6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
    (6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
    (132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
    (6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
    (17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
    (46, "10.1.12.1", "10.1.12.2", None, None, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="),
    (1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
    (1, "192.168.0.1", "192.168.0.89", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
    (1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="),
    (58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="),
    (58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="),
    (58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00="),
    (58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="),
]


def _packed(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


@pytest.mark.parametrize(("seed", "expected"), [(0, SEED0), (1, SEED1)])
def test_spec_tables(seed: int, expected: list[str]) -> None:
    got = [community_id(p, _packed(s), _packed(d), sp, dp, seed=seed)
           for p, s, d, sp, dp in TUPLES]
    assert got == expected


@pytest.mark.parametrize(("proto", "src", "dst", "sport", "dport", "expected"), CAPTURED)
def test_baseline_from_captures(proto: int, src: str, dst: str, sport: int | None,
                                dport: int | None, expected: str) -> None:
    assert community_id(proto, _packed(src), _packed(dst), sport, dport) == expected


def test_icmp_without_type_hashes_no_ports() -> None:
    """A cut ICMP header (no type) hashes like a port-less protocol."""
    a, b = _packed("1.2.3.4"), _packed("5.6.7.8")
    plain = community_id(1, a, b)
    assert plain == community_id(1, b, a)
    assert plain != community_id(1, a, b, 8, 0)
