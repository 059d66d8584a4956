"""What importing the packet engine costs, checked by structure (no timings here).

Importing ``netprobe.packet`` must stay cheap because every probing subcommand
pays for it at start-up: it pulls in no heavy third-party package, and the
layer classes' generated code (``__init__``, ``_pack_fixed``, ``_unpack_fixed``,
``_copy_one``) is written on first use rather than at import. The laziness must
not show: whichever method a class meets first, and in whatever order, every
layer builds, dissects and copies exactly as when all code is generated up front.
The start-up figures themselves are in ``tests/bench/test_bench_import.py``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import types

import pytest

from netprobe.errors import UsageError
from netprobe.packet import FAMILIES_BINDING_UNDER, IP, TCP, UDP, Ether, Raw, dissect, layer_classes
from netprobe.packet.dissect import dissect_as
from netprobe.packet.field import BitField, ByteField, FlagsField, IPv4Field, ListField, ShortField
from netprobe.packet.layer import _WRITERS, Layer

#: generated methods, by name
GENERATED = tuple(_WRITERS)


def run_python(code: str, *args: str) -> str:
    """Run ``code`` in a fresh interpreter (nothing imported yet); return its stdout."""
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


# -- what the import pulls in ---------------------------------------------------------------------
IMPORT_REPORT = """
import json, sys
import netprobe.packet as packet
from netprobe.packet.layer import _CodeOnFirstUse, _WRITERS
names = ("Ether", "IP", "TCP", "UDP", "Raw", "Padding", "ICMP", "IPv6", "ARP", "DNS")
print(json.dumps({
    "modules": sorted(m.split(".")[0] for m in sys.modules),
    "pending": {n: [m for m in _WRITERS
                    if type(getattr(packet, n).__dict__.get(m)) is _CodeOnFirstUse]
                for n in names},
}))
"""


def test_import_pulls_in_no_heavy_package() -> None:
    """Floor 1 stands alone: no numpy, rich, click, Scapy or dpkt behind ``import``."""
    report = json.loads(run_python(IMPORT_REPORT))
    heavy = {"numpy", "rich", "click", "scapy", "dpkt", "pcapy", "hypothesis"}
    assert heavy.isdisjoint(report["modules"]), sorted(heavy & set(report["modules"]))


def test_import_generates_no_code_for_the_common_layers() -> None:
    """Right after the import, no generated method of the common layers exists yet."""
    report = json.loads(run_python(IMPORT_REPORT))
    for name, pending in report["pending"].items():
        assert pending == list(GENERATED), f"{name}: code generated at import"


def test_lazy_package_exports_stay_lazy() -> None:
    """``import netprobe`` loads no packet engine; a packet name loads it on first use."""
    out = run_python("import sys, netprobe\n"
                     "before = 'netprobe.packet' in sys.modules\n"
                     "from netprobe import TCP\n"
                     "print(before, 'netprobe.packet' in sys.modules, TCP.__name__)")
    assert out.split() == ["False", "True", "TCP"]


# -- the laziness does not show -------------------------------------------------------------------
ORDER_REPORT = """
import json, sys, time
# a fixed clock: an unset HTTPResponse Date is the current time, as in Scapy
time.gmtime = lambda *args: time.struct_time((2026, 1, 1, 0, 0, 0, 3, 1, 0))
from netprobe.packet import layer_classes
from netprobe.packet.dissect import dissect_as
from netprobe.packet.layer import _WRITERS

order = sys.argv[1]
classes = layer_classes()
# a busy pattern, longer than any fixed header, so every field reads something
SAMPLE = bytes((i * 37 + 11) & 0xFF for i in range(256))

def outcome(work):
    try:
        return work()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"

def built(cls):
    # fields whose default is the clock (NTP's times) are given, so that runs compare
    return outcome(lambda: bytes(cls(**dict.fromkeys(getattr(cls, "clock_fields", ()), 0))).hex())

def read(cls):
    p = dissect_as(cls, SAMPLE)
    return outcome(lambda: [p.to_dicts(), p.errors, bytes(p).hex()])

def copied(cls):
    p = dissect_as(cls, SAMPLE)
    return outcome(lambda: [repr(p.copy()), repr(cls().copy())])

steps = {"eager": (built, read, copied), "build": (built, read, copied),
         "dissect": (read, built, copied), "copy": (copied, read, built)}[order]
