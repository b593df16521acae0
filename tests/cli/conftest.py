"""Fixtures of the command-line tests: the tiny export models of tests/export."""

from tests.export.conftest import cnn, lstm, tricky

__all__ = ["cnn", "lstm", "tricky"]
