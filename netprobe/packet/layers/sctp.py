"""SCTP (RFC 9260) on IP protocol 132: the common header and its chunks, as Scapy names them.

``SCTP`` is the common header (``sport``, ``dport``, ``tag``, ``chksum``); its
checksum is the CRC32c of the whole packet, filled when left unset. The chunks
follow it one on top of the other (``SCTP() / SCTPChunkInit() / ...``), each
chosen by its type byte and ending at its length rounded up to 4 bytes; the
parameters of INIT, INIT ACK and HEARTBEAT are packets in a list (``params``).
Field names, defaults and the text ``show()`` prints are Scapy's: unset numbers
show as ``None`` and build as 0, lengths fill themselves. A chunk or parameter
of a type not declared here is kept as ``Raw``, as Scapy keeps it.
"""

from __future__ import annotations

from typing import Any

from netprobe.packet.layer import Layer, OneValue, ParseError, Truncated, bind_layers
from netprobe.packet.layers.ip import IP
from netprobe.packet.layers.ipv6_header import IPv6
from netprobe.packet.layers.raw import Raw
from netprobe.packet.packet_class import Packet, item_padding
from netprobe.packet.scapy_fields import (
    BitField,
    ByteEnumField,
    FieldLenField,
    FieldListField,
    IntEnumField,
    IntField,
    IP6Field,
    IPField,
    PacketListField,
    PadField,
    ShortEnumField,
    ShortField,
    StrLenField,
    XByteField,
    XIntField,
    XShortField,
)
from netprobe.packet.sysnames import service_names

__all__ = [
    "SCTP", "SCTPChunkAbort", "SCTPChunkCookieAck", "SCTPChunkCookieEcho", "SCTPChunkData",
    "SCTPChunkError", "SCTPChunkHeartbeatAck", "SCTPChunkHeartbeatReq", "SCTPChunkInit",
    "SCTPChunkInitAck", "SCTPChunkParamAdaptationLayer", "SCTPChunkParamCookiePreservative",
    "SCTPChunkParamECNCapable", "SCTPChunkParamFwdTSN", "SCTPChunkParamHeartbeatInfo",
    "SCTPChunkParamHostname", "SCTPChunkParamIPv4Addr", "SCTPChunkParamIPv6Addr",
    "SCTPChunkParamStateCookie", "SCTPChunkParamSupportedAddrTypes",
    "SCTPChunkParamSupportedExtensions", "SCTPChunkParamUnrocognizedParam", "SCTPChunkSACK",
    "SCTPChunkShutdown", "SCTPChunkShutdownAck", "SCTPChunkShutdownComplete", "crc32c",
]

SCTP_PROTO = 132

#: chunk types (IANA "SCTP Chunk Types"), under Scapy's names
CHUNK_TYPES = {0: "data", 1: "init", 2: "init-ack", 3: "sack", 4: "heartbeat-req",
               5: "heartbeat-ack", 6: "abort", 7: "shutdown", 8: "shutdown-ack", 9: "error",
               10: "cookie-echo", 11: "cookie-ack", 14: "shutdown-complete",
               15: "authentication", 64: "i-data", 128: "address-configuration-ack",
               130: "re-config", 132: "pad", 192: "forward-tsn",
               193: "address-configuration", 194: "i-forward-tsn"}
#: chunk parameter types (IANA "Chunk Parameter Types"), under Scapy's names
PARAM_TYPES = {1: "heartbeat-info", 5: "IPv4", 6: "IPv6", 7: "state-cookie",
               8: "unrecognized-param", 9: "cookie-preservative", 11: "hostname",
               12: "addrtypes", 13: "out-ssn-reset-req", 14: "in-ssn-reset-req",
               15: "ssn-tsn-reset-req", 16: "re-configuration-response",
               17: "add-outgoing-stream-req", 18: "add-incoming-stream-req",
               0x8000: "ecn-capable", 0x8002: "random", 0x8003: "chunk-list",
               0x8004: "requested-HMAC-functions", 0x8008: "supported-extensions",
               0xC000: "fwd-tsn-supported", 0xC001: "add-IP", 0xC002: "del-IP",
               0xC003: "error-indication", 0xC004: "set-primary-addr",
               0xC005: "success-indication", 0xC006: "adaptation-layer"}
