"""The conversation table: flow events in, one row per conversation out.

A conversation is keyed by (IP version, protocol, lower endpoint, higher
endpoint), the endpoints being (address, port) pairs put in order so that
both directions meet. Its counters are kept per endpoint ("lo" and "hi");
which of the two is tshark's endpoint A (the sender of the first packet) is
a flag, so that two partial tables merge by plain addition.

Each batch of events is grouped with one sort on a 64-bit hash of the key;
the hash only groups, it never decides: keys are compared in full, and a
collision (two keys, one hash) re-salts the whole table. Python runs per
conversation per batch at most, never per packet, except for the TCP
conversations that a new SYN splits (below), replayed event by event.

TCP port reuse, as tshark decides it: a SYN without ACK whose sequence
number differs from the base sequence number already known for its
direction starts a new conversation on the same ports. The base of a
direction is set by the first segment it sends whose whole header tshark
analyses (a SYN's own sequence number, or one less for another segment) or,
if that comes first, by the first segment of the other direction with an
ACK (the acknowledgement number minus one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netprobe.npimport import np
from netprobe.packet.flow_events import (
    REASON_NAMES,
    TCP_ACK,
    TCP_SEQOK,
    TCP_SYN,
    TCP_SYNACK,
    Events,
)

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_BIG = np.iinfo(np.int64).max
#: a batch's sort key: the hash's high bits, then the event's index
_INDEX_BITS = np.uint64((1 << 24) - 1)
_HASH_BITS = ~_INDEX_BITS

#: per-conversation columns: name -> (dtype, trailing shape)
COLUMNS: dict[str, tuple[str, tuple[int, ...]]] = {
    "ver": ("u1", ()),
    "proto": ("u1", ()),
    "lo": ("u8", (2,)),
    "hi": ("u8", (2,)),
    "lo_port": ("i4", ()),
    "hi_port": ("i4", ()),
    "a_is_lo": ("?", ()),
    "pk_lo": ("i8", ()),
    "by_lo": ("i8", ()),
    "pk_hi": ("i8", ()),
    "by_hi": ("i8", ()),
    "first_ts": ("i8", ()),
    "tmin": ("i8", ()),
    "tmax": ("i8", ()),
    "bits_lo": ("u1", ()),
    "bits_hi": ("u1", ()),
    "pay_lo": ("i8", ()),
    "pay_hi": ("i8", ()),
    "icmp": ("i4", ()),
    "base_set": ("u1", ()),  # bit 0: lo's base known, bit 1: hi's
    "base_lo": ("u4", ()),
    "base_hi": ("u4", ()),
    "open_syn": ("i1", ()),  # -1, or who sent the SYN the conversation opened with (0 lo, 1 hi)
    "open_seq": ("u4", ()),
}
_KEY_COLUMNS = ("ver", "proto", "lo", "hi", "lo_port", "hi_port")
#: columns kept side by side in one matrix each, so that a batch updates them at once
COUNTERS = ("pk_lo", "by_lo", "pk_hi", "by_hi", "pay_lo", "pay_hi")
BITS = ("bits_lo", "bits_hi")


@dataclass
class Totals:
    """What a table saw besides conversations: packets, bytes, time span, lost packets."""

    packets: int = 0
    bytes: int = 0
    first_ts: int | None = None  # the first packet's time (ns), in stream order
    tmin: int | None = None
    tmax: int | None = None
    no_flow: dict[str, int] = field(default_factory=dict)
    unknown_links: dict[int, int] = field(default_factory=dict)  # link type -> packets

    def merge(self, other: Totals, *, by_time: bool) -> None:
        """Add ``other`` (a later part of the stream, or another file when ``by_time``)."""
        self.packets += other.packets
        self.bytes += other.bytes
        if other.first_ts is not None and (
            self.first_ts is None or (by_time and other.first_ts < self.first_ts)
        ):
            self.first_ts = other.first_ts
        self.tmin = _opt(min, self.tmin, other.tmin)
        self.tmax = _opt(max, self.tmax, other.tmax)
        for k, v in other.no_flow.items():
            self.no_flow[k] = self.no_flow.get(k, 0) + v
        for lt, v in other.unknown_links.items():
            self.unknown_links[lt] = self.unknown_links.get(lt, 0) + v


def _opt(f, a, b):  # type: ignore[no-untyped-def]
    if a is None:
        return b
    if b is None:
        return a
    return f(a, b)


class FlowTable:
    """Conversations with their counters; grows with the number of conversations."""

    def __init__(self) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {}
        self.counters = np.zeros((0, len(COUNTERS)), dtype=np.int64)
        self.bits = np.zeros((0, len(BITS)), dtype=np.uint8)
        self._resize(0)
        self.totals = Totals()
        self._salt = np.uint64(0)
        self._hkeys = np.zeros(0, dtype=np.uint64)  # sorted hashes of the current conversations
        self._hcid = np.zeros(0, dtype=np.int64)

    def __getstate__(self) -> dict:
        # the matrix columns are views: pickle the matrices, rebuild the views
        state = self.__dict__.copy()
        state["cols"] = {k: v[: self.n] for k, v in self.cols.items()
                         if k not in COUNTERS and k not in BITS}
        state["counters"] = self.counters[: self.n]
        state["bits"] = self.bits[: self.n]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        n = self.n
        cols = self.cols
        self.cols = {}
        self.n = 0
        self._resize(max(n, 1))  # fresh arrays, views included
        self.n = n
        for k, v in cols.items():
            self.cols[k][:n] = v
        self.counters[:n] = state["counters"]
        self.bits[:n] = state["bits"]

    # -- public ---------------------------------------------------------------

    def count_packets(self, wirelen: np.ndarray, ts: np.ndarray, reasons: np.ndarray,
                      rank: np.ndarray | None = None) -> None:
        """Account for a batch of packets (flows or not) in the totals.

        ``rank`` gives the packets' file order when the arrays are in another.
        """
        t = self.totals
        if len(wirelen) == 0:
            return
        t.packets += len(wirelen)
        t.bytes += int(wirelen.sum())
        if t.first_ts is None:
            t.first_ts = int(ts[0] if rank is None else ts[int(np.argmin(rank))])
        t.tmin = _opt(min, t.tmin, int(ts.min()))
        t.tmax = _opt(max, t.tmax, int(ts.max()))
        if reasons.any():
            counts = np.bincount(reasons[reasons > 0].astype(np.int64))
            for code in np.flatnonzero(counts):
                name = REASON_NAMES[int(code)]
                t.no_flow[name] = t.no_flow.get(name, 0) + int(counts[code])

    def add(self, ev: Events, ts: np.ndarray, wirelen: np.ndarray,
            rank: np.ndarray | None = None) -> None:
        """Add a batch's events; ``ts`` (ns) and ``wirelen`` are per packet of the batch.

        The events of a packet are adjacent, in their order; ``rank`` gives
        the packets' file order when the batch is in another.
        """
        if len(ev) == 0:
            return
        while True:
            try:
                self._add(ev, ts, wirelen, rank)
                return
            except _Collision:
                self._rehash()

    def merge(self, other: FlowTable, *, by_time: bool) -> None:
        """Add the conversations of ``other``, a later part of the same stream.

        With ``by_time`` (another file), endpoint A of a conversation both
        tables hold is the sender of whichever first packet is earlier;
        otherwise (a later byte range of the same file) this table's.

        Port reuse across the seam: ``other``'s first conversation on a key
        continues ours unless it opened with a SYN whose sequence number
        differs from the base ours knows for that side. A reusing SYN later
        inside that first conversation, before ``other`` itself knew the
        base, is not seen (one pass would split there): a rare case, and only
        when parts are read apart.
        """
        self.totals.merge(other.totals, by_time=by_time)
        if other.n == 0:
            return
        while True:
            try:
                self._merge(other, by_time)
                return
            except _Collision:
                self._rehash()

    def column(self, name: str) -> np.ndarray:
        """The column ``name`` for the conversations so far."""
        return self.cols[name][: self.n]

    # -- adding events ----------------------------------------------------------

    def _add(self, ev: Events, ts: np.ndarray, wirelen: np.ndarray,
             rank: np.ndarray | None) -> None:
        ends = _Ends.of(ev)
        keys = _key_words(ev.ver, ev.proto, ends.lo, ends.hi, ends.lo_port, ends.hi_port)
        grp = self._group(keys, ev.pkt, rank)
        first = grp.order.take(grp.starts)  # each group's first event, in packet order
        # the current conversation of each key, or a new one
        found, at, cid_g = self._lookup(grp.hashes)
        if found.any():
            fc = cid_g[found]
            if not np.array_equal(self._stored_keys(fc), grp.keys.take(grp.starts, axis=0)[found]):
                raise _Collision
        first_new_cid = self.n
        self._open(ev, ends, first, cid_g, np.flatnonzero(~found))
        # sorted event columns
        dl = ends.dir_lo.take(grp.order)
        bits = ev.bits.take(grp.order)
        cid_s = cid_g.take(grp.gid)
        cid_s = self._tcp_reuse(ev, grp.order, grp.starts, grp.gid, cid_g, dl, bits,
                                first_new_cid, cid_s)
        self._count(ev, grp.order, dl, bits, cid_s, ts, wirelen, first_new_cid)
        # the index: each key's current conversation (the last one of its group)
        last = cid_s.take(np.r_[grp.starts[1:], len(cid_s)] - 1)
        self._index_set(grp.hashes, found, at, last)

    def _group(self, keys: np.ndarray, pkt: np.ndarray, rank: np.ndarray | None) -> _Groups:
        """The events grouped by key, in packet order within each group."""
        n = len(keys)
        # Group by hash with one plain sort: the low bits of the sort key are the
        # event's index, so the sort is stable and gives the permutation.
        h = self._hash(keys)
        place = _event_order(pkt, rank)
        if int(place.max()) > int(_INDEX_BITS):
            raise ValueError("too many events in one batch")
        packed = np.sort(h | place.astype(np.uint64))
        # back from places to event indices
        where = np.empty(int(place.max()) + 1, dtype=np.int64)
        where[place] = np.arange(n)
        order = where.take((packed & _INDEX_BITS).astype(np.int64))
        hs = packed & _HASH_BITS
        ks = keys.take(order, axis=0)
        edge = np.empty(n, dtype=bool)
        edge[0] = True
        np.not_equal(hs[1:], hs[:-1], out=edge[1:])
        starts = np.flatnonzero(edge)
        gid = np.cumsum(edge) - 1
        if not np.array_equal(ks, ks.take(starts, axis=0).take(gid, axis=0)):
            raise _Collision
        return _Groups(order, ks, starts, gid, hs.take(starts))

    def _open(self, ev: Events, ends: _Ends, first: np.ndarray, cid_g: np.ndarray,
              new_g: np.ndarray) -> None:
        """New conversations for the groups ``new_g``, keyed by their first events."""
        if not len(new_g):
            return
        cids = self._allocate(len(new_g))
        cid_g[new_g] = cids
        e = first.take(new_g)
        c = self.cols
        c["ver"][cids] = ev.ver.take(e)
        c["proto"][cids] = ev.proto.take(e)
        c["lo"][cids] = ends.lo.take(e, axis=0)
        c["hi"][cids] = ends.hi.take(e, axis=0)
        c["lo_port"][cids] = ends.lo_port.take(e)
        c["hi_port"][cids] = ends.hi_port.take(e)

    def _count(self, ev: Events, order: np.ndarray, dl: np.ndarray, bits: np.ndarray,
               cid_s: np.ndarray, ts: np.ndarray, wirelen: np.ndarray,
               first_new_cid: int) -> None:
        """Add the sorted events to their conversations: one run per conversation."""
        n = len(cid_s)
        pkt = ev.pkt.take(order)
        ets = ts.take(pkt)
        ewl = wirelen.take(pkt).astype(np.int64)
        change = np.empty(n, dtype=bool)
        change[0] = True
        np.not_equal(cid_s[1:], cid_s[:-1], out=change[1:])
        rs = np.flatnonzero(change)
        rc = cid_s.take(rs)
        lens = np.diff(np.r_[rs, n])
        pk_lo = np.add.reduceat(dl.astype(np.int64), rs)
        by_lo = np.add.reduceat(ewl * dl, rs)
        by_all = np.add.reduceat(ewl, rs)
        pay = ev.paylen.take(order)
        pay_lo = np.add.reduceat(pay * dl, rs)
        pay_all = np.add.reduceat(pay, rs)
        b_lo = np.bitwise_or.reduceat(bits * dl, rs)
        b_hi = np.bitwise_or.reduceat(bits * ~dl, rs)
        tmin = np.minimum.reduceat(ets, rs)
        tmax = np.maximum.reduceat(ets, rs)
        c = self.cols
        fresh = rc >= first_new_cid
        fr, fe = rc[fresh], rs[fresh]
        if len(fr):
            oe = order.take(fe)
            c["a_is_lo"][fr] = dl.take(fe)
            c["first_ts"][fr] = ets.take(fe)
            c["tmin"][fr] = tmin[fresh]
            c["tmax"][fr] = tmax[fresh]
            c["icmp"][fr] = ev.icmp.take(oe)
            opened = (bits.take(fe) & TCP_SYN) != 0
            c["open_syn"][fr] = np.where(opened, np.where(dl.take(fe), 0, 1), -1)
            c["open_seq"][fr] = ev.seq.take(oe)
        old = ~fresh
        if old.any():
            oc = rc[old]
            c["tmin"][oc] = np.minimum(c["tmin"].take(oc), tmin[old])
            c["tmax"][oc] = np.maximum(c["tmax"].take(oc), tmax[old])
        self.counters[rc] += np.stack((pk_lo, by_lo, lens - pk_lo, by_all - by_lo, pay_lo,
                                       pay_all - pay_lo), axis=1)
        self.bits[rc] |= np.stack((b_lo, b_hi), axis=1)

    def _tcp_reuse(self, ev: Events, order: np.ndarray, starts: np.ndarray, gid: np.ndarray,
                   cid_g: np.ndarray, dl: np.ndarray, bits: np.ndarray, first_new: int,
                   cid_s: np.ndarray) -> np.ndarray:
        """Base sequence numbers of TCP conversations, and their splits at reused ports.

        Only groups whose bases are not both known yet, or that hold a SYN, are
        looked at: after its first batch a conversation costs nothing here.
        """
        c = self.cols
        proto_g = ev.proto.take(order.take(starts))
        bs_g = c["base_set"].take(cid_g)
        has_syn = np.zeros(len(starts), dtype=bool)
        syn_ev = np.flatnonzero(bits & TCP_SYN)
        has_syn[gid.take(syn_ev)] = True
        need = (proto_g == 6) & ((bs_g != 3) | has_syn)
        groups = np.flatnonzero(need)
        if len(groups) == 0:
            return cid_s
        bounds = np.r_[starts, len(order)]
        replay = self._tcp_bases(ev, order, bounds, groups, cid_g, bs_g, dl, bits)
        if not replay.any():
            return cid_s
        cid_s = cid_s.copy()
        seqs = ev.seq.take(order)
        acks = ev.ack.take(order)
        for k in np.flatnonzero(replay).tolist():
            g = int(groups[k])
            self._replay(int(cid_g[g]), range(int(bounds[g]), int(bounds[g + 1])), dl, bits,
                         seqs, acks, cid_s)
        return cid_s

    def _tcp_bases(self, ev: Events, order: np.ndarray, bounds: np.ndarray,
                   groups: np.ndarray, cid_g: np.ndarray, bs_g: np.ndarray, dl: np.ndarray,
                   bits: np.ndarray) -> np.ndarray:
        """Find the base sequence numbers of ``groups`` (runs ``bounds`` of the sorted
        events) and store those of the groups where no SYN reuses the ports; True for
        the groups where one does (they are replayed event by event)."""
        c = self.cols
        # the events of those groups (contiguous runs of the sorted order)
        glen = bounds[groups + 1] - bounds[groups]
        shift = bounds[groups] - np.cumsum(np.r_[0, glen[:-1]])
        sub = np.repeat(shift, glen) + np.arange(glen.sum())
        sstarts = np.r_[0, np.cumsum(glen)[:-1]]
        sg = np.repeat(np.arange(len(groups)), glen)
        o = order.take(sub)
        sdl = dl.take(sub)
        sbits = bits.take(sub)
        seq = ev.seq.take(o).astype(np.int64)
        ack = ev.ack.take(o).astype(np.int64)
        pos = np.arange(len(sub))
        seqok = (sbits & TCP_SEQOK) != 0
        synflag = (sbits & (TCP_SYN | TCP_SYNACK)) != 0
        own = np.where(synflag, seq, seq - 1) & 0xFFFFFFFF
        rev = (ack - 1) & 0xFFFFFFFF
        hasack = (sbits & TCP_ACK) != 0
        cur = cid_g.take(groups)
        bs = bs_g.take(groups)
        sides = []
        for bit, mine, name in ((1, sdl, "base_lo"), (2, ~sdl, "base_hi")):
            cand = seqok & (mine | (hasack & ~mine))
            first = np.minimum.reduceat(np.where(cand, pos, _BIG), sstarts)
            found = first < _BIG
            val = np.where(found, np.where(mine, own, rev).take(np.where(found, first, 0)), 0)
            set0 = (bs & bit) != 0
            val0 = c[name].take(cur).astype(np.int64)
            sides.append((set0, val0, first, val, found))
        (set_lo, v0_lo, f_lo, v_lo, ok_lo), (set_hi, v0_hi, f_hi, v_hi, ok_hi) = sides
        syn = (sbits & TCP_SYN) != 0
        known_lo = set_lo.take(sg) | (f_lo.take(sg) < pos)
        known_hi = set_hi.take(sg) | (f_hi.take(sg) < pos)
        base_lo = np.where(set_lo, v0_lo, v_lo).take(sg)
        base_hi = np.where(set_hi, v0_hi, v_hi).take(sg)
        split = syn & np.where(sdl, known_lo & (seq != base_lo), known_hi & (seq != base_hi))
        replay = np.zeros(len(groups), dtype=bool)
        replay[sg[split]] = True
        # groups without a split: their bases, known before or found in this batch
        plain = ~replay
        upd_lo = plain & ~set_lo & ok_lo
        upd_hi = plain & ~set_hi & ok_hi
        c["base_lo"][cur[upd_lo]] = v_lo[upd_lo]
        c["base_hi"][cur[upd_hi]] = v_hi[upd_hi]
        c["base_set"][cur[plain]] = (bs[plain] | np.where(upd_lo[plain], 1, 0)
                                     | np.where(upd_hi[plain], 2, 0))
        return replay

    def _replay(self, cid: int, events: range, dl: np.ndarray, bits: np.ndarray,
                seqs: np.ndarray, acks: np.ndarray, cid_s: np.ndarray) -> None:
        """One group's events in order: a SYN with another base opens a new conversation."""
        c = self.cols
        key_cid = cid
        state = [bool(c["base_set"][cid] & 1), int(c["base_lo"][cid]),
                 bool(c["base_set"][cid] & 2), int(c["base_hi"][cid])]
        for i in events:
            b = int(bits[i])
            mine_lo = bool(dl[i])
            sq = int(seqs[i])
            if b & TCP_SYN:
                known, val = (state[0], state[1]) if mine_lo else (state[2], state[3])
                if known and sq != val:
                    self._store_base(cid, state)
                    cid = int(self._allocate(1)[0])
                    for name in _KEY_COLUMNS:
                        c[name][cid] = c[name][key_cid]
                    state = [False, 0, False, 0]
            if b & TCP_SEQOK:
                own_v = sq if b & (TCP_SYN | TCP_SYNACK) else (sq - 1) & 0xFFFFFFFF
                j = 0 if mine_lo else 2
                if not state[j]:
                    state[j], state[j + 1] = True, own_v
                if b & TCP_ACK:
                    j = 2 if mine_lo else 0
                    if not state[j]:
                        state[j], state[j + 1] = True, (int(acks[i]) - 1) & 0xFFFFFFFF
            cid_s[i] = cid
        self._store_base(cid, state)

    def _store_base(self, cid: int, state: list) -> None:
        c = self.cols
        c["base_set"][cid] = (1 if state[0] else 0) | (2 if state[2] else 0)
        c["base_lo"][cid] = state[1]
        c["base_hi"][cid] = state[3]

    # -- merging ----------------------------------------------------------------

    def _merge(self, other: FlowTable, by_time: bool) -> None:
        m = other.n
        oc = {name: other.column(name) for name in COLUMNS}
        keys = _key_words(*(oc[name] for name in _KEY_COLUMNS))
        h = self._hash(keys)
        srt = np.argsort(h, kind="stable")
        hs, ks = h[srt], keys[srt]
        edge = np.r_[True, hs[1:] != hs[:-1]]
        heads = np.flatnonzero(edge)
        if not np.array_equal(ks, ks[heads][np.cumsum(edge) - 1]):
            raise _Collision
        # the first conversation of each key in `other` may continue ours
        is_first = np.zeros(m, dtype=bool)
        is_first[srt[heads]] = True
        found, _, mine = self._lookup(h)
        if found.any() and not np.array_equal(self._stored_keys(mine[found]), keys[found]):
            raise _Collision
        if len(self.cols["ver"]) == 0:
            self._allocate(0, reserve=1)  # so that the lookups below index something
        c = self.cols
        cont = found & is_first
        # a conversation opened by a SYN that tshark would take for port reuse stays apart
        side = oc["open_syn"]
        bs = np.where(cont, c["base_set"][np.maximum(mine, 0)], 0)
        known = np.where(side == 0, bs & 1, np.where(side == 1, bs & 2, 0)) != 0
        base = np.where(side == 0, c["base_lo"][np.maximum(mine, 0)],
                        c["base_hi"][np.maximum(mine, 0)])
        cont &= ~((oc["proto"] == 6) & (side >= 0) & known & (base != oc["open_seq"]))
        j = np.flatnonzero(cont)
        t = mine[j]
        self.counters[t] += other.counters[j]
        self.bits[t] |= other.bits[j]
        c["tmin"][t] = np.minimum(c["tmin"][t], oc["tmin"][j])
        c["tmax"][t] = np.maximum(c["tmax"][t], oc["tmax"][j])
        if by_time:
            earlier = oc["first_ts"][j] < c["first_ts"][t]
            te, je = t[earlier], j[earlier]
            for name in ("a_is_lo", "first_ts", "icmp", "open_syn", "open_seq"):
                c[name][te] = oc[name][je]
        # base numbers: ours where known, else theirs
        for bit, name in ((1, "base_lo"), (2, "base_hi")):
            take = (c["base_set"][t] & bit) == 0
            c[name][t[take]] = oc[name][j[take]]
        c["base_set"][t] |= oc["base_set"][j]
        # the others are new conversations
        rest = np.flatnonzero(~cont)
        new = self._allocate(len(rest))
        for name in COLUMNS:
            c[name][new] = oc[name][rest]
        target = mine.copy()
        target[rest] = new
        # index: each key's current conversation is the last one of `other`
        last_pos = np.flatnonzero(np.r_[edge[1:], True])
        uh = hs[last_pos]
        self._index_set(uh, *self._lookup(uh)[:2], target[srt[last_pos]])

    # -- storage and index --------------------------------------------------------

    def _allocate(self, k: int, reserve: int = 0) -> np.ndarray:
        need = self.n + k
        cap = len(self.cols["ver"])
        if max(need, reserve) > cap:
            self._resize(max(need, reserve, cap * 2, 1024))
        cids = np.arange(self.n, need)
        self.n = need
        return cids

    def _resize(self, capacity: int) -> None:
        """Room for ``capacity`` conversations (the first ``n`` kept)."""
        n = self.n
        old = self.cols
        cols: dict[str, np.ndarray] = {}
        for name, (dt, shape) in COLUMNS.items():
            if name in COUNTERS or name in BITS:
                continue
            grown = np.zeros((capacity, *shape), dtype=dt)
            if name in old:
                grown[:n] = old[name][:n]
            cols[name] = grown
        cols["icmp"][n:] = -1
        cols["open_syn"][n:] = -1
        counters = np.zeros((capacity, len(COUNTERS)), dtype=np.int64)
        counters[:n] = self.counters[:n]
        bits = np.zeros((capacity, len(BITS)), dtype=np.uint8)
        bits[:n] = self.bits[:n]
        self.counters, self.bits = counters, bits
        # the matrix columns are views, under their own names too
        for k, name in enumerate(COUNTERS):
            cols[name] = counters[:, k]
        for k, name in enumerate(BITS):
            cols[name] = bits[:, k]
        # the same dict, updated: code holding it sees the new arrays
        self.cols.clear()
        self.cols.update(cols)

    def _stored_keys(self, cids: np.ndarray) -> np.ndarray:
        return _key_words(*(self.cols[name][cids] for name in _KEY_COLUMNS))

    def _lookup(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Whether each hash is indexed, where it is (or would go), and its conversation
        (-1: none)."""
        at = np.searchsorted(self._hkeys, h)
        if len(self._hkeys) == 0:
            return np.zeros(len(h), dtype=bool), at, np.full(len(h), -1, dtype=np.int64)
        near = np.minimum(at, len(self._hkeys) - 1)
        found = (self._hkeys.take(near) == h) & (at < len(self._hkeys))
        return found, at, np.where(found, self._hcid.take(near), -1)

    def _index_set(self, h: np.ndarray, found: np.ndarray, at: np.ndarray,
                   cid: np.ndarray) -> None:
        if found.any():
            self._hcid[at[found]] = cid[found]
        new = ~found
        if new.any():
            self._hkeys = np.insert(self._hkeys, at[new], h[new])
            self._hcid = np.insert(self._hcid, at[new], cid[new])

    def _hash(self, keys: np.ndarray) -> np.ndarray:
        h = np.full(len(keys), self._salt, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for k in range(keys.shape[1]):
                h = (h ^ keys[:, k]) * _MIX
                h ^= h >> np.uint64(31)
                h *= _MIX2
                h ^= h >> np.uint64(29)
        return h & _HASH_BITS

    def _rehash(self) -> None:
        """A hash collision: pick another salt and index the current conversations again."""
        self._salt = np.uint64(int(self._salt) + 0x632BE59BD9B4E019 & 0xFFFFFFFFFFFFFFFF)
        if len(self._hcid) == 0:
            return
        cids = self._hcid
        h = self._hash(self._stored_keys(cids))
        order = np.argsort(h, kind="stable")
        self._hkeys = h[order]
        self._hcid = cids[order]
        if np.any(self._hkeys[1:] == self._hkeys[:-1]):
            self._rehash()


def _event_order(pkt: np.ndarray, rank: np.ndarray | None) -> np.ndarray:
    """A distinct number per event, increasing in stream order (file order, then the
    order of one packet's events)."""
    n = len(pkt)
    if rank is None:
        return np.arange(n, dtype=np.int64)
    base = rank.take(pkt) * 4
    same = pkt[1:] == pkt[:-1]
    if not same.any():
        return base
    # the second, third... event of a packet (tunnels) comes just after the first
    run = np.flatnonzero(np.r_[True, ~same])
    within = np.arange(n) - np.repeat(run, np.diff(np.r_[run, n]))
    return base + np.minimum(within, 3)


class _Collision(Exception):
    """Two different keys with one hash: the table re-salts and tries again."""


@dataclass
class _Ends:
    """The two ends of each event's conversation, the lower address (then port) first."""

    dir_lo: np.ndarray  # the sender is the lower end (both, for a host talking to itself)
    lo: np.ndarray
    hi: np.ndarray
    lo_port: np.ndarray
    hi_port: np.ndarray

    @classmethod
    def of(cls, ev: Events) -> _Ends:
        src, dst = ev.src, ev.dst
        sp, dp = ev.sport.astype(np.int64), ev.dport.astype(np.int64)
        s0, s1, d0, d1 = src[:, 0], src[:, 1], dst[:, 0], dst[:, 1]
        src_gt = (s0 > d0) | ((s0 == d0) & ((s1 > d1) | ((s1 == d1) & (sp > dp))))
        dir_lo = ~src_gt
        swap = (sp - dp) * dir_lo
        return cls(dir_lo, np.where(dir_lo[:, None], src, dst), np.where(dir_lo[:, None], dst, src),
                   dp + swap, sp - swap)


@dataclass
class _Groups:
    """Events sorted into groups of one key each (packet order inside a group)."""

    order: np.ndarray  # event index of each sorted position
    keys: np.ndarray  # the sorted events' keys
    starts: np.ndarray  # where each group starts
    gid: np.ndarray  # the group of each sorted position
    hashes: np.ndarray  # each group's hash


def _key_words(ver: np.ndarray, proto: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               lo_port: np.ndarray, hi_port: np.ndarray) -> np.ndarray:
    """The exact key of each row as five uint64 words."""
    head = (ver.astype(np.uint64) | (proto.astype(np.uint64) << np.uint64(8))
            | ((lo_port + 1).astype(np.uint64) << np.uint64(16))
            | ((hi_port + 1).astype(np.uint64) << np.uint64(33)))
    return np.stack((head, lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]), axis=1)
