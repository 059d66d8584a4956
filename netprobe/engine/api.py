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

__all__ = ["Session", "run", "send", "sendp", "sniff", "sr", "sr1", "srp", "srp1"]

Probes = Layer | bytes | Iterable[Layer | bytes]


def prepare_wire() -> None:
    """Get the wire ready for building probes: install the route hook, so that probes
    without a source get one from the routes.

    The wire modules are imported by name where they are used, on first use
    (``import netprobe`` must stay cheap; the libpcap capture, 2 ms of a small
    scan's start, only where a live capture is opened).
    """
    from netprobe.wire import route

    route.install_source_hook()


def _destination(p: Layer) -> str | None:
    """The address a probe goes to (its network layer's dst or ARP's pdst)."""
    for layer in p.chain():
        dst = getattr(layer, "pdst", None) if type(layer).__name__ == "ARP" else None
        if dst:
            return str(dst)
        if type(layer).__name__ in ("IP", "IPv6"):
            return str(layer.dst)
    return None


def link_filler(iface_name: str | None) -> Callable[[Layer], Layer]:
    """Fill unset Ether addresses (our MAC, and the next hop's MAC by ARP/NDP) and an
    ARP payload's unset sender hardware address (our MAC)."""
    from netprobe.wire import iface as iface_mod
    from netprobe.wire import neighbour, route

    prepare_wire()
    macs: dict[str, str] = {}

    def fill(p: Layer) -> Layer:
        if type(p).__name__ not in ("Ether",):
            return p
        dst_ip = _destination(p)
        name = iface_name or (route.route_to(dst_ip).iface if dst_ip else None)
        if p.is_unset("src") and name:
            if name not in macs:
                macs[name] = iface_mod.interface(name).mac or "00:00:00:00:00:00"
            p.src = macs[name]
        arp = p._payload
        if type(arp).__name__ == "ARP" and arp.is_unset("hwsrc") and not p.is_unset("src"):
            # a request saying "00:00:00:00:00:00 has my address" would poison the
            # neighbour caches of every host that hears it
            arp.hwsrc = p.src
        if p.dst is None and dst_ip and type(p._payload).__name__ in ("IP", "IPv6"):
            hop = neighbour.next_hop_mac(dst_ip)
            if hop is None:
                raise UsageError(f"no link-layer address for the next hop towards {dst_ip}")
            p.dst = hop[1]
        return p

    return fill


class Session:
    """The sockets, capture and scope of one run; closed with ``close()`` or ``with``."""

    def __init__(self, *, iface: str | None, layer2: bool, first_dst: str | None,
                 capture_filter: str | None = None, scope: Any = None,
                 capture_class: Any = None, pin: bool = False) -> None:
        """``capture_class`` reads the answers instead of a live capture on the interface
        (``wire.ipcapture.IpCapture``: raw IP sockets, nothing to wait for at open or
        close); it is called as ``Capture`` is. ``pin`` binds the layer-3 sockets to
        ``iface`` too (SO_BINDTODEVICE): probes leave by it whatever the routes say, as
        ``traceroute -i`` sends them (without it the kernel's route picks the way out)."""
        from netprobe.wire import iface as iface_mod
        from netprobe.wire import privileges, route, sockets
        from netprobe.wire import scope as scope_mod

        prepare_wire()
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
                       else sockets.L3Sender(name if pin else None, scope=self.scope))
        try:
            if capture_class is None:
                from netprobe.wire import capture

                capture_class = capture.Capture
            self.capture = capture_class(name, capture_filter, nonblocking=True,
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
        stop_when_answered: bool = True, capture_class: Any = None) -> Iterator[Result]:
    """Stream a Result per probe (answered as they match, unanswered at the end).

    ``capture_class`` reads the answers instead of a live capture (see ``Session``).

    ``rate_control`` (congestion control) is called about every 50 ms with the
    counters so far; a number it returns becomes the send rate.
    ``stop_when_answered=False`` keeps an answered probe open until its timeout,
    so that with ``multi`` later answers (a second MAC, a duplicate) are kept too.
    """
    options = RunOptions(rate=rate, retries=retry, timeout=timeout, iface=iface, layer2=layer2,
                         capture_filter=filter, multi=multi, max_time=max_time,
                         rate_control=rate_control, stop_when_answered=stop_when_answered)
    options.check()
    prepare_wire()
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
                 scope=scope, capture_class=capture_class) as session:
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
    if not isinstance(dst, str) or probes.set_size() < FRAME_MIN:
        return None
    from netprobe.packet import Ether
    from netprobe.wire import iface as iface_mod
    from netprobe.wire import neighbour, route

    prepare_wire()
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
        return probes.set_size() if isinstance(probes, Layer) else 1
    if isinstance(probes, (list, tuple)):
        try:
            return sum(p.set_size() if isinstance(p, Layer) else 1 for p in probes)
        except TypeError:
            return None
    return None


