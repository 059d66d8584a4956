"""``PacketList``: what ``rdpcap`` and ``sniff`` return, with Scapy's list methods.

A list can hold records not yet dissected (``rdpcap`` reads a capture's records
and dissects each packet the first time it is looked at, then keeps it), so
reading a large file costs little until its packets are used. Everything else
sees packets: indexing, iteration, ``res``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from netprobe.library import table
from netprobe.library.sessions import layer_named, session_key

__all__ = ["PacketList"]

#: the layers counted in a list's repr, in Scapy's order
DEFAULT_STATS = ("TCP", "UDP", "ICMP")


def _has(pkt: Any, name: str) -> bool:
    """True when a layer called exactly ``name`` is in the packet."""
    return layer_named(pkt, name) is not None


def _load(pkt: Any, name: str) -> bytes | None:
    """The bytes of the packet's first layer called ``name`` (``Raw``, ``Padding``)."""
    layer = layer_named(pkt, name)
    return None if layer is None else bytes(layer.load)


def _layer_name(cls: Any) -> str:
    return cls if isinstance(cls, str) else cls.__name__


class PacketList:
    """A list of packets: indexing, slicing, ``pkts[TCP]``, ``+``, summaries, sessions.

    ``lazy`` is ``(record type, loader)``: items of that exact type are turned into
    packets by ``loader`` when first looked at.
    """

    __slots__ = ("_lazy", "_res", "listname", "stats")

    def __init__(self, res: Iterable[Any] | PacketList | None = None, name: str = "PacketList",
                 stats: Iterable[Any] | None = None,
                 lazy: tuple[type, Callable[[Any], Any]] | None = None) -> None:
        if isinstance(res, PacketList):
            lazy = lazy or res._lazy
            res = res._res
        self._res: list[Any] = list(res) if res is not None else []
        self._lazy = lazy
        self.listname = name
        self.stats = tuple(_layer_name(s) for s in stats) if stats else DEFAULT_STATS

    # -- the list itself --------------------------------------------------------------------------
    def _load_all(self) -> list[Any]:
        if self._lazy is not None:
            for _ in PacketList.__iter__(self):  # loads each item in place
                pass
            self._lazy = None
        return self._res

    @property
    def res(self) -> list[Any]:
        """The packets, as a plain list (the list itself: changes to it are kept)."""
        return self._load_all()

    @res.setter
    def res(self, value: Iterable[Any]) -> None:
        self._res = list(value)
        self._lazy = None

    def _at(self, i: int) -> Any:
        item = self._res[i]
        lazy = self._lazy
        if lazy is not None and type(item) is lazy[0]:
            item = self._res[i] = lazy[1](item)
        return item

    def __len__(self) -> int:
        return len(self._res)

    def __iter__(self) -> Iterator[Any]:
        lazy = self._lazy
        if lazy is None:
            yield from self._res
            return
        kind, load = lazy
        res = self._res
        for i, item in enumerate(res):
            if type(item) is kind:
                item = res[i] = load(item)
            yield item

    def _derived(self, res: Iterable[Any], name: str) -> PacketList:
        out = self.__class__.__new__(self.__class__)
        PacketList.__init__(out, res, name=name, stats=self.stats, lazy=self._lazy)
        return out

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, slice):
            return self._derived(self._res[item], f"mod {self.listname}")
        if isinstance(item, int):
            return self._at(item)
        if isinstance(item, type):
            name = _layer_name(item)
            return self._derived([p for p in self if _has(self._packet(p), name)],
                                 f"{name} from {self.listname}")
        raise TypeError(f"PacketList indices are integers, slices or layer classes, "
                        f"not {type(item).__name__}")

    def __setitem__(self, index: int, value: Any) -> None:
        self._res[index] = value

    def __delitem__(self, index: int | slice) -> None:
        del self._res[index]

    def __add__(self, other: Any) -> PacketList:
        if not isinstance(other, PacketList):
            return NotImplemented
        return PacketList(self.res + other.res, name=f"{self.listname}+{other.listname}",
                          stats=self.stats)

    def append(self, pkt: Any) -> None:
        """Add a packet at the end."""
        self._res.append(pkt)

    def extend(self, pkts: Iterable[Any]) -> None:
        """Add packets at the end."""
        self._res.extend(pkts)

    def __getattr__(self, name: str) -> Any:
        # the list's own methods (``sort``, ``reverse``, ``index``, ``pop``...), as Scapy's
        # PacketList hands them to its ``res``
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._load_all(), name)

    def __getstate__(self) -> dict[str, Any]:
        return {"res": self.res, "listname": self.listname, "stats": self.stats}

    def __setstate__(self, state: dict[str, Any]) -> None:
        PacketList.__init__(self, state["res"], state["listname"], state["stats"])

    # -- looking at it ----------------------------------------------------------------------------
    def _packet(self, item: Any) -> Any:
        """The packet an item stands for (an item of an answer list is a pair)."""
        return item

    def _summary(self, item: Any) -> str:
        return self._packet(item).summary()

    def _args(self, item: Any) -> tuple[Any, ...]:
        """What the caller's functions (``prn``, ``lfilter``, ``filter``'s, ``make_table``'s)
        are given for an item: the packet; a tuple's members, as Scapy spreads them (a
        pair's two packets, in an answer list)."""
        return item if isinstance(item, tuple) else (item,)

    def _counts(self) -> str:
        counts = dict.fromkeys(self.stats, 0)
        other = 0
        for item in self:
            pkt = self._packet(item)
            for name in self.stats:
                if _has(pkt, name):
                    counts[name] += 1
                    break
            else:
                other += 1
        return " ".join(f"{n}:{c}" for n, c in counts.items()) + f" Other:{other}"

    def __repr__(self) -> str:
        return f"<{self.listname}: {self._counts()}>"

    def _kept(self, lfilter: Callable[..., bool] | None) -> Iterator[tuple[int, Any]]:
        """(index, item) of each item ``lfilter`` keeps (every item without one)."""
        return ((i, item) for i, item in enumerate(self)
                if lfilter is None or lfilter(*self._args(item)))

    def summary(self, prn: Callable[[Any], Any] | None = None,
                lfilter: Callable[[Any], bool] | None = None) -> None:
        """Print one line per packet (``prn(p)`` instead of its summary when given)."""
        for _, item in self._kept(lfilter):
            print(self._summary(item) if prn is None else prn(*self._args(item)))

    def nsummary(self, prn: Callable[[Any], Any] | None = None,
                 lfilter: Callable[[Any], bool] | None = None) -> None:
        """Like :meth:`summary`, each line after the packet's index in the list."""
        for i, item in self._kept(lfilter):
            print(f"{i:04d}", self._summary(item) if prn is None else prn(*self._args(item)))

    def show(self, *args: Any, **kwargs: Any) -> None:
        """Same as :meth:`nsummary`."""
        self.nsummary(*args, **kwargs)

    def filter(self, func: Callable[[Any], bool]) -> PacketList:
        """The packets for which ``func`` is true, as a new list."""
        return self._derived([p for _, p in self._kept(func)],
                             f"filtered {self.listname}")

    def getlayer(self, cls: Any, nb: int | None = None) -> PacketList:
        """The layer ``cls`` of every packet that has it."""
        name = _layer_name(cls)
        found = []
        for p in self:
            layer = p.getlayer(cls) if nb is None else p.getlayer(cls, nb)
            if layer is not None:
                found.append(layer)
        return PacketList(found, name=f"{self.listname} layer {name}", stats=self.stats)

    def sessions(self, session_extractor: Callable[[Any], str] | None = None,
                 ) -> dict[str, PacketList]:
        """The packets grouped by session: ``{"TCP 1.2.3.4:80 > 5.6.7.8:1234": [...]}``,
        in order of each session's first packet."""
        key = session_extractor or session_key
        groups: dict[str, list[Any]] = {}
        for p in self:
            groups.setdefault(key(p), []).append(p)
        return {k: PacketList(v, stats=self.stats) for k, v in groups.items()}

    def make_table(self, fn: Callable[..., Any]) -> None:
        """Print a table of ``fn(p) -> (column, row, cell)`` over the packets (an answer
        list's ``fn(sent, received)``)."""
        table.make_table(map(self._args, self), fn)

    def make_lined_table(self, fn: Callable[..., Any]) -> None:
        """:meth:`make_table` with lines between the columns."""
        table.make_lined_table(map(self._args, self), fn)

    def make_tex_table(self, fn: Callable[..., Any]) -> None:
        """:meth:`make_table` as LaTeX."""
        table.make_tex_table(map(self._args, self), fn)

    def _dump(self, lfilter: Callable[[Any], bool] | None, part: Callable[[Any], Any],
              always: bool) -> None:
        """For each packet: its index, time and summary, then ``part(packet)`` (bytes or
        None) as a hex dump; packets whose part is None are left out unless ``always``."""
        from netprobe.packet.hexview import hexdump

        for i, item in self._kept(lfilter):
            pkt = self._packet(item)
            data = part(pkt)
            if data is None and not always:
                continue
            t = float(pkt.time)
            clock = time.strftime("%H:%M:%S", time.localtime(t))
            print(f"{i:04d} {clock}.{round(t % 1 * 1e6) % 1000000:06d} {self._summary(item)}")
            if data is not None:
                hexdump(data)

    def hexdump(self, lfilter: Callable[[Any], bool] | None = None) -> None:
        """Each packet's index, time and summary, then its bytes as a hex dump."""
        self._dump(lfilter, bytes, True)

    def hexraw(self, lfilter: Callable[[Any], bool] | None = None) -> None:
        """Like :meth:`hexdump`, dumping only each packet's ``Raw`` payload."""
        self._dump(lfilter, lambda p: _load(p, "Raw"), True)

    def padding(self, lfilter: Callable[[Any], bool] | None = None) -> None:
        """The packets with trailing padding, and the padding as a hex dump."""
        self._dump(lfilter, lambda p: _load(p, "Padding"), False)

    def nzpadding(self, lfilter: Callable[[Any], bool] | None = None) -> None:
        """Like :meth:`padding`, for padding that is not all zero bytes."""
        def nonzero(p: Any) -> bytes | None:
            pad = _load(p, "Padding")
            return pad if pad is not None and pad.strip(b"\x00") else None

        self._dump(lfilter, nonzero, False)

    def rawhexdump(self) -> None:
        """Every packet's bytes as a hex dump, with nothing else."""
        from netprobe.packet.hexview import hexdump

        for item in self:
            hexdump(bytes(self._packet(item)))

    def plot(self, f: Callable[[Any], Any], lfilter: Callable[[Any], bool] | None = None,
             plot_xy: bool = False, **kwargs: Any) -> Any:
        """Plot ``f(p)`` for each packet with matplotlib (``plot_xy``: ``f`` gives (x, y))."""
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("PacketList.plot needs matplotlib: pip install netprobe[plot]"
                              ) from None
        values = [f(*self._args(p)) for _, p in self._kept(lfilter)]
        if plot_xy:
            return plt.plot(*zip(*values, strict=True), **kwargs)
        return plt.plot(values, **kwargs)
