"""The one send-and-match loop every probing subcommand feeds.

One thread does everything, in turns: a token bucket decides how many probes
may go now, they go out in one ``sendmmsg`` batch, then the capture is drained
without blocking and every packet is matched to the probe it answers through a
hash table keyed by the layers' ``hashkey()`` (O(1) per answer, whatever the
number of probes in flight), and probes whose time is up are retried or given
up. One thread avoids the GIL hand-offs that make threaded senders and
receivers in Python slower than either alone.
"""

from __future__ import annotations

import gc
import math
import select
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from netprobe import costs
from netprobe.engine.pacer import TokenBucket
from netprobe.engine.probes import PreparedProbe
from netprobe.engine.results import Counters, Result
from netprobe.engine.strictkeys import META, WITH_ACK, capture_keys
from netprobe.errors import UsageError
from netprobe.packet.dissect import dissect
from netprobe.packet.fastpath import answers_parsed as fast_answers
from netprobe.packet.fastpath import key_of as fast_key
from netprobe.packet.fastpath import parse as fast_parse
from netprobe.packet.layer import Layer
from netprobe.packet.linktypes import LINKTYPE_ETHERNET, LINKTYPE_RAW
from netprobe.packet.shape import LINKS

#: how many packets one send or capture call handles at most
BATCH = 256
#: stray packets kept for the report (the count is always exact)
STRAY_KEEP = 100

#: the Ethernet header ``strip_ether`` takes off a probe's frame
_ETHER_LEN = LINKS[LINKTYPE_ETHERNET].header_len


class RunOptions:
    """How the loop runs: pacing, patience and where packets go.

    ``strip_ether``: the probes are IP packets sent as Ethernet frames, and results hold
    the packet (the frame without its 14-byte header, link type RAW) as the caller made
    it. ``rate_control``: congestion control, called about every 50 ms with the counters
    so far; a number it returns becomes the send rate from then on (None keeps the rate).
    (A plain class: a dataclass costs every probing command about 1 ms to make.)
    """

    def __init__(self, rate: float | None = None, retries: int = 0, timeout: float = 2.0,
                 iface: str | None = None, layer2: bool = False,
                 capture_filter: str | None = None, multi: bool = False,
                 max_time: float | None = None, stop_when_answered: bool = True,
                 strip_ether: bool = False,
                 rate_control: Callable[[Counters], float | None] | None = None) -> None:
        self.rate = rate
        self.retries = retries
        self.timeout = timeout
        self.iface = iface
        self.layer2 = layer2
        self.capture_filter = capture_filter
        self.multi = multi
        self.max_time = max_time
        self.stop_when_answered = stop_when_answered
        self.strip_ether = strip_ether
        self.rate_control = rate_control

    def __repr__(self) -> str:
        return "RunOptions(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"

    def check(self) -> None:
        """Reject settings that make no sense, as usage errors."""
        if self.rate is not None and not 0 < self.rate < math.inf:  # NaN fails this too
            raise UsageError(f"rate must be a positive number of packets per second, "
                             f"not {self.rate}")
        if self.retries < 0:
            raise UsageError(f"retries must be 0 or more, not {self.retries}")
        if not self.timeout >= 0:  # a NaN timeout would never expire: the loop would spin
            raise UsageError(f"timeout must be 0 or more seconds, not {self.timeout}")


class _Flight:
    """A probe in flight: its bytes, key, sends and (once matched) its result."""

    __slots__ = ("deadline", "done", "key", "prepared", "result", "sends", "sent")

    def __init__(self, prepared: PreparedProbe) -> None:
        self.prepared = prepared
        self.key = prepared.key
        self.sends = 0
        self.sent = 0.0
        self.deadline = 0.0
        self.result: Result | None = None
        self.done = False


class _RunState:
    """One run's probes in their stages: to send, in flight, to retry; and its clocks."""

    __slots__ = ("bucket", "exhausted", "flights", "inflight", "last_answer", "open_count",
                 "retry_q", "source", "start", "wall0")

    def __init__(self, bucket: TokenBucket, source: Iterator[PreparedProbe]) -> None:
        self.bucket = bucket
        self.source = source
        self.exhausted = False  # every probe of the source taken
        # one entry per sent batch: its members share the deadline
        self.inflight: deque[tuple[float, list[_Flight]]] = deque()
        self.retry_q: deque[_Flight] = deque()
        self.flights: list[_Flight] = []
        self.open_count = 0  # probes neither answered nor given up
        self.start = time.monotonic()
        self.wall0 = time.time()
        self.last_answer = self.start