#: payload protocol identifiers (IANA), under Scapy's names
PAYLOAD_PROTOCOLS = dict(enumerate((
    "Reserved", "IUA", "M2UA", "M3UA", "SUA", "M2PA", "V5UA", "H.248", "BICC/Q.2150.3",
    "TALI", "DUA", "ASAP", "ENRP", "H.323", "Q.IPC/Q.2150.3", "SIMCO", "DDP Segment Chunk",
    "DDP Stream Session Control", "S1AP", "RUA", "HNBAP", "ForCES-HP", "ForCES-MP",
    "ForCES-LP", "SBc-AP", "NBAP", "Unassigned", "X2AP", "IRCP", "LCS-AP", "MPICH2", "SABP",
    "FGP", "PPP", "CALCAPP", "SSP", "NPMP-CONTROL", "NPMP-DATA", "ECHO", "DISCARD",
    "DAYTIME", "CHARGEN", "3GPP RNA", "3GPP M2AP", "3GPP M3AP", "SSH/SCTP", "Diameter/SCTP",
    "Diameter/DTLS/SCTP", "R14P", "Unassigned", "WebRTC DCEP", "WebRTC String",
    "WebRTC Binary Partial", "WebRTC Binary", "WebRTC String Partial", "3GPP PUA",
    "WebRTC String Empty", "WebRTC Binary Empty")))


# -- CRC32c (Castagnoli, reflected polynomial 0x82F63B78) -----------------------------------------
def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """The CRC32c of ``data`` (RFC 9260 appendix A)."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _pad4(n: int) -> int:
    return (n + 3) & ~3


# -- field kinds --------------------------------------------------------------------------------
class _PortField(ShortEnumField):
    """A port, shown by the system's SCTP service name (``/etc/services``) as Scapy does."""

    ls_kind = "ShortEnumField"

    def __init__(self, name: str, default: Any) -> None:
        super().__init__(name, default, {})

    def i2repr(self, pkt: Any, value: Any) -> str:
        if isinstance(value, int):
            return service_names("sctp").get(value, str(value))
        return super().i2repr(pkt, value)


class _GapAckField(OneValue, ShortField):
    """A SACK gap block, ``"start:end"`` (two 16-bit offsets)."""

    def check_one(self, value: Any) -> Any:
        if isinstance(value, str) and ":" in value:
            return value
        if isinstance(value, tuple) and len(value) == 2:
            return f"{int(value[0])}:{int(value[1])}"
        return super().check_one(value)

    def put(self, pkt: Any, value: Any) -> bytes:
        if isinstance(value, str):
            start, _, end = value.partition(":")
            return ((int(start) & 0xFFFF) << 16 | (int(end or 0) & 0xFFFF)).to_bytes(4, "big")
        return (int(value or 0) & 0xFFFFFFFF).to_bytes(4, "big")

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        if end - off < 4:
            raise Truncated(f"{self.name}: 4 bytes needed, {max(end - off, 0)} left")
        return f"{int.from_bytes(buf[off:off + 2], 'big')}:" \
               f"{int.from_bytes(buf[off + 2:off + 4], 'big')}", off + 4

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(value)


class _DataField(StrLenField):
    """A DATA chunk's user data: bytes (or a packet) given; read back as ``Raw``, as in Scapy."""

    def check_one(self, value: Any) -> Any:
        if isinstance(value, Layer):
            return value
        return super().check_one(value)

    def put(self, pkt: Any, value: Any) -> bytes:
        if isinstance(value, Layer):
            return bytes(value)
        return super().put(pkt, value)

    def take(self, pkt: Any, buf: bytes, off: int, end: int) -> tuple[Any, int]:
        value, stop = super().take(pkt, buf, off, end)
        return (Raw(load=value) if value else None), stop

    def i2repr(self, pkt: Any, value: Any) -> str:
        return repr(value)


