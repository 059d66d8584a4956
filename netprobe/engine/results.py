"""What a send-and-match run gives back: results, answered pairs, unanswered probes.

Probes and answers are kept as the bytes that went out and came in (plus their
link type); they are dissected only when someone looks at them, so a run of a
million probes does not pay for a million packet objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from netprobe.packet.dissect import dissect
from netprobe.packet.layer import Layer


class Result:
    """One probe and its answer (or None), with send and receive times (epoch seconds)."""

    __slots__ = ("_answer", "_probe", "answer_bytes", "answer_linktype", "extra", "probe_bytes",
                 "probe_linktype", "received", "sends", "sent")

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
        self.extra: Any = None

    @property
    def probe(self) -> Layer:
        """The probe as sent (dissected from its bytes, so every field is filled)."""
        if self._probe is None:
            self._probe = dissect(self.probe_bytes, self.probe_linktype)
        return self._probe

    @property
    def answer(self) -> Layer | None:
        """The matched answer, or None."""
        if self._answer is None and self.answer_bytes is not None:
            self._answer = dissect(self.answer_bytes, self.answer_linktype)
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

    def __iter__(self) -> Iterator[Any]:
        # so that ``for probe, answer in answered`` reads like Scapy
        yield self.probe
        yield self.answer

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the probe's and answer's layers, times and RTT in ms."""
        rtt = self.rtt
        return {"sent": self.probe.to_dicts(),
                "answer": None if self.answer is None else self.answer.to_dicts(),
                "sent_at": f"{self.sent:.6f}",
                "rtt_ms": None if rtt is None else round(rtt * 1000, 3),
                "sends": self.sends}


class ResultList(list):
    """A list of results that can be shown as a table and saved to a capture file."""

    def summary_rows(self) -> list[list[str]]:
        """Rows of (probe summary, answer summary, rtt ms)."""
        rows = []
        for r in self:
            a = r.answer
            rtt = r.rtt
            rows.append([r.probe.summary(), "no answer" if a is None else a.summary(),
                         "" if rtt is None else f"{rtt * 1000:.2f}"])
        return rows

    def show(self) -> None:
        """Print one line per result."""
        for probe, answer, rtt in self.summary_rows():
            print(f"{probe}  ==>  {answer}" + (f"  ({rtt} ms)" if rtt else ""))

    def save(self, path: str) -> None:
        """Write every probe and answer with their times to a pcapng file (atomically),
        as a saved run that ``netprobe interpret RUN.pcapng`` reads back."""
        from netprobe.engine.runfile import save_run

        save_run(path, self, plugin="sr", argv=[], counters={})


@dataclass
class Counters:
    """What the run did, for reports and the summary line."""

    sent: int = 0
    retries: int = 0
    received: int = 0
    matched: int = 0
    late: int = 0
    duplicates: int = 0
    related_unmatched: int = 0
    refused: int = 0
    capture_dropped: int = 0
    elapsed: float = 0.0
    #: monotonic times of the first and the last send (the paced part of the run)
    first_send: float = 0.0
    last_send: float = 0.0
    stray: list[bytes] = field(default_factory=list)

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
        self.unanswered = ResultList([r for r in results if r.answer_bytes is None])
        self.counters = counters

    def __iter__(self) -> Iterator[ResultList]:
        # ``ans, unans = sr(...)`` as in Scapy
        yield self.answered
        yield self.unanswered

    def __repr__(self) -> str:
        return (f"<SendReceive answered={len(self.answered)} "
                f"unanswered={len(self.unanswered)}>")
