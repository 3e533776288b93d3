"""Shared fixtures: a real logpond server (the built binary) on 127.0.0.1 with a real data folder."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import requests

BIN = os.environ.get("LOGPOND_BIN") or os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "logpond")
PYDEPS = os.environ.get("LOGPOND_PYDEPS") or os.path.join(os.path.dirname(__file__), "..", "..", ".build", "pydeps")
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """One logpond process; restartable on the same data folder."""

    def __init__(self, data_dir, config_text=None, extra_args=(), ca=None, client_cert=None):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        # With `ca` (a PEM file) the server speaks HTTPS and the helpers trust that authority.
        self.ca = ca
        self.client_cert = client_cert
        self.port = free_port()
        self.proc = None
        self.log_path = os.path.join(data_dir + "-logs", "server.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.config_path = None
        if config_text is not None:
            self.config_path = os.path.join(data_dir + "-logs", "logpond.yml")
            with open(self.config_path, "w") as f:
                f.write(config_text)

    @property
    def url(self):
        return f"{'https' if self.ca else 'http'}://127.0.0.1:{self.port}"

    def start(self):
        args = [BIN, "serve", "--data", self.data_dir, "--host", "127.0.0.1", "--port", str(self.port)]
        if self.config_path:
            args += ["--config", self.config_path]
        args += self.extra_args
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.log_text())
            try:
                requests.get(self.url + "/", timeout=1, verify=self.ca or True, cert=self.client_cert)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.log_text())

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    # Small helpers used across tests.
    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=60, **kw)

    def post(self, path, body=None, **kw):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            kw.setdefault("headers", {"Content-Type": "application/json"})
        return requests.post(self.url + path, data=body, timeout=120, **kw)

    def put(self, path, body=None, **kw):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            kw.setdefault("headers", {"Content-Type": "application/json"})
        return requests.put(self.url + path, data=body, timeout=60, **kw)

    def delete(self, path, **kw):
        return requests.delete(self.url + path, timeout=60, **kw)

    def bulk(self, lines, path="/_bulk", **params):
        body = "".join(json.dumps(l, separators=(",", ":")) + "\n" if not isinstance(l, str) else l + "\n" for l in lines)
        r = requests.post(self.url + path, data=body.encode(), params=params,
                          headers={"Content-Type": "application/x-ndjson"}, timeout=120)
        return r

    def search(self, index, body, **params):
        return self.post(f"/{index}/_search", body, params=params)


@pytest.fixture
def server(tmp_path):
    s = Server(str(tmp_path / "data")).start()
    yield s
    s.stop()


@pytest.fixture
def make_server(tmp_path):
    made = []

    def make(config_text=None, name="data"):
        s = Server(str(tmp_path / name), config_text)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def run_es_py(script, url, flavour, marker):
    """Runs `script` with the real elasticsearch-py of `flavour` (es7 or es8, from PyPI) against
    `url`; it must exit 0 and print `marker`."""
    path = os.path.join(PYDEPS, flavour)
    if not os.path.isdir(path):
        pytest.fail(f"{path} missing: run `make pydeps` (make test does)")
    env = dict(os.environ, PYTHONPATH=path)
    r = subprocess.run([sys.executable, "-c", script, url, flavour], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and marker in r.stdout, r.stdout + r.stderr


def assert_es_error(resp, status, error_type):
    """An Elasticsearch error body with the product header and a JSON content type."""
    assert resp.status_code == status, resp.text
    assert resp.headers.get("X-Elastic-Product") == "Elasticsearch"
    assert "json" in resp.headers.get("Content-Type", "")
    body = resp.json()
    assert body["status"] == status
    assert body["error"]["type"] == error_type, body
    assert body["error"]["root_cause"][0]["type"] == error_type
    assert isinstance(body["error"]["reason"], str) and body["error"]["reason"]
    return body
