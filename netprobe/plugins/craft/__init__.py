"""``netprobe craft``: build or read packets, change them, print, write or send them.

The package keeps the plugin's parts apart: ``source`` (expression, capture
file, hex), ``edit`` (--set, --del, --flags, --badsum), ``plan`` (the final
packets, fragmented), ``run`` (sending through the engine), ``interpret``
(results as records, also for ``netprobe interpret``) and ``render`` (text).
Only the click command is imported here, so ``netprobe --help`` stays fast.
"""

from netprobe.plugins.craft.command import command
from netprobe.services.plugin_record import Plugin, deferred

__all__ = ["command", "plugin"]

#: the plugin record (entry point ``netprobe.plugins``)
plugin = Plugin(command=command, report=deferred("netprobe.plugins.craft.interpret:report"),
                render=deferred("netprobe.plugins.craft.interpret:render"))
