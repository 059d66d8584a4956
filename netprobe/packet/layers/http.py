"""HTTP/1 requests and responses on TCP ports 80 and 8080, as Scapy models them.

As in Scapy, the ports are dissected as HTTP once ``load_layer("http")`` has
run (the command line always does it); building needs no loading.

``HTTP`` is an empty marker layer; above it a message that starts with a
request line is an ``HTTPRequest`` (``Method``, ``Path``, ``Http_Version``), one
that starts with ``HTTP/`` an ``HTTPResponse`` (``Http_Version``,
``Status_Code``, ``Reason_Phrase``); anything else (the middle of a body) stays
``Raw``. Headers are fields named as in Scapy (``Host``, ``User_Agent``,
``Content_Length`` ...: the header name with ``-`` as ``_``); others go to
``Unknown_Headers``, a dict. Values are bytes; text given is encoded. What
follows the blank line is the body, ``Raw``.

Building writes the start line, the headers in the order of the field list
then the unknown ones, and a blank line. As Scapy does, an unset
``Content_Length`` is the body's length, and a response's unset ``Date`` is
the current time. A dissected message builds back the bytes it was read from
while its fields are left unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import netprobe.packet.packet_class  # noqa: F401 - stacking fills default ports (overloads)
from netprobe.errors import UsageError
from netprobe.packet.field import TailField
from netprobe.packet.layer import Layer, OneValue, bind_layers
from netprobe.packet.layers.tcp import TCP
from netprobe.packet.optional_layers import register

__all__ = ["HTTP", "HTTPRequest", "HTTPResponse"]

#: TCP ports whose payload is looked at as HTTP
HTTP_PORTS = (80, 8080)

REQUEST_HEADERS = (
    "A_IM", "Accept", "Accept_Charset", "Accept_Datetime", "Accept_Encoding", "Accept_Language",
    "Access_Control_Request_Headers", "Access_Control_Request_Method", "Authorization",
    "Cache_Control", "Connection", "Content_Length", "Content_MD5", "Content_Type", "Cookie",
    "DNT", "Date", "Expect", "Forwarded", "From", "Front_End_Https", "HTTP2_Settings", "Host",
    "If_Match", "If_Modified_Since", "If_None_Match", "If_Range", "If_Unmodified_Since",
    "Keep_Alive", "Max_Forwards", "Origin", "Permanent", "Pragma", "Proxy_Authorization",
    "Proxy_Connection", "Range", "Referer", "Save_Data", "TE", "Upgrade",
    "Upgrade_Insecure_Requests", "User_Agent", "Via", "Warning", "X_ATT_DeviceId",
    "X_Correlation_ID", "X_Csrf_Token", "X_Forwarded_For", "X_Forwarded_Host",
    "X_Forwarded_Proto", "X_Http_Method_Override", "X_Request_ID", "X_Requested_With",
    "X_UIDH", "X_Wap_Profile")
RESPONSE_HEADERS = (
    "Accept_Patch", "Accept_Ranges", "Access_Control_Allow_Credentials",
    "Access_Control_Allow_Headers", "Access_Control_Allow_Methods",
    "Access_Control_Allow_Origin", "Access_Control_Expose_Headers", "Access_Control_Max_Age",
    "Age", "Allow", "Alt_Svc", "Cache_Control", "Connection", "Content_Disposition",
    "Content_Encoding", "Content_Language", "Content_Length", "Content_Location",
    "Content_MD5", "Content_Range", "Content_Security_Policy", "Content_Type", "Date",
    "Delta_Base", "ETag", "Expires", "IM", "Keep_Alive", "Last_Modified", "Link", "Location",
    "P3P", "Permanent", "Pragma", "Proxy_Authenticate", "Public_Key_Pins", "Refresh",
    "Retry_After", "Server", "Set_Cookie", "Status", "Strict_Transport_Security",
    "Timing_Allow_Origin", "Tk", "Trailer", "Transfer_Encoding", "Upgrade", "Vary", "Via",
    "WWW_Authenticate", "Warning", "X_Content_Duration", "X_Content_Security_Policy",
    "X_Content_Type_Options", "X_Correlation_ID", "X_Frame_Options", "X_Powered_By",
    "X_Request_ID", "X_UA_Compatible", "X_WebKit_CSP", "X_XSS_Protection")

_CRLF = b"\r\n"
_TOKEN_CHARS = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         b"abcdefghijklmnopqrstuvwxyz")


class HeaderField(OneValue, TailField):
    """A start-line part or header value: bytes, or None when absent."""

    __slots__ = ()
    settable = False

    def check_one(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return value.encode()
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value).encode()
        raise UsageError(f"{self.name}: expected text or bytes, got {type(value).__name__}")

    def to_json(self, value: Any) -> Any:
        return None if value is None else value.decode("latin-1")

    def text(self, value: Any) -> str:
        return "None" if value is None else value.decode("latin-1")

    ls_kind = "_HTTPHeaderField"

    def i2repr(self, layer: Any, value: Any) -> str:
        """As Scapy shows it: the text, without quotes."""
        return self.text(value)


class HeaderDictField(OneValue, TailField):
    """``Unknown_Headers``: header name -> value, both bytes."""

    ls_kind = "_HTTPHeaderField"

    __slots__ = ()
    settable = False

    def check_one(self, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise UsageError(f"{self.name}: expected a dict of header name to value")
        return {_as_bytes(k): _as_bytes(v) for k, v in value.items()}

    def to_json(self, value: Any) -> Any:
        if value is None:
            return None
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in value.items()}


def _as_bytes(v: Any) -> bytes:
    return v.encode() if isinstance(v, str) else bytes(v)


def _text(v: Any) -> str:
    """A value for a summary line (values set by plain assignment may be text)."""
    return "" if v is None else v if isinstance(v, str) else bytes(v).decode("latin-1")


def _wire_name(field: str) -> bytes:
    return field.replace("_", "-").encode()


def _http_date() -> bytes:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()).encode()


def split_message(buf: bytes) -> tuple[list[bytes], int] | None:
    """(start line and header lines, where the body starts) of an HTTP/1 head, or None.

    The head ends at the first empty line, or with the bytes when there is none
    (a head cut by the segment). Lines end with CRLF. None when a header line
    has no colon.
    """
    stop = buf.find(b"\r\n\r\n")
    head, body = (buf, len(buf)) if stop < 0 else (buf[:stop], stop + 4)
    lines = head.split(_CRLF)
    if stop < 0 and lines and lines[-1] == b"":
        lines.pop()
    if not lines or any(b":" not in line for line in lines[1:]):
        return None
    return lines, body


def request_line(line: bytes) -> list[bytes] | None:
    """[method, path, version] of a request line, or None."""
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= _TOKEN_CHARS:
        return None
    if not parts[2].startswith(b"HTTP/") or not parts[1]:
        return None
    return parts


def status_line(line: bytes) -> list[bytes] | None:
    """[version, code, reason] of a status line, or None."""
    if not line.startswith(b"HTTP/"):
        return None
    parts = line.split(b" ", 2)
    if len(parts) < 2:
        return None
    return parts if len(parts) == 3 else [*parts, b""]


class HTTP(Layer):
    """The marker Scapy puts under every HTTP/1 message."""

    name = "HTTP 1"

    #: stacked on UDP/TCP left at its default ports, it sets them as Scapy does
    overloads_lower = True

    fields = ()

    def next_layer(self, buf: bytes, off: int, end: int) -> type[Layer] | None:
        data = buf[off:end]
        found = split_message(data)
        if found is None:
            return None
        first = found[0][0]
        if status_line(first) is not None:
            return HTTPResponse
        if request_line(first) is not None:
            return HTTPRequest
        return None


class _Message(Layer):
    """What requests and responses share: headers, building, dissecting."""

    #: the start-line fields
    start: tuple[str, str, str] = ("", "", "")
    #: the header fields, in building order
    headers: tuple[str, ...] = ()
    #: the header fields by lowercase wire name
    by_wire: dict[bytes, str] = {}
    #: the start line split in its three parts (None: not such a line)
    _start_parts: Any = staticmethod(lambda line: None)
    #: (bytes read, field values then) of a dissected message, else None
    __slots__ = ("_wire",)
    keep_slots = ("_wire",)

    def _values(self) -> tuple[Any, ...]:
        # a dict is taken as its items, so that changing it in place counts as a change
        return tuple(tuple(v.items()) if isinstance(v, dict) else v
                     for v in (getattr(self, n) for n in self.field_names))

    def _auto(self, payload: bytes) -> dict[str, bytes]:
        return {"Content_Length": str(len(payload)).encode()}

    def build_layer(self, payload: bytes) -> bytes:
        wire = getattr(self, "_wire", None)
        if wire is not None and wire[1] == self._values():
            return wire[0] + payload
        auto = self._auto(payload)
        out = [b" ".join(_as_bytes(getattr(self, n) or b"") for n in self.start)]
        for name in self.headers:
            value = getattr(self, name)
            if value is None:
                value = auto.get(name)
            if value is not None:
                out.append(_wire_name(name) + b": " + _as_bytes(value))
        for k, v in (self.Unknown_Headers or {}).items():
            out.append(_as_bytes(k) + b": " + _as_bytes(v))
        return _CRLF.join(out) + _CRLF + _CRLF + payload

    def parse(self, buf: bytes, off: int, end: int) -> tuple[int, int]:
        for name in self.field_names:
            setattr(self, name, None)
        self._wire = None
        found = split_message(buf[off:end])
        if found is None:
            raise ValueError("not an HTTP/1 head")
        lines, body = found
        parts = self._start_parts(lines[0])
        if parts is None:
            raise ValueError(f"not an HTTP/1 start line: {lines[0][:40]!r}")
        for name, value in zip(self.start, parts, strict=True):
            setattr(self, name, value)
        unknown: dict[bytes, bytes] = {}
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            key, value = key.strip(), value.strip()
            field = self.by_wire.get(key.lower())
            if field is None:
                unknown[key] = value
            else:  # a repeated header: the last one, as in Scapy (the bytes keep both)
                setattr(self, field, value)
        self.Unknown_Headers = unknown or None
        self._wire = (buf[off:off + body], self._values())
        return off + body, end

    def to_dict(self) -> dict[str, Any]:
        """The start line's fields and the headers present (absent ones are left out)."""
        d: dict[str, Any] = {"layer": type(self).__name__}
        by_name = self.fields_by_name
        for name in self.field_names:
            value = getattr(self, name)
            if value is not None or name in self.start:
                d[name] = by_name[name].to_json(value)
        return d