#: Scapy keywords of sr()/send() that change nothing here (socket and threading
#: choices Scapy offers; netprobe's loop makes its own)
_IGNORED = frozenset({"promisc", "nofilter", "chainCC", "threaded", "prebuild", "rcv_pks",
                      "chainEX", "socket", "realtime", "_flood", "monitor",
                      "quiet"})


def _ignore(kwargs: dict[str, Any], where: str) -> None:
    unknown = set(kwargs) - _IGNORED
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument {sorted(unknown)[0]!r}")


def _verbosity(verbose: Any) -> int:
    """Scapy's verbose: None means ``conf.verb``."""
    if verbose is None:
        from netprobe.library.config import conf

        return int(conf.verb)
    return int(verbose)


def _iface_or_conf(iface: str | None) -> str | None:
    """The interface a call names, else the one the script set as ``conf.iface``."""
    if iface is not None:
        return iface
    from netprobe.library.config import conf

    return conf.chosen_iface()


def _rate(inter: float, rate: float | None) -> float | None:
    """Scapy's ``inter`` (seconds between packets) as netprobe's send rate."""
    if rate is None and inter and inter > 0:
        return 1.0 / inter
    return rate


def _collect(probes: Probes, layer2: bool, progress: bool, *,
             prn: Callable[[Any], Any] | None = None,
             lfilter: Callable[[Any], bool] | None = None,
             stop_filter: Callable[[Any], bool] | None = None,
             **kwargs: Any) -> SendReceive:
    counters = Counters()
    bar = RunProgress(_count(probes)) if progress else None
    results: list[Result] = []
    stream = run(probes, layer2=layer2, counters=counters, on_progress=bar, **kwargs)
    try:
        for r in stream:
            if r.answer_bytes is not None and lfilter is not None and not lfilter(r.answer):
                # an answer the caller does not consider is no answer
                r.answer_bytes = None
                r._answer = None
                r.received = None
            results.append(r)
            if r.answer_bytes is None:
                continue
            if prn is not None:
                shown = prn(r.answer)
                if shown is not None:
                    print(shown)
            if stop_filter is not None and stop_filter(r.answer):
                break
    finally:
        stream.close()
        if bar is not None:
            bar.close()
    return SendReceive(results, counters)


def _report(res: SendReceive, verbose: int) -> None:
    """Scapy's closing line of an ``sr()`` run, on stderr (stdout is the caller's)."""
    if verbose > 0:
        import sys

        ans, unans = res.answered, res.unanswered
        print(f"Received {res.counters.received} packets, got {len(ans)} answers, "
              f"remaining {len(unans)} packets", file=sys.stderr)


