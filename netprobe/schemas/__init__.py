"""The JSON Schema of netprobe's JSON Lines records, shipped with the package.

``records.json`` describes one record of any subcommand: every record has
``type``; times are numbers with their unit in the key (``ts``/``*_ts`` seconds
since the epoch, ``*_s`` seconds, ``*_ms`` milliseconds). :func:`load` reads it
(``jsonschema.validate(record, load())`` checks a record).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

#: the schema files in this package
SCHEMAS = ("records.json",)


def load(name: str = "records.json") -> dict[str, Any]:
    """One of the package's JSON Schemas, parsed."""
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


__all__ = ["SCHEMAS", "load"]
