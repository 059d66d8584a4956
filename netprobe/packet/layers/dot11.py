"""IEEE 802.11 (Wi-Fi) frames, under Scapy's names, and the radiotap header in front.

* ``Dot11``: frame control (subtype, type, FCfield flags), duration ``ID``, then
  the addresses and sequence control the frame type carries: every frame has
  ``addr1``; control frames other than CTS and Ack add ``addr2``; management and
  data frames add ``addr3`` and ``SC``; data frames between two distribution
  systems (to-DS and from-DS both set) add ``addr4``. ``Dot11FCS`` is the same
  frame with its 4-byte check sequence (CRC-32, little-endian) at the very end.
* management bodies: ``Dot11Beacon``, ``Dot11ProbeReq``, ``Dot11ProbeResp``,
  ``Dot11AssoReq``, ``Dot11Auth``, ``Dot11Deauth``, ``Dot11Disas``, each followed
  by information elements (``Dot11Elt``: ID, length, info) as far as the frame goes;
* ``Dot11QoS`` (QoS data) and the LLC/SNAP header (``layers/link.py``) in front
  of IP, IPv6, ARP.

Dissected from link types 105 (802.11) and 127 (radiotap). A protected (encrypted)
data frame's body stays ``Raw``.
"""

from __future__ import annotations

import zlib
from typing import Any

from netprobe.errors import UsageError
from netprobe.packet.dissect import LINKTYPES
from netprobe.packet.field import (
    BitField,
    ByteField,
    FlagsField,
    ListField,
    MACField,
    RawBytesField,
)
from netprobe.packet.layer import Layer, Truncated, _upper_value, bind_layers
from netprobe.packet.layers.dot11_fields import (
    Dot11MACField,
    LEUIntField,
    OptField,
    OptMACField,
)
from netprobe.packet.layers.dot11_protected import Dot11Encrypted, Dot11WEP, protected_body
from netprobe.packet.layers.link import LLC
from netprobe.packet.layers.radiotap import RadioTap

__all__ = ["Dot11", "Dot11ATIM", "Dot11Action", "Dot11AssoReq", "Dot11AssoResp", "Dot11Auth",
           "Dot11Beacon", "Dot11Deauth", "Dot11Disas", "Dot11Elt", "Dot11EltDSSSet",
           "Dot11EltRates", "Dot11Encrypted", "Dot11FCS", "Dot11ProbeReq", "Dot11ProbeResp",
           "Dot11QoS", "Dot11ReassoReq", "Dot11ReassoResp", "Dot11WEP", "RadioTap"]

TYPES = {0: "Management", 1: "Control", 2: "Data", 3: "Extension"}
#: (type, subtype) names as Scapy shows them
SUBTYPES: dict[int, dict[int, str]] = {
    0: {0: "Association Request", 1: "Association Response", 2: "Reassociation Request",
        3: "Reassociation Response", 4: "Probe Request", 5: "Probe Response",
        6: "Timing Advertisement", 8: "Beacon", 9: "ATIM", 10: "Disassociation",
        11: "Authentication", 12: "Deauthentication", 13: "Action", 14: "Action No Ack"},
    1: {2: "Trigger", 3: "TACK", 4: "Beamforming Report Poll", 5: "VHT/HE NDP Announcement",
        6: "Control Frame Extension", 7: "Control Wrapper", 8: "Block Ack Request",
        9: "Block Ack", 10: "PS-Poll", 11: "RTS", 12: "CTS", 13: "Ack", 14: "CF-End",
        15: "CF-End+CF-Ack"},
    2: {0: "Data", 1: "Data+CF-Ack", 2: "Data+CF-Poll", 3: "Data+CF-Ack+CF-Poll",
        4: "Null (no data)", 5: "CF-Ack (no data)", 6: "CF-Poll (no data)",
        7: "CF-Ack+CF-Poll (no data)", 8: "QoS Data", 9: "QoS Data+CF-Ack",
        10: "QoS Data+CF-Poll", 11: "QoS Data+CF-Ack+CF-Poll", 12: "QoS Null (no data)",
        14: "QoS CF-Poll (no data)", 15: "QoS CF-Ack+CF-Poll (no data)"},
    3: {0: "DMG Beacon", 1: "S1G Beacon"},
}
FC_FLAGS = ("to_DS", "from_DS", "MF", "retry", "pw_mgt", "MD", "protected", "order")
CAPABILITIES = ("res8", "res9", "short-slot", "res11", "res12", "DSSS-OFDM", "res14", "res15",
                "ESS", "IBSS", "CFP", "CFP-req", "privacy", "short-preamble", "PBCC", "agility")
