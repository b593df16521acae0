"""Helpers shared by the tests of several packages: a local HTTP file server, image files."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image


def save(path: Path, array: np.ndarray) -> str:
    """Write a uint8 array as an image file (format from the extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return str(path)


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


def merge_plain(base: dict, changes: dict) -> dict:
    """``base`` with ``changes`` merged in, recursively for nested objects (an object of
    another ``kind``, such as another kind of data source, replaces the old one)."""
    out = dict(base)
    for key, value in changes.items():
        old = out.get(key)
        if (
            isinstance(value, dict)
            and isinstance(old, dict)
            and value.get("kind", old.get("kind")) == old.get("kind")
        ):
            out[key] = merge_plain(old, value)
        else:
            out[key] = value
    return out


def edit_sections(project, **changes: dict):
    """Change a project's settings through their plain-data form, checked like a file's:
    ``edit_sections(p, data={"source": {"num_samples": 100}})`` (returns the project)."""
    from designer.app.settings import ProjectSettings

    plain = merge_plain(project.settings.to_dict(), changes)
    project.settings = ProjectSettings.from_dict(plain)
    return project


def plain(project, section: str) -> dict:
    """A project's settings section in its plain-data (file) form."""
    return project.settings.to_dict()[section]
