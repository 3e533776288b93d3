"""HTTPS (issue 14): certificates made here with openssl; curl --cacert, elasticsearch-py 7/8 with
ca_certs, rsyslog's omelasticsearch with uid/pwd and tls.cacert, Curator with http_auth and
use_ssl, `logpond curate --cacert --api-key`; client certificates; SIGHUP reloads the certificate
without dropping open connections."""
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import textwrap
import time

import pytest
import requests

from conftest import BIN, PYDEPS, Server, free_port
from test_security import TABLE

ADMIN = ("admin", "tls-admin-pw")
INGEST = ("fb", "tls-ingest-pw")
CURATOR = ("cron", "tls-curator-pw")


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def make_cert(d, name, cn, ca="ca", san="DNS:localhost,IP:127.0.0.1", client=False):
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    ext = f"{name}.ext"
    with open(os.path.join(d, ext), "w") as f:
        f.write(f"subjectAltName={san}\n" + ("extendedKeyUsage=clientAuth\n" if client else "extendedKeyUsage=serverAuth\n"))
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", ext, cwd=d)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("certs"))
    for ca in ["ca", "other-ca"]:
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2",
                "-subj", f"/CN=Logpond test {ca}", cwd=d)
    make_cert(d, "server", "logpond-first")
    make_cert(d, "server2", "logpond-second")
    make_cert(d, "client", "a-client", san="DNS:client", client=True)
    make_cert(d, "stranger", "a-stranger", ca="other-ca", san="DNS:client", client=True)
    return lambda name: os.path.join(d, name)


def add_user(data, name, role, password):
    r = subprocess.run([BIN, "users", "add", name, "--role", role, "--password-stdin", "--data", data],
                       input=password + "\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.fixture
def https(tmp_path, certs):
    data = str(tmp_path / "data")
    add_user(data, ADMIN[0], "superuser", ADMIN[1])
    add_user(data, INGEST[0], "ingest", INGEST[1])
    add_user(data, CURATOR[0], "curator", CURATOR[1])
    s = Server(data, extra_args=["--tls-cert", certs("server.crt"), "--tls-key", certs("server.key")], ca=certs("ca.crt")).start()
    yield s
    s.stop()


def curl(*args):
    return subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=60)


def test_curl_with_cacert_and_every_route_needs_auth(https, certs):
    s = https
    assert "listening on https://127.0.0.1" in s.log_text()
    r = curl("--cacert", certs("ca.crt"), "-u", ":".join(ADMIN), s.url + "/")
    assert r.returncode == 0 and json.loads(r.stdout)["tagline"] == "You Know, for Search", r.stderr
    r = curl("--cacert", certs("ca.crt"), "-o", "/dev/null", "-w", "%{http_code}", s.url + "/_cat/indices")
    assert r.stdout == "401"
    r = curl("--cacert", certs("ca.crt"), "-o", "/dev/null", "-w", "%{http_code}", "-u", "admin:wrong", s.url + "/_search")
    assert r.stdout == "401"
    # Without the authority curl refuses the certificate; plain HTTP gets no answer.
    assert curl(s.url + "/").returncode == 60
    assert curl(s.url.replace("https", "http") + "/").returncode != 0
    # Every route family answers 401 over HTTPS too, without credentials and with wrong ones.
    for method, path, body, _ in TABLE:
        for creds in [None, ("admin", "wrong"), ("nobody", "x")]:
            r = requests.request(method, s.url + path.format(user="x"), data=body and body.replace("{user}", "x"), auth=creds,
                                 verify=certs("ca.crt"), headers={"Content-Type": "application/json"})
            assert r.status_code == 401, (method, path, creds, r.status_code)
    r = curl("--cacert", certs("ca.crt"), "-u", ":".join(INGEST), "-H", "Content-Type: application/x-ndjson",
             "--data-binary", '{"index":{"_index":"tls"}}\n{"msg":"over https"}\n', s.url + "/_bulk?refresh=true")
    assert json.loads(r.stdout)["errors"] is False, r.stdout + r.stderr


