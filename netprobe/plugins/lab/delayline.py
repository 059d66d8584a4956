"""The lab's userspace delay line: a frame relay that holds each frame for its delay.

This kernel has no ``sch_netem``, so the lab delays frames itself. The process
sits between two interfaces of one namespace (``lab impair`` splices it into a
LAN port of the switch: the host's cable on one side, a new veth into the
bridge on the other). Whatever arrives on one side leaves on the other once
its delay (± a uniform jitter) has passed. Frames of one direction keep their
order, so jitter spreads round trips without reordering.

Run as ``python -m netprobe.plugins.lab.delayline --lab NAME --a IF --b IF
--ab MS[/JITTER] --ba MS[/JITTER]`` (``lab impair`` does it). It prints
``ready`` once both packet sockets are bound and runs until SIGTERM.

The loop is ``_delayline.c`` (recvmmsg/sendmmsg batches, no GIL), built at
install time; where it was not built, :func:`relay_python` does the same job
one frame at a time (slower: see tests/bench/test_bench_delayline.py).
Both sockets use ``PACKET_VNET_HDR``, so TCP segmentation-offload frames and
partial checksums cross as the kernel left them.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_IGNORE_OUTGOING = 23
SO_RCVBUFFORCE = 33
SO_SNDBUFFORCE = 32
SOCKET_BUFFER = 16 << 20  # ~20k small frames: rides out a busy machine's pauses
SLOT = 65536 + 64


def open_port(interface: str) -> socket.socket:
    """A non-blocking packet socket bound to ``interface`` for relaying.

    It sees only frames arriving on the interface (not the ones it sends),
    with a virtio header in front that carries GSO and checksum state.
    """
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    try:
        sock.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
        sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        for option in (SO_RCVBUFFORCE, SO_SNDBUFFORCE):
            try:
                sock.setsockopt(socket.SOL_SOCKET, option, SOCKET_BUFFER)
            except OSError:
                pass  # without CAP_NET_ADMIN the default buffers still work
        sock.bind((interface, ETH_P_ALL))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def compiled_relay():
    """``_delayline.relay`` when the C module was built, else None."""
    from netprobe.engine.compiled import load

    module = load("netprobe.plugins.lab._delayline")
    return module.relay if module is not None else None


def relay_python(a: socket.socket, b: socket.socket, delay_ab: float, jitter_ab: float,
                 delay_ba: float, jitter_ba: float, seed: int = 0, max_frames: int = 0,
                 max_seconds: float = 0.0) -> tuple[int, int, int]:
    """Relay between ``a`` and ``b`` in pure Python (delays in seconds).

    Same contract as the C ``relay``: frames from ``a`` leave on ``b`` after
    ``delay_ab`` ± ``jitter_ab`` and the other way round, in order; returns
    (forwarded a→b, forwarded b→a, dropped) once ``max_frames`` were
    forwarded or ``max_seconds`` passed (0: no limit).
    """
    draw = random.Random(seed).uniform
    ways = [(a, b, delay_ab, jitter_ab, collections.deque()),
            (b, a, delay_ba, jitter_ba, collections.deque())]
    last = [0.0, 0.0]
    forwarded = [0, 0]
    dropped = 0
    stop = time.monotonic() + max_seconds if max_seconds > 0 else float("inf")
    poller = select.poll()
    poller.register(a, select.POLLIN)
    poller.register(b, select.POLLIN)
    readers = {a.fileno(): 0, b.fileno(): 1}
    while True:
        now = time.monotonic()
        for index, (_, out, _, _, queue) in enumerate(ways):
            while queue and queue[0][0] <= now:
                try:
                    out.send(queue[0][1])
                    forwarded[index] += 1
                except BlockingIOError:
                    break
                except OSError:
                    dropped += 1
                queue.popleft()
        if (max_frames and sum(forwarded) >= max_frames) or now >= stop:
            return forwarded[0], forwarded[1], dropped
        wake = min([queue[0][0] for *_, queue in ways if queue] + [stop])
        timeout = None if wake == float("inf") else max(0.0, wake - now) * 1000
        for fd, _ in poller.poll(timeout):
            index = readers[fd]
            source, _, delay, jitter, queue = ways[index]
            for _ in range(64):
                try:
                    frame = source.recv(SLOT)
                except BlockingIOError:
                    break
                arrived = time.monotonic()
                due = max(arrived, arrived + delay + (draw(-jitter, jitter) if jitter else 0.0),
                          last[index])
                last[index] = due
                queue.append((due, frame))


def relay(a: socket.socket, b: socket.socket, delay_ab: float, jitter_ab: float,
          delay_ba: float, jitter_ba: float, seed: int = 0, max_frames: int = 0,
          max_seconds: float = 0.0) -> tuple[int, int, int]:
    """Relay with the C loop when built, else :func:`relay_python` (delays in seconds)."""
    compiled = compiled_relay()
    if compiled is None:
        return relay_python(a, b, delay_ab, jitter_ab, delay_ba, jitter_ba, seed,
                            max_frames, max_seconds)
    ns = 1_000_000_000
    return compiled(a.fileno(), b.fileno(), round(delay_ab * ns), round(jitter_ab * ns),
                    round(delay_ba * ns), round(jitter_ba * ns), seed, max_frames,
                    float(max_seconds))


def parse_delay(text: str) -> tuple[float, float]:
    """``MS`` or ``MS/JITTER_MS`` as (delay, jitter) in milliseconds (argparse type)."""
    delay, _, jitter = text.partition("/")
    try:
        values = float(delay), float(jitter or 0)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MS or MS/JITTER_MS") from exc
    if min(values) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: delays cannot be negative")
    return values


def main(argv: list[str] | None = None) -> int:
    """Open both ports, say ``ready``, relay until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", required=True, help="the lab this relay belongs to")
    parser.add_argument("--a", required=True, help="interface on one side")
    parser.add_argument("--b", required=True, help="interface on the other side")
    parser.add_argument("--ab", type=parse_delay, default=(0.0, 0.0),
                        help="delay[/jitter] in ms from a to b")
    parser.add_argument("--ba", type=parse_delay, default=(0.0, 0.0),
                        help="delay[/jitter] in ms from b to a")
    args = parser.parse_args(argv)
    try:
        a, b = open_port(args.a), open_port(args.b)
    except OSError as exc:
        print(f"delay line {args.a}<->{args.b}: {exc}", flush=True)
        return 1
    print("ready", flush=True)
    sys.stdout.close()
    (dab, jab), (dba, jba) = args.ab, args.ba
    relay(a, b, dab / 1000, jab / 1000, dba / 1000, jba / 1000, seed=os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main())
