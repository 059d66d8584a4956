"""``netprobe flows``: conversations, elephant flows and flow-size plots from captures.

The packets of pcap and pcapng files are grouped into bidirectional
conversations, counted as tshark's conversation tables count them, at a
speed near that of ``tcpdump -r``: capture files are memory-mapped and their
records found and decoded a whole batch at a time with numpy, so Python
runs per flow, not per packet.

Capture files are read in batches by the capture floor
(``netprobe.wire.pcapfile.batch``); the headers of a batch are decoded by
floor 1's column decoder (``netprobe.packet.columns``, on the frame shapes of
``netprobe.packet.shape``) into ``netprobe.packet.flow_events``. Here:
``packet_events`` (the rare shapes, one packet at a time through ``dissect``), ``flow_table``
(aggregation), ``analysis`` (parts, jobs, merging), ``interpret`` (records),
``conn_state``, ``community_id``, ``render``, ``plot``, ``command``. The
generic runner for local processes and Dask is ``netprobe.services.cluster``.
"""

from netprobe.plugins.flows.command import command
from netprobe.services.plugin_record import Plugin

__all__ = ["command", "plugin"]

#: the plugin record (entry point ``netprobe.plugins``): flows saves no runs
plugin = Plugin(command=command)
