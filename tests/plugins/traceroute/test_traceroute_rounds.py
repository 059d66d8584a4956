"""``--rounds N`` as mtr shows it: SNT counts rounds, and a terminal sees the table after
every round (issue 19).

The trace runs against the scripted path (:mod:`fakepath`, virtual time); the
live table is drawn on a rich console writing to a string, as a terminal of
80 columns would receive it.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

import pytest
from rich.console import Console

from netprobe.engine.runfile import SavedRun
from netprobe.plugins.lab import processes
from netprobe.plugins.traceroute import live
from netprobe.plugins.traceroute.interpret import PLUGIN, render, report
from netprobe.plugins.traceroute.plan import TraceOptions
from netprobe.plugins.traceroute.probes import ProbeMaker
from netprobe.plugins.traceroute.render import round_row, rounds_view
from netprobe.plugins.traceroute.run import Tracer
from netprobe.services.output import Output
from tests.labfixture import LabHandle
from tests.plugins.traceroute.fakepath import ADDRS, FakePath, VirtualTime
from tests.test_schemas import check

#: one hop line of the table: TTL, host, loss, SNT (then the RTT columns)
_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+([\d.]+%)\s+(\d+)\b", re.MULTILINE)


def options(rounds: int, queries: int = 3, family: int = 4) -> TraceOptions:
    a = ADDRS[family]
    return TraceOptions(dst=a["dst"], family=family, method="icmp", port=0, rounds=rounds,
                        interval=0.5, queries=queries)


def tracer(vt: VirtualTime, opts: TraceOptions, **kwargs: object) -> Tracer:
    a = ADDRS[opts.family]
    maker = ProbeMaker(opts.method, opts.family, a["src"], a["dst"], opts.sport, opts.port)
    path = FakePath(vt, opts.family)
    return Tracer(opts, maker, path, path, sleep=vt.sleep, clock=vt.monotonic,
                  **kwargs)  # type: ignore[arg-type]


def records_of(run: object, opts: TraceOptions) -> list[dict]:
    saved = SavedRun(plugin=PLUGIN, options=opts.to_dict(),
                     counters=run.counters.to_dict(), results=run.results)  # type: ignore[attr-defined]
    return list(report(saved, {}))


def terminal(width: int = 80) -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, width=width, force_terminal=True, color_system=None,
                   highlight=False, emoji=False), screen


def test_snt_counts_rounds_not_probes(vt: VirtualTime) -> None:
    opts = options(rounds=4, queries=3)
    records = records_of(tracer(vt, opts).trace(), opts)
    hops = [r for r in records if r["type"] == "hop"]
    assert [h["ttl"] for h in hops] == [1, 2, 3, 4, 5]
    for hop in hops:
        assert hop["rounds"] == 4  # mtr's SNT: one per round
        assert hop["sent"] == 12 and len(hop["probes"]) == 12  # 3 probes a round
        assert round_row(hop)[3] == 4
    assert hops[3]["loss_pct"] == 100.0 and hops[0]["loss_pct"] == 0.0


def test_the_table_printed_at_the_end_shows_rounds(vt: VirtualTime) -> None:
    opts = options(rounds=3, queries=2)
    records = records_of(tracer(vt, opts).trace(), opts)
    screen = io.StringIO()
    output = Output(json=False, stdout=screen)
    render(records, output)
    text = screen.getvalue()
    assert "round" not in text  # the finished trace's heading
    rows = {int(m[0]): m for m in _ROW.findall(text)}
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert {m[3] for m in rows.values()} == {"3"}
    assert rows[4][1] == "???" and rows[4][2] == "100.0%"
    assert rows[1][1] == ADDRS[4]["r1"] and rows[5][1] == ADDRS[4]["dst"]


def test_a_terminal_sees_the_table_after_every_round(vt: VirtualTime) -> None:
    opts = options(rounds=3)
    console, screen = terminal()
    shown = live.LiveRounds(console, opts)
    frames: list[str] = []

    def on_round(run: object, done: int) -> None:
        shown.round_done(run, done)
        frames.append(screen.getvalue())

    run = tracer(vt, opts, on_round=on_round).trace()
    shown.show(records_of(run, opts))
    shown.close()
    assert len(frames) == 3
    for done, frame in enumerate(frames, 1):
        new = frame[len(frames[done - 2]):] if done > 1 else frame
        assert f"round {done} of 3" in new
        snt = {int(m[0]): int(m[3]) for m in _ROW.findall(new)}
        assert sorted(snt) == [1, 2, 3, 4, 5] and set(snt.values()) == {done}, new
    # each frame is drawn over the last one (cursor up, erase line), not below it
    assert "\x1b[1A" in screen.getvalue()[len(frames[0]):]
    final = screen.getvalue()[len(frames[-1]):]
    assert "round" not in final.splitlines()[-7]  # the finished trace's heading
    assert all(int(m[3]) == 3 for m in _ROW.findall(final))


def test_live_only_on_a_terminal_with_a_table() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    three = options(rounds=3)
    assert live.wanted(three, Output(json=False, stdout=Tty()))
    assert not live.wanted(three, Output(json=False, stdout=io.StringIO()))  # piped
    assert not live.wanted(three, Output(json=True, stdout=Tty()))  # --json
    assert not live.wanted(options(rounds=1), Output(json=False, stdout=Tty()))


def test_live_not_on_a_dumb_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "dumb")
    assert not live.wanted(options(rounds=3), Output(json=False, stdout=Tty()))


#: a long address as they come (a full 39-character one is the next test's)
LONG6 = "2001:db8:ffff:ffff:ffff::fff1"
#: the longest an IPv6 address is written
LONGEST6 = "2001:0db8:ffff:ffff:ffff:ffff:ffff:fff1"


def hop(ttl: int, addrs: list[str], loss: float, rtt: float | None) -> dict:
    stats = {k: rtt for k in ("rtt_last_ms", "rtt_avg_ms", "rtt_min_ms", "rtt_max_ms")}
    return {"type": "hop", "ttl": ttl, "probes": [], "addrs": addrs, "mpls": [],
            "rate_limited": False, "rounds": 10000, "sent": 30000, "received": 0,
            "loss_pct": loss, **stats, "rtt_stddev_ms": None if rtt is None else 123.4}


def draw(records: list[dict], width: int) -> list[str]:
    console, screen = terminal(width)
    console.print(rounds_view(records, options(rounds=10000), done=9999))
    lines = screen.getvalue().splitlines()
    assert all(len(line) <= width for line in lines)
    return lines


@pytest.mark.parametrize("width", [80, 120])
def test_nothing_is_cut_at_80_and_120_columns(width: int) -> None:
    records = [hop(1, ["198.18.1.1"], 0.0, 0.25),
               hop(2, ["198.18.102.2", "198.18.103.2"], 33.3, 12.5),
               hop(3, [LONG6, "2001:db8:103::2"], 100.0, None),
               hop(4, [], 100.0, None),
               hop(5, ["198.19.2.10"], 0.0, 1234.5)]
    lines = draw(records, width)
    assert "round 9999 of 10000" in " ".join(lines)
    for address in ("198.18.1.1", "198.18.102.2", "198.18.103.2", LONG6, "2001:db8:103::2",
                    "198.19.2.10", "???"):
        assert any(address in line for line in lines), address
    # every row's figures whole on its first line
    rows = {int(m[0]): m for m in _ROW.findall("\n".join(lines))}
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert rows[2][2] == "33.3%" and rows[2][3] == "10000"
    assert "1234.5" in next(line for line in lines if line.lstrip().startswith("5 "))


def test_the_longest_ipv6_address_stays_whole_at_80_columns() -> None:
    lines = draw([hop(1, [LONGEST6], 0.0, 0.25), hop(2, ["198.19.2.10"], 0.0, 1.5)], 80)
    assert any(LONGEST6 in line for line in lines)


# -- in the lab: a real terminal, and a pipe --------------------------------------------------
def on_a_terminal(lab: LabHandle, *args: str, columns: int = 80) -> tuple[int, str]:
    """Run netprobe in the scanner's namespace with its stdout on a pseudo-terminal of
    ``columns``; (exit code, everything the terminal received)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {**processes.child_environment(), "TERM": "xterm"}
    env.pop("COLUMNS", None)
    proc = subprocess.Popen(["ip", "netns", "exec", lab.scanner_ns, sys.executable, "-m",
                             "netprobe", *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        code = proc.wait(timeout=60)
    assert proc.stderr is not None and proc.stderr.read() == b""
    return code, b"".join(chunks).decode()


@pytest.mark.lab
def test_rounds_are_drawn_live_on_a_terminal(lab: LabHandle) -> None:
    far4 = lab.truth["path"]["ipv4"]
    code, screen = on_a_terminal(lab, "--no-json", "traceroute", "-P", "icmp", "--rounds",
                                 "3", "--interval", "50ms", far4)
    assert code == 0
    text = screen.replace("\r", "")
    marks = [text.index(f"round {k} of 3") for k in (1, 2, 3)]
    assert marks == sorted(marks)
    last = text[marks[-1]:]
    assert "\x1b[1A" in text[marks[0]:marks[1]]  # the second frame over the first
    want = [h["ttl"] for h in lab.truth["path"]["hops"]]
    for k, start in enumerate(marks, 1):
        frame = text[start:marks[k] if k < 3 else None]
        snt = {int(m[0]): int(m[3]) for m in _ROW.findall(frame)}
        assert sorted(snt) == want and set(snt.values()) == {k}, frame
    # the finished table stays: the last frame, every hop sent 3 rounds
    final = last[last.rindex("traceroute to"):]
    assert "round" not in final
    assert {int(m[3]) for m in _ROW.findall(final)} == {3}
    assert far4 in final


@pytest.mark.lab
def test_rounds_piped_or_json_give_one_record_per_hop(lab: LabHandle) -> None:
    far4 = lab.truth["path"]["ipv4"]
    proc = lab.netprobe("traceroute", "--rounds", "3", "--interval", "50ms", far4)
    assert proc.returncode == 0, proc.stderr
    records = check(proc.stdout, "hop", "path")  # the published schema
    hops = [r for r in records if r["type"] == "hop"]
    assert [h["ttl"] for h in hops] == [h["ttl"] for h in lab.truth["path"]["hops"]]
    assert all(h["rounds"] == 3 and h["sent"] == 9 for h in hops)
    assert records[-1]["type"] == "path" and records[-1]["rounds"] == 3
    table = lab.netprobe("--no-json", "traceroute", "--rounds", "3", "--interval", "50ms",
                         far4)
    assert table.returncode == 0, table.stderr
    assert "round" not in table.stdout and "\x1b" not in table.stdout  # one table, at the end
    assert {int(m[3]) for m in _ROW.findall(table.stdout)} == {3}
