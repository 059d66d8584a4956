"""Timeouts from round trips, resends from measured loss, congestion control (pure)."""

from __future__ import annotations

import random

from netprobe.engine.results import Counters
from netprobe.plugins.portscan.congestion import UNPACED, RateController
from netprobe.plugins.portscan.timing import (
    PATIENCE,
    TEMPLATES,
    LossEstimate,
    RttEstimator,
    next_pass,
    should_resend,
)

T3, T4 = TEMPLATES[3], TEMPLATES[4]


def test_timeout_follows_round_trips_within_bounds():
    rtt = RttEstimator(T4)
    assert rtt.timeout() == T4.initial_timeout
    for _ in range(20):
        rtt.add(0.0002)
    assert rtt.timeout() == T4.min_timeout  # a LAN host: the template's floor
    slow = RttEstimator(T4)
    for _ in range(20):
        slow.add(0.4)
    assert 0.4 < slow.timeout() <= T4.max_timeout


def simulate(loss: float, responsive: int, silent_ports: int, timing=T3, seed=1):
    """Run the resend rule on a made-up scan; return (passes, responsive ports missed)."""
    rng = random.Random(seed)
    est = LossEstimate()
    pending = list(range(responsive))
    silent = silent_ports
    sends = 0
    while True:
        sends += 1
        still = []
        for port in pending:
            if rng.random() < loss:
                still.append(port)
            else:
                est.add(sends)
        pending = still
        if not should_resend(est, sends, len(pending) + silent, timing):
            return sends, len(pending)


def test_clean_network_resends_silent_ports_once():
    passes, missed = simulate(0.0, 1000, 3)
    assert (passes, missed) == (2, 0)
    assert simulate(0.0, 1000, 0) == (1, 0)


def test_lossy_networks_resend_until_nothing_is_likely_missed():
    # the lab's --loss 10 and --loss 30 drop each frame: a probe or its answer,
    # 1 - 0.9^2 = 19 % and 1 - 0.7^2 = 51 % of exchanges
    for loss, responsive in ((0.19, 65535), (0.51, 200), (0.51, 2000)):
        for seed in range(5):
            passes, missed = simulate(loss, responsive, 5, seed=seed)
            assert missed == 0, (loss, responsive, seed, passes)
            assert passes <= T3.max_retries + 1


def test_max_retries_bounds_the_passes():
    passes, _ = simulate(0.51, 2000, 5, timing=T3.with_limits(max_retries=2))
    assert passes == 3


def test_nothing_answered_means_one_resend():
    est = LossEstimate()
    assert should_resend(est, 1, 100, T3)
    assert not should_resend(est, 2, 100, T3)


def counters(sent, matched, elapsed, refused=0):
    c = Counters()
    c.sent, c.matched, c.elapsed, c.refused = sent, matched, elapsed, refused
    return c


def test_controller_grows_while_answers_keep_up_then_unpaces():
    ctl = RateController(10_000, growth=2.0)
    ctl.lag = 0.0
    rates = []
    sent = 0
    for i in range(1, 12):
        sent += int((ctl.rate or 1e6) * 0.05)
        rates.append(ctl(counters(sent, sent // 2, i * 0.05)))
    assert rates[0] == 20_000 and rates[1] == 40_000
    assert UNPACED in rates or ctl.rate > 100_000


def test_controller_backs_off_when_answers_fall_behind():
    ctl = RateController(50_000, growth=1.5)
    ctl.lag = 0.0
    sent = matched = 0
    t = 0.0
    for _ in range(10):  # steady: half the probes answered
        t += 0.05
        sent += 2500
        matched += 1250
        ctl(counters(sent, matched, t))
    for _ in range(6):  # answers collapse: congestion
        t += 0.05
        sent += 2500
        matched += 100
        ctl(counters(sent, matched, t))
    # down from the 50,000 probes/s actually sent (paced or not before)
    assert ctl.backoffs >= 1 and ctl.rate is not None and ctl.rate < 50_000


def test_random_loss_does_not_slow_the_scan():
    ctl = RateController(20_000, growth=1.5, max_rate=200_000)
    ctl.lag = 0.0
    rng = random.Random(3)
    sent = matched = 0
    t = 0.0
    for _ in range(40):
        t += 0.05
        n = int(ctl.rate * 0.05)
        sent += n
        matched += sum(1 for _ in range(n) if rng.random() < 0.81 * 0.3)
        ctl(counters(sent, matched, t))
    assert ctl.backoffs == 0 and ctl.rate == 200_000


def test_refused_sends_back_off_and_fixed_rates_stay():
    ctl = RateController(10_000)
    ctl(counters(500, 250, 0.05))
    ctl(counters(1000, 500, 0.1, refused=10))
    assert ctl.backoffs == 1
    fixed = RateController(300, adaptive=False)
    assert fixed(counters(1000, 0, 1.0)) is None and fixed.rate == 300


def test_patience_spreads_resends_once_loss_is_seen():
    clean = LossEstimate()
    for _ in range(10):
        clean.add(1)
    # a clean small scan: one resend, then done (no patience without seen loss)
    assert next_pass(clean, 1, 2, T4, 0.1) == 0.0
    assert next_pass(clean, 4, 2, T4, 0.5) is None
    lossy = LossEstimate()
    for sends in (1, 1, 2, 1, 3, 1, 1, 2):
        lossy.add(sends)
    wait = next_pass(lossy, 20, 2, T4, 1.0)
    assert wait is not None and wait > T4.min_timeout  # spread over the time left
    assert next_pass(lossy, 20, 2, T4, PATIENCE + 0.1) is None
    assert next_pass(lossy, T4.max_retries + 1, 2, T4, 1.0) is None
    assert next_pass(lossy, 3, 0, T4, 1.0) is None


def test_add_many_is_one_add_per_answer():
    one_by_one, at_once = LossEstimate(), LossEstimate()
    for sends in (1, 1, 2, 1, 3):
        one_by_one.add(sends)
    at_once.add_many(2, 2)
    at_once.add_many(3, 6)
    assert at_once == one_by_one
    assert at_once.loss == one_by_one.loss and at_once.cautious_loss == one_by_one.cautious_loss


def test_a_sweep_where_nothing_answers_sends_once():
    """A large pass: no answer at all, or a few clean ones among 65,534 silent, is no
    reason to resend them all; --max-retries still asks for resends."""
    nothing = LossEstimate()
    assert not should_resend(nothing, 1, 65534, T3)
    few = LossEstimate()
    few.add_many(2, 2)
    assert not should_resend(few, 1, 65534, T3)
    assert next_pass(few, 1, 65534, T3, 1.0) is None
    assert should_resend(nothing, 1, 65534, T3.with_limits(max_retries=2))
    assert not should_resend(nothing, 3, 65534, T3.with_limits(max_retries=2))
    # a few silent probes are cheap: the one resend nmap makes too
    assert should_resend(nothing, 1, 3, T3)


def test_a_large_lossy_pass_is_resent():
    """Every port of a host at 10 % loss per frame (19 % per exchange): the answers are
    many next to the silent, so the first resend is worth it, and so are the next ones
    while the measured loss says answers are missing."""
    est = LossEstimate()
    est.add_many(53_000, 53_000)
    assert should_resend(est, 1, 12_500, T3)
    est.add_many(10_000, 20_000)  # pass two: 10,000 answered at their second send
    assert should_resend(est, 2, 2_500, T3)
