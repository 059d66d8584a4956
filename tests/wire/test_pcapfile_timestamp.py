"""Exact capture timestamps: formatting, unit conversion, if_tsresol codes."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netprobe.errors import UsageError
from netprobe.wire.pcapfile import (
    CaptureRecord,
    convert_timestamp,
    format_timestamp,
    tsresol_from_units,
    units_from_tsresol,
)


@pytest.mark.parametrize(
    ("sec", "frac", "units", "text"),
    [
        (1_700_000_000, 123456, 10**6, "1700000000.123456"),
        (1_700_000_000, 123456789, 10**9, "1700000000.123456789"),
        (0, 5, 10**9, "0.000000005"),
        (7, 0, 10**6, "7.000000"),
        (1, 1, 1024, "1.0009765625"),
        (1, 128, 256, "1.50000000"),
        (42, 0, 1, "42"),
        (3, 25, 100, "3.25"),
        # A fraction of a whole second or more (damaged files) carries over.
        (1_418_145_370, 1_000_000, 10**6, "1418145371.000000"),
        # Before the epoch (pcapng if_tsoffset can be negative).
        (-1, 500000, 10**6, "-0.500000"),
        (-2, 0, 10**3, "-2.000"),
        # No finite decimal expansion: cut to nanoseconds.
        (0, 1, 3, "0.333333333"),
    ],
)
def test_format_timestamp(sec, frac, units, text) -> None:
    assert format_timestamp(sec, frac, units) == text


@given(
    sec=st.integers(min_value=-(2**40), max_value=2**40),
    frac=st.integers(min_value=0, max_value=2**70),
    base=st.sampled_from([2, 10]),
    k=st.integers(min_value=0, max_value=40),
)
def test_formatted_timestamps_are_exact_for_powers_of_2_and_10(sec, frac, base, k) -> None:
    units = base**k
    text = format_timestamp(sec, frac, units)
    assert Fraction(Decimal(text)) == Fraction(sec * units + frac, units)
    if k:
        assert len(text.partition(".")[2]) == k


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((10, 123456789, 10**9, 10**6), (10, 123456)),  # rounded down
        ((10, 123456, 10**6, 10**9), (10, 123456000)),
        ((10, 1, 256, 10**9), (10, 3906250)),  # 1/256 s is exactly 3906250 ns
        ((10, 1, 1024, 10**9), (10, 976562)),  # 976562.5 ns, rounded down
        ((10, 1_000_000, 10**6, 10**6), (11, 0)),  # normalised
        ((-1, 1, 10**9, 10**6), (-1, 0)),  # down means towards minus infinity
    ],
)
def test_convert_timestamp(args, expected) -> None:
    assert convert_timestamp(*args) == expected


@pytest.mark.parametrize("k", [0, 1, 3, 6, 9, 12, 127])
def test_tsresol_codes_round_trip(k) -> None:
    assert units_from_tsresol(k) == 10**k
    assert tsresol_from_units(10**k) == k
    assert units_from_tsresol(0x80 | k) == 2**k
    if k:  # 2**0 == 10**0 is written as the decimal code
        assert tsresol_from_units(2**k) == 0x80 | k


@pytest.mark.parametrize("units", [0, -10, 3, 1000 * 3, 2**200])
def test_units_without_a_tsresol_code_are_refused(units) -> None:
    with pytest.raises(UsageError):
        tsresol_from_units(units)


def test_record_time_views() -> None:
    rec = CaptureRecord(b"", 0, 0, 1, 1_700_000_000, 1, 1024, 0)
    assert rec.ts_ns == 1_700_000_000 * 10**9 + 976562
    nano = CaptureRecord(b"", 0, 0, 1, 5, 7, 10**9)
    assert (nano.ts_ns, nano.ifindex) == (5_000_000_007, 0)
