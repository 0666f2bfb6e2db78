"""Our generated AsyncClient against the official fal-client, same mock server, same run.

    .venv/bin/python benchmarks/bench_client.py [--calls 500] [--concurrency 50] [--rounds 3]

Each round runs `--calls` complete submit -> poll -> result cycles with `--concurrency` in
flight, first with our client, then with fal-client (`subscribe`), both polling every
`--interval` seconds against the same loopback MockServer. Prints runs/s for each, their
ratio, and our client-side overhead per call (input validation + request building), median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "generated"))
# The mock runs in its own process, so it does not share a GIL with the client being measured.

import fal_client
import fal_client.client as fal_internals
from fal_api import AsyncClient, PollPolicy, models
from fal_api import _protocol as protocol
from fal_api._endpoint import prepare
from fal_api._http import settings_for

GENERATED = Path(__file__).resolve().parents[1] / "generated"

APP = "fal-ai/flux-lora"
ARGUMENTS: dict[str, Any] = {
    "prompt": "a cat in a hat",
    "image_size": "landscape_4_3",
    "num_images": 1,
    "output_format": "jpeg",
}


async def many(
    calls: int, concurrency: int, one: Callable[[], Awaitable[Any]]
) -> tuple[float, float]:
    """(wall seconds, client CPU seconds) for `calls` runs of `one` with `concurrency` in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def guarded() -> None:
        async with gate:
            await one()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(guarded() for _ in range(calls)))
    return time.perf_counter() - started, time.process_time() - cpu


async def ours(
    url: str, calls: int, concurrency: int, interval: float
) -> tuple[float, float]:
    poll = PollPolicy(initial=interval, factor=1.0, maximum=interval)
    async with AsyncClient(key="bench", base_url=url, poll=poll) as client:

        async def one() -> None:
            assert isinstance(
                await client.flux_lora.run(**ARGUMENTS), models.FluxLoraOutput
            )

        return await many(calls, concurrency, one)


async def theirs(
    url: str, calls: int, concurrency: int, interval: float
) -> tuple[float, float]:
    fal_internals.QUEUE_URL_FORMAT = f"{url}/"
    fal_internals.RUN_URL_FORMAT = f"{url}/"
    client = fal_client.AsyncClient(key="bench")

    async def one() -> None:
        assert "images" in await client.subscribe(
            APP, arguments=ARGUMENTS, interval=interval
        )

    return await many(calls, concurrency, one)


def start_mock() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "fal_api.testing", "--port", "0"],
        cwd=GENERATED,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = (
        process.stdout.readline()
    )  # "mock queue server on http://127.0.0.1:PORT (...)"
    # The mock logs a line per request: keep reading, or a full pipe would stall it.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process, line.split(" on ", 1)[1].split()[0]


def overhead_us(samples: int = 5000) -> float:
    """Median µs to validate the arguments and build the submit request."""
    settings, _ = settings_for("bench", "http://127.0.0.1:9", None, None)
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        body = prepare("/fal-ai/flux-lora", models.FluxLoraInput, ARGUMENTS, {})
        next(protocol.submit(settings, "/fal-ai/flux-lora", body, None))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--interval",
        type=float,
        default=0.01,
        help="poll interval for both clients (s)",
    )
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"ours": [], "fal-client": []}
    cpu_ms: dict[str, list[float]] = {"ours": [], "fal-client": []}
    process, url = start_mock()
    try:
        for _ in range(args.rounds):
            for name, runner in (("ours", ours), ("fal-client", theirs)):
                seconds, cpu = asyncio.run(
                    runner(url, args.calls, args.concurrency, args.interval)
                )
                rates[name].append(args.calls / seconds)
                cpu_ms[name].append(cpu / args.calls * 1000)
    finally:
        process.terminate()
    ours_rate, fal_rate = (statistics.median(rates[n]) for n in ("ours", "fal-client"))
    print(
        f"{args.calls} run() calls, {args.concurrency} in flight, poll every {args.interval}s, median of {args.rounds} rounds"
    )
    print(f"{'client':<12} {'runs/s':>8} {'client CPU ms/run':>18}   runs/s per round")
    for name in rates:
        rounds = ", ".join(f"{r:.1f}" for r in rates[name])
        print(
            f"{name:<12} {statistics.median(rates[name]):>8.1f} {statistics.median(cpu_ms[name]):>18.2f}   {rounds}"
        )
    cpu_ratio = statistics.median(cpu_ms["fal-client"]) / statistics.median(
        cpu_ms["ours"]
    )
    print(
        f"throughput ratio ours / fal-client: {ours_rate / fal_rate:.2f}x (the mock server bounds both)"
    )
    print(
        f"client CPU per run, fal-client / ours: {cpu_ratio:.2f}x (above 1: ours is cheaper)"
    )
    print(
        f"our client-side overhead per call (validation + request building), median: {overhead_us():.1f} µs"
    )


if __name__ == "__main__":
    main()
