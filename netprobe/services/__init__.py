"""The services floor: what several subcommands share, between the engine and the plugins.

* ``output``: tables on a terminal, JSON Lines on a pipe, progress bars, atomic files;
* ``packetview``: how one packet is shown (a tcpdump-like line, the JSON record);
* ``cluster``: run independent tasks here, on local processes or on a Dask cluster;
* ``history``: the database of recorded runs (``--db``): recorder, lock, store, diff;
* ``json_value``: the types of the JSON records plugins emit (``JSONValue``, ``JSONRecord``);
* ``plugin_record`` / ``plugin_index``: the plugin contract (``Plugin``, the
  entry-point group ``netprobe.plugins``) and finding installed plugins by it;
* ``targets``: the address forms targets are written in (address, CIDR, ranges);
* ``capture_out``: the ``-w OUT`` capture writer (pcap or pcapng by the file's name);
* ``save_path``: the check of a ``--save`` path before anything is sent.

Modules here import the engine, wire and packet floors and the basement modules
(``errors``, ``version``, ``costs``...), never a plugin or the command line; a
plugin, built in or third-party, imports them and no other plugin. Nothing is
imported by this package itself: each service is imported where it is used.
"""
