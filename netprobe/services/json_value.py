"""The JSON a record holds: what a plugin emits as JSON Lines and the history stores.

Declared once, for every plugin and service.  A record's values are decoded
JSON (or about to be encoded), so they are one of these and nothing more:
where a value is known better (a port, a state) the code says so with a
TypedDict or a dataclass instead.
"""

from __future__ import annotations

#: A JSON value: a scalar, a list of values, or an object.
JSONValue = None | bool | int | float | str | list["JSONValue"] | dict[str, "JSONValue"]

#: One JSON object, as built: a JSON Lines record, a summary, a tag.
JSONRecord = dict[str, JSONValue]
