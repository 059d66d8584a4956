"""``netprobe craft``: build or read packets, change them, print, write or send them.

The package keeps the plugin's parts apart: ``source`` (expression, capture
file, hex), ``edit`` (--set, --del, --flags, --badsum), ``plan`` (the final
packets, fragmented), ``run`` (sending through the engine), ``interpret``
(results as records, also for ``netprobe interpret``) and ``render`` (text).
Only the click command is imported here, so ``netprobe --help`` stays fast.
"""

from netprobe.plugins.craft.command import command

__all__ = ["command"]