# -- the common header ----------------------------------------------------------------------------
class SCTP(Packet):
    """The SCTP common header; the chunks follow it as its payload."""

    #: Scapy binds SCTP under IP by ``proto`` alone (``frag`` is not filled)
    ip_frag_bound = False

    fields_desc = [
        _PortField("sport", 0),
        _PortField("dport", 0),
        XIntField("tag", 0),
        XIntField("chksum", None),
    ]

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.chksum is None:
            whole = pkt[:8] + b"\x00\x00\x00\x00" + pkt[12:] + pay
            crc = crc32c(whole)
            # the CRC goes on the wire least significant byte first (RFC 9260 appendix A)
            return pkt[:8] + crc.to_bytes(4, "little") + pkt[12:] + pay
        return pkt + pay

    def guess_payload_class(self, payload: bytes) -> type[Layer]:
        return _chunk_class(payload)

    def answers(self, other: Any) -> bool:
        """An SCTP packet answers one whose ports are its own swapped."""
        if not isinstance(other, SCTP):
            return False
        return self.sport == other.dport and self.dport == other.sport


def _chunk_class(payload: bytes) -> type[Layer]:
    if len(payload) < 4:
        return Raw
    return CHUNK_CLASSES.get(payload[0], Raw)


# -- chunks ---------------------------------------------------------------------------------------
class _Chunk(Packet):
    """A chunk: type, flags, length; it ends at its length rounded up to 4 bytes, and the
    next chunk is its payload."""

    #: bytes of the header before a trailing field padded to 4 bytes (Scapy's PadField),
    #: whose padding the length leaves out
    head = 4
    #: how ``ls()`` names the length (a fixed-size chunk's is a plain ``ShortField``)
    ls_kinds = {"len": "FieldLenField"}

    def post_build(self, pkt: bytes, pay: bytes) -> bytes:
        if self.len is None:
            size = len(pkt)
            last = type(self).fields_desc[-1] if type(self).fields_desc else None
            if isinstance(last, PadField):
                size = self.head + len(last.fld.put(self, getattr(self, last.name)))
            pkt = pkt[:2] + (size & 0xFFFF).to_bytes(2, "big") + pkt[4:]
        return pkt + pay

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 4:
            raise Truncated(f"truncated chunk ({end - off} of 4 bytes)")
        size = int.from_bytes(buf[off + 2:off + 4], "big")
        if size < self.head or off + size > end:
            raise Truncated(f"chunk length {size} does not fit the {end - off} bytes left")
        pos, _ = Packet.parse(self, buf, off, off + size)
        if pos != off + size:  # the rest reads as Raw, so that it builds back as it was
            raise ParseError(f"chunk length {size} is not what its fields take "
                             f"({pos - off} bytes)")
        return min(end, off + _pad4(size)), end

    guess_payload_class = SCTP.guess_payload_class


def _value_size(pkt: Any) -> int:
    """The bytes of a chunk or parameter after its header, as its length says."""
    return (pkt.len or 0) - pkt.head


def _padded_bytes(name: str) -> Any:
    """Bytes to the end of the chunk or parameter, padded to 4 bytes."""
    return PadField(StrLenField(name, b"", length_from=_value_size), 4)


class _ParamListField(PacketListField):
    """Chunk parameters, each chosen by its type (``Raw`` for an unknown one)."""

    ls_kind = "ChunkParamField"

    def __init__(self, name: str) -> None:
        super().__init__(name, [], _read_param, length_from=_value_size)


def _read_param(data: bytes) -> Layer:
    from netprobe.packet.dissect import dissect_as

    cls = PARAM_CLASSES.get(int.from_bytes(data[:2], "big")) if len(data) >= 4 else None
    return dissect_as(cls or Raw, data)


def _chunk_head(kind: int) -> list[Any]:
    return [ByteEnumField("type", kind, CHUNK_TYPES), XByteField("flags", None),
            ShortField("len", None)]


class _InitChunk(_Chunk):
    head = 20
    fields_desc = [
        *_chunk_head(1),
        XIntField("init_tag", None),
        IntField("a_rwnd", None),
        ShortField("n_out_streams", None),
        ShortField("n_in_streams", None),
        XIntField("init_tsn", None),
        _ParamListField("params"),
    ]


class SCTPChunkInit(_InitChunk):
    """INIT: the initiate tag, window, stream counts, first TSN, parameters."""

    fields_desc = _InitChunk.fields_desc


class SCTPChunkInitAck(_InitChunk):
    """INIT ACK: as INIT, with the state cookie among its parameters."""

    fields_desc = [*_chunk_head(2), *_InitChunk.fields_desc[3:]]


