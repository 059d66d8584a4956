"""What a scan will do, decided from the command line before anything is sent (pure).

Scan types, targets, ports, timing, seed and shard are checked here, so that
every mistake is one clear usage error (exit 2) before a packet leaves.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from netprobe import cli_types
from netprobe.errors import UsageError
from netprobe.plugins.portscan.permutation import Shard, parse_shard
from netprobe.plugins.portscan.ports import PortSpec, parse_ports
from netprobe.plugins.portscan.targets import TargetSet, read_spec_file, split_specs
from netprobe.plugins.portscan.timing import DEFAULT_TEMPLATE, TEMPLATES, Timing

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord

#: TCP scan types by their nmap flag
TCP_SCANS = {"sS": "syn", "sT": "connect", "sF": "fin", "sN": "null", "sX": "xmas",
             "sA": "ack"}
#: how many of the most common ports are scanned when no -p is given
DEFAULT_TOP_PORTS = 1000

def parse_duration(text: str, what: str = "--max-time") -> float:
    """``90``, ``1.5s``, ``250ms``, ``30m``, ``2h`` as seconds; UsageError otherwise."""
    value = cli_types.parse_duration(text)
    if value is None:
        raise UsageError(f"{what} {text!r}: expected seconds, or a number with ms, s, m or h")
    if value <= 0:
        raise UsageError(f"{what} {text!r}: must be more than zero")
    return value


def choose_scans(flags: list[str], privileged: bool) -> tuple[str | None, bool, bool]:
    """(TCP scan type or None, UDP scan?, discovery only?) from the -s flags given.

    One TCP type at most (-sU may join it); -sn excludes every port scan.
    Without a TCP type and without -sU: SYN when privileged, else connect.
    """
    tcp = [TCP_SCANS[f] for f in flags if f in TCP_SCANS]
    udp = "sU" in flags
    only_discovery = "sn" in flags
    if len(set(tcp)) > 1:
        names = ", ".join(f"-{f}" for f in dict.fromkeys(flags) if f in TCP_SCANS)
        raise UsageError(f"conflicting scan types {names}: choose one TCP scan type "
                         "(-sU may be combined with it)")
    if only_discovery and (tcp or udp):
        raise UsageError("-sn (host discovery only) cannot be combined with a port scan type")
    if only_discovery:
        return None, False, True
    if not tcp and not udp:
        return ("syn" if privileged else "connect"), False, False
    return (tcp[0] if tcp else None), udp, False


class ScanPlan(NamedTuple):
    """Everything a scan needs, checked."""

    scan: str | None
    udp: bool
    discovery_only: bool
    skip_discovery: bool
    targets: TargetSet
    tcp_ports: list[int]
    udp_ports: list[int]
    timing: Timing
    seed: int
    shard: Shard
    rate: float | None = None
    min_rate: float | None = None
    max_rate: float | None = None
    max_time: float | None = None
    max_retries: int | None = None
    all_states: bool = False
    iface: str | None = None
    family: int | None = None

    @property
    def needs_raw(self) -> bool:
        """Whether the port scan needs raw sockets (every type but connect)."""
        return self.scan not in (None, "connect") or self.udp

    def options(self, discovery: str, local_hosts: list[str] | None = None) -> JSONRecord:
        """The interpretation options a saved run keeps (``interpret.DEFAULT_OPTIONS``)."""
        return {"scan": self.scan or "", "udp": self.udp, "all_states": self.all_states,
                "discovery": discovery, "seed": self.seed,
                **({"local_hosts": local_hosts} if local_hosts else {}),
                "shard": str(self.shard)}


def top_ports(proto: str, n: int) -> list[int]:
    """The ``n`` most common ``proto`` ports (from the services module's frequency data)."""
    try:
        from netprobe.plugins.portscan.services import top_ports as lookup
    except ImportError:
        from netprobe.errors import EnvironmentProblem

        raise EnvironmentProblem("the port frequency data (portscan.services) is missing; "
                                 "give the ports with -p") from None
    return sorted(lookup(proto, n))


def _random_seed() -> int:
    """A fresh 32-bit seed from the system's random source (``secrets`` would cost a
    small scan 10 ms of imports: random, hmac, hashlib and base64)."""
    return int.from_bytes(os.urandom(4), "big")


def make_plan(*, targets: list[str], input_file: str | None, excludes: list[str],
              exclude_file: str | None, ports: str | None, top: int | None,
              scan_flags: list[str], privileged: bool, skip_discovery: bool,
              template: int | None, seed: int | None, shard: str | None,
              rate: float | None, min_rate: float | None, max_rate: float | None,
              max_retries: int | None, max_time: str | float | None, all_states: bool,
              iface: str | None, ipv6: bool, ipv4: bool = False) -> ScanPlan:
    """Check every argument and resolve the targets; UsageError on the first mistake."""
    scan, udp, only_discovery = choose_scans(scan_flags, privileged)
    specs = list(targets)
    if input_file is not None:
        specs += read_spec_file(input_file, "-iL target list")
    if not specs:
        raise UsageError("no targets given (addresses, prefixes, ranges, names or -iL FILE)")
    excluded = [s for e in excludes for s in split_specs(e)]
    if exclude_file is not None:
        excluded += read_spec_file(exclude_file, "--exclude-file")
    if ports is not None and top is not None:
        raise UsageError("-p and --top-ports both choose the ports: give one of them")
    spec = parse_ports(ports) if ports is not None else None
    try:
        parts = parse_shard(shard) if shard else Shard()
    except ValueError as exc:
        raise UsageError(f"--{exc}") from None
    for name, value in (("--rate", rate), ("--min-rate", min_rate), ("--max-rate", max_rate)):
        if value is not None and not value > 0:
            raise UsageError(f"{name} must be a positive number of packets per second")
    if min_rate and max_rate and min_rate > max_rate:
        raise UsageError("--min-rate is above --max-rate")
    if max_retries is not None and max_retries < 0:
        raise UsageError("--max-retries must be 0 or more")
    timing = TEMPLATES[DEFAULT_TEMPLATE if template is None else template]
    timing = timing.with_limits(max_retries=max_retries)
    if ipv4 and ipv6:
        raise UsageError("-4 and -6 contradict each other: give one of them")
    family = 6 if ipv6 else 4 if ipv4 else None
    target_set = TargetSet.parse(specs, excluded, family=family)
    if target_set.count() == 0:
        raise UsageError("no targets left after the exclusions" if excluded
                         else "no targets given")
    tcp_ports = udp_ports = []
    if not only_discovery:
        tcp_ports = _ports_for("tcp", spec, top) if scan else []
        udp_ports = _ports_for("udp", spec, top) if udp else []
        if scan and not tcp_ports:
            raise UsageError("no TCP ports to scan: -p gives only UDP ports (U:)")
        if udp and not udp_ports:
            raise UsageError("no UDP ports to scan: -p gives only TCP ports (T:)")
    return ScanPlan(scan=scan, udp=udp, discovery_only=only_discovery,
                    skip_discovery=skip_discovery, targets=target_set, tcp_ports=tcp_ports,
                    udp_ports=udp_ports, timing=timing,
                    seed=_random_seed() if seed is None else seed, shard=parts,
                    rate=rate, min_rate=min_rate, max_rate=max_rate,
                    max_time=(parse_duration(max_time) if isinstance(max_time, str)
                              else max_time) if max_time else None,
                    max_retries=max_retries, all_states=all_states, iface=iface,
                    family=family)


def _ports_for(proto: str, spec: PortSpec | None, top: int | None) -> list[int]:
    if spec is not None:
        return spec.for_proto(proto)
    return top_ports(proto, DEFAULT_TOP_PORTS if top is None else top)
