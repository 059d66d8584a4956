"""Preparing probes: a filled frame set is stamped from a template like any other set."""

from __future__ import annotations

import pytest

from netprobe.engine import probes as probes_mod
from netprobe.engine.compiled import batch as cbatch
from netprobe.engine.probes import prepare
from netprobe.packet import IP, TCP, Ether
from netprobe.packet.layer import Layer

MAC = "02:00:c6:12:01:02"
GW = "02:00:c6:12:01:01"


def _fill(p: Layer) -> Layer:
    """What the API's link filler does: our MAC and the next hop's, when unset."""
    if p.is_unset("src"):
        p.src = MAC
    if p.dst is None:
        p.dst = GW
    return p


def test_a_filled_set_gives_the_members_filled_one_by_one() -> None:
    frames = Ether() / IP(src="198.18.1.2", dst="198.18.1.15") / TCP(dport=(1, 100), flags="S")
    stamped = [p.data for p in prepare(frames, layer2=True, fill=_fill)]
    one_by_one = [bytes(_fill(f)) for f in frames]
    assert stamped == one_by_one
    assert frames.is_unset("src")  # the caller's set is left as it was


@pytest.mark.skipif(cbatch is None, reason="templates stamp in C, not built here "
                                           "(no compiler, or NETPROBE_PURE=1)")
def test_a_filled_single_destination_set_uses_a_template(monkeypatch) -> None:
    frames = Ether() / IP(src="198.18.1.2", dst="198.18.1.15") / TCP(dport=(1, 100), flags="S")
    built: list[int] = []
    real = probes_mod.prepare_one
    monkeypatch.setattr(probes_mod, "prepare_one",
                        lambda p, layer2: built.append(1) or real(p, layer2))
    assert len(list(prepare(frames, layer2=True, fill=_fill))) == 100
    assert not built  # no member was built on its own
    assert frames.is_unset("src")  # the caller's set is left as it was


def test_a_set_of_destinations_is_filled_member_by_member(monkeypatch) -> None:
    frames = Ether() / IP(src="198.18.1.2", dst=["198.18.1.11", "198.18.1.12"]) / TCP(
        dport=(1, 20))
    seen: list[str] = []

    def fill(p: Layer) -> Layer:
        seen.append(str(p.payload.dst))
        return _fill(p)

    out = list(prepare(frames, layer2=True, fill=fill))
    assert len(out) == 40 and sorted(set(seen)) == ["198.18.1.11", "198.18.1.12"]
    assert len(seen) == 40
