"""Type-length-value items one after another: PPP's options, RADIUS's attributes.

Each item starts with a type byte and a length byte that counts the whole item;
the list runs to the end of the length its packet gives (or of the bytes, when
that length is unset). An item whose length byte is too small to be true takes
the rest of the list, so a damaged list is read, never refused.
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
    as ``fallback``, when one is given.
    """

    ls_kind = "PacketListField"

    def __init__(self, name: str, choose: Callable[[bytes], type[Layer]],
                 length_from: Callable[[Layer], int], item_cls: type[Layer] | None = None,
                 fallback: type[Layer] | None = None) -> None:
        super().__init__(name, [], item_cls, length_from=length_from)
        self.choose = choose
        self.fallback = fallback

    def take(self, pkt: Layer, buf: bytes, off: int, end: int) -> tuple[list[Layer], int]:
        """The items from ``buf[off:]`` and where the list ends."""
        from netprobe.packet.dissect import dissect_as

        stop = min(end, off + max(int(self.length_from(pkt)), 0)) if pkt.len else end
        items = []
        while off < stop:
            size = buf[off + 1] if stop - off >= 2 else 0
            item_end = min(stop, off + size) if size >= 2 else stop
            data = bytes(buf[off:item_end])
            cls = self.choose(data)
            item = dissect_as(cls, data)
            if self.fallback is not None and type(item) is not cls:
                item = dissect_as(self.fallback, data)
            items.append(item)
            off = item_end
        return items, stop
