"""``netprobe arpscan``: ARP and IPv6 neighbour discovery on a link.

plan (what to send), run (through the engine), interpret (answers → hosts,
conflicts, proxies) and render (the arp-scan-like table); ``report`` rebuilds
a saved run's records.
"""

from netprobe.plugins.arpscan.command import command
from netprobe.services.plugin_record import Plugin, deferred

__all__ = ["command", "plugin", "report"]

#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command, report=deferred("netprobe.plugins.arpscan.interpret:report"),
                render=deferred("netprobe.plugins.arpscan.interpret:render"),
                history_kind="arpscan")


def __getattr__(name: str) -> object:
    # ``report`` lives with the interpretation; imported only when asked for
    if name == "report":
        from netprobe.plugins.arpscan.interpret import report

        return report
    raise AttributeError(name)
