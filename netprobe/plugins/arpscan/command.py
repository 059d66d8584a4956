"""``netprobe arpscan``: the click command (thin: plan, run and interpret do the work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from netprobe.cli_types import Duration, json_option, option
from netprobe.services.history.recorder import db_option

if TYPE_CHECKING:
    from netprobe.engine.results import Result
    from netprobe.services.output import Output

#: the defaults: a /24 takes about a third of a second, three tries per address
DEFAULT_RATE = 4000.0
DEFAULT_TIMEOUT = 0.1
DEFAULT_RETRY = 2


@click.command("arpscan")
@click.argument("targets", nargs=-1, metavar="[TARGETS]...")
@option("--iface", "iface", old=("-I", "--interface"),
        help="Interface to sweep (default: the one with the default route, else the "
             "only one that is not loopback).")
@click.option("-l", "--localnet", is_flag=True,
              help="Sweep the interface's own IPv4 networks (the default without TARGETS).")
@option("-4", "want4", help="IPv4: ARP (the default).")
@option("-6", "want6",
        help="IPv6 neighbour discovery: solicitations to the IPv6 TARGETS, or without "
             "them, probes to all nodes (ff02::1) and solicitations to whoever answers.")
@option("--rate", "rate", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_RATE,
        show_default=True, metavar=None, help="Probes per second.")
@option("--timeout", "timeout", type=Duration(), default=DEFAULT_TIMEOUT, show_default=True,
        help="How long to wait for an answer before trying again (slow links, e.g. "
             "Wi-Fi in power save, want 0.5).")
@option("--retries", "retry", old=("--retry",), type=click.IntRange(0, 20),
        default=DEFAULT_RETRY, show_default=True, metavar=None,
        help="Tries after the first for addresses that stay silent.")
@option("--force", "force", help="Allow sweeps larger than a /16 (65536 addresses).")
@click.option("--fail-on-conflict", is_flag=True,
              help="Exit 1 when an address answers from several MACs (for cron).")
@option("--save", "save_path",
        help="Save probes and answers (pcapng, atomically); 'netprobe interpret' "
             "prints the same records again.")
@db_option
@json_option()
@click.pass_context
def command(ctx: click.Context, targets: tuple[str, ...], iface: str | None, localnet: bool,
            want4: bool, want6: bool, rate: float, timeout: float, retry: int, force: bool,
            fail_on_conflict: bool, save_path: str | None, db: str | None,
            as_json: bool | None) -> None:
    """Find the neighbours on a link: IP, MAC, vendor and RTT per host (arp-scan style).

    \b
    TARGETS are addresses, networks or ranges: 198.18.1.0/24, 198.18.1.7,
    198.18.1.10-20, 2001:db8:1::/120. Without TARGETS every IPv4 network of
    the interface is swept (with -6: every IPv6 node on the link).
    Silent addresses are asked again (--retry); probes are paced (--rate).

    \b
    Flags per host:
      conflict  the IP answered from several MACs (address conflict or spoofing)
      proxy     the MAC answered for several IPv4 addresses (proxy ARP, aliases)
      router    an IPv6 neighbour advertisement with the Router flag

    \b
    With --json or on a pipe, JSON Lines:
      {"type": "host", "host", "state", "reason", "mac", "vendor", "rtt_ms",
       "flags": [...]} per host,
      {"type": "summary", "interface", "scanned", "multicast", "responded",
       "hosts", "conflicts", "proxies", "sent", "retries", "elapsed_s"} last.
    Vendors come from the IEEE registries of the ieee-data package (or
    arp-scan's copy); "(unknown)" without them.

    \b
    Exit status: 0 done; 1 a conflict was seen and --fail-on-conflict was
    given; 2 bad targets, unknown interface, interface without IPv4 (ARP) or
    IPv6 (-6), more than a /16 without --force, targets outside the scope;
    3 no privileges (needs root or CAP_NET_RAW) or no interface at all.
    """
    import sys

    from netprobe.engine.progress import RunProgress
    from netprobe.engine.runfile import SavedRun, save_run
    from netprobe.plugins.arpscan import interpret, render
    from netprobe.plugins.arpscan.plan import off_link
    from netprobe.plugins.arpscan.run import execute
    from netprobe.plugins.arpscan.sweep import prepare_sweep
    from netprobe.services.history.recorder import make_scan_key, recording
    from netprobe.services.output import Output

    output = Output.current(as_json)
    sweep, pacing, scope, link_scope = prepare_sweep(
        ctx.obj, targets, iface=iface, localnet=localnet, want4=want4, want6=want6,
        rate=rate, timeout=timeout, retry=retry, force=force)
    for block in off_link(sweep.arp_blocks, sweep.ipv4) + off_link(sweep.ns_blocks,
                                                                    sweep.ipv6):
        output.warn(f"{block.text} is not on {sweep.iface}'s networks: only hosts on the "
                    "link answer ARP and neighbour solicitations")

    options = sweep.options()
    # the key only names a recorded run (hashing it loads OpenSSL: 2 ms of a small job)
    key = "" if db is None else make_scan_key(
        "arpscan", targets or [f"localnet:{sweep.iface}"], {"v4": want4 or not want6,
                                                            "v6": want6})
    with recording(db, kind="arpscan", scan_key=key,
                   targets=list(targets) or [sweep.iface]) as history:
        bar = RunProgress(options["scanned"] or None, "arpscan")
        try:
            results, counters = execute(sweep, pacing, scope=scope, link_scope=link_scope,
                                        progress=bar)
        finally:
            bar.close()
        extra = {"vendors": _vendor_names(output, results)}
        saved = SavedRun(plugin="arpscan", argv=sys.argv[1:], options=options,
                         counters=counters.to_dict(), extra=extra, results=results)
        records = list(interpret.report(saved, {}))
        if save_path:
            save_run(save_path, results, plugin="arpscan", argv=saved.argv, options=options,
                     counters=saved.counters, extra=extra)
        render.show(output, records, options)
        for record in records:
            history.add(record)
    if fail_on_conflict and interpret.has_conflict(records):
        ctx.exit(1)


def _vendor_names(output: Output, results: list[Result]) -> dict[str, str]:
    """Vendor names of every MAC that answered, saved with the run."""
    from netprobe.plugins.arpscan.interpret import sighting
    from netprobe.plugins.arpscan.vendors import VendorRegistry, is_group, is_local

    macs = sorted({s.mac for r in results if (s := sighting(r)) is not None})
    registry = VendorRegistry()
    if not registry.available and any(not is_local(m) and not is_group(m) for m in macs):
        output.warn("no IEEE registry found (install ieee-data or arp-scan): "
                    "vendors read (unknown)")
    return registry.names(macs)