@pytest.mark.parametrize("flavour", ["es7", "es8"])
def test_elasticsearch_py_over_https(https, certs, flavour):
    path = os.path.join(PYDEPS, flavour)
    if not os.path.isdir(path):
        pytest.fail(f"{path} missing: run `make pydeps` (make test does)")
    script = textwrap.dedent("""
        import sys
        from elasticsearch import Elasticsearch
        url, flavour, ca = sys.argv[1:4]
        auth = {"basic_auth": ("admin", "tls-admin-pw")} if flavour == "es8" else {"http_auth": ("admin", "tls-admin-pw")}
        es = Elasticsearch(url, ca_certs=ca, **auth)
        assert es.info()["version"]["number"].startswith("7.17")
        if flavour == "es8":
            es.index(index="py-tls", id="1", document={"a": 1}, refresh=True)
            k = es.security.create_api_key(name="py-tls", role_descriptors={})
        else:
            es.index(index="py-tls", id="1", body={"a": 1}, refresh=True)
            k = es.security.create_api_key(body={"name": "py-tls"})
        keyed = Elasticsearch(url, ca_certs=ca, api_key=(k["id"], k["api_key"]))
        assert keyed.count(index="py-tls")["count"] == 1
        try:
            Elasticsearch(url, **auth).info()     # the system's authorities do not know our test CA
            raise SystemExit("no error for an unknown certificate authority")
        except SystemExit:
            raise
        except Exception as e:
            assert "CERTIFICATE_VERIFY_FAILED" in str(e) or "SSL" in repr(e), repr(e)
        print("CLIENT-OK")
    """)
    r = subprocess.run(["python3", "-c", script, https.url, flavour, certs("ca.crt")], env=dict(os.environ, PYTHONPATH=path),
                       capture_output=True, text=True, timeout=120)
    assert "CLIENT-OK" in r.stdout, r.stdout + r.stderr


def peer_cn(sock):
    subject = dict(x[0] for x in sock.getpeercert()["subject"])
    return subject["commonName"]


def test_sighup_reloads_the_certificate_without_dropping_connections(https, certs, tmp_path):
    s = https
    ctx = ssl.create_default_context(cafile=certs("ca.crt"))
    hdr = {"Authorization": "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()}
    old = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=30)
    old.request("GET", "/", headers=hdr)
    assert old.getresponse().read() and peer_cn(old.sock) == "logpond-first"
    # The files change in place (as a certificate renewal does), then SIGHUP.
    cert_path, key_path = s.extra_args[1], s.extra_args[3]
    backup = [open(cert_path, "rb").read(), open(key_path, "rb").read()]
    try:
        shutil.copy(certs("server2.crt"), cert_path)
        shutil.copy(certs("server2.key"), key_path)
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "reloaded" not in s.log_text():
            assert time.time() < deadline, s.log_text()
            time.sleep(0.1)
        assert s.alive()
        # The open connection goes on with its old session; a new one sees the new certificate.
        old.request("GET", "/_cluster/health", headers=hdr)
        assert old.getresponse().status == 200 and peer_cn(old.sock) == "logpond-first"
        new = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=30)
        new.request("GET", "/", headers=hdr)
        assert new.getresponse().status == 200 and peer_cn(new.sock) == "logpond-second"
        # A broken file on the next SIGHUP keeps the running certificate and says why.
        with open(key_path, "w") as f:
            f.write("not a key\n")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "kept the current TLS certificate" not in s.log_text():
            assert time.time() < deadline, s.log_text()
            time.sleep(0.1)
        third = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=30)
        third.request("GET", "/", headers=hdr)
        assert third.getresponse().status == 200 and peer_cn(third.sock) == "logpond-second"
        assert s.alive()
    finally:
        open(cert_path, "wb").write(backup[0])
        open(key_path, "wb").write(backup[1])


