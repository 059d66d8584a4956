"""Teredo (RFC 4380): IPv6 carried in UDP port 3544, behind optional Teredo headers.

A Teredo packet is an IPv6 packet, optionally preceded by an authentication
header (indicator 0x0001) and an origin indication (indicator 0x0000: the
client's mapped port and IPv4 address, both inverted on the wire). Scapy
leaves these as ``Raw``; tshark decodes them, as ``flows`` does. So the layer
is dissected only once loaded (``netprobe.packet.optional_layers``: the command
line loads it, a library script keeps Scapy's ``Raw``). A payload that does
not continue as IPv6 stays ``Raw``.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.field import ShortField
from netprobe.packet.layer import Layer, Truncated
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.udp import UDP
from netprobe.packet.optional_layers import register

__all__ = ["Teredo"]

TEREDO_PORT = 3544


class Teredo(Layer):
    """The Teredo headers before an IPv6 packet: authentication and origin indication."""

    fields = (
        ShortField("auth_id_len", None),
        ShortField("auth_value_len", None),
        ShortField("origin_port", None),
    )
    __slots__ = ("auth_value", "client_id", "confirmation", "nonce", "origin_addr")
    keep_slots = ("client_id", "auth_value", "nonce", "confirmation", "origin_addr")

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        self.auth_id_len = self.auth_value_len = self.origin_port = None
        self.client_id = self.auth_value = self.nonce = self.confirmation = None
        self.origin_addr = None
        if end - off >= 4 and buf[off:off + 2] == b"\x00\x01":
            id_len, au_len = buf[off + 2], buf[off + 3]
            size = 4 + id_len + au_len + 9
            if end - off < size:
                raise Truncated(f"truncated authentication header ({end - off} of {size} bytes)")
            at = off + 4
            self.auth_id_len, self.auth_value_len = id_len, au_len
            self.client_id = bytes(buf[at:at + id_len])
            self.auth_value = bytes(buf[at + id_len:at + id_len + au_len])
            at += id_len + au_len
            self.nonce = bytes(buf[at:at + 8])
            self.confirmation = buf[at + 8]
            off += size
        if end - off >= 8 and buf[off:off + 2] == b"\x00\x00":
            self.origin_port = int.from_bytes(buf[off + 2:off + 4], "big") ^ 0xFFFF
            self.origin_addr = ".".join(str(b ^ 0xFF) for b in buf[off + 4:off + 8])
            off += 8
        return off, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return IPv6 if end - off >= 40 and buf[off] >> 4 == 6 else None

    def build_layer(self, payload: bytes) -> bytes:
        head = b""
        if self.auth_id_len is not None:
            client, value = self.client_id or b"", self.auth_value or b""
            head += (b"\x00\x01" + bytes((len(client), len(value))) + client + value
                     + (self.nonce or bytes(8)) + bytes(((self.confirmation or 0) & 0xFF,)))
        if self.origin_port is not None:
            addr = bytes(int(x) ^ 0xFF for x in (self.origin_addr or "0.0.0.0").split("."))
            head += b"\x00\x00" + ((self.origin_port ^ 0xFFFF) & 0xFFFF).to_bytes(2, "big") \
                + addr
        return head + payload

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"layer": "Teredo"}
        if self.auth_id_len is not None:
            d.update(client_id=(self.client_id or b"").hex(),
                     auth_value=(self.auth_value or b"").hex(),
                     nonce=(self.nonce or b"").hex(), confirmation=self.confirmation)
        if self.origin_port is not None:
            d.update(origin_port=self.origin_port, origin_addr=self.origin_addr)
        return d

    def summary_part(self) -> str:
        if self.origin_port is not None:
            return f"Teredo origin {self.origin_addr}:{self.origin_port}"
        return "Teredo"


register("teredo", [(UDP, (key, TEREDO_PORT), Teredo) for key in ("dport", "sport")])
