"""Service names and the "most common ports" ranking behind ``--top-ports``.

Where the data comes from, and why
==================================

*Service names* come from the system's ``/etc/services`` (on Debian and Ubuntu
the ``netbase`` package, whose list is kept in step with the IANA "Service
Name and Transport Protocol Port Number Registry"). It is read at run time the
way every program reads it through ``getservbyport(3)``; netprobe ships no copy.
When the file is missing, or has no entry for a port, the names of the ports in
netprobe's own ranking below (IANA's service names, facts) are used.

*Port frequencies*: the only widely used measured frequency table is Nmap's
``nmap-services``. It is distributed under the Nmap Public Source License, which
is not compatible with ordinary open source licences, and Nmap's legal notice
says that it considers any application that "reads or includes" its copyrighted
data files (it names ``nmap-os-db`` and ``nmap-service-probes``; ``nmap-services``
carries the same notice in its header) to be a derivative work under that
licence. So netprobe neither ships that file, nor anything derived from it, nor
reads it by itself, even when Nmap is installed. No other measured, openly
licensed table of port frequencies exists that this project could cite.

What netprobe uses instead, in this order:

1. ``NETPROBE_PORT_FREQUENCIES=FILE`` when set: a table the *user* supplies,
   one ``[name] port/proto frequency`` per line (``#`` comments; the layout of
   ``/etc/services`` with a number added, which is also the layout of
   nmap-services). Ports are ranked by that number. Pointing it at a file is
   the user's decision and the user's licence question, not netprobe's.
2. Otherwise netprobe's own ranking (``RANKING`` below, written for this
   project: services grouped by how widely they are deployed on ordinary
   networks — web, remote administration, mail, name and directory services,
   file and print sharing, databases, message queues, management interfaces —
   most widespread group first). It is documented judgement, not a measurement.
3. Then every other port ``/etc/services`` names for the protocol (registered
   services that the distribution considers in use), by port number.
4. Then all remaining ports, 1-1023 first, then 1024-65535, by number. With
   Debian's services file the default ``--top-ports 1000`` holds the ranking,
   every named service and most of the well-known ports.
"""

from __future__ import annotations

import functools
import os

#: the services file read for names
SERVICES_FILE = "/etc/services"
#: environment variable naming a user-supplied frequency table (see the module doc)
FREQUENCIES_ENV = "NETPROBE_PORT_FREQUENCIES"
MAX_PORT = 65535

