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


def test_route_table_is_the_kernels_main_table() -> None:
    conf = Conf()
    rows = [line.split() for line in str(conf.route).splitlines()[1:]]
    kernel = _ip_routes("-4")
    assert len(rows) == len(kernel)
    gateways = {r[0]: r[2] for r in rows}
    for route in kernel:
        net = "0.0.0.0" if route["dst"] == "default" else route["dst"].split("/")[0]
        assert gateways[net] == route.get("gateway", "0.0.0.0")


def test_route6_lists_the_kernels_routes() -> None:
    conf = Conf()
    text = str(conf.route6)
    for route in _ip_routes("-6"):
        if route.get("type") == "unreachable":
            continue
        dst = "::/0" if route["dst"] == "default" else route["dst"]
        if "/" not in dst:
            dst += "/128"
        assert dst in text


def test_tables_print_in_scapys_layout() -> None:
    sc = scapy()
    ours = str(Conf().route).splitlines()[0]
    theirs = str(sc.conf.route).splitlines()[0]
    assert ours.split() == theirs.split()
    assert str(Conf().route6).splitlines()[0].split() == str(sc.conf.route6).splitlines()[0].split()


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
