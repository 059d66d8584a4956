"""``netprobe fuzz`` against the lab's fragile UDP service, for real.

The service (``netprobe/plugins/lab/services.py``) echoes datagrams and dies
on one input: a datagram starting de ad and longer than 100 bytes. The
template is one byte short of that; the fuzzer must find a case that kills
the service, minimise the window of cases to exactly that case (restarting
the service between steps with ``netprobe lab restart-service``), stop, write
the crash file, and ``--replay`` must kill the service again.

Which case kills is not written here: it is computed from the cases
themselves (the same bytes, made in this process) with the service's own
``is_fatal``. The service is restarted in ``finally`` so later tests find it
alive.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.engine.runfile import load_run
from netprobe.plugins.fuzz.cases import CaseMaker, load_template
from netprobe.plugins.fuzz.interpret import report
from netprobe.plugins.fuzz.targets import STRATEGIES, select
from netprobe.plugins.lab import lifecycle
from netprobe.plugins.lab.services import FRAGILE_MIN_LENGTH, is_fatal
from netprobe.services.output import json_line

pytestmark = pytest.mark.lab

COUNT = 200
EVERY = 10
MONITOR_PAYLOAD = b"hi"


def fragile(lab: LabHandle) -> tuple[str, int, str]:
    """(host name, port, IPv4 address) of the lab's fragile service."""
    host, port = next((h["name"], p["port"]) for h in lab.truth["hosts"] for p in h["ports"]
                      if p["service"] == "fragile")
    return host, port, lab.host(host)["ipv4"]


def expression(lab: LabHandle, dst: str, port: int) -> str:
    """The template: the scanner's source given, so this process makes the same bytes."""
    load = "\\xde\\xad" + "A" * (FRAGILE_MIN_LENGTH - 3)
    src = lab.truth["scanner"]["ipv4"]
    return f'IP(src="{src}",dst="{dst}")/UDP(sport=40000,dport={port})/Raw(load=b"{load}")'


def first_fatal(expr: str, seed: int) -> int | None:
    template = load_template(expr)
    targets = select(template.chain, template.targets, [], keep_invalid=False,
                     strategies=STRATEGIES)
    maker = CaseMaker(template, targets, seed)
    return next((c.number for c in maker.cases(0, COUNT) if is_fatal(c.data[28:])), None)


def case_bytes(expr: str, seed: int, number: int) -> bytes:
    template = load_template(expr)
    targets = select(template.chain, template.targets, [], keep_invalid=False,
                     strategies=STRATEGIES)
    return CaseMaker(template, targets, seed).case(number).data


def test_fuzz_finds_minimises_and_replays_the_crash(lab: LabHandle, tmp_path: Path) -> None:
    host, port, address = fragile(lab)
    expr = expression(lab, address, port)
    assert not is_fatal(load_template(expr).data[28:])  # the template itself is harmless
    # a seed whose first fatal case comes after some harmless ones (found, not assumed)
    seed, killer = next((s, k) for s in range(1, 200)
                        if (k := first_fatal(expr, s)) is not None and 3 <= k < COUNT - EVERY)
    restart = shlex.join([sys.executable, "-m", "netprobe", "lab", "restart-service",
                          "--name", lab.name, host, str(port)])
    out_dir = tmp_path / "crashes"
    saved = tmp_path / "run.pcapng"
    monitor = f"udp:{port}:{MONITOR_PAYLOAD.hex()}"
    try:
        proc = lab.netprobe("fuzz", expr, "--seed", str(seed), "--count", str(COUNT),
                            "--monitor", monitor, "--monitor-every", str(EVERY),
                            "--monitor-timeout", "0.5", "--restart-cmd", restart,
                            "--out", str(out_dir), "--save", str(saved), "--json",
                            timeout=300)
        assert proc.returncode == 1, proc.stderr  # 1: the target died, a crash was written
        records = [json.loads(line) for line in proc.stdout.splitlines()]
        by_type: dict[str, list[dict]] = {}
        for rec in records:
            by_type.setdefault(rec["type"], []).append(rec)
        failure = by_type["failure"][0]
        assert failure["first_case"] <= killer <= failure["last_case"]
        assert failure["last_case"] == (killer // EVERY) * EVERY + EVERY - 1
        crash = by_type["crash"][0]
        assert crash["cases"] == [killer] and crash["reproduced"] and crash["minimal"]
        assert len(by_type["bisect"]) == crash["steps"]
        # the run stopped at the dead check: no case after the window was sent
        summary = by_type["summary"][0]
        assert summary["stopped"] == "dead" and summary["next_case"] == failure["last_case"] + 1
        assert summary["cases"] == failure["last_case"] + 1
        run = load_run(str(saved))
        sent = [r.tag["case"] for r in run.results
                if r.tag.phase == "case" and r.tag["ph"] == "run"]
        assert sent == list(range(failure["last_case"] + 1))
        # the records print again from the saved run, byte for byte
        assert "".join(json_line(r) for r in report(run, {})) == proc.stdout
        # the crash file holds exactly the killing case's bytes, also made here
        doc = json.loads(Path(crash["file"]).read_text())
        assert [c["case"] for c in doc["cases"]] == [killer]
        data = bytes.fromhex(doc["cases"][0]["hex"])
        assert data == case_bytes(expr, seed, killer) and is_fatal(data[28:])
        again = lab.netprobe("fuzz", expr, "--seed", str(seed), "--start", str(killer),
                             "--count", "1", "--dry-run", "--json")
        assert json.loads(again.stdout)["hex"] == doc["cases"][0]["hex"]
        assert load_run(crash["pcapng"]).packets[0][0] == data
        # --restart-cmd left the service running; the replay kills it again: exit 1
        assert lab.refresh()["healthy"]
        replay = lab.netprobe("fuzz", "--replay", crash["file"], "--json", timeout=60)
        assert replay.returncode == 1, replay.stderr
        result = [json.loads(line) for line in replay.stdout.splitlines()][-1]
        assert result == {"type": "replay_result", "cases": [killer], "died": True}
        down = [s for s in lab.refresh()["services"] if s["node"] == host]
        assert not down[0]["running"]
        # a harmless case replayed: the target survives, exit 0
        lifecycle.restart_service(lab.name, host, port)
        harmless = dict(doc, cases=[{"case": 0, "hex": load_template(expr).data.hex()}])
        harmless_path = tmp_path / "harmless.json"
        harmless_path.write_text(json.dumps(harmless))
        survived = lab.netprobe("fuzz", "--replay", str(harmless_path), "--json", timeout=60)
        assert survived.returncode == 0, survived.stderr
        assert json.loads(survived.stdout.splitlines()[-1])["died"] is False
    finally:
        lifecycle.restart_service(lab.name, host, port)
    assert lab.refresh()["healthy"]


def test_dead_target_before_fuzzing_is_exit_4(lab: LabHandle) -> None:
    host, port, address = fragile(lab)
    expr = expression(lab, address, port)
    try:
        # a monitor on a closed port of the same host: a reset, never a SYN-ACK
        proc = lab.netprobe("fuzz", expr, "--count", "5", "--monitor", "tcp:80",
                            "--monitor-timeout", "0.3", "--monitor-retry", "0", "--json",
                            timeout=60)
        assert proc.returncode == 4, proc.stderr
        assert "does not answer tcp:80 before fuzzing" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    finally:
        lifecycle.restart_service(lab.name, host, port)