def handshake(port, ca, cert=None):
    ctx = ssl.create_default_context(cafile=ca)
    if cert:
        ctx.load_cert_chain(cert + ".crt", cert + ".key")
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.request("GET", "/_security/_authenticate", headers={"Authorization": "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()})
        return conn.getresponse().status
    except (ssl.SSLError, ConnectionError, OSError) as e:
        return type(e).__name__
    finally:
        conn.close()


@pytest.mark.parametrize("mode", ["required", "optional"])
def test_client_certificates_from_the_config(tmp_path, certs, mode):
    data = str(tmp_path / "data")
    add_user(data, ADMIN[0], "superuser", ADMIN[1])
    cfg = textwrap.dedent(f"""
        xpack.security.http.ssl:
          enabled: true
          certificate: {certs("server.crt")}
          key: {certs("server.key")}
          client_authentication: {mode}
          certificate_authorities: [{certs("ca.crt")}]
    """)
    s = Server(data, config_text=cfg, ca=certs("ca.crt"), client_cert=(certs("client.crt"), certs("client.key"))).start()
    try:
        assert handshake(s.port, certs("ca.crt"), certs("client")) == 200
        # A certificate from an authority the server does not trust is refused either way.
        assert handshake(s.port, certs("ca.crt"), certs("stranger")) != 200
        no_cert = handshake(s.port, certs("ca.crt"))
        assert (no_cert != 200) if mode == "required" else (no_cert == 200), no_cert
    finally:
        s.stop()


def test_bad_tls_settings_refuse_to_start(tmp_path, certs):
    def serve(*args, config=None):
        cmd = [BIN, "serve", "--data", str(tmp_path / "d"), "--port", str(free_port()), *args]
        if config:
            p = tmp_path / "c.yml"
            p.write_text(config)
            cmd += ["--config", str(p)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    r = serve("--tls-cert", certs("server.crt"))
    assert r.returncode != 0 and "needs both a certificate and a key" in r.stderr
    r = serve("--tls-cert", certs("server.crt"), "--tls-key", certs("ca.crt"))
    assert r.returncode != 0 and "cannot read the TLS key " + certs("ca.crt") in r.stderr
    r = serve("--tls-cert", certs("server.crt"), "--tls-key", certs("server2.key"))
    assert r.returncode != 0 and "cannot be used together" in r.stderr, r.stderr
    r = serve(config=f"xpack.security.http.ssl.enabled: true\nxpack.security.http.ssl.certificate: {certs('server.crt')}\n"
                     f"xpack.security.http.ssl.key: {certs('server.key')}\nxpack.security.http.ssl.client_authentication: required\n")
    assert r.returncode != 0 and "needs xpack.security.http.ssl.certificate_authorities" in r.stderr


def test_logpond_curate_with_cacert_and_api_key(https, certs):
    s = https
    auth = requests.auth.HTTPBasicAuth(*ADMIN)
    for name in ["logstash-2020.01.01", "logstash-2020.01.02", time.strftime("logstash-%Y.%m.%d", time.gmtime())]:
        assert requests.put(s.url + "/" + name, auth=auth, verify=certs("ca.crt")).status_code == 200
    key = requests.post(s.url + "/_security/api_key", json={"name": "cron", "role": "curator"}, auth=auth, verify=certs("ca.crt")).json()
    base = [BIN, "curate", "--url", s.url, "--older-than", "7d"]
    # Without the authority the run fails and says why.
    r = subprocess.run(base + ["--api-key", key["encoded"]], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--cacert" in r.stdout + r.stderr, r.stdout + r.stderr
    r = subprocess.run(base + ["--cacert", certs("ca.crt")], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "401" in r.stdout + r.stderr and "--api-key" in r.stdout + r.stderr
    r = subprocess.run(base + ["--cacert", certs("ca.crt"), "--api-key", key["encoded"]], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "deleted 2 indices" in r.stdout
    left = requests.get(s.url + "/_cat/indices?h=index", auth=auth, verify=certs("ca.crt")).text.split()
    assert left == [time.strftime("logstash-%Y.%m.%d", time.gmtime())]


def test_curator_with_http_auth_and_use_ssl(https, certs, tmp_path):
    s = https
    auth = requests.auth.HTTPBasicAuth(*ADMIN)
    for name in ["logstash-2019.05.01", time.strftime("logstash-%Y.%m.%d", time.gmtime())]:
        assert requests.put(s.url + "/" + name, auth=auth, verify=certs("ca.crt")).status_code == 200
    cfg = tmp_path / "curator.yml"
    cfg.write_text(textwrap.dedent(f"""
        client:
          hosts: [127.0.0.1]
          port: {s.port}
          use_ssl: True
          certificate: {certs("ca.crt")}
          ssl_no_validate: False
          http_auth: {CURATOR[0]}:{CURATOR[1]}
          timeout: 30
        logging:
          loglevel: INFO
    """))
    action = tmp_path / "action.yml"
    action.write_text(json.dumps({"actions": {1: {"action": "delete_indices", "options": {"ignore_empty_list": True},
                                                  "filters": [{"filtertype": "pattern", "kind": "prefix", "value": "logstash-"},
                                                              {"filtertype": "age", "source": "name", "direction": "older", "timestring": "%Y.%m.%d",
                                                               "unit": "days", "unit_count": 7}]}}}))
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override the `certificate` Curator gives
    # it; cron has neither.
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    r = subprocess.run(["curator", "--config", str(cfg), str(action)], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    left = requests.get(s.url + "/_cat/indices?h=index", auth=auth, verify=certs("ca.crt")).text.split()
    assert left == [time.strftime("logstash-%Y.%m.%d", time.gmtime())]


def test_rsyslog_omelasticsearch_with_uid_pwd_and_cacert(https, certs, tmp_path):
    rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so") and not os.path.exists(rsyslogd):
        pytest.fail("rsyslog-elasticsearch is not installed: `make test` installs it (TEST_APT_PKGS)")
    s = https
    work = tmp_path / "rsyslog"
    work.mkdir()
    udp = free_port()
    conf = work / "rsyslog.conf"
    conf.write_text(textwrap.dedent(f"""
        global(workDirectory="{work}")
        module(load="imudp")
        module(load="omelasticsearch")
        template(name="doc" type="string" string="{{\\"message\\":\\"%msg:::json%\\",\\"host\\":\\"%hostname:::json%\\",\\"@timestamp\\":\\"%timereported:::date-rfc3339%\\"}}")
        ruleset(name="es") {{
          action(type="omelasticsearch" server="127.0.0.1" serverport="{s.port}" usehttps="on" tls.cacert="{certs('ca.crt')}"
                 uid="{INGEST[0]}" pwd="{INGEST[1]}" searchIndex="rsyslog-tls" template="doc" bulkmode="on"
                 errorfile="{work}/errors.json" action.resumeRetryCount="-1")
        }}
        input(type="imudp" address="127.0.0.1" port="{udp}" ruleset="es")
    """))
    proc = subprocess.Popen([rsyslogd, "-n", "-f", str(conf), "-i", str(work / "pid")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        auth = requests.auth.HTTPBasicAuth(*ADMIN)
        deadline = time.time() + 60
        count = 0
        while time.time() < deadline:
            for i in range(3):
                sock.sendto(f"<14>Dec  4 01:02:03 webhost app[7]: hello over tls {i}".encode(), ("127.0.0.1", udp))
            time.sleep(1)
            r = requests.get(s.url + "/rsyslog-tls/_count", auth=auth, verify=certs("ca.crt"))
            if r.status_code == 200 and r.json()["count"] > 0:
                count = r.json()["count"]
                break
        assert count > 0, s.log_text()[-2000:] + (work / "errors.json").read_text() if (work / "errors.json").exists() else s.log_text()[-2000:]
        hit = requests.post(s.url + "/rsyslog-tls/_search", json={"query": {"match": {"message": "tls"}}}, auth=auth, verify=certs("ca.crt")).json()
        assert hit["hits"]["hits"][0]["_source"]["host"] == "webhost"
        assert not (work / "errors.json").exists() or (work / "errors.json").read_text() == ""
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
