"""The lab fixture for the library tests that probe (``lab`` marked)."""

from tests.labfixture import lab  # noqa: F401