AUTH_ALGOS = {0: "open", 1: "sharedkey"}
STATUS_CODES = {0: "success", 1: "failure", 10: "cannot-support-all-cap", 11: "inexist-asso",
                12: "asso-denied", 13: "algo-unsupported", 14: "bad-seq-num",
                15: "challenge-failure", 16: "timeout", 17: "AP-full", 18: "rate-unsupported"}
REASON_CODES = {0: "reserved", 1: "unspec", 2: "auth-expired", 3: "deauth-ST-leaving",
                4: "inactivity", 5: "AP-full", 6: "class2-from-nonauth",
                7: "class3-from-nonass", 8: "disas-ST-leaving", 9: "ST-not-auth"}
ACTION_CATEGORIES = {0: "Spectrum Management", 1: "QoS", 2: "DLS", 3: "Block", 4: "Public",
                     5: "Radio Measurement", 6: "Fast BSS Transition", 7: "HT", 8: "SA Query",
                     9: "Protected Dual of Public Action", 10: "WNM", 11: "Unprotected WNM",
                     12: "TDLS", 13: "Mesh", 14: "Multihop", 15: "Self-protected", 16: "DMG",
                     17: "Reserved Wi-Fi Alliance", 18: "Fast Session Transfer",
                     19: "Robust AV Streaming", 20: "Unprotected DMG", 21: "VHT"}
#: information element IDs, Scapy's names
ELEMENT_IDS = {0: "SSID", 1: "Supported Rates", 2: "FHset", 3: "DSSS Set", 4: "CFset",
               5: "TIM", 6: "IBSSset", 7: "Country", 10: "Request", 16: "challenge",
               33: "PowerCapability", 36: "Channels", 37: "ChannelSwitchAnnouncement",
               42: "ERP", 45: "HT Capabilities", 46: "QoS Capability", 47: "ERP",
               48: "RSN", 50: "Extended Supported Rates", 52: "Neighbor Report",
               61: "HT Operation", 74: "Overlapping BSS Scan Parameters",
               107: "Interworking", 127: "Extendend Capabilities",
               191: "VHT Capabilities", 192: "VHT Operation", 221: "Vendor Specific"}
_MGMT, _CTRL, _DATA = 0, 1, 2
_PROTECTED = 0x40
#: management (request, response) subtypes: association, reassociation, probe
_REQUEST_RESPONSE = frozenset({(0, 1), (2, 3), (4, 5)})
_AUTH = 11
#: frame type -> address field -> its role, as Scapy shows it (data frames: DATA_ROLES)
ADDRESS_ROLES = {
    _MGMT: {"addr1": "RA=DA", "addr2": "TA=SA", "addr3": "BSSID/STA"},
    _CTRL: {"addr1": "RA", "addr2": "TA"},
    3: {"addr1": "BSSID"},
}
#: data frames: to-DS/from-DS bits -> address field -> its role
DATA_ROLES = (
    {"addr1": "RA=DA", "addr2": "TA=SA", "addr3": "BSSID"},
    {"addr1": "RA=BSSID", "addr2": "TA=SA", "addr3": "DA"},
    {"addr1": "RA=DA", "addr2": "TA=BSSID", "addr3": "SA"},
    {"addr1": "RA", "addr2": "TA", "addr3": "DA", "addr4": "BSSID"},
)
_CTS, _ACK = 12, 13
_QOS_BIT = 8


