"""The second seed document's code (shared/seeds/004_*) under Scapy and under netprobe.

The seed's three fragments are joined as written (its plotting fragment's
``self.ft`` and ``sys.argv[1]`` become a plain name and an output name); both of
its import lines (``from scapy.all import *``, ``from scapy.layers.inet import IP,
TCP``) are changed from ``scapy`` to ``netprobe``, and nothing else. Both runs must
print the same sessions, flow table and histogram, and write the plot.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SEED = '''
from scapy.all import *
import os
d = " "
data = "{capture}"
d = rdpcap(data)
sessions = d.sessions()
print(len(sessions), sorted(sessions)[:3])

from scapy.layers.inet import IP, TCP
pkts = 0
flows = 0
ft = {{}}
for pkt in PcapReader(data):
            pkts += 1
            if IP in pkt:
                if TCP in pkt:
                    ft[(pkt[IP].src,pkt[IP].dst,pkt[TCP].sport,pkt[TCP].dport)]= pkt.wirelen
                    flows +=1
print(pkts, flows, len(ft), sorted(ft.items())[-3:])

import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
topn = 100
data = [i/1000 for i in list(ft.values())]
data = data[-topn:]
fig = plt.figure()
ax = fig.add_subplot(1,1,1)
counts = ax.hist(data, bins=20, log=True)[0]
ax.set_ylabel('# of flows')
ax.set_xlabel('Data sent [KB]')
ax.set_title('Top {{}} TCP flow size distribution.'.format(topn))
plt.savefig("{out}" + '.flows.pdf', bbox_inches='tight')
print([float(c) for c in counts], os.path.getsize("{out}.flows.pdf") > 1000)
'''


def _run(code: str, cwd: Path) -> str:
    env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600, cwd=cwd, env=env, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_seed_code_prints_what_scapy_prints(corpus_dir: Path, tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    capture = corpus_dir / "pcapplusplus__example.pcap"
    code = SEED.format(capture=capture, out=tmp_path / "seed")
    theirs = _run("import logging; logging.getLogger('scapy').setLevel(logging.ERROR)\n"
                  + code, tmp_path)
    ours = _run(code.replace("from scapy.", "from netprobe."), repo)
    assert ours == theirs
    assert "True" in ours.splitlines()[-1]
