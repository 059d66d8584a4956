"""The scan order: a seeded permutation with O(1) state, and its exact shards."""

from __future__ import annotations

import numpy as np
import pytest

from netprobe.plugins.portscan.permutation import Permutation, Shard, order, parse_shard


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 17, 255, 256, 1000, 65535, 131071])
def test_every_position_once(size):
    assert sorted(order(size, 11).tolist()) == list(range(size))


def test_same_seed_same_order_other_seed_other_order():
    a, b, c = order(65535, 5), order(65535, 5), order(65535, 6)
    assert (a == b).all()
    assert (a != c).mean() > 0.99


def test_order_looks_random():
    o = order(100_000, 1).astype(np.int64)
    # neighbours in the order are far apart in the space, on average about size / 3
    gap = np.abs(np.diff(o)).mean()
    assert 25_000 < gap < 42_000
    assert not (o[:1000] == np.arange(1000)).any()


@pytest.mark.parametrize("size,count", [(1000, 3), (65535, 4), (10, 7), (5, 8)])
def test_shards_are_disjoint_and_cover_the_whole(size, count):
    whole = order(size, 9)
    parts = [order(size, 9, Shard(k, count)) for k in range(1, count + 1)]
    joined = np.concatenate(parts)
    assert len(joined) == size and len(set(joined.tolist())) == size
    # each shard is every count-th position of the same permutation
    for k, part in enumerate(parts):
        assert (part == whole[k::count]).all()


def test_shard_sizes():
    assert [Shard(k, 4).size(10) for k in range(1, 5)] == [3, 3, 2, 2]
    assert Shard(8, 8).size(5) == 0


def test_large_spaces_need_no_table():
    p = Permutation(1 << 40, 3)
    values = p.at(np.arange(0, 1 << 16, dtype=np.uint64))
    assert len(set(values.tolist())) == 1 << 16 and int(values.max()) < 1 << 40
    assert p[12345] == int(values[12345])


@pytest.mark.parametrize("text", ["0/4", "5/4", "x", "1", "1/0", "a/b", "-1/3"])
def test_bad_shards(text):
    with pytest.raises(ValueError):
        parse_shard(text)


def test_good_shard():
    s = parse_shard("2/4")
    assert (s.index, s.count, str(s)) == (2, 4, "2/4")



@pytest.mark.parametrize("size", [1, 2, 7, 1000, 65536 * 3])
def test_python_integers_give_the_numpy_order(size):
    """Small scans take their order from Python integers: the same as numpy's."""
    perm = Permutation(size, 11)
    shard = Shard(2, 3) if size > 3 else Shard()
    count = min(shard.size(size), 5000)
    assert shard.position_ints(size, 0, count) == shard.positions(size, 0, count).tolist()
    positions = shard.position_ints(size, 0, count)
    assert perm.at_ints(positions) == perm.at(np.array(positions, dtype=np.uint64)).tolist()


def test_scan_space_pairs_follow_the_chunks():
    """A scan space gives the same (address, port) order by Python integers and numpy."""
    from netprobe.plugins.portscan.raw_scan import ScanSpace
    from netprobe.plugins.portscan.targets import TargetSet

    for family, spec in ((4, ["198.18.1.0/28", "198.18.3.7"]), (6, ["2001:db8::fff0/124"])):
        targets = TargetSet.parse(spec)
        space = ScanSpace(targets, family, [22, 80, 443, 8080], 9, Shard(1, 2))
        dsts, ports = space.pair_lists()
        numpy_pairs = [(dst[i].tobytes(), int(p[i])) for dst, p in space.chunks(chunk=7)
                       for i in range(len(p))]
        assert list(zip(dsts, ports)) == numpy_pairs
        assert len(numpy_pairs) == space.count()
