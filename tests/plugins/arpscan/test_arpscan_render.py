"""arpscan's terminal form: arp-scan-like lines, JSON Lines on request."""

from __future__ import annotations

import io
import json

from netprobe.plugins.arpscan import render
from netprobe.services.output import Output

HOSTS = [
    {"type": "host", "host": "198.18.1.15", "mac": "02:00:c6:12:01:0f",
     "vendor": "(unknown: locally administered)", "rtt_ms": 0.455, "flags": ["conflict"]},
    {"type": "host", "host": "198.18.1.100", "mac": "00:22:72:00:00:01",
     "vendor": "American Micro-Fuel Device Corp.", "rtt_ms": None, "flags": ["proxy"]},
]
SUMMARY = {"type": "summary", "interface": "eth0", "scanned": 253, "multicast": False,
           "responded": 2, "hosts": 2, "conflicts": ["198.18.1.15"], "proxies": [],
           "sent": 745, "retries": 492, "elapsed_s": 0.365}
OPTIONS = {"iface": "eth0", "mac": "02:00:c6:12:01:02", "ipv4": ["198.18.1.2/24"],
           "ipv6": ["2001:db8:1::2/64"], "targets": ["198.18.1.0/24"], "multicast": True,
           "scanned": 253}


def test_terminal_lines_are_aligned_with_flags_last():
    out = io.StringIO()
    render.show(Output(json=False, stdout=out), [*HOSTS, SUMMARY], OPTIONS)
    lines = out.getvalue().splitlines()
    assert lines[0] == ("Interface: eth0, MAC: 02:00:c6:12:01:02, IPv4: 198.18.1.2, "
                        "IPv6: 2001:db8:1::2")
    assert lines[1] == ("Sweeping 253 addresses (198.18.1.0/24) and all IPv6 nodes on the "
                        "link (ff02::1)")
    head, first, second = lines[2:5]
    assert head.split() == ["IP", "MAC", "RTT", "MS", "VENDOR", "FLAGS"]
    assert "(unknown: locally administered)" in first and first.endswith(" CONFLICT")
    assert first.index("CONFLICT") == head.index("FLAGS")
    assert second.split()[:3] == ["198.18.1.100", "00:22:72:00:00:01", "-"]
    assert second.endswith("proxy")
    assert first.index("02:00") == second.index("00:22") == head.index("MAC")
    assert lines[5] == ("253 addresses swept in 0.365 s (745 probes, 492 retries): "
                        "2 responded, 2 hosts; CONFLICT (several MACs) for 198.18.1.15")


def test_saved_runs_show_a_short_header_and_no_hosts_no_table():
    out = io.StringIO()
    render.show(Output(json=False, stdout=out), [SUMMARY], None)
    assert out.getvalue().splitlines() == [
        "Interface: eth0 (saved run)",
        "253 addresses swept in 0.365 s (745 probes, 492 retries): 2 responded, 2 hosts; "
        "CONFLICT (several MACs) for 198.18.1.15"]


def test_json_lines_are_the_records_in_order():
    out = io.StringIO()
    render.show(Output(json=True, stdout=out), [*HOSTS, SUMMARY], OPTIONS)
    assert [json.loads(line) for line in out.getvalue().splitlines()] == [*HOSTS, SUMMARY]
