"""``portscan -oX``: nmap's XML that nmap's DTD validates and ``ndiff`` reads, with the
same port states as nmap's own -oX of the same host in the same test.

On 127.0.0.1 (a connect scan: listening and closed ports of this machine) and on
a lab host (a SYN scan: open, closed and filtered ports); the recorded JSON
Lines of a run (-oJ) turned into XML say the same as the run's own -oX.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

try:
    from tests.labfixture import LabHandle, lab
except ModuleNotFoundError:  # plain `pytest` without the repository root on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.labfixture import LabHandle, lab  # noqa: F401

from netprobe.plugins.portscan.nmap_xml import to_xml

DTD = Path("/usr/share/nmap/nmap.dtd")
SCOPE = "198.18.0.0/15,2001:db8::/32,127.0.0.0/8,::1/128"


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{tool} is missing (.ci/setup installs it)")
        pytest.skip(f"{tool} is not installed (apt-get install the package .ci/setup lists)")
    return path


def _validate(path: Path) -> None:
    """xmllint --dtdvalid against nmap's own DTD: silent and exit 0, or the test fails."""
    _need("xmllint")
    if not DTD.exists():
        pytest.fail(f"{DTD} is missing (the nmap package ships it)")
    done = subprocess.run(["xmllint", "--noout", "--dtdvalid", str(DTD), str(path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def _ranges(text: str) -> list[int]:
    out: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        out += range(int(first), int(last or first) + 1)
    return out


def states(xml_text: str) -> dict[tuple[str, str, int], str]:
    """{(host, proto, port): state} for every scanned port of every host up, from nmap's
    XML as any reader would take it: listed ports, then the extraports."""
    root = ET.fromstring(xml_text)
    scanned = {info.get("protocol"): _ranges(info.get("services", ""))
               for info in root.iter("scaninfo")}
    out = {}
    for host in root.iter("host"):
        if host.find("status").get("state") != "up":
            continue
        addr = host.find("address").get("addr")
        listed = {}
        for port in host.iter("port"):
            listed[(port.get("protocol"), int(port.get("portid")))] = \
                port.find("state").get("state")
        extras = host.findall("ports/extraports")
        for extra in extras:
            for reasons in extra.iter("extrareasons"):
                if reasons.get("ports"):
                    for number in _ranges(reasons.get("ports")):
                        listed[(reasons.get("proto") or "tcp", number)] = extra.get("state")
        rest = extras[0].get("state") if len(extras) == 1 else None
        for proto, ports in scanned.items():
            for number in ports:
                out[(addr, proto, number)] = listed.get((proto, number), rest)
    return out


def _ndiff(a: Path, b: Path) -> subprocess.CompletedProcess:
    _need("ndiff")
    return subprocess.run(["ndiff", "--xml", str(a), str(b)], capture_output=True, text=True,
                          check=False)


def _ndiff_state_changes(done: subprocess.CompletedProcess) -> list[str]:
    """The port-state differences ndiff found (its XML: port-diff elements)."""
    assert done.returncode in (0, 1), done.stderr[-2000:]  # 2: it could not read a file
    root = ET.fromstring(done.stdout)
    return [ET.tostring(d, encoding="unicode") for d in root.iter("port-diff")
            if {s.get("state") for s in d.iter("state")} and len({s.get("state")
                                                                  for s in d.iter("state")}) > 1]


def _netprobe(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NETPROBE_SCOPE": SCOPE}
    return subprocess.run([sys.executable, "-m", "netprobe", *args], capture_output=True,
                          text=True, timeout=120, check=False, env=env)


@pytest.fixture
def listening() -> list[int]:
    """Two TCP ports listening on 127.0.0.1 for the test."""
    socks = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        socks.append(s)
    yield [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()


def test_loopback_xml_validates_and_matches_nmap(tmp_path: Path, listening: list[int]) -> None:
    _need("nmap")
    ports = ",".join(map(str, [*listening, *range(1, 41)]))
    ours, jsonl, theirs = tmp_path / "ours.xml", tmp_path / "ours.jsonl", tmp_path / "nmap.xml"
    done = _netprobe("portscan", "-sT", "-n", "-p", ports, "-oX", str(ours), "-oJ", str(jsonl),
                     "127.0.0.1")
    assert done.returncode == 0, done.stderr
    nmap = subprocess.run(["nmap", "-n", "-sT", "-p", ports, "-oX", str(theirs), "127.0.0.1"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert nmap.returncode == 0, nmap.stderr
    _validate(ours)
    _validate(theirs)  # the same validation passes nmap's own file (the check is sound)
    mine, nmaps = states(ours.read_text()), states(theirs.read_text())
    assert len(nmaps) == len(listening) + 40
    assert mine == nmaps
    assert {k[2] for k, v in mine.items() if v == "open"} == set(listening)
    assert _ndiff_state_changes(_ndiff(theirs, ours)) == []
    same = _ndiff(ours, ours)
    assert same.returncode == 0, same.stderr
    # recorded results (the run's JSON Lines) give the same XML states as the live -oX
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    again = tmp_path / "recorded.xml"
    again.write_text(to_xml(records, "netprobe portscan (recorded)"))
    _validate(again)
    assert states(again.read_text()) == nmaps


def test_recorded_records_of_every_kind_validate(tmp_path: Path) -> None:
    """Records with IPv6, UDP, a host down, several hidden reasons, XML-hostile text."""
    records = [
        {"type": "host", "host": "2001:db8::5", "state": "up", "reason": "echo-reply",
         "ports": {"open": 1, "closed": 3, "open|filtered": 1},
         "not_shown": [{"state": "closed", "proto": "tcp", "reason": "reset", "count": 2},
                       {"state": "closed", "proto": "udp", "reason": "port-unreach",
                        "count": 1}]},
        {"type": "port", "host": "2001:db8::5", "proto": "tcp", "port": 22, "state": "open",
         "reason": "syn-ack", "ttl": 64, "service": "ssh"},
        {"type": "port", "host": "2001:db8::5", "proto": "udp", "port": 161,
         "state": "open|filtered", "reason": "no-response", "ttl": None, "service": None},
        {"type": "host", "host": "198.18.1.9", "state": "down", "reason": "no-response",
         "ports": {}, "not_shown": []},
        {"type": "summary", "scan": "syn+udp", "hosts": {"up": 1, "down": 1},
         "ports": {"open": 1}, "ts": 1.7e9, "elapsed_s": 1.5,
         "scanned": {"tcp": "21-22,80", "udp": "53,161"}, "sent": 9, "received": 7,
         "retries": 0, "rate": 6.0, "seed": 1, "shard": "1/1"},
    ]
    path = tmp_path / "r.xml"
    path.write_text(to_xml(records, 'netprobe portscan -p "<&>" --', verbose=1))
    _validate(path)
    got = states(path.read_text())
    assert got[("2001:db8::5", "tcp", 22)] == "open"
    assert got[("2001:db8::5", "udp", 161)] == "open|filtered"
    assert ("198.18.1.9", "tcp", 22) not in got
    assert _ndiff(path, path).returncode == 0


@pytest.mark.lab
def test_lab_xml_validates_and_matches_nmap(lab: LabHandle, tmp_path: Path) -> None:
    """A SYN scan of a lab host: the same states as nmap -sS -oX of it, run alongside."""
    host = lab.host("h1")
    addr = host["ipv4"]
    listed = sorted({p["port"] for p in host["ports"] if p["proto"] == "tcp"})
    ports = ",".join(map(str, sorted({*listed, *range(1, 31), 8888})))
    ours, theirs = tmp_path / "ours", tmp_path / "nmap.xml"
    done = lab.netprobe("portscan", "-sS", "-Pn", "-n", "-p", ports, "-oA", str(ours), addr)
    assert done.returncode == 0, done.stderr[-2000:]
    nmap = lab.run(["nmap", "-n", "-Pn", "-sS", "-p", ports, "-oX", str(theirs), addr],
                   timeout=300)
    assert nmap.returncode == 0, nmap.stderr
    xml = ours.with_suffix(".xml")
    _validate(xml)
    mine, nmaps = states(xml.read_text()), states(theirs.read_text())
    assert mine == nmaps
    assert {s for s in mine.values()} >= {"open", "closed"}
    for (_, _proto, port), state in mine.items():
        assert state == lab.expected("h1", "tcp", port)[0]
    assert _ndiff_state_changes(_ndiff(theirs, xml)) == []
    # -oA wrote nmap's other two files too
    assert "netprobe scan report for " + addr in ours.with_suffix(".nmap").read_text()
    assert f"Host: {addr} ()\tPorts: " in ours.with_suffix(".gnmap").read_text()