def _send_receive(layer2: bool, name: str, doc: str) -> Callable[..., SendReceive]:
    """``sr`` (layer 3) or ``srp`` (layer 2): one signature, Scapy's keywords."""

    def send_receive(probes: Probes, filter: str | None = None, iface: str | None = None, *,
                     timeout: float | None = 2.0, retry: int = 0, inter: float = 0.0,
                     verbose: int | None = None, multi: bool = False,
                     rate: float | None = None, prn: Callable[[Any], Any] | None = None,
                     lfilter: Callable[[Any], bool] | None = None,
                     stop_filter: Callable[[Any], bool] | None = None,
                     max_time: float | None = None, scope: Any = None,
                     progress: bool | None = None, **ignored: Any) -> SendReceive:
        _ignore(ignored, name)
        level = _verbosity(verbose)
        res = _collect(probes, layer2, level > 0 if progress is None else progress,
                       filter=filter, iface=_iface_or_conf(iface),
                       timeout=2.0 if timeout is None else timeout,
                       retry=abs(int(retry or 0)), rate=_rate(inter, rate), multi=multi,
                       prn=prn, lfilter=lfilter, stop_filter=stop_filter,
                       max_time=max_time, scope=scope)
        _report(res, level if verbose is not None else 0)
        return res

    send_receive.__name__ = send_receive.__qualname__ = name
    send_receive.__doc__ = doc
    return send_receive


sr = _send_receive(False, "sr", """Send layer-3 probes and match answers: ``ans, unans = sr(...)``.

    Scapy's keywords: ``timeout`` (seconds to wait after the last send; None is the
    default 2 s: a run always ends), ``retry`` (times an unanswered probe is sent
    again; negative as positive), ``inter`` (seconds between sends), ``multi`` (keep
    every answer), ``verbose``, ``iface``, ``filter`` (capture filter), ``prn``
    (called on each answer), ``lfilter`` (answers it refuses count as none) and
    ``stop_filter`` (an answer for which it is true ends the run). A progress bar
    shows on stderr for runs over a second when it is a terminal (``verbose=0``:
    none).
    """)
srp = _send_receive(True, "srp", "Send layer-2 frames and match answers: "
                    "``ans, unans = srp(...)`` (``sr``'s keywords).")


def sr1(probes: Probes, *args: Any, **kwargs: Any) -> Layer | None:
    """The first answer to layer-3 probes, or None (``sr``'s keywords)."""
    ans, _ = sr(probes, *args, **kwargs)
    return ans[0].answer if ans else None


def srp1(probes: Probes, *args: Any, **kwargs: Any) -> Layer | None:
    """The first answer to layer-2 frames, or None (``srp``'s keywords)."""
    ans, _ = srp(probes, *args, **kwargs)
    return ans[0].answer if ans else None


def _send(probes: Probes, layer2: bool, iface: str | None, count: int, interval: float,
          scope: Any) -> tuple[int, list[PreparedProbe]]:
    from netprobe.wire import privileges, route, sockets
    from netprobe.wire import scope as scope_mod

    prepare_wire()
    privileges.require_raw_sockets("sending packets", "run as root")
    scope = scope or scope_mod.Scope.from_environment()
    fill = link_filler(iface) if layer2 else None
    items = probes if not isinstance(probes, bytes) else [probes]
    prepared = list(prepare(items, layer2=layer2, fill=fill))
    if not prepared:
        return 0, prepared
    if layer2:
        name = iface or route.route_to(_destination(prepared[0].match_layer) or "").iface
        sender: Any = sockets.L2Sender(name, scope=scope)
    else:
        sender = sockets.L3Sender(iface, scope=scope)
    sent = 0
    try:
        if interval:
            # Scapy's inter: a pause between every two packets, not between rounds
            for k, p in enumerate(prepared * count):
                if k:
                    time.sleep(interval)
                sent += sender.send_many([p.data])
        else:
            for _ in range(count):
                sent += sender.send_many([p.data for p in prepared])
    finally:
        sender.close()
    return sent, prepared


