"""Type-length-value items one after another: PPP's options, RADIUS's attributes,
DHCPv6's options inside an option.

Each item starts with its type and a length: one byte each, the length counting the
whole item (``head`` 2: PPP, RADIUS), or two bytes each, the length counting the value
only (``head`` 4: DHCPv6). The list runs to the end of the length its packet gives.
An item whose length is too small to be true takes the rest of the list, so a damaged
list is read, never refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from netprobe.packet.scapy_fields import PacketListField

if TYPE_CHECKING:
    from netprobe.packet.layer import Layer


class TLVListField(PacketListField):
    """Items read each as the class ``choose(item bytes)`` names.

    An item that does not read as its class (its length does not fit) is read
    as ``fallback``, when one is given. With ``to_end_unless_len``, a packet whose
    ``len`` is unset or 0 has its list run to the end of the bytes.
    """

    ls_kind = "PacketListField"

    def __init__(self, name: str, choose: Callable[[bytes], type[Layer]],
                 length_from: Callable[[Layer], int], item_cls: type[Layer] | None = None,
                 fallback: type[Layer] | None = None, head: int = 2,
                 to_end_unless_len: bool = True) -> None:
        super().__init__(name, [], item_cls, length_from=length_from)
        self.choose = choose
        self.fallback = fallback
        self.head = head
        self.to_end_unless_len = to_end_unless_len

    def take(self, pkt: Layer, buf: bytes, off: int, end: int) -> tuple[list[Layer], int]:
        """The items from ``buf[off:]`` and where the list ends."""
        from netprobe.packet.dissect import dissect_as

        if not self.to_end_unless_len or pkt.len:
            stop = min(end, off + max(int(self.length_from(pkt)), 0))
        else:
            stop = end
        head = self.head
        items = []
        while off < stop:
            size = 0
            if stop - off >= head:
                size = buf[off + 1] if head == 2 else 4 + (buf[off + 2] << 8 | buf[off + 3])
            item_end = min(stop, off + size) if size >= 2 else stop
            data = bytes(buf[off:item_end])
            cls = self.choose(data)
            item = dissect_as(cls, data)
            if self.fallback is not None and type(item) is not cls:
                item = dissect_as(self.fallback, data)
            items.append(item)
            off = item_end
        return items, stop