def _message_fields(start: tuple[tuple[str, bytes], ...],
                    headers: tuple[str, ...]) -> tuple[TailField, ...]:
    return (*(HeaderField(n, d) for n, d in start), *(HeaderField(n, None) for n in headers),
            HeaderDictField("Unknown_Headers", None))


class HTTPRequest(_Message):
    """An HTTP/1 request: start line, headers; the body rides above as ``Raw``."""

    name = "HTTP Request"

    fields = _message_fields((("Method", b"GET"), ("Path", b"/"),
                              ("Http_Version", b"HTTP/1.1")), REQUEST_HEADERS)
    start = ("Method", "Path", "Http_Version")
    headers = REQUEST_HEADERS
    by_wire = {_wire_name(n).lower(): n for n in REQUEST_HEADERS}
    _start_parts = staticmethod(request_line)

    def mysummary(self) -> str:
        return f"{_text(self.Method)} '{_text(self.Path)}' "

    summary_part = mysummary


class HTTPResponse(_Message):
    """An HTTP/1 response: status line, headers; the body rides above as ``Raw``."""

    name = "HTTP Response"

    fields = _message_fields((("Http_Version", b"HTTP/1.1"), ("Status_Code", b"200"),
                              ("Reason_Phrase", b"OK")), RESPONSE_HEADERS)
    start = ("Http_Version", "Status_Code", "Reason_Phrase")
    headers = RESPONSE_HEADERS
    by_wire = {_wire_name(n).lower(): n for n in RESPONSE_HEADERS}
    _start_parts = staticmethod(status_line)

    def _auto(self, payload: bytes) -> dict[str, bytes]:
        return {"Content_Length": str(len(payload)).encode(), "Date": _http_date()}

    def mysummary(self) -> str:
        return f"{_text(self.Status_Code)} {_text(self.Reason_Phrase)}"

    summary_part = mysummary


# what building fills, as Scapy does; dissecting waits for load_layer("http"), as in Scapy
bind_layers(TCP, HTTP, dissect=False, dport=80, sport=80)
register("http", [(TCP, (key, port), HTTP) for port in HTTP_PORTS
                  for key in ("dport", "sport")])
