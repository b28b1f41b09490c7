"""Fakes of external services served over real sockets on 127.0.0.1 for the tests."""
