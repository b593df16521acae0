"""Fixtures of the zoo tests: a temporary Keras cache and a local HTTP file server."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from designer.zoo import weights


class FileServer:
    """Serves in-memory files on 127.0.0.1 and counts the requests of each path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.truncate: set[str] = set()  # paths answered with half the announced bytes
        self.requests: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests[self.path] += 1
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if self.path in server.truncate else body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """Base URL of the server, without a trailing slash."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    """A running local HTTP server (stopped after the test)."""
    server = FileServer()
    yield server
    server.close()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """A temporary, empty Keras cache; no mirror from the environment; official origin off."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv(weights.ENV_MIRROR, raising=False)
    monkeypatch.delenv(weights.ENV_OFFLINE, raising=False)
    weights.set_mirror(None)
    weights.set_offline(True)
    yield home
    weights.set_mirror(None)
    weights.set_offline(None)