if order == "eager":  # everything generated up front, as before the code became lazy
    for cls in classes.values():
        for name in _WRITERS:
            getattr(cls, name)
result = {}
for step in steps:
    for name, cls in sorted(classes.items()):
        result.setdefault(name, {})[step.__name__] = step(cls)
print(json.dumps(result, sort_keys=True, default=repr))
"""


@pytest.fixture(scope="module")
def eager_outcome() -> dict[str, dict[str, object]]:
    """Every public layer built, dissected and copied with all code generated up front."""
    return json.loads(run_python(ORDER_REPORT, "eager"))


def test_eager_outcome_is_meaningful(eager_outcome: dict[str, dict[str, object]]) -> None:
    """The comparison below compares real work: most layers build and all dissect."""
    assert set(eager_outcome) == set(layer_classes())
    built = [n for n, r in eager_outcome.items() if not str(r["built"]).startswith(
        ("UsageError", "TypeError", "ValueError"))]
    assert len(built) > len(eager_outcome) // 2
    assert eager_outcome["TCP"]["read"][0][0]["layer"] == "TCP"


@pytest.mark.parametrize("order", ["build", "dissect", "copy"])
def test_first_use_order_does_not_matter(order: str,
                                         eager_outcome: dict[str, dict[str, object]]) -> None:
    """Built by first use through building, dissecting or copying: the same results."""
    lazy = json.loads(run_python(ORDER_REPORT, order))
    assert lazy == eager_outcome


def test_first_use_puts_plain_functions_in_the_class() -> None:
    """After first use, each generated method is an ordinary function in its class."""
    frame = bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                  / IP(src="198.18.0.1", dst="198.18.0.2") / TCP(dport=80) / Raw(load=b"x"))
    dissect(frame).copy()
    for cls in (Ether, IP, TCP):
        for name in GENERATED:
            assert isinstance(cls.__dict__[name], types.FunctionType), (cls, name)
            assert getattr(cls, name).__qualname__ == f"{cls.__qualname__}.{name}"


# -- layer classes made after import --------------------------------------------------------------
def _new_classes() -> tuple[type[Layer], type[Layer], type[Layer]]:
    """A fresh layer (bit fields, flags, an address, a list), a subclass without fields of
    its own and one with fields of its own: nothing of theirs is generated yet."""

    class Probe(Layer):
        fields = (BitField("ver", 4, 4), BitField("hl", 5, 4), ByteField("kind", 7),
                  FlagsField("fl", "A", 4, "ABCD"), BitField("pad", 0, 12),
                  ShortField("size", None), IPv4Field("addr", "198.18.0.9"),
                  ListField("items", None))

        def build_layer(self, payload: bytes) -> bytes:
            if self.size is None:
                self.size = 10 + len(payload)
            return super().build_layer(payload)

    class SameFields(Probe):
        """Inherits Probe's fields and so its generated code."""

    class OwnFields(Probe):
        fields = (*Probe.fields[:-1], ByteField("extra", 3), Probe.fields[-1])

    for cls in (Probe, SameFields, OwnFields):
        for name in GENERATED:
            assert name not in cls.__dict__ or not isinstance(cls.__dict__[name],
                                                             types.FunctionType)
    return Probe, SameFields, OwnFields


def test_new_class_dissected_before_built() -> None:
    probe, _, own = _new_classes()
    wire = bytes.fromhex("45 07 9c 00 000e c61200fe 41 42 43 44")
    p = dissect_as(probe, wire)
    assert (p.ver, p.hl, p.kind, str(p.fl), p.pad, p.size, p.addr) == (
        4, 5, 7, "AD", 0xC00, 14, "198.18.0.254")
    assert p[Raw].load == b"ABCD"
    assert bytes(p) == wire
    q = dissect_as(own, wire + b"\x09")
    assert q.extra == 0x41 and q[Raw].load == b"BCD\x09"


def test_new_class_built_before_dissected() -> None:
    probe, same, own = _new_classes()
    wire = bytes(probe(kind=9, fl="BC", addr="198.18.0.3") / Raw(load=b"hi"))
    assert wire == bytes.fromhex("45 09 6000 000c c6120003 6869")
    assert str(dissect_as(probe, wire).fl) == "BC"
    # the subclass without fields of its own runs its parent's code
    assert bytes(same(kind=9, fl="BC", addr="198.18.0.3")) == bytes.fromhex(
        "45 09 6000 000a c6120003")
    assert same.__init__ is probe.__init__
    # the one with fields of its own has its own code
    assert bytes(own(kind=9, fl="BC", addr="198.18.0.3", extra=1)) == bytes.fromhex(
        "45 09 6000 000a c6120003 01")
    with pytest.raises(UsageError, match="extra"):
        probe(extra=1)