class SCTPChunkData(_Chunk):
    """DATA: the flags (``unordered``, ``beginning``, ``ending``...), TSN, stream and user data."""

    head = 16
    #: an empty ``data`` reads as None, which Scapy's ``repr`` shows
    repr_none_fields = ("data",)
    fields_desc = [
        ByteEnumField("type", 0, CHUNK_TYPES),
        BitField("reserved", None, 4),
        BitField("delay_sack", 0, 1),
        BitField("unordered", 0, 1),
        BitField("beginning", 0, 1),
        BitField("ending", 0, 1),
        ShortField("len", None),
        XIntField("tsn", None),
        XShortField("stream_id", None),
        XShortField("stream_seq", None),
        IntEnumField("proto_id", None, PAYLOAD_PROTOCOLS),
        PadField(_DataField("data", None, length_from=_value_size), 4),
    ]


def _gap_count(pkt: Any) -> int:
    return pkt.n_gap_ack or 0


def _dup_count(pkt: Any) -> int:
    return pkt.n_dup_tsn or 0


class SCTPChunkSACK(_Chunk):
    """SACK: cumulative TSN, window, gap blocks (``"start:end"``) and duplicate TSNs."""

    ls_kinds: dict[str, str] = {}

    head = 16
    fields_desc = [
        *_chunk_head(3),
        XIntField("cumul_tsn_ack", None),
        IntField("a_rwnd", None),
        FieldLenField("n_gap_ack", None, count_of="gap_ack_list"),
        FieldLenField("n_dup_tsn", None, count_of="dup_tsn_list"),
        FieldListField("gap_ack_list", [], _GapAckField("gap_ack", None), count_from=_gap_count),
        FieldListField("dup_tsn_list", [], XIntField("dup_tsn", None), count_from=_dup_count),
    ]


class SCTPChunkHeartbeatReq(_Chunk):
    """HEARTBEAT: parameters (the sender's heartbeat information)."""

    fields_desc = [*_chunk_head(4), _ParamListField("params")]


class SCTPChunkHeartbeatAck(_Chunk):
    """HEARTBEAT ACK: the heartbeat's parameters sent back."""

    fields_desc = [*_chunk_head(5), _ParamListField("params")]


class SCTPChunkAbort(_Chunk):
    """ABORT: the ``TCB`` flag (T bit) and the error causes, as bytes."""

    fields_desc = [
        ByteEnumField("type", 6, CHUNK_TYPES),
        BitField("reserved", None, 7),
        BitField("TCB", 0, 1),
        ShortField("len", None),
        _padded_bytes("error_causes"),
    ]


class SCTPChunkShutdown(_Chunk):
    """SHUTDOWN: the cumulative TSN acknowledged."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [*_chunk_head(7)[:2], ShortField("len", 8), XIntField("cumul_tsn_ack", None)]


class SCTPChunkShutdownAck(_Chunk):
    """SHUTDOWN ACK."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [*_chunk_head(8)[:2], ShortField("len", 4)]


class SCTPChunkError(_Chunk):
    """ERROR (operation error): the error causes, as bytes."""

    fields_desc = [*_chunk_head(9), _padded_bytes("error_causes")]


class SCTPChunkCookieEcho(_Chunk):
    """COOKIE ECHO: the state cookie sent back."""

    fields_desc = [*_chunk_head(10), _padded_bytes("cookie")]


class SCTPChunkCookieAck(_Chunk):
    """COOKIE ACK."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [*_chunk_head(11)[:2], ShortField("len", 4)]


class SCTPChunkShutdownComplete(_Chunk):
    """SHUTDOWN COMPLETE: the ``TCB`` flag (T bit)."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [
        ByteEnumField("type", 14, CHUNK_TYPES),
        BitField("reserved", None, 7),
        BitField("TCB", 0, 1),
        ShortField("len", 4),
    ]


CHUNK_CLASSES: dict[int, type[Layer]] = {
    0: SCTPChunkData, 1: SCTPChunkInit, 2: SCTPChunkInitAck, 3: SCTPChunkSACK,
    4: SCTPChunkHeartbeatReq, 5: SCTPChunkHeartbeatAck, 6: SCTPChunkAbort,
    7: SCTPChunkShutdown, 8: SCTPChunkShutdownAck, 9: SCTPChunkError,
    10: SCTPChunkCookieEcho, 11: SCTPChunkCookieAck, 14: SCTPChunkShutdownComplete,
}


