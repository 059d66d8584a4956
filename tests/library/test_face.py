"""The library face: ``from netprobe import *``, ``netprobe.all`` and the ``_FACE`` table."""

from __future__ import annotations

import importlib
import subprocess
import sys

import netprobe


def test_every_face_row_is_in_its_modules_all() -> None:
    for module, names in netprobe._FACE.items():
        mod = importlib.import_module(module)
        missing = [n for n in names if n not in getattr(mod, "__all__", ())]
        assert not missing, f"{module} does not list {missing} in __all__"
        for name in names:
            assert hasattr(mod, name), f"{module}.{name}"


def _names(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nprint(' '.join(sorted(dir())))"],
                          capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


def test_import_star_gives_the_capture_and_list_api() -> None:
    names = _names("from netprobe import *")
    want = {"rdpcap", "wrpcap", "PcapReader", "PcapWriter", "RawPcapReader", "PacketList",
            "sr", "sr1", "srp", "srp1", "send", "sendp", "sniff", "conf", "traceroute",
            "arping", "Scapy_Exception", "IP", "TCP", "Ether"}
    assert want <= names
    # as Scapy's ``*``: scripts use struct.pack and socket without importing them
    assert {"socket", "struct", "os", "time", "random"} <= names


def test_netprobe_all_is_the_same_namespace() -> None:
    lazy = _names("from netprobe import *")
    eager = _names("from netprobe.all import *")
    assert eager == lazy


def test_netprobe_all_loads_everything_at_once() -> None:
    code = ("import sys\nimport netprobe.all\n"
            "print(all(m in sys.modules for m in ('netprobe.library.pcap_read', "
            "'netprobe.engine.api', 'netprobe.library.config')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "True"


def test_import_netprobe_loads_no_face_module() -> None:
    code = ("import sys\nimport netprobe\n"
            "print(sorted(m for m in sys.modules if m.startswith(('netprobe.library', "
            "'netprobe.engine', 'netprobe.wire'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"


def test_link_constants_are_scapys() -> None:
    from netprobe.library import link_constants
    from tests.library.scapy_peer import scapy

    sc = scapy()
    for name in link_constants.__all__:
        assert getattr(link_constants, name) == getattr(sc, name), name