class SendReceiveLoop:
    """Runs probes through a sender and a capture and yields results as they settle.

    ``sender`` needs ``send_many(list[bytes]) -> int``; ``capture`` needs
    ``read_raw_batch(n)``, ``fileno()``, ``linktype`` and ``stats()`` — the
    wire floor's ``L3Sender``/``L2Sender`` and ``Capture``, or fakes in tests.
    """

    def __init__(self, sender: object, capture: object, options: RunOptions,
                 counters: Counters | None = None,
                 on_progress: Callable[[Counters], None] | None = None) -> None:
        options.check()
        self.sender = sender
        self.capture = capture
        self.options = options
        self.counters = counters or Counters()
        self.on_progress = on_progress
        # hash key -> the probe with that key, or a list when several share it
        self._table: dict[bytes, _Flight | list[_Flight]] = {}
        # strict key -> the one probe it identifies (None: several do, ask the table)
        self._strict: dict[bytes, _Flight | None] = {}

    # -- the loop -------------------------------------------------------------------------------
    def run(self, probes: Iterable[PreparedProbe]) -> Iterator[Result]:
        """Send every probe, match answers, and yield a Result per probe.

        Answered results come as soon as they match; unanswered ones at the end,
        since a late answer may still arrive for them.
        """
        opt = self.options
        c = self.counters
        st = _RunState(TokenBucket(opt.rate), iter(probes))
        start = st.start
        last_progress = last_control = start
        rate_control = opt.rate_control
        stop_at = start + opt.max_time if opt.max_time else None
        # The run makes objects by the hundred thousand and no reference cycles; the
        # cyclic collector would stop it for tens of milliseconds at a time (pacing
        # loses the tokens of such a stall), so it waits until the run is over.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        finished = False
        try:
            while True:
                # 1. drain the capture and match first: answers that came in time (during
                # a stall, say) must settle their probes before those are given up
                answered = self._drain()
                if answered:
                    st.last_answer = time.monotonic()
                    yield from answered
                if self._answered_new:
                    st.open_count -= self._answered_new
                    self._answered_new = 0
                now = time.monotonic()
                # 2. probes whose wait is over: retry, or give up
                self._expire(st, now)
                # 3. send what the pacer allows
                if stop_at is not None and now >= stop_at:
                    st.exhausted = True
                    st.retry_q.clear()
                    break
                want = st.bucket.take(BATCH) if (st.retry_q or not st.exhausted) else 0
                if want:
                    self._send(st, want)
                # 4. finished?
                if st.exhausted and not st.retry_q and st.open_count <= 0:
                    break
                if rate_control is not None and now - last_control > 0.05:
                    last_control = now
                    c.elapsed = now - start
                    new_rate = rate_control(c)
                    if new_rate is not None:
                        st.bucket.set_rate(new_rate)
                if self.on_progress is not None and now - last_progress > 0.1:
                    c.elapsed = now - start
                    self.on_progress(c)
                    last_progress = now
                # 5. nothing to do right now: wait for packets, a token or a deadline
                if not want or (st.exhausted and not st.retry_q):
                    self._wait(st)
            yield from self._drain()
            finished = True
        finally:
            unanswered = self._end_run(st, finished)
            if gc_was_enabled:
                gc.enable()
        yield from unanswered

    def _expire(self, st: _RunState, now: float) -> None:
        """The sent batches whose wait is over at ``now``: their probes retried or given up."""
        inflight = st.inflight
        retries = self.options.retries
        while inflight and inflight[0][0] <= now:
            deadline, sent_batch = inflight.popleft()
            for f in sent_batch:
                if f.done or deadline != f.deadline:
                    continue  # answered, or sent again since
                if f.result is not None:  # answered, and its wait for more is over
                    f.done = True
                    st.open_count -= 1
                elif f.sends <= retries:
                    st.retry_q.append(f)
                else:
                    f.done = True
                    st.open_count -= 1

    def _send(self, st: _RunState, want: int) -> None:
        """Send up to ``want`` probes: retries first, then new ones from the source."""
        c = self.counters
        batch: list[_Flight] = []
        retry_q = st.retry_q
        while retry_q and len(batch) < want:
            f = retry_q.popleft()
            if not f.done:
                batch.append(f)
                c.retries += 1
        if not st.exhausted and len(batch) < want:
            need = want - len(batch)
            fresh = [_Flight(p) for p in islice(st.source, need)]
            if len(fresh) < need:
                st.exhausted = True
            self._register(fresh)
            st.flights += fresh
            batch += fresh
            st.open_count += len(fresh)
        if not batch:
            return
        # stamped before sending: an answer can beat send_many's return
        tmono = time.monotonic()
        twall = st.wall0 + (tmono - st.start)
        if not c.sent:
            c.first_send = tmono
        ok = self.sender.send_many([f.prepared.data for f in batch])  # type: ignore[attr-defined]
        c.last_send = tmono
        c.sent += len(batch)
        c.refused += len(batch) - ok
        deadline = tmono + self.options.timeout
        for f in batch:
            f.sends += 1
            f.sent = twall
            f.deadline = deadline
        st.inflight.append((deadline, batch))

    def _register(self, fresh: list[_Flight]) -> None:
        """Put new probes in the match tables: by hash key, and by strict key if they have one."""
        table = self._table
        strict = self._strict
        for f in fresh:
            entry = table.get(f.key)
            if entry is None:
                table[f.key] = f
            elif type(entry) is _Flight:
                table[f.key] = [entry, f]
            else:
                entry.append(f)  # type: ignore[union-attr]
            sk = f.prepared.strict
            if sk is not None:
                strict[sk] = None if sk in strict else f

    def _wait(self, st: _RunState) -> None:
        """Wait for packets, a token or the next deadline (50 ms at most)."""
        waits = [0.05]
        if st.inflight:
            waits.append(max(0.0, st.inflight[0][0] - time.monotonic()))
        if st.retry_q or not st.exhausted:
            waits.append(st.bucket.wait_time())
        delay = min(waits)
        if delay > 0:
            select.select([self.capture.fileno()], [], [], delay)  # type: ignore[attr-defined]

    def _end_run(self, st: _RunState, finished: bool) -> list[Result]:
        """Count the run's times and drops and let go of its tables; the unanswered results
        (none when the run did not finish)."""
        c = self.counters
        end = time.monotonic()
        c.elapsed = end - st.start
        # the time spent after the last send and the last answer: waiting for
        # answers that did not come (what a command with every answer never pays)
        costs.add("final wait", max(0.0, end - max(st.last_answer, c.last_send or st.start)))
        try:
            stats = self.capture.stats()  # type: ignore[attr-defined]
            c.capture_dropped = stats[1] + stats[2]
        except Exception:
            pass
        # The run's own bookkeeping goes before the collector is back: its first
        # pass walks every container object made since it stopped, and the
        # flights, prepared probes and tables are most of them. The tables go
        # before the unanswered results are made (a sweep's memory peaks there).
        st.inflight.clear()
        st.retry_q.clear()
        self._table.clear()
        self._strict.clear()
        unanswered = self._unanswered(st.flights) if finished else []
        st.flights.clear()
        return unanswered

    def _sent_as(self, prep: PreparedProbe) -> tuple[bytes, int, Layer | None]:
        """The probe as results hold it (bytes, link type, layer if built): as sent, or
        without the Ethernet header the run added to it (``strip_ether``)."""
        if self.options.strip_ether:
            return prep.data[_ETHER_LEN:], LINKTYPE_RAW, None
        return prep.data, prep.linktype, prep._layer

    def _unanswered(self, flights: list[_Flight]) -> list[Result]:
        """The results of the probes no answer matched."""
        out = []
        for f in flights:
            if f.result is None:
                data, linktype, layer = self._sent_as(f.prepared)
                out.append(Result(data, linktype, f.sent, f.sends, probe=layer))
        return out

    _answered_new = 0

    def _settle(self, f: _Flight, frame: bytes, linktype: int, recv: float,
                pkt: Layer | None, out: list[Result]) -> None:
        """Record ``frame`` as the answer to ``f`` (first answer, or another with ``multi``)."""
        c = self.counters
        late = f.done
        data, probe_linktype, layer = self._sent_as(f.prepared)
        res = Result(data, probe_linktype, f.sent, f.sends, answer_bytes=frame,
                     answer_linktype=linktype, received=recv, probe=layer, answer=pkt)
        if f.result is None:
            f.result = res
            c.matched += 1
            if late:
                c.late += 1
            elif self.options.stop_when_answered:
                f.done = True
                self._answered_new += 1
            # else: the probe stays open until its deadline, for further answers (multi)
        out.append(res)

    def _drain(self) -> list[Result]:
        """Read what the capture holds now and match it; return new answered results."""
        out: list[Result] = []
        cap = self.capture
        linktype = cap.linktype  # type: ignore[attr-defined]
        c = self.counters
        strict = self._strict
        strict_get = strict.get
        answered_new = 0
        stop_when_answered = self.options.stop_when_answered
        strip = self.options.strip_ether
        for _ in range(64):  # bounded: sending must get its turn
            buf, meta = cap.read_raw_batch(BATCH)  # type: ignore[attr-defined]
            n = len(meta) // 16
            if not n:
                break
            metas = list(META.iter_unpack(meta))
            skeys = capture_keys(buf, meta, linktype) if strict else None
            for i, (sec, usec, off, caplen) in enumerate(metas):
                frame = buf[off:off + caplen]
                c.received += 1
                if skeys is not None:
                    sk = skeys[i]
                    if sk is not None:
                        f = strict_get(sk)
                        if f is None and len(sk) in WITH_ACK:
                            f = strict_get(sk[:-4])  # a non-SYN probe's key
                        if f is not None and f.result is None:
                            # inline _settle: this is the path almost every answer takes
                            prep = f.prepared
                            if strip:  # _sent_as, inline: almost every answer comes here
                                res = Result(prep.data[_ETHER_LEN:], LINKTYPE_RAW, f.sent, f.sends,
                                             frame, linktype, sec + usec / 1e6)
                            else:
                                res = Result(prep.data, prep.linktype, f.sent, f.sends,
                                             frame, linktype, sec + usec / 1e6, prep._layer)
                            f.result = res
                            c.matched += 1
                            if f.done:
                                c.late += 1
                            elif stop_when_answered:
                                f.done = True
                                answered_new += 1
                            out.append(res)
                            continue
                self._match(frame, linktype, sec + usec / 1e6, out)
            if n < BATCH:
                break
        self._answered_new += answered_new
        return out


    def _match(self, frame: bytes, linktype: int, recv: float, out: list[Result]) -> None:
        """Match ``frame`` through the hash table (the layers' keys and ``answers``)."""
        c = self.counters
        pkt = None
        fast = fast_parse(frame, linktype)
        key = fast_key(fast, frame)
        if key is None:
            pkt = dissect(frame, linktype)
            try:
                key = pkt.hashkey()
            except Exception:
                return
        entry = self._table.get(key)
        if entry is None:
            return
        bucket = (entry,) if type(entry) is _Flight else entry
        matched = False
        duplicate = False
        for f in bucket:
            prep = f.prepared
            verdict = fast_answers(fast, frame, prep.fast, prep.data)
            if verdict is None:
                if pkt is None:
                    pkt = dissect(frame, linktype)
                probe = prep.match_layer
                ans = pkt if type(pkt) is type(probe) else pkt.getlayer(type(probe))
                verdict = ans is not None and ans.answers(probe)
            if not verdict:
                continue
            matched = True
            if f.result is not None and not self.options.multi:
                # Answered already. Another probe with the same key may still be
                # waiting for this packet; only if none takes it is it a duplicate.
                duplicate = True
                continue
            duplicate = False
            self._settle(f, frame, linktype, recv, pkt, out)
            break
        if duplicate:
            c.duplicates += 1
        if not matched:
            c.related_unmatched += 1
            if len(c.stray) < STRAY_KEEP:
                c.stray.append(frame)
