"""netprobe: craft, send, sniff and dissect packets; scan, trace and analyse networks.

``from netprobe import *`` gives Scapy's user API on netprobe's engine (layers,
``sr``/``send``/``sniff``, ``rdpcap``/``wrpcap``, ``PacketList``, the helpers);
``netprobe.all`` is the same namespace with everything loaded at once. Names are
loaded on first use, so that the command line starts fast: ``__all__`` is a plain
list, and ``import *`` asks this module's ``__getattr__`` for each of its names.
"""

from __future__ import annotations

#: typing is not imported at run time: the console script imports this package first,
#: before its collector is tuned (netprobe.console), and typing is 40M instructions
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

#: installs the route lookup that fills unset source addresses (floor 2); floor 1 runs
#: it on its first need, so that building anywhere fills them (packet/route.py)
_SOURCE_HOOK = "netprobe.wire.route:install_source_hook"

#: module -> the public names it defines (each loaded on first access). Every module
#: listed here defines ``__all__`` with at least these names (a test checks it).
#: Sections are kept apart so that each part of the library face adds its own rows.
_FACE: dict[str, tuple[str, ...]] = {
    # -- the packet engine: layers, dissection, bindings --
    "netprobe.packet": ("dissect", "dissect_as", "Layer", "bind_layers"),
    # -- sending and receiving --
    "netprobe.engine.api": ("send", "sendp", "sr", "sr1", "srp", "srp1", "sniff"),
    "netprobe.engine.results": ("QueryAnswer", "SndRcvList"),
    "netprobe.library.config": ("conf",),
    "netprobe.library.tools": ("arping", "traceroute"),
    "netprobe.library.commands": ("lsc",),
    "netprobe.library.interfaces": ("get_if_addr", "get_if_addr6", "get_if_hwaddr",
                                    "get_if_list", "get_working_if"),
    # -- capture files and packet lists --
    "netprobe.library.packet_list": ("PacketList",),
    "netprobe.library.pcap_read": ("PcapNgReader", "PcapReader", "RawPcapNgReader",
                                   "RawPcapReader", "rdpcap"),
    "netprobe.library.pcap_write": ("PcapNgWriter", "PcapWriter", "wrpcap", "wrpcapng"),
    "netprobe.library.capture_errors": ("Scapy_Exception",),
    "netprobe.library.timestamps": ("EDecimal",),
    "netprobe.library.link_constants": ("DLT_EN10MB", "DLT_IEEE802_11", "DLT_IEEE802_11_RADIO",
                                        "DLT_IPV4", "DLT_IPV6", "DLT_LINUX_SLL",
                                        "DLT_LINUX_SLL2", "DLT_LOOP", "DLT_NULL", "DLT_PPP",
                                        "DLT_RAW", "DLT_RAW_ALT", "ETH_P_8021Q", "ETH_P_ALL",
                                        "ETH_P_ARP", "ETH_P_IP", "ETH_P_IPV6", "MTU"),
    # -- packet presentation and inspection --
    "netprobe.packet.scapy_functions": ("NoPayload", "bind_bottom_up", "bind_top_down",
                                        "bytes_encode", "bytes_hex", "chb", "corrupt_bits",
                                        "corrupt_bytes", "crc32", "fragment",
                                        "fuzz", "hex_bytes", "inet_aton", "inet_ntoa", "lhex",
                                        "ls", "os", "plain_str", "random", "raw", "socket",
                                        "split_bottom_up", "split_top_down", "struct", "strxor",
                                        "time"),
    # -- user-defined protocols (fields_desc) --
    "netprobe.packet.packet_class": ("Packet", "split_layers"),
    "netprobe.packet.scapy_fields": (
        "BitEnumField", "BitField", "BitFieldLenField", "ByteEnumField", "ByteField",
        "ConditionalField", "Emph", "EnumField", "Field", "FieldLenField", "FieldListField",
        "FlagsField", "IP6Field", "IPField", "IntEnumField", "IntField", "LEIntEnumField",
        "LEIntField", "LELongField", "LEShortEnumField", "LEShortField", "LESignedIntField",
        "LESignedLongField", "LESignedShortField", "LenField", "LongField", "MACField",
        "NBytesField", "PacketField", "PacketLenField", "PacketListField", "PadField",
        "ShortEnumField", "ShortField", "SignedByteField", "SignedIntEnumField",
        "SignedIntField", "SignedLongField", "SignedShortField", "StrField", "StrFixedLenField",
        "StrLenField", "StrNullField", "ThreeBytesField", "X3BytesField", "XBitField",
        "XByteEnumField", "XByteField", "XIntField", "XLEIntField", "XLEShortField",
        "XLongField", "XNBytesField", "XShortEnumField", "XShortField", "XStrField",
        "XStrFixedLenField", "XStrLenField", "DestIPField", "DestMACField", "IEEEDoubleField",
        "IEEEFloatField", "LEFieldLenField", "LongEnumField", "SourceIP6Field", "SourceIPField",
        "SourceMACField", "XLELongField", "MultipleTypeField", "ByteEnumKeysField",
        "IntEnumKeysField", "LELongEnumField", "LEThreeBytesField", "LEX3BytesField",
        "OUIField", "ScalingField", "ShortEnumKeysField", "StrStopField", "UTCTimeField",
        "XLE3BytesField", "XLEIntEnumField", "YesNoByteField"),
    "netprobe.packet.randval": ("RandBin", "RandByte", "RandChoice", "RandIP", "RandIP6",
                                "RandInt", "RandLong", "RandMAC", "RandNum", "RandNumExpo",
                                "RandNumGamma", "RandNumGauss", "RandSByte", "RandSInt",
                                "RandSLong", "RandSShort", "RandShort", "RandString",
                                "RandTermString", "VolatileValue"),
    # -- helpers: random values, checksums, addresses, hex, fragments --
    "netprobe.packet.checksum": ("checksum", "in4_chksum", "in6_chksum"),
    "netprobe.packet.addresses": ("Net", "Net6", "atol", "in6_getnsma", "in6_getnsmac",
                                  "in6_ptop", "inet_ntop", "inet_pton", "itom", "ltoa",
                                  "mac2str", "str2mac", "valid_ip", "valid_ip6"),
    "netprobe.packet.hexview": ("chexdump", "hexdiff", "hexdump", "hexstr", "import_hexcap",
                                "linehexdump"),
    "netprobe.packet.addresses6": (
        "IPV6_ADDR_GLOBAL", "IPV6_ADDR_LINKLOCAL", "IPV6_ADDR_LOOPBACK", "IPV6_ADDR_MULTICAST",
        "IPV6_ADDR_SITELOCAL", "IPV6_ADDR_UNICAST",
        "in6_and", "in6_addrtomac", "in6_cidr2mask", "in6_get_common_plen", "in6_getscope",
        "in6_ifaceidtomac", "in6_isaddr6to4", "in6_isdocaddr", "in6_isgladdr", "in6_isincluded",
        "in6_islladdr", "in6_isllsnmaddr", "in6_ismaddr", "in6_ismgladdr", "in6_ismnladdr",
        "in6_issladdr", "in6_isuladdr", "in6_isvalid", "in6_mactoifaceid", "in6_or", "in6_xor",
        "valid_mac", "valid_net", "valid_net6"),
    "netprobe.library.defrag": ("defrag", "defragment", "defragment6", "fragment6"),
    "netprobe.packet.layers.dns_functions": ("dns_compress", "dns_encode", "dns_get_str"),
    "netprobe.packet.name_tables": ("ETHER_ANY", "ETHER_BROADCAST", "ETHER_TYPES", "IP_PROTOS",
                                    "TCP_SERVICES", "UDP_SERVICES"),
    # (802.11's security and vendor elements, declared Scapy-style, loaded on first use)
    "netprobe.packet.layers.dot11_rsn": ("AKMSuite", "Dot11EltMicrosoftWPA", "Dot11EltRSN",
                                         "Dot11EltVendorSpecific", "PMKIDListPacket",
                                         "RSNCipherSuite"),
    # -- more layers --
    "netprobe.library.layer_modules": ("load_contrib", "load_layer"),
}


