"""Bad input to ``netprobe traceroute``: one clear line and the documented exit code.

Nothing here sends a packet: every case is refused before a socket opens
(names are "resolved" by a stand-in, privileges are denied by a stand-in).
"""

from __future__ import annotations

import socket

import pytest

from netprobe.cli import main
from netprobe.wire import privileges


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--json", "traceroute", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open the engine's session fails the test."""
    from netprobe.engine import api

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a session was opened")

    monkeypatch.setattr(api, "Session", refuse)


@pytest.mark.parametrize(("args", "message"), [
    (["-f", "10", "-m", "5", "198.19.2.10"], "first TTL 10 is beyond the max TTL 5"),
    (["-m", "256", "198.19.2.10"], "max TTL 256: a TTL is 1 to 255"),
    (["-m", "0", "198.19.2.10"], "max TTL 0: a TTL is 1 to 255"),
    (["-f", "0", "198.19.2.10"], "first TTL 0: a TTL is 1 to 255"),
    (["-q", "0", "198.19.2.10"], "0 probes per hop: give 1 to 10"),
    (["-W", "0", "198.19.2.10"], "--timeout: '0' is not a duration more than 0s"),
    (["--wait", "nan", "198.19.2.10"], "--timeout: 'nan' is not a duration more than 0s"),
    (["-W", "5x", "198.19.2.10"], "(500ms, 2s, 5m, 1h; a plain number is seconds)"),
    (["-p", "70000", "198.19.2.10"], "port 70000: give 1 to 65535"),
    (["--multipath", "--rounds", "3", "198.19.2.10"], "do not go together"),
    (["--confidence", "1", "198.19.2.10"], "confidence 1.0"),
    (["-4", "2001:db8:2::10"], "2001:db8:2::10 is an IPv6 address, but -4 asks for IPv4"),
    (["-6", "198.19.2.10"], "is an IPv4 address, but -6 asks for IPv6"),
    (["--save", "/nonexistent-dir/x.pcapng", "198.19.2.10"], "no directory /nonexistent-dir"),
])
def test_nonsense_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], no_sending: None,
                                         args: list[str], message: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("netprobe: error: ")
    assert message in err


def test_unknown_host_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch,
                                             no_sending: None) -> None:
    def unknown(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    code, out, err = run(capsys, "no-such-host.invalid")
    assert code == 2 and out == ""
    assert err == ("netprobe: error: cannot resolve no-such-host.invalid: "
                   "Name or service not known\n")


def test_missing_privileges_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   no_sending: None) -> None:
    monkeypatch.setattr(privileges, "can_open_raw_sockets", lambda: False)
    code, out, err = run(capsys, "198.19.2.10")
    assert code == 3 and out == ""
    assert err.count("\n") == 1
    assert "traceroute needs root or CAP_NET_RAW" in err


def test_help_describes_the_json_records(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traceroute", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("--multipath", "--rounds", "--save", '"type": "hop"', "Paris"):
        assert word in out