def _sender(layer2: bool, name: str, doc: str) -> Callable[..., Any]:
    """``send`` (layer 3) or ``sendp`` (layer 2): one signature, Scapy's keywords."""

    def send(probes: Probes, iface: str | None = None, *, count: int | None = None,
             inter: float = 0.0, loop: int = 0, verbose: int | None = None,
             return_packets: bool = False, interval: float = 0.0, scope: Any = None,
             **ignored: Any) -> Any:
        _ignore(ignored, name)
        if loop and count is None:
            raise UsageError("loop= without count= would send for ever: give count=")
        sent, prepared = _send(probes, layer2, _iface_or_conf(iface),
                               1 if count is None else int(count), inter or interval, scope)
        if verbose:
            import sys

            print(f"Sent {sent} packets.", file=sys.stderr)
        if return_packets:
            from netprobe.library.packet_list import PacketList

            return PacketList([dissect(p.data, 1 if layer2 else 228) for p in prepared],
                              name="PacketList")
        return sent

    send.__name__ = send.__qualname__ = name
    send.__doc__ = doc
    return send


send = _sender(False, "send", """Send layer-3 packets; return how many the kernel accepted.

    Scapy's keywords: ``count`` (times the whole set is sent), ``inter`` (seconds
    between packets; ``interval`` is the same), ``loop`` (with ``count`` only: a
    loop without end is refused), ``verbose`` (a ``Sent N packets.`` line on stderr),
    ``return_packets`` (return the packets sent, as a ``PacketList``).
    """)
sendp = _sender(True, "sendp",
                "Send layer-2 frames; return how many the kernel accepted (``send``'s keywords).")


def sniff(count: int = 0, store: bool = True, offline: Any = None,
          prn: Callable[[Layer], Any] | None = None,
          lfilter: Callable[[Layer], bool] | None = None,
          timeout: float | None = None, stop_filter: Callable[[Layer], bool] | None = None,
          iface: str | None = None, filter: str | None = None,
          started_callback: Callable[[], Any] | None = None, **ignored: Any) -> Any:
    """Capture packets (or read them: ``offline=`` a file, files or packets) into a
    ``PacketList``.

    Scapy's keywords: ``count`` (stop after this many kept packets), ``store``
    (False: keep none, for ``prn`` only), ``prn`` (called on each packet; what it
    returns is printed), ``lfilter`` (packets it refuses are dropped), ``stop_filter``
    (a packet for which it is true ends the capture), ``timeout`` (seconds),
    ``iface``, ``filter`` (pcap-filter(7), compiled by libpcap, on files too),
    ``started_callback`` (called once the capture is open). A live capture needs
    ``count`` or ``timeout`` so that it ends.
    """
    _ignore(ignored, "sniff")
    if isinstance(count, str) and iface is None:  # sniff("eth0"): old positional habit
        raise UsageError("sniff's first argument is count; give the interface as iface=")
    from netprobe.library.sniff_loop import SniffLoop

    if offline is not None:
        from netprobe.library.sniff_offline import sniff_offline

        if started_callback is not None:
            started_callback()
        return sniff_offline(offline, count=count, store=store, prn=prn, lfilter=lfilter,
                             stop_filter=stop_filter, filter=filter)
    from netprobe.wire import capture
    from netprobe.wire import iface as iface_mod

    prepare_wire()
    if (count or 0) <= 0 and timeout is None:
        raise UsageError("sniff needs count= or timeout= (or both) so that it ends")
    name = _iface_or_conf(iface)
    if name is None:
        gw = iface_mod.default_gateway(4)
        name = gw.iface if gw is not None and getattr(gw, "iface", None) else "any"
    loop = SniffLoop(count, store, prn, lfilter, stop_filter)
    deadline = None if timeout is None else time.monotonic() + timeout
    with capture.Capture(name, filter, nonblocking=False, timeout_ms=20) as cap:
        if started_callback is not None:
            started_callback()
        while not loop.done:
            if deadline is not None and time.monotonic() >= deadline:
                break
            for ts, frame in cap.read_batch(256):
                pkt = dissect(frame, cap.linktype)
                pkt.time = ts
                pkt.wirelen = len(frame)
                if loop.take(pkt):
                    break
    return loop.result()
