"""Without the compiled batch operations the engine gives the same answers, packet by packet.

``NETPROBE_PURE=1`` makes ``compiled.batch`` None, as an install without a
compiler does. Then there are no templates and no batch keys: ``prepare()``
builds every probe with the layers and keys it on its own, and the loop keys
each captured packet on its own. Checked here with the real variable, in child
processes: ``prepare()`` gives exactly the probes, hash keys and strict keys it
gives with the C build, on sets that use templates there; and in the lab,
``sr()`` of SYN probes (IPv4 and IPv6, enough for templates and batches of
answers) finds the lab's truth both ways, answer for answer.
(``test_loop_fake.py`` runs the loop's scenarios both ways in one process.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from netprobe.engine.compiled import batch as cbatch
from netprobe.plugins.lab import processes
from tests.engine.test_sr_lab import PRELUDE
from tests.labfixture import LabHandle

#: prepare() of the sets of test_template (raw IP, and the Ethernet ones as frames), IPv6
#: and a layer-2 set, as [data, key, strict] in hex; run here and in a child process
PREPARE = '''
import json, sys
from netprobe.engine import compiled
from netprobe.engine.probes import prepare
from netprobe.packet import IP, IPv6, TCP, Ether
from netprobe.packet import route
from tests.engine.test_template import SCANNER, TEMPLATED

route.set_source_resolver(lambda dst: "2001:db8:1::2" if ":" in dst else SCANNER)
sets = {name: (make(), make().__class__.__name__ == "Ether")
        for name, make in TEMPLATED.items()}
sets["ipv6 tcp"] = (IPv6(dst=["2001:db8:1::11", "2001:db8:1::12"]) / TCP(
    dport=range(1, 40), flags=["S", "A"]), False)
sets["frames of syns"] = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                          / IP(dst="198.18.1.0/28") / TCP(dport=[22, 80], flags="S"), True)
out = {}
for name, (packet_set, layer2) in sets.items():
    out[name] = [[p.data.hex(), p.key.hex(), None if p.strict is None else p.strict.hex()]
                 for p in prepare(packet_set, layer2=layer2)]
print(json.dumps({"pure": compiled.batch is None, "prepared": out}))
'''


def _child(code: str, pure: bool, timeout: float = 300.0) -> dict[str, Any]:
    """Run ``code`` in a child Python with or without ``NETPROBE_PURE=1``; its JSON."""
    env = processes.child_environment()
    env.pop("NETPROBE_PURE", None)
    if pure:
        env["NETPROBE_PURE"] = "1"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(cbatch is None, reason="the C extension was not built here: nothing "
                                           "to compare the per-packet path with")
def test_prepare_gives_the_same_probes_and_keys_without_the_c_build() -> None:
    compiled = _child(PREPARE, pure=False)
    pure = _child(PREPARE, pure=True)
    assert not compiled["pure"] and pure["pure"]
    assert pure["prepared"].keys() == compiled["prepared"].keys()
    for name, probes in compiled["prepared"].items():
        assert pure["prepared"][name] == probes, name
    syns = compiled["prepared"]["tcp ports over a cidr"]
    assert len(syns) == 48 and all(strict is not None for _d, _k, strict in syns)


#: sr() of SYN probes to every port of 1..PORTS of one address; what each port got
SR = '''
from netprobe.engine import compiled
net = IP if ":" not in {dst!r} else IPv6
probes = net(dst={dst!r}) / TCP(sport=41010, dport=(1, {ports}), flags="S", seq=4242)
ans, unans = sr(probes, timeout=1.0, retry=1)
done({{"pure": compiled.batch is None, "unanswered": len(unans),
       "results": {{str(port_of(r)): [reason(r), None if r.answer is None
                                     else r.answer[TCP].ack] for r in [*ans, *unans]}}}})
'''
PORTS = 1500


def _sr(lab: LabHandle, dst: str, pure: bool) -> dict[str, Any]:
    env = processes.child_environment()
    env.pop("NETPROBE_PURE", None)
    if pure:
        env["NETPROBE_PURE"] = "1"
    code = PRELUDE + textwrap.dedent(SR.format(dst=dst, ports=PORTS))
    done = lab.run([sys.executable, "-c", code], timeout=300.0, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.lab
@pytest.mark.parametrize("family", [4, 6])
def test_sr_finds_the_truth_with_and_without_the_c_build(lab: LabHandle, family: int) -> None:
    host = lab.host("h5")
    dst = host["ipv4" if family == 4 else "ipv6"]
    truth = {str(p): lab.expected("h5", "tcp", p)[1] for p in range(1, PORTS + 1)}
    assert set(truth.values()) == {"syn-ack", "reset"}  # h5 answers every port
    pure = _sr(lab, dst, pure=True)
    assert pure["pure"]
    assert {port: got[0] for port, got in pure["results"].items()} == truth
    assert pure["unanswered"] == 0
    assert all(ack == 4243 for _reason, ack in pure["results"].values())
    if cbatch is not None:
        compiled = _sr(lab, dst, pure=False)
        assert not compiled["pure"]
        assert compiled["results"] == pure["results"]
