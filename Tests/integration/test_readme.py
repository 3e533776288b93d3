"""The README's curl lines work as written (against a test server on another port)."""
import os
import re
import subprocess

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def curl_lines():
    text = open(README).read()
    section = text[text.index("## Try it"):text.index("## Command line")]
    return [l for l in section.splitlines() if l.startswith("curl ")]


def test_readme_curl_examples(server):
    lines = curl_lines()
    assert len(lines) == 4
    outputs = []
    for line in lines:
        cmd = line.replace("127.0.0.1:9200", f"127.0.0.1:{server.port}")
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        outputs.append(r.stdout)
    assert '"errors":false' in outputs[0]
    assert '"connection refused"' in outputs[1] and '"value" : 1' in outputs[1]
    assert '"GET /healthz 200"' not in outputs[2] and '"connection refused"' in outputs[2]
    assert re.search(r"logstash-2024\.01\.15\s+\S+\s+1\s+0\s+2\s", outputs[3]), outputs[3]
