"""``services/targets``: the address forms of portscan and arpscan, read as nmap reads them.

nmap's list scan (``-sL -n``: no probe, no name lookup) names the addresses a
form stands for; ``parse_span`` must give the same first and last address.
"""

from __future__ import annotations

import subprocess

import pytest

from netprobe.services.targets import Span, SpanError, address_text, parse_span


def nmap_list(form: str, version: int) -> list[str]:
    """The addresses nmap's list scan gives for ``form`` (nothing is sent)."""
    args = ["nmap", "-sL", "-n", "-oG", "-", form] + (["-6"] if version == 6 else [])
    out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout
    return [line.split()[1] for line in out.splitlines() if line.startswith("Host: ")]


@pytest.mark.parametrize("form", [
    "198.18.1.7", "198.18.1.0/29", "198.18.1.5/30", "198.18.1.1-20", "198.18.1.250-255",
    "2001:db8::5", "2001:db8:1::/125", "2001:db8:1::9/126",
])
def test_a_span_is_what_nmap_lists(form: str) -> None:
    span = parse_span(form)
    assert span is not None
    listed = nmap_list(form, span.version)
    assert listed, f"nmap lists nothing for {form}"
    assert span.last - span.first + 1 == len(listed)
    assert [address_text(span.first, span.version), address_text(span.last, span.version)] \
        == [listed[0], listed[-1]]


def test_only_a_cidr_block_is_a_network() -> None:
    assert parse_span("198.18.1.0/30") == Span(4, 0xC6120100, 0xC6120103, True)
    assert parse_span("198.18.1.0-198.18.1.3") == Span(4, 0xC6120100, 0xC6120103, False)


def test_a_zone_is_dropped_and_a_name_is_no_span() -> None:
    assert parse_span("fe80::1%eth0") == parse_span("fe80::1")
    assert parse_span("example") is None


@pytest.mark.parametrize(("form", "kind"), [
    ("198.18.1.0/33", "prefix"), ("198.18.1.1-300", "octets"), ("198.18.1.20-1", "octet-order"),
    ("198.18.300.1-5", "head"), ("198.18.1.1-2001:db8::1", "families"),
    ("198.18.1.9-198.18.1.1", "order"), ("198.18.1.x-198.18.1.9", "range"),
])
def test_a_badly_written_form_names_its_rule(form: str, kind: str) -> None:
    with pytest.raises(SpanError) as caught:
        parse_span(form)
    assert caught.value.kind == kind
