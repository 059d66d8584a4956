"""What a send-and-match run gives back: results, answered pairs, unanswered probes.

Probes and answers are kept as the bytes that went out and came in (plus their
link type); they are dissected only when someone looks at them, so a run of a
million probes does not pay for a million packet objects.

As in Scapy, ``ans, unans = sr(...)``: ``ans`` is a packet list of (sent, received)
pairs (``for s, r in ans``, ``ans[0][1]``, ``ans.summary()``, ``ans.make_table(lambda
s, r: ...)``) and ``unans`` a packet list of the probes that got no answer. Each
item is a :class:`Result`, which also keeps the times, the retries and the bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from netprobe.library.packet_list import PacketList
from netprobe.packet.dissect import dissect
from netprobe.packet.layer import Layer

__all__ = ["Counters", "QueryAnswer", "Result", "ResultList", "SendReceive", "SndRcvList",
           "Tag", "Unanswered"]


class Tag:
    """What the plugin that sent a probe says about it, for interpreting its answer later.

    ``phase`` names the part of the run the probe belongs to (``"tcp"``,
    ``"discovery"``, ``"connect"``, ``"arp"``, ``"hop"``...); ``details`` holds
    what else the interpretation needs (a connect's status, a hop's TTL), JSON
    values only, because a saved run keeps them. One tag is shared by every
    result of a phase that has no details. Immutable; equal when phase and
    details are. (A plain class: defining a dataclass would cost every probing
    command's start-up about a millisecond.)
    """

    __slots__ = ("details", "phase")

    phase: str
    details: Mapping[str, Any]

    def __init__(self, phase: str, details: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "phase", phase)
        object.__setattr__(self, "details", {} if details is None else details)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Tag is immutable (cannot set {name!r})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tag):
            return NotImplemented
        return self.phase == other.phase and dict(self.details) == dict(other.details)

    __hash__ = None  # type: ignore[assignment]  # details are a mutable mapping

    def __repr__(self) -> str:
        details = f", {dict(self.details)!r}" if self.details else ""
        return f"Tag({self.phase!r}{details})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Tag, (self.phase, dict(self.details)))

    def get(self, key: str, default: Any = None) -> Any:
        """One detail, or ``default``."""
        return self.details.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.details[key]

    def __contains__(self, key: object) -> bool:
        return key in self.details

    def to_json(self) -> str | dict[str, Any]:
        """The form a saved run keeps: the phase alone, or ``{"phase", **details}``."""
        return {"phase": self.phase, **self.details} if self.details else self.phase

    @classmethod
    def from_json(cls, value: Any) -> Tag | None:
        """Read back :meth:`to_json`'s form (None stays None; a mapping without a
        ``phase``, as older traceroute runs saved, gets the phase ``""``)."""
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, Mapping):
            details = {str(k): v for k, v in value.items() if k != "phase"}
            return cls(str(value.get("phase") or ""), details)
        return None


class Result:
    """One probe and its answer (or None), with send and receive times (epoch seconds).

    It reads as Scapy's (sent, received) pair: ``s, r = result``, ``result[0]``,
    ``result[1]``, ``result.query``; and, in a list of unanswered probes, as the probe
    itself: any other attribute, ``result[TCP]`` and ``TCP in result`` are the probe's.
    """

    __slots__ = ("_answer", "_probe", "answer_bytes", "answer_linktype", "probe_bytes",
                 "probe_linktype", "received", "sends", "sent", "tag")

    def __init__(self, probe_bytes: bytes, probe_linktype: int, sent: float, sends: int = 1,
                 answer_bytes: bytes | None = None, answer_linktype: int = 1,
                 received: float | None = None, probe: Layer | None = None,
                 answer: Layer | None = None) -> None:
        self.probe_bytes = probe_bytes
        self.probe_linktype = probe_linktype
        self.sent = sent
        self.sends = sends
        self.answer_bytes = answer_bytes
        self.answer_linktype = answer_linktype
        self.received = received
        self._probe = probe
        self._answer = answer
        #: what the plugin that sent the probe said about it (see :class:`Tag`)
        self.tag: Tag | None = None

    @property
    def probe(self) -> Layer:
        """The probe as sent (dissected from its bytes, so every field is filled); its
        ``time`` is when it was (last) sent."""
        if self._probe is None:
            self._probe = dissect(self.probe_bytes, self.probe_linktype)
            self._probe.time = self.sent
        return self._probe

    @property
    def answer(self) -> Layer | None:
        """The matched answer, or None; its ``time`` is when it was received."""
        if self._answer is None and self.answer_bytes is not None:
            self._answer = dissect(self.answer_bytes, self.answer_linktype)
            if self.received is not None:
                self._answer.time = self.received
        return self._answer

    @property
    def answered(self) -> bool:
        """True when an answer was matched."""
        return self.answer_bytes is not None

    @property
    def rtt(self) -> float | None:
        """Seconds between the last send and the answer."""
        return None if self.received is None else max(0.0, self.received - self.sent)

    @property
    def retries(self) -> int:
        """How many times the probe was sent again."""
        return self.sends - 1

    @property
    def query(self) -> Layer:
        """The probe (Scapy's name for the sent half of a pair)."""
        return self.probe

    def __iter__(self) -> Iterator[Any]:
        # so that ``for probe, answer in answered`` reads like Scapy
        yield self.probe
        yield self.answer

    def __getitem__(self, item: Any) -> Any:
        if type(item) is int:
            return (self.probe, self.answer)[item]
        return self.probe[item]

    def __contains__(self, cls: Any) -> bool:
        return cls in self.probe

    def __bytes__(self) -> bytes:
        return bytes(self.probe_bytes)

    def __getattr__(self, name: str) -> Any:
        # only for names a Result does not have: an unanswered probe reads as the probe
        if name.startswith("__") or name in Result.__slots__:
            raise AttributeError(name)
        return getattr(self.probe, name)

    def __repr__(self) -> str:
        if self.answer_bytes is None:
            return repr(self.probe)
        return f"QueryAnswer(query={self.probe!r}, answer={self.answer!r})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the probe's and answer's layers, times and RTT in ms."""
        rtt = self.rtt
        return {"sent": self.probe.to_dicts(),
                "answer": None if self.answer is None else self.answer.to_dicts(),
                "sent_at": f"{self.sent:.6f}",
                "rtt_ms": None if rtt is None else round(rtt * 1000, 3),
                "sends": self.sends}


class ResultList(PacketList):
    """A list of results (Scapy's answer list): each item a (sent, received) pair;
    shown as ``sent ==> received``, counted by the received packets, and saved to a
    capture file with :meth:`save`."""

    __slots__ = ()
    #: the list's name when none is given (Scapy's ``listname``)
    default_name = "Results"

    def __init__(self, res: Any = None, name: str | None = None, stats: Any = None,
                 lazy: Any = None) -> None:
        if name is None:
            name = self.default_name
        if res is not None and not isinstance(res, PacketList):
            # pairs made by the script (Scapy's SndRcvList([(sent, received), ...]))
            res = [Result(b"", 1, 0.0, probe=x[0], answer=x[1])
                   if isinstance(x, tuple) and len(x) == 2 else x for x in res]
        super().__init__(res, name=name, stats=stats, lazy=lazy)

    def _packet(self, item: Any) -> Any:
        return item.answer if item.answer is not None else item.probe

    def _summary(self, item: Any) -> str:
        a = item.answer
        return f"{item.probe.summary()} ==> {'None' if a is None else a.summary()}"

    def _args(self, item: Any) -> tuple[Any, ...]:
        # Scapy calls prn, lfilter and filter's function with the pair's two packets
        return (item.probe, item.answer)

    def show(self, *args: Any, **kwargs: Any) -> None:
        """Print one numbered line per result: ``0000 sent ==> received``."""
        self.nsummary(*args, **kwargs)

    def save(self, path: str) -> None:
        """Write every probe and answer with their times to a pcapng file (atomically),
        as a saved run that ``netprobe interpret RUN.pcapng`` reads back."""
        from netprobe.engine.runfile import save_run

        save_run(path, self, plugin="sr", argv=[], counters={})


class Unanswered(ResultList):
    """The probes that got no answer (Scapy's ``unans``): a packet list of the probes."""

    __slots__ = ()
    default_name = "Unanswered"

    def _packet(self, item: Any) -> Any:
        return item.probe

    def _summary(self, item: Any) -> str:
        return item.probe.summary()

    def _args(self, item: Any) -> tuple[Any, ...]:
        return (item,)


class Counters:
    """What the run did, for reports and the summary line: counts of packets, the run's
    ``elapsed`` seconds, the monotonic times of its first and last send (the paced part
    of the run), and the ``stray`` packets kept (``STRAY_KEEP``).

    A plain class, not a dataclass: every probing command makes this class at start-up,
    and a dataclass costs about 1 ms to make (see README, "Start-up")."""

    def __init__(self, sent: int = 0, retries: int = 0, received: int = 0, matched: int = 0,
                 late: int = 0, duplicates: int = 0, related_unmatched: int = 0,
                 refused: int = 0, capture_dropped: int = 0, elapsed: float = 0.0,
                 first_send: float = 0.0, last_send: float = 0.0,
                 stray: list[bytes] | None = None) -> None:
        self.sent = sent
        self.retries = retries
        self.received = received
        self.matched = matched
        self.late = late
        self.duplicates = duplicates
        self.related_unmatched = related_unmatched
        self.refused = refused
        self.capture_dropped = capture_dropped
        self.elapsed = elapsed
        self.first_send = first_send
        self.last_send = last_send
        self.stray: list[bytes] = [] if stray is None else stray

    def __repr__(self) -> str:
        return "Counters(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()
                                       if k != "stray") + ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Counters) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass's is

    def to_dict(self) -> dict[str, Any]:
        """JSON form (without the stray packets themselves)."""
        d = {k: v for k, v in self.__dict__.items()
             if k not in ("stray", "first_send", "last_send")}
        d["rate"] = round(self.sent / self.elapsed, 1) if self.elapsed else None
        d["send_rate"] = self.send_rate
        return d

    @property
    def send_rate(self) -> float | None:
        """Packets per second while sending (first to last send), what pacing controls."""
        span = self.last_send - self.first_send
        return round((self.sent - 1) / span, 1) if span > 0 and self.sent > 1 else None


class SendReceive:
    """The answer of ``sr()``: answered results, unanswered results and counters."""

    def __init__(self, results: Iterable[Result], counters: Counters) -> None:
        results = results if isinstance(results, list) else list(results)
        self.answered = ResultList([r for r in results if r.answer_bytes is not None])
        self.unanswered = Unanswered([r for r in results if r.answer_bytes is None])
        self.counters = counters

    def __iter__(self) -> Iterator[ResultList]:
        # ``ans, unans = sr(...)`` as in Scapy
        yield self.answered
        yield self.unanswered

    def __getitem__(self, index: int) -> ResultList:
        return (self.answered, self.unanswered)[index]

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        return (f"<SendReceive answered={len(self.answered)} "
                f"unanswered={len(self.unanswered)}>")


#: Scapy's names: an answered pair, and the list of them
QueryAnswer = Result
SndRcvList = ResultList
