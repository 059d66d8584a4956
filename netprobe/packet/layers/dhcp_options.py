"""DHCP options (RFC 2132 and later): code, Scapy's name, and how the value is encoded.

Kinds: ``ip`` (one or more IPv4 addresses), ``B``/``H``/``I`` (unsigned
integers of 1, 2 or 4 bytes), ``list`` (a list of byte values, the parameter
request list), ``type`` (the message type, by name or number) and ``str``
(bytes as they are).
"""

from __future__ import annotations

#: message-type values (option 53)
DHCP_TYPES = {1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak",
              7: "release", 8: "inform", 9: "force_renew", 10: "lease_query",
              11: "lease_unassigned", 12: "lease_unknown", 13: "lease_active"}

_IP = "ip"
_STR = "str"

#: code -> (name, kind)
DHCP_OPTIONS: dict[int, tuple[str, str]] = {
    0: ("pad", ""), 1: ("subnet_mask", _IP), 2: ("time_zone", "I"), 3: ("router", _IP),
    4: ("time_server", _IP), 5: ("IEN_name_server", _IP), 6: ("name_server", _IP),
    7: ("log_server", _IP), 8: ("cookie_server", _IP), 9: ("lpr_server", _IP),
    10: ("impress-servers", _IP), 11: ("resource-location-servers", _IP),
    12: ("hostname", _STR), 13: ("boot-size", "H"), 14: ("dump_path", _STR),
    15: ("domain", _STR), 16: ("swap-server", _IP), 17: ("root_disk_path", _STR),
    18: ("extensions-path", _STR), 19: ("ip-forwarding", "B"),
    20: ("non-local-source-routing", "B"), 21: ("policy-filter", _IP),
    22: ("max_dgram_reass_size", "H"), 23: ("default_ttl", "B"), 24: ("pmtu_timeout", "I"),
    25: ("path-mtu-plateau-table", "H"), 26: ("interface-mtu", "H"),
    27: ("all-subnets-local", "B"), 28: ("broadcast_address", _IP),
    29: ("perform-mask-discovery", "B"), 30: ("mask-supplier", "B"),
    31: ("router-discovery", "B"), 32: ("router-solicitation-address", _IP),
    33: ("static-routes", _IP), 34: ("trailer-encapsulation", "B"),
    35: ("arp_cache_timeout", "I"), 36: ("ieee802-3-encapsulation", "B"),
    37: ("tcp_ttl", "B"), 38: ("tcp_keepalive_interval", "I"),
    39: ("tcp_keepalive_garbage", "B"), 40: ("NIS_domain", _STR), 41: ("NIS_server", _IP),
    42: ("NTP_server", _IP), 43: ("vendor_specific", _STR), 44: ("NetBIOS_server", _IP),
    45: ("NetBIOS_dist_server", _IP), 46: ("NetBIOS_node_type", "B"),
    47: ("netbios-scope", _STR), 48: ("font-servers", _IP), 49: ("x-display-manager", _IP),
    50: ("requested_addr", _IP), 51: ("lease_time", "I"), 52: ("dhcp-option-overload", "B"),
    53: ("message-type", "type"), 54: ("server_id", _IP), 55: ("param_req_list", "list"),
    56: ("error_message", _STR), 57: ("max_dhcp_size", "H"), 58: ("renewal_time", "I"),
    59: ("rebinding_time", "I"), 60: ("vendor_class_id", _STR), 61: ("client_id", _STR),
    62: ("nwip-domain-name", _STR), 64: ("NISplus_domain", _STR),
    65: ("NISplus_server", _IP), 66: ("tftp_server_name", _STR),
    67: ("boot-file-name", _STR), 68: ("mobile-ip-home-agent", _IP),
    69: ("SMTP_server", _IP), 70: ("POP3_server", _IP), 71: ("NNTP_server", _IP),
    72: ("WWW_server", _IP), 73: ("Finger_server", _IP), 74: ("IRC_server", _IP),
    75: ("StreetTalk_server", _IP), 76: ("StreetTalk_Dir_Assistance", _IP),
    77: ("user_class", _STR), 78: ("slp_service_agent", _STR),
    79: ("slp_service_scope", _STR), 80: ("rapid_commit", _STR), 81: ("client_FQDN", _STR),
    82: ("relay_agent_information", _STR), 85: ("nds-server", _IP),
    86: ("nds-tree-name", _STR), 87: ("nds-context", _STR),
    88: ("bcms-controller-namesi", _STR), 89: ("bcms-controller-address", _IP),
    91: ("client-last-transaction-time", "I"), 92: ("associated-ip", _IP),
    93: ("pxe_client_architecture", _STR), 94: ("pxe_client_network_interface", _STR),
    97: ("pxe_client_machine_identifier", _STR), 98: ("uap-servers", _STR),
    100: ("pcode", _STR), 101: ("tcode", _STR), 108: ("ipv6-only-preferred", "I"),
    112: ("netinfo-server-address", _IP), 113: ("netinfo-server-tag", _STR),
    114: ("captive-portal", _STR), 116: ("auto-config", "B"),
    117: ("name-service-search", "H"), 118: ("subnet-selection", _IP),
    121: ("classless_static_routes", _STR), 124: ("vendor_class", _STR),
    125: ("vendor_specific_information", _STR), 128: ("tftp_server_ip_address", _IP),
    136: ("pana-agent", _IP), 137: ("v4-lost", _STR), 138: ("capwap-ac-v4", _IP),
    141: ("sip_ua_service_domains", _STR), 145: ("forcerenew_nonce_capable", "list"),
    146: ("rdnss-selection", _STR), 150: ("tftp_server_address", _IP),
    159: ("v4-portparams", _STR), 160: ("v4-captive-portal", _STR), 161: ("mud-url", _STR),
    208: ("pxelinux_magic", _STR), 209: ("pxelinux_configuration_file", _STR),
    210: ("pxelinux_path_prefix", _STR), 211: ("pxelinux_reboot_time", _STR),
    212: ("option-6rd", _STR), 213: ("v4-access-domain", _STR), 255: ("end", ""),
}

#: name -> code
DHCP_OPTION_CODES = {name: code for code, (name, _) in DHCP_OPTIONS.items()}
