"""Users, roles and Basic authentication (issue 14, first part): every route needs credentials
once a user exists, 401 and 403 bodies as Elasticsearch sends them, each role gets exactly its
routes, the loopback default, ELASTIC_PASSWORD, and elasticsearch-py 7/8 with basic_auth."""
import base64
import os
import subprocess
import textwrap
import time

import pytest
import requests

from conftest import BIN, PYDEPS, Server

PASSWORDS = {"admin": "s3cret-admin", "fb": "s3cret-ingest", "grafana": "s3cret-viewer", "cron": "s3cret-curator"}
ROLES = {"admin": "superuser", "fb": "ingest", "grafana": "viewer", "cron": "curator"}


def add_user(data, name, role, password):
    r = subprocess.run([BIN, "users", "add", name, "--role", role, "--password-stdin", "--data", data],
                       input=password + "\n", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def auth(name):
    return (name, PASSWORDS[name])


@pytest.fixture
def secured(tmp_path):
    data = str(tmp_path / "data")
    s = Server(data).start()
    for name, role in ROLES.items():
        add_user(data, name, role, PASSWORDS[name])
    deadline = time.time() + 5      # the server notices new users within a second
    while requests.get(s.url + "/", timeout=10).status_code != 401:
        assert time.time() < deadline, "users were not picked up"
        time.sleep(0.1)
    yield s
    s.stop()


def assert_401(r, reason_start):
    assert r.status_code == 401, r.text
    assert 'Basic realm="security" charset="UTF-8"' in r.headers.get("WWW-Authenticate", ""), r.headers
    err = r.json()["error"]
    assert err["type"] == "security_exception" and err["reason"].startswith(reason_start), err
    assert err["header"]["WWW-Authenticate"] == ['Basic realm="security" charset="UTF-8"', "ApiKey"]
    assert err["root_cause"][0]["type"] == "security_exception"


def test_open_without_users_and_anonymous_authenticate(server):
    assert server.get("/").status_code == 200
    me = server.get("/_security/_authenticate").json()
    assert me["username"] == "_anonymous" and me["authentication_type"] == "anonymous"


def test_every_request_needs_credentials_once_a_user_exists(secured):
    s = secured
    assert_401(requests.get(s.url + "/"), "missing authentication credentials for REST request [/]")
    assert_401(requests.get(s.url + "/", auth=("admin", "wrong")), "unable to authenticate user [admin]")
    # The same answer for a user that does not exist.
    assert_401(requests.get(s.url + "/", auth=("nobody", "wrong")), "unable to authenticate user [nobody]")
    assert_401(requests.get(s.url + "/", headers={"Authorization": "Bearer abc"}), "missing authentication credentials")
    r = requests.get(s.url + "/", auth=auth("admin"))
    assert r.status_code == 200 and r.json()["version"]["number"].startswith("7.")
    me = requests.get(s.url + "/_security/_authenticate", auth=auth("grafana")).json()
    assert me["username"] == "grafana" and me["roles"] == ["viewer"] and me["authentication_realm"]["type"] == "native"
    # Failed logins are logged with the client's address; no password ever is.
    log = s.log_text()
    assert "failed login for user [admin] from 127.0.0.1" in log
    assert "wrong" not in log and PASSWORDS["admin"] not in log
    # A user name cannot forge a log line of its own: control characters become `?`.
    time.sleep(1.1)       # failed logins are logged at most once a second
    forged = base64.b64encode(b"evil\n[logpond] forged line:pw").decode()
    assert requests.get(s.url + "/", headers={"Authorization": "Basic " + forged}).status_code == 401
    deadline = time.time() + 5
    while "evil?[logpond] forged line" not in s.log_text():
        assert time.time() < deadline, s.log_text()[-500:]
        time.sleep(0.1)
    assert not any(l.startswith("[logpond] forged line") for l in s.log_text().splitlines())
    # Removing a user shuts it out within a second or so (the cache is cleared).
    r = subprocess.run([BIN, "users", "remove", "cron", "--data", s.data_dir], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 5
    while requests.get(s.url + "/", auth=auth("cron")).status_code != 401:
        assert time.time() < deadline
        time.sleep(0.1)


# (method, path, body, roles that may): every route family of API.route.
TABLE = [
    ("GET", "/", None, {"superuser", "ingest", "viewer", "curator"}),
    ("HEAD", "/", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_nodes/http", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_nodes/stats", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_cluster/health", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_cluster/state/metadata", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_cat/indices", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_stats", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_prometheus/metrics", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_logpond/", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_logpond/app.js", None, {"superuser", "ingest", "viewer", "curator"}),
    ("GET", "/_logpond/tail?q=a:(", None, {"superuser", "viewer", "curator"}),
    ("GET", "/_cluster/settings", None, {"superuser", "ingest", "viewer", "curator"}),
    ("PUT", "/_cluster/settings", '{"transient":{"cluster.routing.allocation.enable":"all"}}', {"superuser", "curator"}),
    ("POST", "/t/_update/1", '{"doc":{"b":1}}', {"superuser", "ingest"}),
    ("POST", "/_mget", '{"docs":[{"_index":"t","_id":"1"}]}', {"superuser", "viewer", "curator"}),
    ("POST", "/t/_delete_by_query", '{"query":{"term":{"nothing":"here"}}}', {"superuser", "ingest"}),
    ("GET", "/_resolve/index/t", None, {"superuser", "viewer", "curator"}),
    ("GET", "/t/_mappings", None, {"superuser", "viewer", "curator"}),
    ("POST", "/_bulk", '{"index":{"_index":"t"}}\n{"a":1}\n', {"superuser", "ingest"}),
    ("POST", "/t/_bulk", '{"index":{}}\n{"a":1}\n', {"superuser", "ingest"}),
    ("POST", "/t/_doc", '{"a":1}', {"superuser", "ingest"}),
    ("PUT", "/t/_doc/1", '{"a":1}', {"superuser", "ingest"}),
    ("PUT", "/t/_create/2", '{"a":1}', {"superuser", "ingest"}),
    ("POST", "/t/fluentd", '{"a":1}', {"superuser", "ingest"}),
    ("DELETE", "/t/_doc/1", None, {"superuser", "ingest"}),
    ("GET", "/t/_doc/1", None, {"superuser", "viewer", "curator"}),
    ("POST", "/t/_search", '{"query":{"match_all":{}}}', {"superuser", "viewer", "curator"}),
    ("GET", "/_search", None, {"superuser", "viewer", "curator"}),
    ("POST", "/t/_count", None, {"superuser", "viewer", "curator"}),
    ("POST", "/_msearch", '{}\n{"query":{"match_all":{}}}\n', {"superuser", "viewer", "curator"}),
    ("POST", "/_search/scroll", '{"scroll_id":"x"}', {"superuser", "viewer", "curator"}),
    ("GET", "/t/_mapping", None, {"superuser", "viewer", "curator"}),
    ("GET", "/_mapping", None, {"superuser", "viewer", "curator"}),
    ("GET", "/t/_field_caps?fields=*", None, {"superuser", "viewer", "curator"}),
    ("POST", "/_analyze", '{"text":"a b"}', {"superuser", "viewer", "curator"}),
    ("GET", "/t/_settings", None, {"superuser", "viewer", "curator"}),
    ("GET", "/t", None, {"superuser", "viewer", "curator"}),
    ("GET", "/_template/fluent-logging", None, {"superuser", "ingest", "viewer", "curator"}),
    ("PUT", "/_template/x", '{"index_patterns":["x-*"]}', {"superuser", "ingest"}),
    ("DELETE", "/_template/x", None, {"superuser", "ingest"}),
    ("PUT", "/_index_template/y", '{"index_patterns":["y-*"]}', {"superuser", "ingest"}),
    ("PUT", "/created", None, {"superuser", "ingest"}),
    ("POST", "/t/_refresh", None, {"superuser", "ingest", "curator"}),
    ("POST", "/t/_flush", None, {"superuser", "curator"}),
    ("POST", "/t/_forcemerge", None, {"superuser", "curator"}),
    ("PUT", "/t/_settings", '{"index":{"refresh_interval":"1s"}}', {"superuser", "curator"}),
    ("PUT", "/t/_mapping", '{"properties":{"z":{"type":"keyword"}}}', {"superuser"}),
    ("POST", "/t/_close", None, {"superuser", "curator"}),
    ("POST", "/t/_open", None, {"superuser", "curator"}),
    ("DELETE", "/gone-{user}", None, {"superuser", "curator"}),   # an index of each user's own
    ("PUT", "/t/_alias/al-{user}", None, {"superuser", "ingest", "curator"}),
    ("GET", "/_alias", None, {"superuser", "viewer", "curator"}),
    ("GET", "/t/_alias", None, {"superuser", "viewer", "curator"}),
    ("GET", "/_cat/aliases", None, {"superuser", "ingest", "viewer", "curator"}),
    ("POST", "/_aliases", '{"actions":[{"add":{"index":"t","alias":"al2-{user}"}}]}', {"superuser", "ingest", "curator"}),
    ("DELETE", "/t/_alias/al2-{user}", None, {"superuser", "ingest", "curator"}),
    ("POST", "/al-{user}/_rollover?dry_run=true", None, {"superuser", "ingest", "curator"}),
    ("GET", "/_security/api_key", None, {"superuser"}),
    ("POST", "/_security/api_key", '{"name":"k-{user}","role":"viewer"}', {"superuser"}),
    ("DELETE", "/_security/api_key", '{"name":"nothing-by-this-name"}', {"superuser"}),
]


def test_each_role_gets_exactly_its_routes(secured):
    s = secured
    requests.post(s.url + "/t/_doc/1?refresh=true", json={"a": 1}, auth=auth("admin"))
    for name in ROLES:
        assert requests.put(s.url + f"/gone-{name}", auth=auth("admin")).status_code == 200
    for method, path, body, allowed in TABLE:
        r = requests.request(method, s.url + path.format(user="admin"), data=body and body.replace("{user}", "admin"), headers={"Content-Type": "application/json"})
        if method == "HEAD":
            assert r.status_code == 401, path
        else:
            assert_401(r, "missing authentication credentials")
        for name, role in ROLES.items():
            r = requests.request(method, s.url + path.format(user=name), data=body and body.replace("{user}", name), auth=auth(name), headers={"Content-Type": "application/json"})
            if role in allowed:
                assert r.status_code != 403, (method, path, role, r.text[:200])
                assert r.status_code != 401, (method, path, role)
            else:
                assert r.status_code == 403, (method, path, role, r.status_code, r.text[:200])
                if method != "HEAD":
                    err = r.json()["error"]
                    assert err["type"] == "security_exception" and f"is unauthorized for user [{name}]" in err["reason"], err
    # An ingest user cannot search or delete an index; a viewer cannot write.
    assert requests.post(s.url + "/t/_search", json={}, auth=auth("fb")).status_code == 403
    assert requests.delete(s.url + "/t", auth=auth("fb")).status_code == 403
    assert requests.post(s.url + "/t/_doc", json={"a": 2}, auth=auth("grafana")).status_code == 403
    assert requests.delete(s.url + "/t", auth=auth("cron")).status_code == 200


def test_refuses_to_listen_beyond_loopback_without_users(tmp_path):
    data = str(tmp_path / "d")
    r = subprocess.run([BIN, "serve", "--data", data, "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "refusing to listen on 0.0.0.0 with no user configured" in r.stdout + r.stderr
    assert "logpond users add" in r.stdout + r.stderr and "--insecure-no-auth" in r.stdout + r.stderr


def test_elastic_password_creates_the_superuser(tmp_path):
    data = str(tmp_path / "data")
    s = Server(data)
    env_before = os.environ.get("ELASTIC_PASSWORD")
    os.environ["ELASTIC_PASSWORD"] = "changeme"
    try:
        s.start()
    finally:
        if env_before is None:
            del os.environ["ELASTIC_PASSWORD"]
        else:
            os.environ["ELASTIC_PASSWORD"] = env_before
    try:
        assert requests.get(s.url + "/", timeout=10).status_code == 401
        assert requests.get(s.url + "/", auth=("elastic", "changeme"), timeout=10).status_code == 200
        # The seed's Fluent Bit sends HTTP_User/HTTP_Passwd as Basic authentication.
        hdr = {"Authorization": "Basic " + base64.b64encode(b"elastic:changeme").decode(), "Content-Type": "application/x-ndjson"}
        r = requests.post(s.url + "/_bulk", data='{"create":{"_index":"logstash-2026.12.03","_type":"_doc"}}\n{"log":"x"}\n', headers=hdr, timeout=10)
        assert r.status_code == 200 and not r.json()["errors"]
    finally:
        s.stop()


@pytest.mark.parametrize("flavour", ["es7", "es8"])
def test_elasticsearch_py_with_basic_auth_and_api_keys(secured, flavour):
    path = os.path.join(PYDEPS, flavour)
    if not os.path.isdir(path):
        pytest.fail(f"{path} missing: run `make pydeps` (make test does)")
    script = textwrap.dedent("""
        import sys
        from elasticsearch import Elasticsearch
        url, flavour = sys.argv[1], sys.argv[2]
        kw = {"basic_auth": ("admin", "s3cret-admin")} if flavour == "es8" else {"http_auth": ("admin", "s3cret-admin")}
        es = Elasticsearch(url, **kw)
        assert es.info()["version"]["number"].startswith("7.17")
        es.index(index="py", id="1", document={"a": 1}, refresh=True) if flavour == "es8" else es.index(index="py", id="1", body={"a": 1}, refresh=True)
        assert es.count(index="py")["count"] == 1
        bad = Elasticsearch(url, **({"basic_auth": ("admin", "nope")} if flavour == "es8" else {"http_auth": ("admin", "nope")}))
        try:
            bad.info()
            raise SystemExit("no error for a wrong password")
        except Exception as e:
            assert "401" in str(e) or "AuthenticationException" in type(e).__name__, repr(e)
        # API keys: made through the client's own security API, then used as (id, key).
        if flavour == "es8":
            k = es.security.create_api_key(name="py-" + flavour, expiration="1d", metadata={"by": "es-py"})
        else:
            k = es.security.create_api_key(body={"name": "py-" + flavour, "expiration": "1d"})
        keyed = Elasticsearch(url, api_key=(k["id"], k["api_key"]))
        assert keyed.count(index="py")["count"] == 1
        assert keyed.security.authenticate()["api_key"]["id"] == k["id"]
        keyed8 = Elasticsearch(url, api_key=k["encoded"]) if flavour == "es8" else keyed
        assert keyed8.info()["tagline"] == "You Know, for Search"
        inv = es.security.invalidate_api_key(ids=[k["id"]]) if flavour == "es8" else es.security.invalidate_api_key(body={"ids": [k["id"]]})
        assert inv["invalidated_api_keys"] == [k["id"]]
        print("CLIENT-OK")
    """)
    r = subprocess.run(["python3", "-c", script, secured.url, flavour], env=dict(os.environ, PYTHONPATH=path),
                       capture_output=True, text=True, timeout=120)
    assert "CLIENT-OK" in r.stdout, r.stdout + r.stderr


def create_key(s, body, who="admin"):
    r = requests.post(s.url + "/_security/api_key", json=body, auth=auth(who), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def key_header(k):
    return {"Authorization": "ApiKey " + k["encoded"]}


def test_api_keys(secured):
    s = secured
    k = create_key(s, {"name": "fluent-bit", "role": "ingest", "expiration": "1d", "metadata": {"team": "ops"}})
    assert set(k) == {"id", "name", "expiration", "api_key", "encoded"} and k["name"] == "fluent-bit"
    assert base64.b64decode(k["encoded"]).decode() == f"{k['id']}:{k['api_key']}"
    assert 86_000_000 < k["expiration"] - time.time() * 1000 <= 86_400_000
    r = requests.post(s.url + "/_bulk", data='{"index":{"_index":"logs"}}\n{"msg":"via key"}\n',
                      headers=dict(key_header(k), **{"Content-Type": "application/x-ndjson"}))
    assert r.status_code == 200 and not r.json()["errors"], r.text
    # The key has the ingest role: it may write, not search.
    r = requests.post(s.url + "/logs/_search", json={}, headers=key_header(k))
    assert r.status_code == 403
    assert f"is unauthorized for API key id [{k['id']}] of user [admin] with effective roles [ingest]" in r.json()["error"]["reason"]
    me = requests.get(s.url + "/_security/_authenticate", headers=key_header(k)).json()
    assert me["username"] == "admin" and me["authentication_type"] == "api_key" and me["api_key"] == {"id": k["id"], "name": "fluent-bit"}
    assert me["authentication_realm"] == {"name": "_es_api_key", "type": "_es_api_key"}
    # Listed without the secret; the catalog holds only a bcrypt hash of it.
    listed = requests.get(s.url + "/_security/api_key", params={"id": k["id"]}, auth=auth("admin")).json()["api_keys"]
    assert len(listed) == 1 and listed[0]["name"] == "fluent-bit" and listed[0]["invalidated"] is False
    assert listed[0]["role"] == "ingest" and listed[0]["username"] == "admin" and listed[0]["metadata"] == {"team": "ops"}
    assert k["api_key"] not in requests.get(s.url + "/_security/api_key", auth=auth("admin")).text
    assert [x["id"] for x in requests.get(s.url + "/_security/api_key", params={"username": "admin"}, auth=auth("admin")).json()["api_keys"]] == [k["id"]]
    assert requests.get(s.url + "/_security/api_key", params={"username": "nobody"}, auth=auth("admin")).json()["api_keys"] == []
    with open(os.path.join(s.data_dir, "catalog.sqlite"), "rb") as f:
        assert k["api_key"].encode() not in f.read()
    # A wrong secret, or an unknown id: 401, logged without the secret.
    for enc in [base64.b64encode(f"{k['id']}:wrong-secret".encode()).decode(), base64.b64encode(b"no-such-id:x").decode()]:
        r = requests.get(s.url + "/", headers={"Authorization": "ApiKey " + enc})
        assert_401(r, "unable to authenticate with provided credentials")
    assert "failed login for API key from 127.0.0.1" in s.log_text() and "wrong-secret" not in s.log_text()
    # Keys cannot make keys; role descriptors and nameless keys are refused with a reason.
    sk = create_key(s, {"name": "admin-key"})
    r = requests.post(s.url + "/_security/api_key", json={"name": "child"}, headers=key_header(sk))
    assert r.status_code == 403 and "cannot create API keys" in r.text
    r = requests.post(s.url + "/_security/api_key", json={"name": "x", "role_descriptors": {"r": {"indices": []}}}, auth=auth("admin"))
    assert r.status_code == 400 and "built-in roles" in r.json()["error"]["reason"]
    r = requests.post(s.url + "/_security/api_key", json={"role": "viewer"}, auth=auth("admin"))
    assert r.status_code == 400 and r.json()["error"]["type"] == "action_request_validation_exception"
    r = requests.post(s.url + "/_security/api_key", json={"name": "x", "expiration": "forever"}, auth=auth("admin"))
    assert r.status_code == 400 and "[expiration]" in r.text
    # Invalidation shuts the key out within a second or so, cached or not.
    r = requests.delete(s.url + "/_security/api_key", json={"ids": [k["id"]]}, auth=auth("admin")).json()
    assert r == {"invalidated_api_keys": [k["id"]], "previously_invalidated_api_keys": [], "error_count": 0}
    assert requests.get(s.url + "/", headers=key_header(k)).status_code == 401
    r = requests.delete(s.url + "/_security/api_key", json={"name": "fluent-bit"}, auth=auth("admin")).json()
    assert r["invalidated_api_keys"] == [] and r["previously_invalidated_api_keys"] == [k["id"]]
    # By owner: the superuser's own key goes too; a body naming nothing is refused.
    r = requests.delete(s.url + "/_security/api_key", json={"username": "admin"}, auth=auth("admin")).json()
    assert r["invalidated_api_keys"] == [sk["id"]] and r["previously_invalidated_api_keys"] == [k["id"]]
    r = requests.delete(s.url + "/_security/api_key", json={"realm_name": "x"}, auth=auth("admin"))
    assert r.status_code == 400 and r.json()["error"]["type"] == "action_request_validation_exception"
    assert requests.get(s.url + "/_security/api_key", params={"id": k["id"]}, auth=auth("admin")).json()["api_keys"][0]["invalidated"] is True


def test_api_key_expires(secured):
    s = secured
    k = create_key(s, {"name": "short", "role": "viewer", "expiration": "2s"})
    assert requests.get(s.url + "/_cluster/health", headers=key_header(k)).status_code == 200   # now cached
    time.sleep(2.5)
    assert_401(requests.get(s.url + "/_cluster/health", headers=key_header(k)), "unable to authenticate with provided credentials")
    listed = requests.get(s.url + "/_security/api_key", params={"name": "short", "active_only": "true"}, auth=auth("admin")).json()
    assert listed["api_keys"] == []


def test_api_keys_need_a_user(server):
    r = server.post("/_security/api_key", {"name": "k"})
    assert r.status_code == 400 and "logpond users add" in r.json()["error"]["reason"]


# Random Authorization headers and API key requests (hypothesis): never a 5xx, never a crash,
# never a secret echoed.
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

header_values = st.one_of(
    st.text(max_size=80),
    st.builds(lambda scheme, raw: scheme + " " + base64.b64encode(raw).decode(),
              st.sampled_from(["Basic", "basic", "ApiKey", "apikey", "Bearer", ""]), st.binary(max_size=60)),
    st.builds(lambda scheme, a, b: scheme + " " + base64.b64encode(f"{a}:{b}".encode()).decode(),
              st.sampled_from(["Basic", "ApiKey"]), st.text(max_size=30), st.text(max_size=30)),
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c, max_size=4), max_leaves=12)
key_bodies = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.text(max_size=40), json_values), "role": st.one_of(st.sampled_from(["ingest", "viewer", "root"]), json_values),
    "expiration": st.one_of(st.sampled_from(["1d", "0s", "-1", "367d", "1e9d", "5m"]), json_values),
    "metadata": json_values, "role_descriptors": json_values, "ids": json_values, "id": json_values, "username": json_values})


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    data = str(tmp_path_factory.mktemp("authfuzz") / "data")
    add_user(data, "admin", "superuser", PASSWORDS["admin"])
    s = Server(data).start()
    yield s
    s.stop()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=header_values)
def test_generated_authorization_headers(fuzz_server, value):
    try:
        r = requests.get(fuzz_server.url + "/_cluster/health", headers={"Authorization": value}, timeout=30)
    except (ValueError, UnicodeError):
        return      # requests itself refuses this header value
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        assert r.status_code in (400, 401), (value, r.status_code)   # the HTTP parser refuses control characters
    else:
        assert r.status_code == 401, (value, r.status_code, r.text[:200])
    assert fuzz_server.alive()


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=key_bodies, method=st.sampled_from(["POST", "PUT", "DELETE", "GET"]))
def test_generated_api_key_requests(fuzz_server, body, method):
    r = requests.request(method, fuzz_server.url + "/_security/api_key", json=body, auth=auth("admin"), timeout=30)
    assert r.status_code < 500, (method, body, r.status_code, r.text[:300])
    if r.status_code == 200 and method in ("POST", "PUT"):
        k = r.json()
        assert requests.get(fuzz_server.url + "/_security/api_key", params={"id": k["id"]}, auth=auth("admin")).text.count(k["api_key"]) == 0
    assert fuzz_server.alive()
