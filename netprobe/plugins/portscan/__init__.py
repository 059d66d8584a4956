"""``netprobe portscan``: nmap's port states and reasons at masscan's speed, exact under loss.

The plugin's parts: ``plan`` (arguments → what to scan), ``targets``,
``ports``, ``permutation`` (the probe order and its shards), ``stamp`` (probes
by the thousand), ``run`` with ``raw_scan`` and ``connect_scan`` (through the
engine and the wire), ``timing`` and ``congestion`` (patience and pace),
``verdict`` and ``interpret`` (results → states and records, pure; its
``report`` is what ``netprobe interpret`` calls), ``diff``, ``render`` (the
terminal face) and ``command`` (the click command, which imports nothing heavy
until it runs).
"""

from netprobe.plugins.portscan.command import command
from netprobe.services.plugin_record import Plugin, deferred

__all__ = ["command", "plugin"]

#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command, report=deferred("netprobe.plugins.portscan.interpret:report"),
                render=deferred("netprobe.plugins.portscan.interpret:render"),
                history_kind="portscan")