# netprobe's own ranking: (port, IANA service name), most widely deployed first.
RANKING: dict[str, tuple[tuple[int, str], ...]] = {
    "tcp": (
        # the web and remote administration
        (80, "http"), (443, "https"), (22, "ssh"), (8080, "http-alt"), (21, "ftp"),
        (23, "telnet"), (3389, "ms-wbt-server"), (8443, "pcsync-https"),
        # mail
        (25, "smtp"), (587, "submission"), (465, "submissions"), (110, "pop3"),
        (995, "pop3s"), (143, "imap"), (993, "imaps"),
        # Windows and file sharing
        (445, "microsoft-ds"), (139, "netbios-ssn"), (135, "epmap"), (2049, "nfs"),
        (111, "sunrpc"), (548, "afpovertcp"), (873, "rsync"),
        # names, directories, authentication
        (53, "domain"), (389, "ldap"), (636, "ldaps"), (88, "kerberos"), (464, "kpasswd"),
        (3268, "msft-gc"), (3269, "msft-gc-ssl"),
        # databases and caches
        (3306, "mysql"), (5432, "postgresql"), (1433, "ms-sql-s"), (1521, "ncube-lm"),
        (6379, "redis"), (27017, "mongodb"), (11211, "memcache"), (9200, "wap-wsp"),
        (5984, "couchdb"), (9042, "cassandra-native"),
        # more web ports: proxies, alternates, application servers, panels
        (8000, "irdmi"), (8008, "http-alt"), (8888, "ddi-tcp-1"), (8081, "sunproxyadmin"),
        (3128, "squid-http"), (81, "hosts2-ns"), (8001, "vcom-tunnel"), (8082, "us-cli"),
        (9000, "cslistener"), (9090, "websm"), (3000, "remoteware-cl"),
        (5000, "commplex-main"), (8009, "ajp13"), (8181, "intermapper"), (9443, "tungsten-https"),
        (10000, "ndmp"), (4443, "pharos"), (7001, "afs3-callback"), (8088, "radan-http"),
        (8880, "cddbp-alt"), (2082, "infowave"), (2083, "radsec"), (2086, "gnunet"),
        (2087, "eli"), (1080, "socks"), (8118, "privoxy"),
        # remote desktops and management
        (5900, "rfb"), (5901, "rfb"), (5800, "vnc-http"), (5985, "wsman"), (5986, "wsmans"),
        (47001, "winrm"), (902, "ideafarm-door"), (2222, "EtherNet-IP-1"),
        (161, "snmp"), (623, "asf-rmcp"), (5666, "nrpe"), (10050, "zabbix-agent"),
        (10051, "zabbix-trapper"),
        # printing and devices
        (631, "ipp"), (515, "printer"), (9100, "jetdirect"), (554, "rtsp"),
        (1900, "ssdp"), (5357, "wsdapi"), (7547, "cwmp"), (5555, "personal-agent"),
        # voice, chat, streaming
        (5060, "sip"), (5061, "sips"), (1720, "h323hostcall"), (2000, "cisco-sccp"),
        (5222, "xmpp-client"), (5269, "xmpp-server"), (6667, "ircd"), (1935, "rtmp"),
        # message queues, orchestration
        (5672, "amqp"), (1883, "mqtt"), (8883, "secure-mqtt"), (9092, "XmlIpcRegSvc"),
        (2181, "eforward"), (2375, "docker"), (2376, "docker-s"), (6443, "sun-sr-https"),
        (10250, "kubelet"), (2379, "etcd-client"), (15672, "rabbitmq-management"),
        (61616, "activemq"), (1099, "rmiregistry"),
        # routing and tunnels
        (179, "bgp"), (1723, "pptp"), (1194, "openvpn"), (500, "isakmp"),
        # version control, development
        (3690, "svn"), (9418, "git"),
        # Windows dynamic RPC and old defaults
        (593, "http-rpc-epmap"), (49152, "dynamic"), (49153, "dynamic"), (49154, "dynamic"),
        (1025, "blackjack"), (1026, "cap"), (1027, "dynamic"),
        # classic small services
        (113, "ident"), (119, "nntp"), (79, "finger"), (513, "login"), (514, "shell"),
        (512, "exec"), (7, "echo"), (9, "discard"), (13, "daytime"), (37, "time"),
        (19, "chargen"), (6000, "x11"),
        # games and media
        (25565, "minecraft"), (27015, "steam"), (32400, "plex"),
    ),
    "udp": (
        (53, "domain"), (123, "ntp"), (161, "snmp"), (137, "netbios-ns"),
        (138, "netbios-dgm"), (67, "bootps"), (68, "bootpc"), (500, "isakmp"),
        (4500, "ipsec-nat-t"), (1900, "ssdp"), (5353, "mdns"), (514, "syslog"),
        (69, "tftp"), (162, "snmptrap"), (111, "sunrpc"), (2049, "nfs"), (520, "router"),
        (1434, "ms-sql-m"), (1812, "radius"), (1813, "radius-acct"), (1645, "datametrics"),
        (1646, "sa-msg-port"), (5060, "sip"), (3478, "stun"), (11211, "memcache"),
        (623, "asf-rmcp"), (1701, "l2tp"), (631, "ipp"), (427, "svrloc"),
        (5355, "llmnr"), (3702, "ws-discovery"), (1194, "openvpn"), (51820, "wireguard"),
        (546, "dhcpv6-client"), (547, "dhcpv6-server"), (5351, "nat-pmp"),
        (5683, "coap"), (47808, "bacnet"), (177, "xdmcp"), (4789, "vxlan"),
        (3283, "net-assistant"), (1604, "icabrowser"), (27015, "steam"),
        (7, "echo"), (9, "discard"), (13, "daytime"), (17, "qotd"), (19, "chargen"),
        (37, "time"), (33434, "traceroute"),
    ),
}


