"""What a lab created, in a JSON file under /run/netprobe/ (one file per lab).

``up`` claims the file before creating anything and records every namespace
before it exists and every process as soon as it has a PID, so ``down`` can
remove exactly that, also after a crash half-way through ``up``. /run is
emptied at boot, exactly like the namespaces it describes.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_DIR = "/run/netprobe"
# Tests and unusual systems may keep state elsewhere.
DIR_VARIABLE = "NETPROBE_LAB_STATE_DIR"


@dataclass
class ProcessRecord:
    """A service process started inside the lab, identified beyond its PID.

    ``starttime`` (clock ticks after boot, from /proc/PID/stat) tells our
    process from an unrelated one that reused the PID later.
    """

    node: str
    namespace: str
    ports: list[list]  # [["tcp", 22], ["udp", 53], ...]
    pid: int
    starttime: int
    argv: list[str]


@dataclass
class LabState:
    """Everything one lab has created and the settings applied to it since."""

    name: str
    phase: str = "building"  # "building" until up completes, then "up"
    namespaces: list[str] = field(default_factory=list)
    processes: list[ProcessRecord] = field(default_factory=list)
    impair: dict[str, int] = field(default_factory=dict)  # target -> loss percent
    delays: dict[str, list[float]] = field(default_factory=dict)  # target -> [ms, jitter ms]
    icmp_ratelimit: dict[str, int] = field(default_factory=dict)  # node -> ms set by impair
    ratelimit: bool = True  # False: built with --no-ratelimit
    delay_backend: str = ""  # how delays are made: "netem" or the userspace delay line
    relays: list[ProcessRecord] = field(default_factory=list)  # delay lines (node = port)
    netem_ports: list[str] = field(default_factory=list)  # ports with netem qdiscs
    duplicate: str | None = None
    built_seconds: float | None = None
    created: float = 0.0
    owner_pid: int = 0
    kernel: dict = field(default_factory=dict)

    def to_json(self) -> str:
        """The state as JSON text."""
        return json.dumps(asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LabState:
        """Parse state written by :meth:`to_json` (ValueError when damaged)."""
        raw = json.loads(text)
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise ValueError("not a lab state file")
        raw["processes"] = [ProcessRecord(**proc) for proc in raw.get("processes", [])]
        raw["relays"] = [ProcessRecord(**proc) for proc in raw.get("relays", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in raw.items() if key in known})


def state_dir() -> Path:
    """The directory holding lab state files."""
    return Path(os.environ.get(DIR_VARIABLE) or DEFAULT_DIR)


def state_path(name: str) -> Path:
    """The state file of lab ``name``."""
    return state_dir() / f"lab-{name}.json"


def claim(state: LabState) -> None:
    """Create the state file of a new lab; FileExistsError if the lab exists.

    O_EXCL makes two concurrent ``up`` of one name impossible: one wins.
    """
    path = state_path(state.name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w") as handle:
        handle.write(state.to_json())


def save(state: LabState) -> None:
    """Replace the state file atomically (a crash leaves the old or the new one)."""
    path = state_path(state.name)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(state.to_json())
    os.replace(temporary, path)


def load(name: str) -> LabState | None:
    """The state of lab ``name``, or None when it has no state file.

    A damaged file raises ValueError: guessing what it listed would risk
    removing the wrong things.
    """
    try:
        text = state_path(name).read_text()
    except FileNotFoundError:
        return None
    return LabState.from_json(text)


def discard(name: str) -> None:
    """Remove the state file of lab ``name`` (nothing if it is gone)."""
    state_path(name).unlink(missing_ok=True)


def labs() -> list[str]:
    """Names of every lab with a state file."""
    directory = state_dir()
    if not directory.is_dir():
        return []
    return sorted(path.name[4:-5] for path in directory.glob("lab-*.json"))
