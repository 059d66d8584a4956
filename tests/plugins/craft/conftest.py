"""The practice lab for ``craft``'s lab tests (one lab per session, shared)."""

from tests.labfixture import lab  # noqa: F401
