"""Latency of the mock server from the command line, as a front-end developer meets it.

    .venv/bin/python benchmarks/bench_mock.py [--requests 300]

Starts `python -m fal_api.testing --port 0` (the generated package in generated/) in its own
process, then sends `--requests` requests one after another on one kept-alive connection for
each kind: a CORS preflight, a status poll, and a submit (validated against the input model).
Prints the median and 95th percentile milliseconds of each, wall time (`time.perf_counter`).
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

GENERATED = Path(__file__).resolve().parents[1] / "generated"
ORIGIN = "http://localhost:5173"


def timed(send: httpx.Client, count: int, request: dict[str, object]) -> list[float]:
    send.request(**request)  # type: ignore[arg-type]
    times = []
    for _ in range(count):
        started = time.perf_counter()
        answer = send.request(**request)  # type: ignore[arg-type]
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code < 300, answer.text
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    process = subprocess.Popen(
        [sys.executable, "-m", "fal_api.testing", "--port", "0", "--polls", "1000000"],
        cwd=GENERATED,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = re.search(r"on (http://\S+) ", process.stdout.readline())
        assert url, "the mock did not start"
        base = url.group(1)
        headers = {"Authorization": "Key k", "Origin": ORIGIN}
        with httpx.Client(base_url=base, headers=headers) as client:
            submitted = client.post(
                "/fal-ai/flux-lora", json={"prompt": "a cat"}
            ).json()
            kinds = {
                "preflight OPTIONS": {
                    "method": "OPTIONS",
                    "url": "/fal-ai/flux-lora",
                    "headers": {
                        "Access-Control-Request-Method": "POST",
                        "Access-Control-Request-Headers": "authorization",
                    },
                },
                "status GET": {"method": "GET", "url": submitted["status_url"]},
                "submit POST": {
                    "method": "POST",
                    "url": "/fal-ai/flux-lora",
                    "json": {"prompt": "a cat"},
                },
            }
            print(
                f"| request | median ms | p95 ms |  ({args.requests} each, one connection)"
            )
            print("|---|---|---|")
            for name, request in kinds.items():
                times = sorted(timed(client, args.requests, request))
                p95 = times[int(len(times) * 0.95) - 1]
                print(f"| {name} | {statistics.median(times):.2f} | {p95:.2f} |")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


if __name__ == "__main__":
    main()
