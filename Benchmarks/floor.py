"""The transport floor: the fewest microseconds an HTTP round trip can take from the benchmark's
client. A minimal keep-alive responder (its own process, so it does not share the client's
interpreter lock) answers every request with `{}`; a `Client` times round trips the way the
benchmark times Logpond's (request written to last byte read, one keep-alive connection)."""
import http.client
import subprocess
import sys
import time

RESPONDER = r'''
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
resp = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
while True:
    c, _ = s.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        while b"\r\n\r\n" in buf:
            head, _, rest = buf.partition(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    n = int(line.split(b":")[1])
            if len(rest) < n:
                break
            buf = rest[n:]
            c.sendall(resp)
    c.close()
'''


def start_responder():
    """(process, port) of the minimal responder."""
    p = subprocess.Popen([sys.executable, "-c", RESPONDER], stdout=subprocess.PIPE, text=True)
    return p, int(p.stdout.readline())


class Client:
    """One keep-alive connection; `timed` returns (milliseconds, status, headers, body)."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    def timed(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        t = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        return (time.perf_counter() - t) * 1000, r.status, r.headers, data


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
