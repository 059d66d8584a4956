"""``conf``: settings, and the kernel's route tables printed as Scapy prints them."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from netprobe.errors import UsageError
from netprobe.library.config import Conf
from tests.library.scapy_peer import scapy


def _ip_routes(family: str) -> list[dict]:
    ip = shutil.which("ip")
    if ip is None:
        pytest.skip("needs the ip command")
    done = subprocess.run([ip, "-j", family, "route", "show", "table", "main"],
                          capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout or "[]")


def test_route_table_is_the_kernels(capsys: pytest.CaptureFixture[str]) -> None:
    conf = Conf()
    text = str(conf.route)
    for route in _ip_routes("-4"):
        net = "0.0.0.0" if route["dst"] == "default" else route["dst"].split("/")[0]
        gateway = route.get("gateway", "0.0.0.0")
        assert any(line.split()[0] == net and line.split()[2] == gateway
                   for line in text.splitlines()[1:]), route
    text6 = str(conf.route6)
    for route in _ip_routes("-6"):
        if route.get("type") == "unreachable":
            continue
        dst = "::/0" if route["dst"] == "default" else route["dst"]
        assert (dst if "/" in dst else dst + "/128") in text6


def test_tables_print_as_scapys() -> None:
    sc = scapy()
    assert str(Conf().route) == str(sc.conf.route)
    assert str(Conf().route6) == str(sc.conf.route6)
    assert sorted(r[:4] for r in Conf().route.routes) == sorted(r[:4] for r in sc.conf.route.routes)


def test_route_lookup_and_read_only() -> None:
    conf = Conf()
    iface, src, _gw = conf.route.route("127.0.0.1")
    assert (iface, src) == ("lo", "127.0.0.1")
    with pytest.raises(UsageError, match="read-only"):
        conf.route.add(net="198.18.0.0/24", gw="198.18.0.1")


def test_verb_and_iface_are_settable() -> None:
    conf = Conf()
    assert conf.verb == 2 and conf.chosen_iface() is None and conf.iface
    conf.verb = 0
    conf.iface = "lo"
    assert conf.verb == 0 and conf.iface == "lo" and conf.chosen_iface() == "lo"
