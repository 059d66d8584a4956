"""Engine tests: the session's practice lab is available to the ``lab`` tests here."""

from tests.labfixture import lab  # noqa: F401
