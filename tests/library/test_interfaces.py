"""Scapy's interface helpers, against Scapy's answers on this machine."""

from __future__ import annotations

import pytest

from netprobe.library.interfaces import (
    get_if_addr,
    get_if_addr6,
    get_if_hwaddr,
    get_if_list,
    get_working_if,
)
from tests.library.scapy_peer import scapy


def test_interfaces_as_scapy_sees_them() -> None:
    sc = scapy()
    assert get_if_list() == sc.get_if_list()
    assert get_working_if() == str(sc.get_working_if())
    for name in get_if_list():
        assert get_if_addr(name) == sc.get_if_addr(name), name
        assert get_if_hwaddr(name) == sc.get_if_hwaddr(name), name
    name = str(sc.conf.iface)
    assert get_if_addr6(name) == sc.get_if_addr6(name)


def test_unknown_interface_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nope0"):
        get_if_addr("nope0")
