"""A whole fuzz run against a simulated fragile service: detection, minimisation, crash
file, replay, and the records printed again from the saved run.

The simulated link stands where the engine session stands (``exchange`` of
probes for tagged results); the service behind it dies on the lab's fatal
input (``services.is_fatal``) and comes back when the restart command, a real
process, leaves a file behind. The lab test does the same on real sockets.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from netprobe.engine.results import Counters, Result
from netprobe.engine.runfile import load_run, save_run
from netprobe.errors import RuntimeProblem
from netprobe.packet import IP, UDP, Raw, dissect
from netprobe.packet.layers.icmp import ICMP
from netprobe.plugins.fuzz.campaign import Runner, Settings
from netprobe.plugins.fuzz.cases import CaseMaker, load_template
from netprobe.plugins.fuzz.crashfile import read_crash
from netprobe.plugins.fuzz.interpret import Reporter, report
from netprobe.plugins.fuzz.monitor import parse_monitor
from netprobe.plugins.fuzz.targets import STRATEGIES, select
from netprobe.plugins.lab.services import is_fatal
from netprobe.services.output import json_line

SRC, DST = "198.18.1.2", "198.18.1.12"
PAYLOAD = "\\xde\\xad" + "A" * 98  # 100 bytes: one byte short of fatal
EXPR = f'IP(src="{SRC}",dst="{DST}")/UDP(sport=40000,dport=9999)/Raw(load=b"{PAYLOAD}")'


class FragileLink:
    """Answers like the lab's fragile echo service on UDP 9999 (and ICMP when dead)."""

    layer2 = False

    def __init__(self, flag: Path) -> None:
        self.flag = flag
        self.alive = True
        self.counters = Counters()
        self.clock = 1_800_000_000.0
        self.deaths = 0

    def frame(self, probe):
        return probe

    def exchange(self, probes, tags, *, timeout, retry=0, max_time=None):
        if self.flag.exists():  # the restart command ran
            self.flag.unlink()
            self.alive = True
        out = []
        for probe, tag in zip(probes, tags):
            if not isinstance(probe, bytes):
                probe.src = SRC
            data = bytes(probe)
            pkt = dissect(data, 101)
            udp = pkt.getlayer("UDP")
            raw = pkt.getlayer("Raw")
            load = bytes(raw.load) if raw is not None else b""
            if self.alive and udp is not None and udp.dport == 9999 and is_fatal(load):
                self.alive = False
                self.deaths += 1
                answer = None
            elif udp is None:
                answer = None
            elif self.alive:
                answer = bytes(IP(src=DST, dst=SRC) / UDP(sport=udp.dport, dport=udp.sport)
                               / Raw(load=load or b"netprobe-lab\n"))
            else:
                answer = bytes(IP(src=DST, dst=SRC) / ICMP(type=3, code=3) / IP(data[:28]))
            self.clock += 0.001
            r = Result(data, 101, self.clock, 1, answer_bytes=answer, answer_linktype=101,
                       received=None if answer is None else self.clock + 0.0004)
            r.tag = tag
            out.append(r)
            self.counters.sent += 1
        return out


def restart_command(flag: Path) -> list[str]:
    return [sys.executable, "-c", f"open({str(flag)!r}, 'w').write('up')"]


def make(seed: int):
    template = load_template(EXPR)
    targets = select(template.chain, template.targets, [], keep_invalid=False,
                     strategies=STRATEGIES)
    return template, CaseMaker(template, targets, seed)


def first_fatal(maker: CaseMaker, start: int, count: int) -> int | None:
    for case in maker.cases(start, count):
        if is_fatal(case.data[28:]):
            return case.number
    return None


