"""A small load test: 2,000 predictions from 8 concurrent clients against the real server.

The server is ``python -m numkeras.serve`` in its own process on 127.0.0.1 (see conftest); each
client keeps one HTTP/1.1 connection open, as a browser does. The test is bounded: every request
has a timeout and the whole run a deadline.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import numpy as np

REQUESTS = 2000
CLIENTS = 8
REQUEST_TIMEOUT_S = 10
DEADLINE_S = 120


def test_2000_predictions_from_8_clients_without_an_error(live_server: str, digits) -> None:
    address = urlsplit(live_server)
    bodies = [
        json.dumps({"pixels": (image / 255).tolist()}).encode() for image in digits.x_test[:50]
    ]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + DEADLINE_S

    def client(worker: int) -> None:
        connection = http.client.HTTPConnection(
            address.hostname, address.port, timeout=REQUEST_TIMEOUT_S
        )
        mine, failures = [], []
        for i in range(worker, REQUESTS, CLIENTS):
            if time.monotonic() > deadline:
                failures.append("deadline passed")
                break
            body = bodies[i % len(bodies)]
            start = time.perf_counter()
            try:
                connection.request(
                    "POST", "/api/predict", body=body, headers={"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"request {i}: {error!r}")
                connection.close()
                continue
            mine.append(time.perf_counter() - start)
            if response.status != 200 or json.loads(answer)["predicted"] not in range(10):
                failures.append(f"request {i}: HTTP {response.status} {answer[:200]!r}")
        connection.close()
        with lock:
            latencies.extend(mine)
            errors.extend(failures)

    start = time.perf_counter()
    workers = [threading.Thread(target=client, args=(w,)) for w in range(CLIENTS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(DEADLINE_S + REQUEST_TIMEOUT_S)
    elapsed = time.perf_counter() - start

    assert not any(worker.is_alive() for worker in workers), "a client hung past the deadline"
    assert errors == [], f"{len(errors)} errors, first: {errors[:3]}"
    assert len(latencies) == REQUESTS
    p50, p99 = np.percentile(latencies, [50, 99]) * 1000
    print(
        f"\nload: {REQUESTS} requests, {CLIENTS} concurrent clients, 0 errors, "
        f"{elapsed:.1f} s ({REQUESTS / elapsed:.0f} requests/s), "
        f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
