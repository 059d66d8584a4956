"""Fixtures of the traceroute tests: the scripted path's virtual time, the practice lab."""

from tests.labfixture import lab  # noqa: F401
from tests.plugins.traceroute.fakepath import vt  # noqa: F401
