"""Compile pcap-filter(7) expressions to run on packets read from files.

``netprobe read --filter EXPR`` applies the same filter language as a live
capture to packets from a pcap file: pcap compiles the expression for the
file's link type, and pcapy-ng's ``BPFProgram.filter`` runs the program on
each packet in C.
"""

from __future__ import annotations

import pcapy

from netprobe.errors import UsageError

DEFAULT_SNAPLEN = 262144

# Files record LINKTYPE_* numbers; libpcap compiles for DLT_* numbers. They
# are equal except for a few old types whose DLT value differs between
# systems (values for Linux, from libpcap's pcap-common.c).
_LINKTYPE_TO_DLT = {100: 11, 101: pcapy.DLT_RAW, 102: 15, 103: 16}
_DLT_TO_LINKTYPE = {dlt: linktype for linktype, dlt in _LINKTYPE_TO_DLT.items()}


def dlt_for_linktype(linktype: int) -> int:
    """The DLT number libpcap wants for a file's LINKTYPE number."""
    return _LINKTYPE_TO_DLT.get(linktype, linktype)


def linktype_for_dlt(dlt: int) -> int:
    """The LINKTYPE number (as written in pcap files) for a live capture's DLT."""
    return _DLT_TO_LINKTYPE.get(dlt, dlt)


class CompiledFilter:
    """A BPF program for one link type; :meth:`matches` tests a packet."""

    def __init__(self, expression: str, linktype: int, program: pcapy.BPFProgram) -> None:
        """Wrap an already compiled program; use :func:`compile_filter` to make one."""
        self.expression = expression
        self.linktype = linktype
        self._run = program.filter  # the bound method keeps the program alive

    def matches(self, packet: bytes) -> bool:
        """True when the filter accepts ``packet`` (the bytes as captured)."""
        # The program answers with the number of bytes to keep: 0 is "no".
        return self._run(packet) != 0

    def __repr__(self) -> str:
        return f"CompiledFilter({self.expression!r}, linktype={self.linktype})"


def compile_program(expr: str, linktype: int, snaplen: int = DEFAULT_SNAPLEN, *,
                    optimize: bool = True, netmask: int = 0, what: str = "filter"
                    ) -> pcapy.BPFProgram:
    """pcap's BPF program for ``expr`` on packets of ``linktype`` (a LINKTYPE number, or
    the old DLT spelling); UsageError "bad WHAT ..." with pcap's own message when pcap
    refuses the expression."""
    try:
        return pcapy.compile(dlt_for_linktype(int(linktype)), int(snaplen), expr,
                             1 if optimize else 0, int(netmask))
    except pcapy.PcapError as exc:
        raise UsageError(f"bad {what} {expr!r}: {exc}") from None


def compile_filter(expr: str, linktype: int, *, snaplen: int = DEFAULT_SNAPLEN,
                   optimize: bool = True, netmask: int = 0) -> CompiledFilter:
    """Compile ``expr`` for packets of ``linktype`` (1 Ethernet, 101 raw IP, 113 SLL...).

    ``linktype`` is the LINKTYPE number a pcap file records (and what
    :attr:`Capture.linktype` reports); the old DLT spelling (12 for raw IP)
    is accepted too.

    ``netmask`` only matters for expressions using ``broadcast``. Raises
    UsageError with pcap's own message when the expression is invalid or
    makes no sense for the link type.
    """
    program = compile_program(expr, linktype, snaplen, optimize=optimize, netmask=netmask)
    return CompiledFilter(expr, int(linktype), program)
