"""Helpers of the data tests (the image-folder fixtures live in tests/conftest.py)."""

from tests.fixtures import save

__all__ = ["save"]
