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

__all__ = ["command"]