def _check_proto(proto: str) -> str:
    if proto not in ("tcp", "udp"):
        raise ValueError(f"protocol must be 'tcp' or 'udp', not {proto!r}")
    return proto


def parse_services(text: str) -> dict[tuple[str, int], str]:
    """``/etc/services`` text → {(proto, port): name}; the first name for a port wins."""
    names: dict[tuple[str, int], str] = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2 or "/" not in fields[1]:
            continue
        port_text, _, proto = fields[1].partition("/")
        if not port_text.isdigit() or proto not in ("tcp", "udp"):
            continue
        names.setdefault((proto, int(port_text)), fields[0])
    return names


def parse_frequencies(text: str) -> dict[str, list[tuple[int, float]]]:
    """A frequency table → {proto: [(port, frequency)]}.

    Lines are ``[name] port/proto frequency [...]``; lines without a number after
    the port are skipped, and so are comments and anything unreadable.
    """
    table: dict[str, list[tuple[int, float]]] = {"tcp": [], "udp": []}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        for i, field in enumerate(fields):
            if "/" not in field:
                continue
            port_text, _, proto = field.partition("/")
            if not port_text.isdigit() or proto not in table or i + 1 >= len(fields):
                break
            try:
                freq = float(fields[i + 1])
            except ValueError:
                break
            port = int(port_text)
            if 1 <= port <= MAX_PORT and freq >= 0:
                table[proto].append((port, freq))
            break
    return table


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


@functools.cache
def _system_names() -> dict[tuple[str, int], str]:
    try:
        return parse_services(_read_text(SERVICES_FILE))
    except OSError:
        return {}


@functools.cache
def _ranking_names() -> dict[tuple[str, int], str]:
    return {(proto, port): name for proto, entries in RANKING.items()
            for port, name in entries}


def service_name(proto: str, port: int) -> str | None:
    """The service name of ``port`` over ``proto`` ("tcp"/"udp"), or None when unnamed."""
    key = (_check_proto(proto), port)
    return _system_names().get(key) or _ranking_names().get(key)


def ranked_ports(proto: str, frequencies: dict[str, list[tuple[int, float]]] | None,
                 system: dict[tuple[str, int], str]) -> list[int]:
    """Every port 1-65535 of ``proto``, most common first (see the module doc for the order).

    Pure: ``frequencies`` is a user table (or None), ``system`` the parsed services file.
    """
    _check_proto(proto)
    order: list[int] = []
    seen = bytearray(MAX_PORT + 1)

    def add(port: int) -> None:
        if 1 <= port <= MAX_PORT and not seen[port]:
            seen[port] = 1
            order.append(port)

    if frequencies is not None:
        # stable sort: equal frequencies keep the table's order
        for port, _ in sorted(frequencies.get(proto, []), key=lambda pf: -pf[1]):
            add(port)
    for port, _ in RANKING[proto]:
        add(port)
    for port in sorted(p for (pr, p) in system if pr == proto):
        add(port)
    for port in range(1, MAX_PORT + 1):
        add(port)
    return order


@functools.cache
def _user_frequencies(path: str) -> dict[str, list[tuple[int, float]]]:
    from netprobe.errors import UsageError

    try:
        text = _read_text(path)
    except OSError as exc:
        raise UsageError(f"{FREQUENCIES_ENV}={path}: cannot read it: "
                         f"{exc.strerror or exc}") from None
    return parse_frequencies(text)


@functools.cache
def _ranked(proto: str, frequency_file: str | None) -> tuple[int, ...]:
    frequencies = _user_frequencies(frequency_file) if frequency_file else None
    return tuple(ranked_ports(proto, frequencies, _system_names()))


def top_ports(proto: str, n: int) -> list[int]:
    """The ``n`` most common ports of ``proto`` ("tcp"/"udp"), most common first."""
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    path = os.environ.get(FREQUENCIES_ENV) or None
    return list(_ranked(_check_proto(proto), path)[:n])