def run_campaign(tmp_path: Path, seed: int, count: int = 200):
    _, maker = make(seed)
    flag = tmp_path / "restarted"
    link = FragileLink(flag)
    settings = Settings(monitors=[parse_monitor("udp:9999:6869")], monitor_every=10,
                        restart_command=restart_command(flag), restart_wait=5.0,
                        out_dir=str(tmp_path / "crashes"))
    options = {"mode": "fuzz", "target": DST, "seed": seed, "start": 0, "count": count,
               "fields": [t.name for t in maker.targets], "strategies": list(STRATEGIES),
               "monitors": ["udp:9999:6869"], "monitor_every": 10, "keep_invalid": False}
    reporter = Reporter(options)
    live = list(reporter.start())

    def emit(results, round_done):
        live.extend(reporter.feed(results))
        if round_done:
            live.extend(reporter.flush())

    runner = Runner(link, DST, settings, emit=emit)
    describe = lambda: {"format": "netprobe-fuzz-crash/1", "target": DST,  # noqa: E731
                        "layer2": False, "expression": EXPR, "seed": seed,
                        "monitors": options["monitors"]}
    outcome = runner.fuzz(maker, 0, count, describe)
    counters = {**link.counters.to_dict(), "elapsed": 1.5, "fuzzing": 1.0}
    extra = {"stopped": outcome.stopped, "next_case": outcome.next_case, "crash": outcome.crash}
    live.extend(reporter.finish(counters, extra))
    return maker, link, runner, outcome, live, options, counters, extra


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_finds_minimises_writes_and_reports(tmp_path, seed):
    maker, link, runner, outcome, live, options, counters, extra = run_campaign(tmp_path, seed)
    killer = first_fatal(maker, 0, 200)
    assert killer is not None
    assert outcome.stopped == "dead"
    crash = outcome.crash
    assert crash["cases"] == [killer] and crash["reproduced"] and crash["minimal"]
    window = crash["window"]
    assert window[0] <= killer <= window[1] and window[1] - window[0] == 9
    assert outcome.next_case == window[1] + 1  # the run stopped at the dead check
    assert not link.alive or crash.get("restarted")
    types = [r["type"] for r in live]
    assert types[0] == "start" and types[-2:] == ["crash", "summary"]
    assert "failure" in types and types.count("bisect") == crash["steps"]
    failure = next(r for r in live if r["type"] == "failure")
    assert [failure["first_case"], failure["last_case"]] == window
    # the crash file replays exactly the killing case's bytes
    saved = read_crash(crash["file"])
    assert [n for n, _ in saved.cases] == [killer]
    assert saved.cases[0][1] == maker.case(killer).data
    assert is_fatal(saved.cases[0][1][28:])
    assert [m.spec for m in saved.monitors] == ["udp:9999:6869"]
    pcap = load_run(crash["pcapng"])
    assert [p[0] for p in pcap.packets] == [maker.case(killer).data]
    # the records print again from a saved run, byte for byte
    path = tmp_path / "run.pcapng"
    save_run(str(path), runner.log, plugin="fuzz", argv=["fuzz"], options=options,
             counters=counters, extra=extra)
    again = "".join(json_line(r) for r in report(load_run(str(path)), {}))
    assert again == "".join(json_line(r) for r in live)


def test_no_failure_without_the_fatal_input(tmp_path):
    template, _ = make(4)
    link = FragileLink(tmp_path / "flag")
    settings = Settings(monitors=[parse_monitor("udp:9999")], monitor_every=7)
    runner = Runner(link, DST, settings)
    # the fields that cannot make the payload fatal: sport only
    targets = select(template.chain, template.targets, ["UDP.sport"], keep_invalid=False,
                     strategies=STRATEGIES)
    outcome = runner.fuzz(CaseMaker(template, targets, 4), 0, 50, dict)
    assert outcome.stopped == "count" and outcome.crash is None and link.deaths == 0
    assert outcome.next_case == 50 and runner.cases_sent == 50
    checks = [r for r in runner.log if r.tag.phase == "check"]
    assert len(checks) == 1 + 8  # the start check and one after every 7 cases


def test_replay_kills_again_and_says_so(tmp_path):
    maker, _, _, outcome, *_ = run_campaign(tmp_path, 2)
    crash = read_crash(outcome.crash["file"])
    flag = tmp_path / "again"
    replay_link = FragileLink(flag)
    settings = Settings(monitors=crash.monitors, restart_command=restart_command(flag))
    result = Runner(replay_link, DST, settings).replay(crash)
    assert result["died"] and replay_link.deaths == 1
    assert result["restarted"]["back"]
    # a harmless case does not kill
    harmless = read_crash(outcome.crash["file"])
    harmless.cases = [(0, bytes(maker.template.data))]
    assert not Runner(FragileLink(flag), DST, settings).replay(harmless)["died"]


def test_a_dead_target_before_the_run_is_exit_4(tmp_path):
    _, maker = make(1)
    link = FragileLink(tmp_path / "flag")
    link.alive = False
    runner = Runner(link, DST, Settings(monitors=[parse_monitor("udp:9999")]))
    with pytest.raises(RuntimeProblem) as err:
        runner.fuzz(maker, 0, 10, dict)
    assert err.value.exit_code == 4 and "does not answer" in str(err.value)


def test_restart_that_fails_stops_minimising(tmp_path):
    _, maker = make(1)
    link = FragileLink(tmp_path / "flag")
    settings = Settings(monitors=[parse_monitor("udp:9999")], out_dir=str(tmp_path / "c"),
                        restart_command=[sys.executable, "-c", "raise SystemExit(3)"],
                        restart_wait=0.5)
    outcome = Runner(link, DST, settings).fuzz(maker, 0, 100, lambda: {"seed": 1})
    assert outcome.stopped == "dead"
    crash = outcome.crash
    assert not crash["minimal"] and crash["restart_failed"]["status"] == 3
    doc = json.loads(Path(crash["file"]).read_text())
    assert len(doc["cases"]) == 10  # the whole window, unminimised


def test_a_crash_pcapng_that_cannot_be_written_is_one_runtime_problem(tmp_path):
    from netprobe.plugins.fuzz.crashfile import write_crash

    (tmp_path / "crash-s7-c3.pcapng").mkdir()  # the file's place is taken by a directory
    doc = {"seed": 7, "cases": [{"case": 3, "hex": "00"}]}
    with pytest.raises(RuntimeProblem, match=r"crash-s7-c3\.pcapng.*cannot write"):
        write_crash(str(tmp_path), doc, [b"\x45" + bytes(19)], 101)
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["crash-s7-c3.json"]