class Dot11(Layer):
    """An 802.11 MAC header; which addresses it holds follows from its type."""

    name = "802.11"
    fields = (
        BitField("subtype", None, 4),
        BitField("type", None, 2, names=TYPES),
        BitField("proto", 0, 2),
        FlagsField("FCfield", 0, 8, FC_FLAGS),
        LEUIntField("ID", 0, 2),
        Dot11MACField("addr1", "00:00:00:00:00:00"),
        OptMACField("addr2", "00:00:00:00:00:00"),
        OptMACField("addr3", "00:00:00:00:00:00"),
        OptField("SC", "H", 0),
        OptMACField("addr4", "00:00:00:00:00:00"),
    )
    payload_fields = ("subtype", "type")
    payload_defaults = {"subtype": 0, "type": 0}

    # -- which fields the frame carries --------------------------------------------------------
    def kind(self) -> tuple[int, int]:
        """(type, subtype), unset ones filled from the layer above as building does."""
        t, st = self.type, self.subtype
        if t is None:
            t = _upper_value(self, "type")
        if st is None:
            st = _upper_value(self, "subtype")
        return t, st

    def has_addr2(self) -> bool:
        """Every frame but CTS, Ack and the extension frames carries a transmitter."""
        t, st = self.kind()
        return not (t == 3 or (t == _CTRL and st in (_CTS, _ACK)))

    def has_addr3(self) -> bool:
        """Management and data frames carry a third address and sequence control."""
        return self.kind()[0] in (_MGMT, _DATA)

    def has_addr4(self) -> bool:
        """Data frames between distribution systems (to-DS and from-DS) carry a fourth."""
        return self.kind()[0] == _DATA and int(self.FCfield or 0) & 3 == 3

    def build_tail(self) -> bytes:
        out = b""
        by_name = self.fields_by_name
        if self.has_addr2():
            out += by_name["addr2"].encode(self.addr2)
        if self.has_addr3():
            out += by_name["addr3"].encode(self.addr3) + by_name["SC"].encode(self.SC)
        if self.has_addr4():
            out += by_name["addr4"].encode(self.addr4)
        return out

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        pos, _ = Layer.parse(self, buf, off, end)  # the fixed header
        need = pos + 6 * self.has_addr2() + 8 * self.has_addr3() + 6 * self.has_addr4()
        if need > end:
            raise Truncated(f"truncated header ({end - off} of {need - off} bytes)")
        by_name = self.fields_by_name
        self.addr2 = self.addr3 = self.SC = self.addr4 = None
        if self.has_addr2():
            self.addr2 = by_name["addr2"].decode(buf, pos)
            pos += 6
        if self.has_addr3():
            self.addr3 = by_name["addr3"].decode(buf, pos)
            self.SC = by_name["SC"].decode(buf, pos + 6)
            pos += 8
        if self.has_addr4():
            self.addr4 = by_name["addr4"].decode(buf, pos)
            pos += 6
        return pos, end

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        t, st = self.type, self.subtype
        protected = int(self.FCfield) & _PROTECTED
        if t == _DATA and st & _QOS_BIT:
            return Dot11QoS
        if protected:  # as Scapy, whatever the frame type: the body is encrypted
            return protected_body(buf, off, end)
        if t == _MGMT:
            return MANAGEMENT_BODIES.get(st)
        if t == _DATA and not st & 4:  # subtypes with bit 2 carry no data
            return LLC
        return None

    # -- matching and presentation ---------------------------------------------------------------
    def answers(self, other: Layer) -> bool:
        """An 802.11 frame answers one sent to its transmitter (Auth, Asso, Probe exchanges)."""
        if not isinstance(other, Dot11):
            return False
        (t, st), (ot, ost) = self.kind(), other.kind()  # a crafted probe's may be unset
        if t == _MGMT and ot == _MGMT:
            if self.addr1 != other.addr2:
                return False
            if (ost, st) in _REQUEST_RESPONSE:
                return True
            if st == ost == _AUTH:  # the next step of the exchange
                mine, theirs = self._payload, other._payload
                return mine is not None and theirs is not None and mine.answers(theirs)
            return False
        if t == _DATA and ot == _DATA:
            mine, theirs = self._payload, other._payload
            return mine is not None and theirs is not None and mine.answers(theirs)
        return False

    def address_role(self, name: str) -> str:
        """What address field ``name`` stands for in this frame (``RA=DA``, ``TA``...), as
        Scapy names it; empty when it has no role here."""
        t = self.kind()[0]
        roles = DATA_ROLES[int(self.FCfield or 0) & 3] if t == _DATA else ADDRESS_ROLES.get(t, {})
        return roles.get(name, "")

    def shown_fields(self) -> Any:
        """The header's fields, without the addresses this frame type does not carry."""
        skip = set()
        if not self.has_addr2():
            skip.add("addr2")
        if not self.has_addr3():
            skip.update(("addr3", "SC"))
        if not self.has_addr4():
            skip.add("addr4")
        return [f for f in self.fields_desc if f.name not in skip]

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON; an address this frame type does not carry is null."""
        d = super().to_dict()
        shown = {f.name for f in self.shown_fields()}
        for name in ("addr2", "addr3", "SC", "addr4"):
            if name not in shown:
                d[name] = None
        return d

    def shown_names(self, name: str) -> Any:
        if name == "subtype":
            return SUBTYPES.get(self.kind()[0], {})
        return super().shown_names(name)

    def mysummary(self) -> str:
        t, st = self.kind()
        sub = SUBTYPES.get(t, {}).get(st, str(st))
        src = self.addr2 if self.addr2 is not None else "00:00:00:00:00:00"
        src_role, dst_role = self.address_role("addr2"), self.address_role("addr1")
        return (f"802.11 {TYPES.get(t, t)} {sub} {src}{f' ({src_role})' if src_role else ''}"
                f" > {self.addr1}{f' ({dst_role})' if dst_role else ''}")

    summary_part = mysummary



class Dot11FCS(Dot11):
    """An 802.11 frame with its frame check sequence (``fcs``, CRC-32) after the body."""

    name = "802.11-FCS"
    fields = (*Dot11.fields, OptField("fcs", "I", None))

    #: the 4 bytes after the body are this layer's ``fcs`` (not a Padding trailer)
    owns_trailer = True
    hex_fields = frozenset({"fcs"})

    def build_layer(self, payload: bytes) -> bytes:
        frame = self._pack_fixed() + self.build_tail() + payload
        fcs = self.fcs if self.fcs is not None else zlib.crc32(frame)
        return frame + (fcs & 0xFFFFFFFF).to_bytes(4, "little")

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 14:
            raise Truncated(f"truncated frame ({end - off} bytes, with a 4-byte FCS)")
        pos, _ = super().parse(buf, off, end - 4)
        self.fcs = int.from_bytes(buf[end - 4:end], "little")
        return pos, end - 4

    def fcs_ok(self) -> bool:
        """True when ``fcs`` is the CRC-32 of the frame as it stands."""
        frame = bytes(self)
        return zlib.crc32(frame[:-4]) == int.from_bytes(frame[-4:], "little")


# -- management frame bodies ---------------------------------------------------------------------
class _Body(Layer):
    """A management body: fixed fields, then information elements."""

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        return element_class(buf, off, end)


class Dot11Beacon(_Body):
    """A beacon: timestamp, interval (time units) and capabilities."""

    name = "802.11 Beacon"
    fields = (
        LEUIntField("timestamp", 0, 8),
        LEUIntField("beacon_interval", 100, 2),
        FlagsField("cap", 0, 16, CAPABILITIES),
    )

    def network_stats(self) -> dict[str, Any]:
        """What the beacon tells of its network: ssid, rates, channel and crypto."""
        from netprobe.packet.layers.dot11_netstats import network_stats

        return network_stats(self)


class Dot11ProbeReq(_Body):
    """A probe request: only information elements."""

    name = "802.11 Probe Request"
    fields = ()


class Dot11ProbeResp(_Body):
    """A probe response: the beacon's fixed fields."""

    name = "802.11 Probe Response"
    fields = Dot11Beacon.fields
    network_stats = Dot11Beacon.network_stats