def test_new_class_copied_and_stacked_first() -> None:
    probe, _, _ = _new_classes()
    base = probe(items=[b"a", (1, 2)])
    pkt = base / UDP(sport=1, dport=2)
    assert pkt.items == [b"a", (1, 2)] and pkt.items is not base.items
    assert pkt[UDP].dport == 2 and not base.payload


def test_class_level_lookup_gives_the_generated_function() -> None:
    """``Cls.__init__`` read on the class (as wrappers do) is the real, working function."""
    probe, _, _ = _new_classes()
    init = probe.__init__
    assert isinstance(init, types.FunctionType) and probe.__dict__["__init__"] is init
    layer = object.__new__(probe)
    init(layer, kind=3)
    assert layer.kind == 3 and layer.ver == 4


# -- a dissection miss imports only the families that bind there -----------------------------------
BINDERS_REPORT = """
import importlib, json, sys
import netprobe.packet as packet
def cls_of(qualname):
    mod, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(mod), name)
cls = cls_of(sys.argv[1])
tables = [c._dissect_table for c in (cls, *map(cls_of, sys.argv[2:]))]  # what it consults
seen, step = {k: True for t in tables for k in t}, cls.next_layer
found = {}  # table key (or "next_layer") -> the first family whose import added it
for family in packet.FAMILIES:
    try:
        importlib.import_module("netprobe.packet.layers." + family)
    except ModuleNotFoundError as exc:  # a family not written yet
        if exc.name != "netprobe.packet.layers." + family:
            raise
        continue
    for key in [k for t in tables for k in t]:
        if key not in seen:
            seen[key] = True
            found[repr(key)] = [family, key[1] if isinstance(key[1], int) else None]
    if cls.next_layer is not step:
        found["next_layer"], step = [family, None], cls.next_layer
print(json.dumps(found))
"""


@pytest.mark.parametrize("qualname", sorted(FAMILIES_BINDING_UNDER))
def test_families_binding_under_lists_every_binder(qualname: str) -> None:
    """Every binding a family adds above a listed class is found by importing only the
    families ``FAMILIES_BINDING_UNDER`` names for it (for the whole class, or for the port
    or protocol number the binding is keyed on): what dissection imports on a miss.

    In a fresh interpreter with the class's own module imported, the families are imported
    one at a time; each new binding is credited to the family whose import added it (its
    own code or a module it imports), which alone therefore adds it.
    """
    listed = FAMILIES_BINDING_UNDER[qualname]
    # the check below sees binding tables only: a listed class must choose the next layer
    # from binding tables, not from a registry families fill (as IPv6's next-header table):
    # Layer's own choice, or an override read and found so, with the tables it consults
    from netprobe.packet.layers.icmp import ICMP
    from netprobe.packet.layers.icmp_quote import IPerror, TCPerror, UDPerror

    reviewed = {Layer.next_layer: [], Ether.next_layer: [], IP.next_layer: [], ICMP.next_layer: [],
                IPerror.next_layer: [IP], TCPerror.next_layer: [TCP],
                UDPerror.next_layer: [UDP]}
    module, _, name = qualname.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    assert cls.next_layer in reviewed, f"{qualname}: read its next_layer before listing it"
    consulted = [f"{c.__module__}.{c.__qualname__}" for c in reviewed[cls.next_layer]]
    found = json.loads(run_python(BINDERS_REPORT, qualname, *consulted))
    for key, (family, value) in found.items():
        if isinstance(listed, dict):
            assert key != "next_layer", f"{family} replaces {qualname}.next_layer"
            assert family in listed.get(value, ()), (
                f"{family} binds {key} above {qualname}: list it for {value}")
        else:
            assert family in listed, f"{family} binds {key} above {qualname}: list it"