def _exports() -> dict[str, str]:
    table = {name: module for module, names in _FACE.items() for name in names}
    return table


_EXPORTS = _exports()


def _layer_names() -> list[str]:
    """Every layer family's public names (importing floor 1 is cheap: no code generated)."""
    import netprobe.packet as packet

    packet.load_families()
    return list(packet.__all__)


def _is_submodule(name: str) -> bool:
    """True when ``name`` is a module or package of this package (not imported yet)."""
    import os

    here = os.path.dirname(__file__)
    return os.path.exists(os.path.join(here, name + ".py")) or os.path.isdir(
        os.path.join(here, name))


def __getattr__(name: str) -> Any:
    if name == "__all__":
        names = sorted(set(_EXPORTS) | set(_layer_names()))
        globals()["__all__"] = names
        return names
    module = _EXPORTS.get(name)
    if module is None:
        if name.startswith("__") or _is_submodule(name):
            # ``from netprobe import costs`` asks here before importing the submodule:
            # answer at once, without importing every layer family
            raise AttributeError(f"module 'netprobe' has no attribute {name!r}")
        import netprobe.packet as packet

        packet.load_families()
        if name in packet.__all__:
            return getattr(packet, name)
        raise AttributeError(f"module 'netprobe' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(_EXPORTS) | set(_layer_names()) | {"__version__"})