# -- chunk parameters -----------------------------------------------------------------------------
class _Param(Packet):
    """A chunk parameter: type, length, value padded to 4 bytes; what follows is not its own."""

    head = 4
    ls_kinds = {"len": "FieldLenField"}
    post_build = _Chunk.post_build

    extract_padding = item_padding


def _param_head(kind: int, length: int | None = None) -> list[Any]:
    return [ShortEnumField("type", kind, PARAM_TYPES), ShortField("len", length)]


class SCTPChunkParamHeartbeatInfo(_Param):
    """Heartbeat information (opaque to the receiver)."""

    fields_desc = [*_param_head(1), _padded_bytes("data")]


class SCTPChunkParamIPv4Addr(_Param):
    """An IPv4 address of the endpoint."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [*_param_head(5, 8), IPField("addr", "127.0.0.1")]


class SCTPChunkParamIPv6Addr(_Param):
    """An IPv6 address of the endpoint."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [*_param_head(6, 20), IP6Field("addr", "::1")]


class SCTPChunkParamStateCookie(_Param):
    """The state cookie (INIT ACK)."""

    fields_desc = [*_param_head(7), _padded_bytes("cookie")]


class SCTPChunkParamUnrocognizedParam(_Param):
    """An unrecognized parameter sent back (Scapy's spelling of the class name)."""

    fields_desc = [*_param_head(8), _padded_bytes("param")]


class SCTPChunkParamCookiePreservative(_Param):
    """A suggested cookie life-span increment."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [*_param_head(9, 8), XIntField("sug_cookie_inc", None)]


class SCTPChunkParamHostname(_Param):
    """A host name address."""

    fields_desc = [*_param_head(11), _padded_bytes("hostname")]


def _short_list(name: str, default: list[int]) -> Any:
    return PadField(FieldListField(name, default, ShortEnumField("", None, PARAM_TYPES),
                                   length_from=_value_size), 4)


class SCTPChunkParamSupportedAddrTypes(_Param):
    """The address types supported (parameter types: 5 IPv4, 6 IPv6, 11 hostname)."""

    fields_desc = [*_param_head(12), _short_list("addr_type_list", [5])]


class SCTPChunkParamECNCapable(_Param):
    """ECN capable (no value)."""

    ls_kinds: dict[str, str] = {}

    fields_desc = _param_head(0x8000, 4)


class SCTPChunkParamSupportedExtensions(_Param):
    """The chunk types supported beyond the base protocol."""

    fields_desc = [*_param_head(0x8008),
                   PadField(FieldListField("supported_extensions", [15, 193, 128],
                                           ByteEnumField("", None, CHUNK_TYPES),
                                           length_from=_value_size), 4)]


class SCTPChunkParamFwdTSN(_Param):
    """Forward-TSN supported (no value)."""

    ls_kinds: dict[str, str] = {}

    fields_desc = _param_head(0xC000, 4)


class SCTPChunkParamAdaptationLayer(_Param):
    """The adaptation layer indication."""

    ls_kinds: dict[str, str] = {}

    fields_desc = [*_param_head(0xC006, 8), XIntField("indication", None)]


PARAM_CLASSES: dict[int, type[Layer]] = {
    1: SCTPChunkParamHeartbeatInfo, 5: SCTPChunkParamIPv4Addr, 6: SCTPChunkParamIPv6Addr,
    7: SCTPChunkParamStateCookie, 8: SCTPChunkParamUnrocognizedParam,
    9: SCTPChunkParamCookiePreservative, 11: SCTPChunkParamHostname,
    12: SCTPChunkParamSupportedAddrTypes, 0x8000: SCTPChunkParamECNCapable,
    0x8008: SCTPChunkParamSupportedExtensions, 0xC000: SCTPChunkParamFwdTSN,
    0xC006: SCTPChunkParamAdaptationLayer,
}

bind_layers(IP, SCTP, proto=SCTP_PROTO)
bind_layers(IPv6, SCTP, nh=SCTP_PROTO)