def test_quoted_payload_and_unbound_port_import_no_family() -> None:
    """Dissecting a UDP datagram to an unbound port, and an ICMP error quoting one, imports
    only ICMP: not DNS, DHCP, VXLAN, 802.11 or the rest."""
    out = run_python("""
import json, sys
from netprobe.packet import IP, UDP, Raw, dissect_as
probe = bytes(IP(src="198.18.0.1", dst="198.18.0.2", ttl=1) / UDP(sport=40000, dport=33434)
              / Raw(load=b"netprobe"))
quote = bytes(IP(src="198.18.0.9", dst="198.18.0.1", proto=1)
              / Raw(load=bytes.fromhex("0b000000" "00000000") + probe))
a, b = dissect_as(IP, probe), dissect_as(IP, quote)
print(json.dumps([sorted(m.rsplit(".", 1)[1] for m in sys.modules
                         if m.startswith("netprobe.packet.layers.")),
                  [type(x).__name__ for x in a.chain()], [type(x).__name__ for x in b.chain()]]))
""")
    families, plain, error = json.loads(out)
    assert plain == ["IP", "UDP", "Raw"]
    assert error[:5] == ["IP", "ICMP", "IPerror", "UDPerror", "Raw"]
    assert {"dns", "dhcp", "vxlan", "dot11", "http", "link", "gre"}.isdisjoint(families), families


# -- what a probing subcommand imports -------------------------------------------------------------
COMMAND_MODULES = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["netprobe", *sys.argv[1:]]
from netprobe.console import console
console()
"""

#: modules a small probing job has no use for: recording (without --db), OpenSSL
#: (through hashlib, hmac or secrets), numpy (large runs only), the terminal's rich;
#: dataclasses (making a dataclass costs ~1 ms: the records on this path are NamedTuples
#: or plain classes) and pathlib (with urllib.parse, ~3 ms of imports)
UNUSED_BY_SMALL_JOBS = {"netprobe.plugins.history.commands", "netprobe.services.history.store",
                        "sqlite3", "_hashlib", "secrets", "numpy", "rich", "dataclasses",
                        "pathlib"}
#: layer families no port scan or traceroute of IPv4 reads
UNREAD_FAMILIES = {"dns", "dhcp", "vxlan", "dot11", "radiotap", "http", "pppoe", "teredo",
                   "l2tp", "mpls", "gre", "arp", "link"}


def command_modules(*argv: str) -> set[str]:
    """The modules imported by the end of ``netprobe ARGV`` (loopback only, in scope)."""
    env = {**os.environ, "NETPROBE_SCOPE": "127.0.0.0/8,::1/128"}
    done = subprocess.run([sys.executable, "-c", COMMAND_MODULES, *argv], capture_output=True,
                          text=True, timeout=120, check=False, env=env)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _families(modules: set[str]) -> set[str]:
    return {m.rsplit(".", 1)[1] for m in modules if m.startswith("netprobe.packet.layers.")}


@pytest.mark.parametrize("argv", [
    ("portscan", "-p", "22,80,443", "127.0.0.1"),
    ("portscan", "-p", "1-100,8765", "127.0.0.1"),
    ("traceroute", "127.0.0.1"),
    ("traceroute", "--multipath", "127.0.0.1"),
], ids=" ".join)
def test_small_probing_job_imports_only_what_it_uses(argv: tuple[str, ...]) -> None:
    """A few probes to one host: no history, OpenSSL, numpy or unread layer families."""
    modules = command_modules(*argv)
    assert "netprobe.plugins.portscan" in modules or "netprobe.plugins.traceroute" in modules
    assert not UNUSED_BY_SMALL_JOBS & modules, sorted(UNUSED_BY_SMALL_JOBS & modules)
    assert not UNREAD_FAMILIES & _families(modules), sorted(UNREAD_FAMILIES & _families(modules))
    if argv[:3] == ("portscan", "-p", "22,80,443"):  # a few probes: sendto, not sendmmsg
        assert "ctypes" not in modules
    if argv[0] == "portscan":  # a TCP scan of IPv4 reads neither ICMP nor IPv6 layers;
        # the IPv6 header's class is there for its field offsets alone (the exact-match
        # keys of both versions are laid out from the layers: packet/matchkey.py)
        assert _families(modules) <= {"ether", "ip", "tcp", "udp", "raw", "ipv6_header"}, \
            _families(modules)


def test_help_imports_no_plugin_and_no_packet_engine() -> None:
    """``netprobe --help`` lists the subcommands from their sources, importing none."""
    modules = command_modules("--help")
    assert not {m for m in modules if m.startswith(("netprobe.plugins.", "netprobe.packet",
                                                    "netprobe.engine", "netprobe.wire"))}
