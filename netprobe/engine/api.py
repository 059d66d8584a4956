"""The Python API in Scapy's spirit: ``send``, ``sendp``, ``sr``, ``sr1``, ``srp``,
``srp1`` and ``sniff``, all on the one send-and-match loop.

>>> ans, unans = sr(IP(dst="198.18.1.11") / TCP(dport=[22, 80, 81]), timeout=1)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from netprobe.engine.loop import RunOptions, SendReceiveLoop
from netprobe.engine.probes import PreparedProbe, prepare
from netprobe.engine.progress import RunProgress
from netprobe.engine.results import Counters, Result, SendReceive
from netprobe.errors import UsageError
from netprobe.packet.dissect import dissect
from netprobe.packet.layer import Layer

Probes = Layer | bytes | Iterable[Layer | bytes]


def _wire() -> Any:
    """The wire modules, imported on first use (``import netprobe`` must stay cheap),
    with the route hook installed so that probes without a source get one."""
    from netprobe.wire import capture, iface, neighbour, privileges, route, scope, sockets

    route.install_source_hook()
    return capture, iface, neighbour, privileges, route, scope, sockets


def _destination(p: Layer) -> str | None:
    """The address a probe goes to (its network layer's dst or ARP's pdst)."""
    for layer in p.layers():
        dst = getattr(layer, "pdst", None) if type(layer).__name__ == "ARP" else None
        if dst:
            return str(dst)
        if type(layer).__name__ in ("IP", "IPv6"):
            return str(layer.dst)
    return None


def link_filler(iface_name: str | None) -> Callable[[Layer], Layer]:
    """Fill unset Ether addresses (our MAC, and the next hop's MAC by ARP/NDP) and an
    ARP payload's unset sender hardware address (our MAC)."""
    _, iface_mod, neighbour, _, route, _, _ = _wire()
    macs: dict[str, str] = {}

    def fill(p: Layer) -> Layer:
        if type(p).__name__ not in ("Ether",):
            return p
        dst_ip = _destination(p)
        name = iface_name or (route.route_to(dst_ip).iface if dst_ip else None)
        if p.src is None and name:
            if name not in macs:
                macs[name] = iface_mod.interface(name).mac or "00:00:00:00:00:00"
            p.src = macs[name]
        arp = p.payload
        if type(arp).__name__ == "ARP" and arp.hwsrc is None and p.src is not None:
            # a request saying "00:00:00:00:00:00 has my address" would poison the
            # neighbour caches of every host that hears it
            arp.hwsrc = p.src
        if p.dst is None and dst_ip and type(p.payload).__name__ in ("IP", "IPv6"):
            hop = neighbour.next_hop_mac(dst_ip)
            if hop is None:
                raise UsageError(f"no link-layer address for the next hop towards {dst_ip}")
            p.dst = hop[1]
        return p

    return fill


def prepare_wire() -> None:
    """Get the wire ready for building probes: source addresses come from the routes."""
    _wire()


class Session:
    """The sockets, capture and scope of one run; closed with ``close()`` or ``with``."""

    def __init__(self, *, iface: str | None, layer2: bool, first_dst: str | None,
                 capture_filter: str | None = None, scope: Any = None) -> None:
        capture, iface_mod, _, privileges, route, scope_mod, sockets = _wire()
        privileges.require_raw_sockets("sending probes", "run as root or use a connect scan")
        self.scope = scope or scope_mod.Scope.from_environment()
        if first_dst is not None:
            self.scope.check(first_dst)
        name = iface
        if name is None:
            if first_dst is None:
                raise UsageError("cannot tell which interface to use: give iface=")
            name = route.route_to(first_dst).iface
        else:
            iface_mod.require_interface(name)
        self.iface = name
        self.sender = (sockets.L2Sender(name, scope=self.scope) if layer2
                       else sockets.L3Sender(None, scope=self.scope))
        try:
            self.capture = capture.Capture(name, capture_filter, nonblocking=True,
                                           direction="in")
        except BaseException:
            self.sender.close()
            raise

    def close(self) -> None:
        """Close the capture and the sockets. The packet socket of a layer-2 sender
        closes in the background: the kernel makes its close wait for a grace period
        (10-40 ms) that nothing after a run needs to sit through. (The capture's close
        waits too, but libpcap holds the GIL through it: a thread would not help.)"""
        self.capture.close()
        self.sender.close(wait=False)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _peek(prepared: Iterator[PreparedProbe],
          ) -> tuple[PreparedProbe | None, Iterator[PreparedProbe]]:
    first = next(prepared, None)
    if first is None:
        return None, iter(())
    return first, itertools.chain([first], prepared)


def run(probes: Probes, *, timeout: float = 2.0, retry: int = 0, rate: float | None = None,
        iface: str | None = None, layer2: bool = False, filter: str | None = None,
        multi: bool = False, max_time: float | None = None, scope: Any = None,
        counters: Counters | None = None,
        on_progress: Callable[[Counters], None] | None = None,
        rate_control: Callable[[Counters], float | None] | None = None,
        stop_when_answered: bool = True) -> Iterator[Result]:
    """Stream a Result per probe (answered as they match, unanswered at the end).

    ``rate_control`` (congestion control) is called about every 50 ms with the
    counters so far; a number it returns becomes the send rate.
    ``stop_when_answered=False`` keeps an answered probe open until its timeout,
    so that with ``multi`` later answers (a second MAC, a duplicate) are kept too.
    """
    options = RunOptions(rate=rate, retries=retry, timeout=timeout, iface=iface, layer2=layer2,
                         capture_filter=filter, multi=multi, max_time=max_time,
                         rate_control=rate_control, stop_when_answered=stop_when_answered)
    options.check()
    _wire()
    framed = None if layer2 else _framed(probes, iface)
    if framed is not None:
        # the caller sent IP packets: results hold the packet, not our frame
        probes, iface = framed
        options.layer2 = options.strip_ether = True
        options.iface = iface
    layer2 = options.layer2
    fill = link_filler(iface) if layer2 else None
    first, stream = _peek(prepare(probes if not isinstance(probes, bytes) else [probes],
                                  layer2=layer2, fill=fill))
    if first is None:
        return
    dst = _destination(first.match_layer)
    with Session(iface=iface, layer2=layer2, first_dst=dst, capture_filter=filter,
                 scope=scope) as session:
        loop = SendReceiveLoop(session.sender, session.capture, options, counters, on_progress)
        yield from loop.run(stream)


#: packet sets at least this large to one next hop go out as Ethernet frames
FRAME_MIN = 256


def _framed(probes: Probes, iface: str | None) -> tuple[Layer, str] | None:
    """A large IP packet set to one destination as Ethernet frames to its next hop.

    Frames handed to the interface cost the kernel about half of what packets
    sent through a raw IP socket cost (no routing or neighbour lookup per
    packet), which is most of a scan's time in the kernel. Only when the
    kernel already knows the next hop's MAC (nothing is sent to find it), the
    route leaves by an Ethernet interface, and ``iface``, if given, is that
    interface; otherwise None, and the packets go the usual way.
    """
    if not isinstance(probes, Layer) or type(probes).__name__ not in ("IP", "IPv6"):
        return None
    dst = probes.dst
    if not isinstance(dst, str) or len(probes) < FRAME_MIN:
        return None
    from netprobe.packet import Ether

    _, iface_mod, neighbour, _, route, _, _ = _wire()
    try:
        hop = route.route_to(dst)
        if hop.iface == "lo" or (iface is not None and iface != hop.iface):
            return None
        mac = neighbour.lookup(hop.next_hop, hop.iface)
        ours = iface_mod.interface(hop.iface).mac
    except Exception:  # no route, no such interface: the usual path reports it
        return None
    if not mac or not ours:
        return None
    return Ether(src=ours, dst=mac) / probes, hop.iface


def _count(probes: Probes) -> int | None:
    """How many probes, when that is cheap to know (packet sets know their size)."""
    if isinstance(probes, (Layer, bytes)):
        return len(probes) if isinstance(probes, Layer) else 1
    if isinstance(probes, (list, tuple)):
        try:
            return sum(len(p) if isinstance(p, Layer) else 1 for p in probes)
        except TypeError:
            return None
    return None


def _collect(probes: Probes, layer2: bool, progress: bool, **kwargs: Any) -> SendReceive:
    counters = Counters()
    bar = RunProgress(_count(probes)) if progress else None
    try:
        results = list(run(probes, layer2=layer2, counters=counters, on_progress=bar,
                           **kwargs))
    finally:
        if bar is not None:
            bar.close()
    return SendReceive(results, counters)


def sr(probes: Probes, *, timeout: float = 2.0, retry: int = 0, rate: float | None = None,
       iface: str | None = None, filter: str | None = None,
       multi: bool = False, max_time: float | None = None, scope: Any = None,
       progress: bool = True) -> SendReceive:
    """Send layer-3 probes and match answers: ``ans, unans = sr(...)``.

    A progress bar shows on stderr for runs over a second when it is a terminal.
    """
    return _collect(probes, False, progress, timeout=timeout, retry=retry, rate=rate,
                    iface=iface, filter=filter, multi=multi, max_time=max_time, scope=scope)


def srp(probes: Probes, *, timeout: float = 2.0, retry: int = 0, rate: float | None = None,
        iface: str | None = None, filter: str | None = None,
        multi: bool = False, max_time: float | None = None, scope: Any = None,
        progress: bool = True) -> SendReceive:
    """Send layer-2 frames and match answers: ``ans, unans = srp(...)``."""
    return _collect(probes, True, progress, timeout=timeout, retry=retry, rate=rate,
                    iface=iface, filter=filter, multi=multi, max_time=max_time, scope=scope)


def sr1(probes: Probes, **kwargs: Any) -> Layer | None:
    """The first answer to layer-3 probes, or None."""
    ans, _ = sr(probes, **kwargs)
    return ans[0].answer if ans else None


def srp1(probes: Probes, **kwargs: Any) -> Layer | None:
    """The first answer to layer-2 frames, or None."""
    ans, _ = srp(probes, **kwargs)
    return ans[0].answer if ans else None


def _send(probes: Probes, layer2: bool, iface: str | None, count: int, interval: float,
          scope: Any) -> int:
    _, _, _, privileges, route, scope_mod, sockets = _wire()
    privileges.require_raw_sockets("sending packets", "run as root")
    scope = scope or scope_mod.Scope.from_environment()
    fill = link_filler(iface) if layer2 else None
    items = probes if not isinstance(probes, bytes) else [probes]
    prepared = list(prepare(items, layer2=layer2, fill=fill))
    if not prepared:
        return 0
    if layer2:
        name = iface or route.route_to(_destination(prepared[0].match_layer) or "").iface
        sender: Any = sockets.L2Sender(name, scope=scope)
    else:
        sender = sockets.L3Sender(iface, scope=scope)
    sent = 0
    try:
        for i in range(count):
            if interval and i:
                time.sleep(interval)
            sent += sender.send_many([p.data for p in prepared])
    finally:
        sender.close()
    return sent


def send(probes: Probes, *, iface: str | None = None, count: int = 1, interval: float = 0.0,
         scope: Any = None) -> int:
    """Send layer-3 packets; return how many the kernel accepted."""
    return _send(probes, False, iface, count, interval, scope)


def sendp(probes: Probes, *, iface: str | None = None, count: int = 1, interval: float = 0.0,
          scope: Any = None) -> int:
    """Send layer-2 frames; return how many the kernel accepted."""
    return _send(probes, True, iface, count, interval, scope)


def sniff(iface: str | None = None, filter: str | None = None, count: int = 0,
          timeout: float | None = None, prn: Callable[[Layer], Any] | None = None,
          store: bool = True) -> list[Layer]:
    """Capture packets until ``count`` are seen or ``timeout`` seconds pass."""
    capture, iface_mod, *_ = _wire()
    if count <= 0 and timeout is None:
        raise UsageError("sniff needs count= or timeout= (or both) so that it ends")
    name = iface
    if name is None:
        gw = iface_mod.default_gateway(4)
        name = gw.iface if gw is not None and getattr(gw, "iface", None) else "any"
    out: list[Layer] = []
    seen = 0
    deadline = None if timeout is None else time.monotonic() + timeout
    with capture.Capture(name, filter, nonblocking=False, timeout_ms=20) as cap:
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                break
            for _ts, frame in cap.read_batch(256):
                pkt = dissect(frame, cap.linktype)
                seen += 1
                if prn is not None:
                    prn(pkt)
                if store:
                    out.append(pkt)
                if count and seen >= count:
                    return out
    return out
