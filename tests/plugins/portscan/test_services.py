"""Service names and the --top-ports ranking (pure: no network)."""

from __future__ import annotations

import pytest

from netprobe.plugins.portscan import services

SAMPLE_SERVICES = """\
# comment line
tcpmux\t\t1/tcp\t\t\t\t# TCP port service multiplexer
ssh\t\t22/tcp\t\t\t\t# SSH Remote Login Protocol
domain\t\t53/tcp
domain\t\t53/udp
http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP
www-alt\t\t80/tcp
bogus line without port
odd\t\tx/tcp
sctpthing\t9/sctp
"""


def test_parse_services_first_name_wins_and_skips_junk() -> None:
    names = services.parse_services(SAMPLE_SERVICES)
    assert names == {("tcp", 1): "tcpmux", ("tcp", 22): "ssh", ("tcp", 53): "domain",
                     ("udp", 53): "domain", ("tcp", 80): "http"}


def test_parse_frequencies_reads_both_layouts() -> None:
    text = ("http\t80/tcp\t0.48\t# web\n"
            "443/tcp 0.2\n"
            "domain 53/udp 0.21\n"
            "noname 7/tcp\n"          # no number: skipped
            "bad 8/tcp notanumber\n"  # unreadable number: skipped
            "# 9/tcp 0.9\n")
    table = services.parse_frequencies(text)
    assert table == {"tcp": [(80, 0.48), (443, 0.2)], "udp": [(53, 0.21)]}


def test_ranking_orders_sources_and_covers_every_port_once() -> None:
    system = services.parse_services(SAMPLE_SERVICES)
    order = services.ranked_ports("tcp", None, system)
    assert len(order) == 65535 and len(set(order)) == 65535
    own = []
    for port, _ in services.RANKING["tcp"]:
        if port not in own:
            own.append(port)
    assert order[:len(own)] == own
    # then the services file's other ports (1/tcp here), then the rest by number
    assert order[len(own)] == 1
    rest = order[len(own) + 1:]
    low = [p for p in rest if p < 1024]
    assert rest[:len(low)] == sorted(low)
    assert rest[len(low):] == sorted(p for p in rest if p >= 1024)


def test_user_frequencies_come_first() -> None:
    freqs = {"tcp": [(9999, 0.1), (4242, 0.9), (80, 0.5)], "udp": []}
    order = services.ranked_ports("tcp", freqs, {})
    assert order[:3] == [4242, 80, 9999]
    assert order[3] == services.RANKING["tcp"][1][0]  # 80 is not repeated


def test_top_ports_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(services.FREQUENCIES_ENV, raising=False)
    top = services.top_ports("tcp", 1000)
    assert len(top) == 1000 == len(set(top))
    assert top[:3] == [80, 443, 22]
    # the ranking and every service the system names come before the rest
    assert {port for port, _ in services.RANKING["tcp"]} <= set(top)
    named = {port for proto, port in services._system_names() if proto == "tcp"}
    assert named <= set(top)
    assert {22, 23, 25, 80, 139, 443, 3306, 8080, 8443} <= set(top)  # the lab's TCP ports
    assert services.top_ports("udp", 3) == [53, 123, 161]
    assert services.top_ports("tcp", 0) == []


def test_top_ports_with_a_user_table(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "freq"
    table.write_text("a 5555/udp 0.9\nb 53/udp 0.1\n")
    monkeypatch.setenv(services.FREQUENCIES_ENV, str(table))
    assert services.top_ports("udp", 3) == [5555, 53, 123]


def test_top_ports_unreadable_table_is_a_usage_error(tmp_path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from netprobe.errors import UsageError

    monkeypatch.setenv(services.FREQUENCIES_ENV, str(tmp_path / "missing"))
    with pytest.raises(UsageError, match=services.FREQUENCIES_ENV):
        services.top_ports("tcp", 10)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        services.top_ports("sctp", 10)
    with pytest.raises(ValueError):
        services.top_ports("tcp", -1)
    with pytest.raises(ValueError):
        services.service_name("icmp", 1)


def test_service_names(monkeypatch: pytest.MonkeyPatch) -> None:
    assert services.service_name("tcp", 22) == "ssh"
    assert services.service_name("udp", 53) == "domain"
    assert services.service_name("tcp", 64999) is None
    # without a services file the ranking's IANA names still answer
    monkeypatch.setattr(services, "_system_names", lambda: {})
    assert services.service_name("tcp", 3389) == "ms-wbt-server"
    assert services.service_name("udp", 123) == "ntp"
