"""DNS number registries: record types, classes, opcodes, response codes, EDNS0 options.

The numbers are IANA's (DNS parameters registry); the names follow Scapy's
spelling where Scapy names them, so ``DNSQR(qtype="ALL")`` reads the same in
both tools.
"""

from __future__ import annotations

#: resource record TYPE -> mnemonic
DNS_TYPES: dict[int, str] = {
    0: "RESERVED", 1: "A", 2: "NS", 3: "MD", 4: "MF", 5: "CNAME", 6: "SOA", 7: "MB",
    8: "MG", 9: "MR", 10: "NULL", 11: "WKS", 12: "PTR", 13: "HINFO", 14: "MINFO", 15: "MX",
    16: "TXT", 17: "RP", 18: "AFSDB", 19: "X25", 20: "ISDN", 21: "RT", 22: "NSAP",
    23: "NSAP-PTR", 24: "SIG", 25: "KEY", 26: "PX", 27: "GPOS", 28: "AAAA", 29: "LOC",
    30: "NXT", 31: "EID", 32: "NIMLOC", 33: "SRV", 34: "ATMA", 35: "NAPTR", 36: "KX",
    37: "CERT", 38: "A6", 39: "DNAME", 40: "SINK", 41: "OPT", 42: "APL", 43: "DS",
    44: "SSHFP", 45: "IPSECKEY", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 49: "DHCID",
    50: "NSEC3", 51: "NSEC3PARAM", 52: "TLSA", 53: "SMIMEA", 55: "HIP", 56: "NINFO",
    57: "RKEY", 58: "TALINK", 59: "CDS", 60: "CDNSKEY", 61: "OPENPGPKEY", 62: "CSYNC",
    63: "ZONEMD", 64: "SVCB", 65: "HTTPS", 99: "SPF", 100: "UINFO", 101: "UID", 102: "GID",
    103: "UNSPEC", 104: "NID", 105: "L32", 106: "L64", 107: "LP", 108: "EUI48",
    109: "EUI64", 249: "TKEY", 250: "TSIG", 256: "URI", 257: "CAA", 258: "AVC", 259: "DOA",
    260: "AMTRELAY", 32768: "TA", 32769: "DLV", 65535: "RESERVED",
}

#: question QTYPE -> mnemonic: every TYPE plus the query-only ones
DNS_QTYPES: dict[int, str] = {**DNS_TYPES, 251: "IXFR", 252: "AXFR", 253: "MAILB",
                              254: "MAILA", 255: "ALL"}

#: CLASS -> mnemonic
DNS_CLASSES: dict[int, str] = {1: "IN", 2: "CS", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}

#: header OPCODE -> name
DNS_OPCODES: dict[int, str] = {0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY",
                               5: "UPDATE", 6: "DSO"}

#: header RCODE -> name
DNS_RCODES: dict[int, str] = {0: "ok", 1: "format-error", 2: "server-failure",
                              3: "name-error", 4: "not-implemented", 5: "refused",
                              6: "yx-domain", 7: "yx-rrset", 8: "nx-rrset", 9: "not-auth",
                              10: "not-zone", 11: "dso-type-not-implemented"}

#: EDNS0 option code -> name
EDNS0_TYPES: dict[int, str] = {0: "Reserved", 1: "LLQ", 2: "UL", 3: "NSID", 4: "Owner",
                               5: "DAU", 6: "DHU", 7: "N3U", 8: "edns-client-subnet",
                               9: "EXPIRE", 10: "COOKIE", 11: "edns-tcp-keepalive",
                               12: "Padding", 13: "CHAIN", 14: "edns-key-tag",
                               15: "Extended DNS Error"}

#: types whose RDATA is one domain name (NS, MD, MF, CNAME, PTR, DNAME), as Scapy decodes
NAME_RDATA_TYPES = frozenset((2, 3, 4, 5, 12, 39))
