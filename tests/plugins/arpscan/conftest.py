"""The practice lab for arpscan's lab tests (one lab shared by the whole session)."""

from tests.labfixture import lab  # noqa: F401
