"""Snippets whose output differs from Scapy's on purpose: (theme, name) -> why.

Every reason here is also said in the README's "Where netprobe differs from Scapy".
"""

from __future__ import annotations

DIFFERS: dict[tuple[str, str], str] = {
}
