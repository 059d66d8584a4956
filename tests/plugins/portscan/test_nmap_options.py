"""nmap's habits in ``portscan``: -oX FILE and its glued form, -F, --open, --reason, the
"Not shown" line, and a one-line refusal of the nmap options netprobe lacks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from netprobe.errors import UsageError
from netprobe.plugins.portscan.nmap_argv import rewrite
from netprobe.plugins.portscan.render import not_shown_line

SCOPE = "198.18.0.0/15,2001:db8::/32,127.0.0.0/8,::1/128"


def test_output_options_take_the_next_argument_or_the_glued_one():
    assert rewrite(["-oX", "a.xml", "198.18.1.1"]) == ["--output-xml", "a.xml", "198.18.1.1"]
    assert rewrite(["-oNout.txt", "-oG", "-", "-oA", "base", "-oJ", "r.jsonl"]) == [
        "--output-normal", "out.txt", "--output-grepable", "-", "--output-all", "base",
        "--output", "r.jsonl"]
    assert rewrite(["-o", "x.jsonl", "--", "-oX"]) == ["-o", "x.jsonl", "--", "-oX"]
    with pytest.raises(UsageError, match="-oX needs a file name"):
        rewrite(["198.18.1.1", "-oX"])


@pytest.mark.parametrize(("arg", "name"), [("-sV", "-sV"), ("-A", "-A"), ("-O", "-O"),
                                           ("-sC", "-sC"), ("--script=http-title", "--script"),
                                           ("-sCV", "-sV")])
def test_nmap_options_netprobe_lacks_are_named(arg, name):
    with pytest.raises(UsageError, match=f"^{name} \\(.*\\) is not supported; netprobe "
                                         "reports port states only$"):
        rewrite([arg, "198.18.1.1"])


def test_not_shown_groups_by_state_protocol_and_reason():
    host = {"not_shown": [{"state": "filtered", "proto": "tcp", "reason": "no-response",
                           "count": 1},
                          {"state": "filtered", "proto": "tcp", "reason": "admin-prohibited",
                           "count": 996}]}
    assert not_shown_line(host) == ("Not shown: 996 filtered tcp ports (admin-prohibited), "
                                    "1 filtered tcp port (no-response)")
    assert not_shown_line({"not_shown": []}) is None


def _netprobe(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NETPROBE_SCOPE": SCOPE}
    return subprocess.run([sys.executable, "-m", "netprobe", "portscan", *args],
                          capture_output=True, text=True, timeout=120, check=False, env=env)


@pytest.mark.parametrize("args", [["-oX", "127.0.0.1"], ["-sV", "127.0.0.1"],
                                  ["-A", "127.0.0.1"], ["-F", "-p", "22", "127.0.0.1"]])
def test_misuse_is_one_line_and_exit_2(args, tmp_path):
    done = subprocess.run([sys.executable, "-m", "netprobe", "portscan", *args],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "NETPROBE_SCOPE": SCOPE}, check=False)
    assert done.returncode == 2, done
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no file named X


def test_loopback_open_reason_fast_and_stdout_files(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        spec = f"1-20,{port}"
        recs = [json.loads(line) for line in
                _netprobe("-sT", "-n", "--open", "-p", spec, "127.0.0.1", "--json").stdout
                .splitlines()]
        assert [(r["type"], r.get("port")) for r in recs] == [("host", None), ("port", port),
                                                             ("summary", None)]
        assert recs[0]["not_shown"][0]["count"] == 20
        normal = _netprobe("-sT", "--reason", "-p", spec, "-oN", "-", "127.0.0.1")
        assert normal.returncode == 0, normal.stderr
        assert "Not shown: 20 closed tcp ports (" in normal.stdout
        assert f"{port}/tcp" in normal.stdout and "REASON" in normal.stdout
        grep = _netprobe("-sT", "-p", spec, "-oG", "-", "127.0.0.1").stdout
        assert f"Ports: {port}/open/tcp//" in grep and "Ignored State: closed (20)" in grep
        fast = [json.loads(line) for line in _netprobe("-sT", "-F", "127.0.0.1", "--json")
                .stdout.splitlines()]
        assert sum(fast[-1]["ports"].values()) == 100
    assert Path(tmp_path).exists()


@pytest.mark.parametrize(("args", "message"), [
    (["-4", "::1"], "is IPv6 but -4 asks for IPv4 targets"),
    (["-4", "-6", "::1"], "-4 and -6 contradict each other")])
def test_address_family_options(args, message):
    done = _netprobe("-sT", "-p", "22", *args)
    assert done.returncode == 2 and message in done.stderr, done


def test_reason_column_only_with_reason_and_diff_table(capsys):
    from netprobe.plugins.portscan.render import change_table, render_records
    from netprobe.services.output import Output

    recs = [{"type": "host", "host": "198.18.1.11", "state": "up", "reason": "user-set",
             "ports": {"open": 1, "closed": 9},
             "not_shown": [{"state": "closed", "proto": "tcp", "reason": "reset", "count": 9}]},
            {"type": "port", "host": "198.18.1.11", "proto": "tcp", "port": 22,
             "state": "open", "reason": "syn-ack", "ttl": 64, "service": "ssh"}]
    render_records(recs, Output(json=False), reason=False)
    plain = capsys.readouterr().out
    render_records(recs, Output(json=False), reason=True)
    reasons = capsys.readouterr().out
    assert "Not shown: 9 closed tcp ports (reset)" in plain
    assert "syn-ack" not in plain and "REASON" not in plain
    assert "syn-ack" in reasons and "REASON" in reasons
    change_table(Output(json=False), [{"type": "port-change", "change": "opened",
                                       "host": "198.18.1.11", "proto": "tcp", "port": 22,
                                       "before": "closed", "after": "open"}])
    text = capsys.readouterr().out
    assert "opened" in text and "22/tcp" in text and "closed" in text