class Dot11AssoReq(_Body):
    """An association request: capabilities and listen interval."""

    name = "802.11 Association Request"
    fields = (
        FlagsField("cap", 0, 16, CAPABILITIES),
        LEUIntField("listen_interval", 200, 2),
    )


class Dot11AssoResp(_Body):
    """An association response: capabilities, status code, association ID."""

    name = "802.11 Association Response"
    fields = (
        FlagsField("cap", 0, 16, CAPABILITIES),
        LEUIntField("status", 0, 2),
        LEUIntField("AID", 0, 2),
    )


class Dot11ReassoReq(_Body):
    """A reassociation request: capabilities, listen interval, the current AP."""

    name = "802.11 Reassociation Request"
    fields = (
        FlagsField("cap", 0, 16, CAPABILITIES),
        LEUIntField("listen_interval", 200, 2),
        MACField("current_AP", "00:00:00:00:00:00"),
    )


class Dot11ReassoResp(_Body):
    """A reassociation response: as an association response."""

    name = "802.11 Reassociation Response"
    fields = Dot11AssoResp.fields


class Dot11ATIM(Layer):
    """An announcement traffic indication message: no body."""

    name = "802.11 ATIM"
    fields = ()


class Dot11Action(Layer):
    """An action frame: the category; what follows is the category's own (``Raw``)."""

    name = "802.11 Action"
    fields = (ByteField("category", 0, names=ACTION_CATEGORIES),)


