"""``netprobe arpscan``: ARP and IPv6 neighbour discovery on a link.

plan (what to send), run (through the engine), interpret (answers → hosts,
conflicts, proxies) and render (the arp-scan-like table); ``report`` rebuilds
a saved run's records.
"""

from netprobe.plugins.arpscan.command import command

__all__ = ["command", "report"]


def __getattr__(name: str) -> object:
    # ``report`` lives with the interpretation; imported only when asked for
    if name == "report":
        from netprobe.plugins.arpscan.interpret import report

        return report
    raise AttributeError(name)
