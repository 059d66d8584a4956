"""``netprobe flows``: conversations, elephant flows and flow-size plots from captures.

The packets of pcap and pcapng files are grouped into bidirectional
conversations, counted as tshark's conversation tables count them, at a
speed near that of ``tcpdump -r``: capture files are memory-mapped and their
records found and decoded a whole batch at a time with numpy, so Python
runs per flow, not per packet.

Modules: ``chain_walk`` (finding records many chains at a time, with
``pcap_walk`` and ``pcapng_walk`` for the two formats), ``byte_rows``,
``capture_file`` (batches), ``header_decode`` / ``packet_decode`` (batch and
per-packet decoders), ``events``, ``flow_table`` (aggregation), ``analysis``
(parts, jobs, merging), ``interpret`` (records), ``conn_state``,
``community_id``, ``render``, ``plot``, ``progress``, ``command``. The
generic runner for local processes and Dask is ``netprobe.plugins.cluster``.
"""

from netprobe.plugins.flows.command import command

__all__ = ["command"]
