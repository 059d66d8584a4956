"""Snippets whose output differs from Scapy's on purpose: (theme, name) -> why.

Every reason here is also said in the README's "Where netprobe differs from Scapy".
"""

from __future__ import annotations

DIFFERS: dict[tuple[str, str], str] = {
    ("answers", "tcp_syn_synack"): "answers() returns True/False; Scapy's TCP and IP give 1/0",
    ("answers", "icmp_echo"): "answers() returns True/False; Scapy's ICMP and IP give 1/0",
    ("answers", "icmpv6_echo"): "answers() returns True/False; Scapy's IPv6 gives 0 for no",
    ("semantics", "fields_dict"): "pkt.fields of a packet made in code leaves out IP's empty "
                                  "options, which Scapy 2.8 lists",
    ("semantics", "hide_defaults"): "IP proto is filled when built (no default of 0 to hide)",
    ("fresh_tools", "fragment_reassemble"): "a reassembled IPv4 packet keeps its protocol "
                                            "and upper layer (Scapy 2.8's comes back with "
                                            "proto=0 and Raw)",
    ("fresh_api", "lsc_runs"): "lsc() lists netprobe's commands (fewer than Scapy's, no "
                               "attack or GUI helpers), each with its own docstring",
    ("semantics", "add_remove_payload"): "a payload assigned to ``pkt.payload`` knows the layer "
                                         "under it (Scapy's does not, and its summary loses "
                                         "the addresses)",
    ("fresh3_fields", "str_fixed_and_null"): "a field called ``name`` reads as its value "
                                             "(Scapy's ``pkt.name`` is the layer's title, and "
                                             "builds as the title when unset)",
    ("fresh3_hooks", "init_with_kwargs_and_defaults"): "``pkt.fields`` lists fields in the "
                                                       "layer's order, not the order they "
                                                       "were assigned",
}
