"""A small load generator for the benchmarks' quick self-test (not for real figures).

``python _pyload.py URL SECONDS CONNECTIONS`` sends GET requests over
keep-alive connections, one thread per connection, for SECONDS, then prints
one ``BENCH-JSON`` line shaped like the wrk report. Python's own speed limits
it, so its figures say the plumbing works, nothing about the server's speed.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def load(url: str, seconds: float, connections: int) -> dict[str, int]:
    parts = urlsplit(url)
    latencies: list[float] = []
    counts = {"errors": 0, "bad_status": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, 5)
        mine: list[float] = []
        errors = bad_status = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", parts.path, headers={"Accept-Encoding": "gzip"})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                continue
            mine.append(time.perf_counter() - started)
            if response.status >= 400:
                bad_status += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["errors"] += errors
            counts["bad_status"] += bad_status

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    latencies.sort()

    def percentile(share: float) -> int:
        if not latencies:
            return 0
        return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1e6)

    return {
        "requests": len(latencies),
        "duration_us": round(duration * 1e6),
        "errors": counts["errors"],
        "non_2xx_or_3xx": counts["bad_status"],
        "p50_us": percentile(0.50),
        "p99_us": percentile(0.99),
        "max_us": round(latencies[-1] * 1e6) if latencies else 0,
    }


if __name__ == "__main__":
    report = load(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
    print("BENCH-JSON " + json.dumps(report))
