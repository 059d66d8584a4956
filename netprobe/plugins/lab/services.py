"""The listeners that run inside lab hosts: real TCP and UDP services.

Run as ``python -m netprobe.plugins.lab.services --lab NAME --node h1
--listen tcp:22:ssh --listen udp:53:dns ...`` (``lab up`` does it inside each
host's namespace). Standard library only, one thread per socket. Once every
socket is bound it prints ``ready`` on stdout, so ``up`` returns only when
every port really listens.

Kinds: ``ssh``/``smtp``/``banner`` greet on connect; ``http`` answers one
request; ``dns`` answers any datagram as a DNS reply to it; ``echo`` sends the
datagram back; ``fragile`` echoes too, but exits (status 70) on a datagram
that starts with de ad and is longer than 100 bytes: a crash to find by fuzzing.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

FRAGILE_MAGIC = b"\xde\xad"
FRAGILE_MIN_LENGTH = 101
FRAGILE_EXIT = 70
_CLIENT_TIMEOUT = 3.0


def is_fatal(datagram: bytes) -> bool:
    """True for the one input that kills a ``fragile`` service."""
    return datagram.startswith(FRAGILE_MAGIC) and len(datagram) >= FRAGILE_MIN_LENGTH


def greeting(kind: str, node: str, port: int) -> bytes:
    """What a TCP service of ``kind`` sends as soon as a client connects."""
    if kind == "ssh":
        return b"SSH-2.0-OpenSSH_9.2p1 netprobe-lab\r\n"
    if kind == "smtp":
        return f"220 {node}.lab.example ESMTP netprobe-lab\r\n".encode()
    if kind == "banner":
        return f"netprobe-lab {node} tcp/{port}\r\n".encode()
    return b""


def http_reply(node: str) -> bytes:
    """A complete HTTP/1.0 response naming the host."""
    body = f"netprobe lab: {node}\n".encode()
    head = (f"HTTP/1.0 200 OK\r\nServer: netprobe-lab\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    return head + body


def udp_reply(kind: str, datagram: bytes) -> bytes:
    """The answer of a UDP service of ``kind`` to ``datagram``."""
    if kind == "dns" and len(datagram) >= 12:
        # Same ID and question, flags = standard response, no error.
        return datagram[:2] + b"\x81\x80" + datagram[4:]
    return datagram or b"netprobe-lab\n"


def _serve_client(conn: socket.socket, kind: str, node: str, port: int) -> None:
    with conn:
        conn.settimeout(_CLIENT_TIMEOUT)
        try:
            if kind == "http":
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 8192:
                    chunk = conn.recv(2048)
                    if not chunk:
                        break
                    request += chunk
                conn.sendall(http_reply(node))
            else:
                conn.sendall(greeting(kind, node, port))
                conn.recv(1024)  # let the client speak before closing
        except OSError:
            pass


def _tcp_loop(sock: socket.socket, kind: str, node: str, port: int) -> None:
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            continue
        threading.Thread(target=_serve_client, args=(conn, kind, node, port),
                         daemon=True).start()


def _udp_loop(sock: socket.socket, kind: str) -> None:
    while True:
        try:
            datagram, peer = sock.recvfrom(65535)
        except OSError:
            continue
        if kind == "fragile" and is_fatal(datagram):
            # Simulated crash: no cleanup, exactly like a real one.
            os._exit(FRAGILE_EXIT)
        try:
            sock.sendto(udp_reply(kind, datagram), peer)
        except OSError:
            pass


def open_socket(proto: str, port: int) -> socket.socket:
    """A dual-stack (IPv4 and IPv6) socket bound to ``port`` on every address."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    sock = socket.socket(socket.AF_INET6, kind)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("::", port))
    if proto == "tcp":
        sock.listen(128)
    return sock


def parse_listen(text: str) -> tuple[str, int, str]:
    """Parse ``proto:port:kind`` (argparse type)."""
    try:
        proto, port, kind = text.split(":")
        number = int(port)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected proto:port:kind") from exc
    if proto not in ("tcp", "udp") or not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"{text!r}: expected tcp|udp and a port 1-65535")
    return proto, number, kind


def main(argv: list[str] | None = None) -> int:
    """Bind every listener, say ``ready``, then serve until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", required=True, help="lab name (identifies our processes)")
    parser.add_argument("--node", required=True)
    parser.add_argument("--listen", action="append", type=parse_listen, default=[])
    args = parser.parse_args(argv)
    try:
        bound = [(proto, port, kind, open_socket(proto, port))
                 for proto, port, kind in args.listen]
    except OSError as exc:
        print(f"error: cannot listen: {exc}", flush=True)
        return 1
    for proto, port, kind, sock in bound:
        if proto == "tcp":
            target, extra = _tcp_loop, (kind, args.node, port)
        else:
            target, extra = _udp_loop, (kind,)
        threading.Thread(target=target, args=(sock, *extra), daemon=True).start()
    print("ready", flush=True)
    # The parent stops reading after "ready": detach stdout/stderr from it.
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