class Dot11Auth(_Body):
    """An authentication frame: algorithm, transaction sequence number, status."""

    name = "802.11 Authentication"
    fields = (
        LEUIntField("algo", 0, 2, names=AUTH_ALGOS),
        LEUIntField("seqnum", 0, 2),
        LEUIntField("status", 0, 2, names=STATUS_CODES),
    )

    def answers(self, other: Layer) -> bool:
        return isinstance(other, Dot11Auth) and self.seqnum == other.seqnum + 1


class Dot11Deauth(_Body):
    """A deauthentication: the reason code."""

    name = "802.11 Deauthentication"
    fields = (LEUIntField("reason", 1, 2, names=REASON_CODES),)


class Dot11Disas(_Body):
    """A disassociation: the reason code."""

    name = "802.11 Disassociation"
    fields = (LEUIntField("reason", 1, 2, names=REASON_CODES),)


class Dot11Elt(Layer):
    """An information element: ``ID``, ``len`` (filled when unset) and ``info``.

    ``rates`` (Supported Rates) and ``channel`` (DSSS Set) read ``info``. Dissected,
    rates and DSSS elements become ``Dot11EltRates`` and ``Dot11EltDSSSet`` (as in
    Scapy), which ``pkt[Dot11Elt]`` finds too.
    """

    name = "802.11 Information Element"
    fields = (
        ByteField("ID", 0, names=ELEMENT_IDS),
        ByteField("len", None),
        RawBytesField("info", b""),
    )
    #: Scapy's elements do not indent the element after them in ``show()``
    show_indent = 0

    def __new__(cls, _raw: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``Dot11Elt(raw)`` reads the bytes as the element class their ID names
        (``Dot11EltRates``, ``Dot11EltRSN``...), as Scapy's does."""
        if cls is Dot11Elt and isinstance(_raw, (bytes, bytearray)) and _raw and not kwargs:
            raw = bytes(_raw)
            target = element_class(raw, 0, len(raw))
            if target is not Dot11Elt:
                if issubclass(target, Dot11Elt):
                    return object.__new__(target)  # its __init__ reads the bytes
                from netprobe.packet.dissect import dissect_as

                return dissect_as(target, raw)
        return object.__new__(cls)

    def element_body(self) -> bytes:
        """The element's bytes after ID and length."""
        return self.info or b""

    def build_layer(self, payload: bytes) -> bytes:
        body = self.element_body()
        n = self.len if self.len is not None else len(body) & 0xFF
        return bytes((self.ID, n)) + body + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        if end - off < 2:
            raise Truncated(f"truncated element ({end - off} of 2 bytes)")
        self.ID, self.len = buf[off], buf[off + 1]
        stop = off + 2 + self.len
        if stop > end:
            self.note(f"element length {self.len} exceeds the {end - off - 2} bytes left")
            stop = end
        self.read_body(buf[off + 2:stop])
        return stop, end

    def read_body(self, body: bytes) -> None:
        """Set the fields after ID and length from the element's bytes."""
        self.info = body

    next_layer = _Body.next_layer

    @property
    def rates(self) -> list[int]:
        """Supported rates as on the wire (500 kb/s units, 0x80 marking a basic rate)."""
        return list(self.element_body())

    @property
    def channel(self) -> int | None:
        """The DSSS Set's channel number, or None for another element."""
        body = self.element_body()
        return body[0] if self.ID == 3 and body else None

    def mysummary(self) -> Any:
        if self.ID == 0:
            # Scapy: the SSID shown as its bytes' repr, and the 802.11 header speaks too
            return f"SSID='{repr(bytes(self.info or b''))[2:-1]}'", [Dot11]
        return ""

    def summary_part(self) -> str:
        text = self.mysummary()
        return text[0] if isinstance(text, tuple) else text or type(self).__name__


def _check_rate(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise UsageError(f"{name}: {value!r} is not a rate byte (0..255, 500 kb/s units, "
                         "0x80 for a basic rate)")
    return value


class RatesField(ListField):
    """Rate bytes, shown as Scapy does: ``[1.0(B) Mbps, 6.0 Mbps]``."""

    __slots__ = ()

    def i2repr(self, layer: Any, value: Any) -> str:
        """Each rate in Mb/s, ``(B)`` marking a basic rate."""
        if value is None:
            return "None"
        return "[" + ", ".join(f"{(b & 0x7F) / 2}{'(B)' if b & 0x80 else ''} Mbps"
                               for b in value) + "]"


class _FieldsElement(Dot11Elt):
    """An element whose body is read into fields of its own; ``info`` reads and sets them."""

    found_as = (Dot11Elt,)
    mysummary = Layer.mysummary

    @property
    def info(self) -> bytes:
        """The body's bytes, as ``Dot11Elt.info``."""
        return self.element_body()

    @info.setter
    def info(self, value: bytes | None) -> None:
        if value is not None:
            try:
                self.read_body(bytes(value))
            except IndexError:  # too short for the fields: they stay as they are
                pass


class Dot11EltRates(_FieldsElement):
    """Supported Rates (ID 1) or Extended Supported Rates (ID 50), as a list of rate bytes."""

    name = "802.11 Rates"
    fields = (
        ByteField("ID", 1, names=ELEMENT_IDS),
        ByteField("len", None),
        RatesField("rates", [130], item_check=_check_rate),
    )

    def element_body(self) -> bytes:
        return bytes(self.rates or ())

    def read_body(self, body: bytes) -> None:
        self.rates = list(body)


class Dot11EltDSSSet(_FieldsElement):
    """DSSS Parameter Set (ID 3): the channel."""

    name = "802.11 DSSS Parameter Set"
    fields = (
        ByteField("ID", 3, names=ELEMENT_IDS),
        ByteField("len", 1),
        ByteField("channel", 0),
    )

    def element_body(self) -> bytes:
        return bytes((self.channel,))

    def read_body(self, body: bytes) -> None:
        self.channel = body[0]


#: element IDs whose classes live in ``dot11_rsn.py`` (RSN, vendor-specific)
_DECLARED_ELEMENTS = frozenset({48, 221})
#: element ID -> the class dissection gives it (Scapy's)
ELEMENT_CLASSES: dict[int, type[Layer]] = {1: Dot11EltRates, 3: Dot11EltDSSSet,
                                           50: Dot11EltRates}


def element_class(buf: bytes, off: int, end: int) -> type[Layer]:
    """The element class for the bytes at ``off`` (by its ID; a plain ``Dot11Elt`` when
    its length does not fit that class)."""
    ident = buf[off] if off < end else None
    if ident in _DECLARED_ELEMENTS:
        # RSN and vendor elements are declared Scapy-style in their own module, loaded
        # the first time a capture has one
        from netprobe.packet.layers.dot11_rsn import element_class_for

        return element_class_for(buf, off, end) or Dot11Elt
    cls = ELEMENT_CLASSES.get(ident) if ident is not None else None
    if cls is Dot11EltDSSSet and not (off + 2 < end and buf[off + 1] == 1):
        cls = None  # a channel byte, and nothing else, or the bytes are kept as info
    return cls or Dot11Elt


class Dot11QoS(Layer):
    """QoS control: A-MSDU bit, ack policy, EOSP, traffic ID, then the TXOP byte."""

    name = "802.11 QoS"
    fields = (
        BitField("A_MSDU_Present", 0, 1),
        BitField("Ack_Policy", 0, 2),
        BitField("EOSP", 0, 1),
        BitField("TID", 0, 4),
        ByteField("TXOP", 0),
    )

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        under = self._under
        if isinstance(under, Dot11) and int(under.FCfield) & _PROTECTED:
            return protected_body(buf, off, end)
        if isinstance(under, Dot11) and under.subtype & 4:
            return None  # QoS Null: no data
        return LLC


#: management subtype -> the body class that follows the header
MANAGEMENT_BODIES: dict[int, type[Layer]] = {
    0: Dot11AssoReq, 1: Dot11AssoResp, 2: Dot11ReassoReq, 3: Dot11ReassoResp, 4: Dot11ProbeReq,
    5: Dot11ProbeResp, 8: Dot11Beacon, 9: Dot11ATIM, 10: Dot11Disas, 11: Dot11Auth,
    12: Dot11Deauth, 13: Dot11Action}

# Building: a body under Dot11 sets the frame's type and subtype (as in Scapy).
for _st, _body in MANAGEMENT_BODIES.items():
    for _hdr in (Dot11, Dot11FCS):
        bind_layers(_hdr, _body, dissect=False, type=_MGMT, subtype=_st)
for _hdr in (Dot11, Dot11FCS):
    bind_layers(_hdr, Dot11QoS, dissect=False, type=_DATA, subtype=_QOS_BIT)
    bind_layers(_hdr, LLC, dissect=False, type=_DATA)
bind_layers(Dot11QoS, LLC, dissect=False)
bind_layers(RadioTap, Dot11, dissect=False)
bind_layers(RadioTap, Dot11FCS, dissect=False)

LINKTYPES[105] = Dot11
LINKTYPES[127] = RadioTap
