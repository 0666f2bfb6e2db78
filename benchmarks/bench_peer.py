"""specgen and openapi-python-client side by side, whole process, on the same OpenAPI inputs.

    .venv/bin/python benchmarks/bench_peer.py                       # everything, median of 3
    .venv/bin/python benchmarks/bench_peer.py --quick               # a couple of minutes
    .venv/bin/python benchmarks/bench_peer.py --sizes 50,500 --repeat 3 --no-extras

Each run is a fresh process in a fresh temporary project with an empty cache (XDG_CACHE_HOME
points at a fresh directory too), so "cold" means what a fresh CI clone sees. The two tools run
interleaved (A B A B ...) so a busy machine slows both alike; figures are medians. Peak RSS is
the child's own maximum resident set (os.wait4). openapi-python-client is installed, pinned,
into its own virtual environment under benchmarks/.peer-venv (created on first use) and runs
with its defaults (ruff post-hooks included: that is what its users get).

specgen-only scenarios (--no-extras skips them): a no-op `generate`, one changed endpoint at 500,
`check` on a fresh clone (a copy of the project with generated/ and no cache) at 500 and 2,000,
and the generated contract-test run of the napcat export.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAPCAT = REPO / "tests/fixtures/apifox/openapi/napcat.默认模块.openapi.3_1.json"
PEER_VERSION = "0.29.1"
PEER_VENV = REPO / "benchmarks" / ".peer-venv"
PYPROJECT = """\
[tool.specgen]
inputs = ["{spec}"]
out = "generated"
package = "bench_api"
"""


@dataclass
class Run:
    seconds: float
    peak_mb: float
    cpu: float = (
        0.0  # user + system seconds of the process and the children it waited for
    )


# --- inputs -------------------------------------------------------------------------------------


def synthetic_openapi(endpoints: int) -> dict[str, object]:
    """`endpoints` operations over endpoints/4 resources: list/create/get/delete, with path and
    query parameters, a JSON body, component models, and a documented 404: the shape of a
    typical REST API, so per-endpoint cost is measured on realistic work."""
    paths: dict[str, object] = {}
    schemas: dict[str, object] = {"Error": _object({"code": _int(), "message": _str()})}
    for index in range(endpoints):
        resource, verb = divmod(index, 4)
        model = f"Item{resource}"
        schemas.setdefault(
            model,
            _object(
                {
                    "id": _int(),
                    "name": {**_str(), "maxLength": 64},
                    "price": {"type": "number", "minimum": 0},
                    "tags": {"type": "array", "items": _str()},
                    "state": {"type": "string", "enum": ["draft", "live", "gone"]},
                },
                required=["id", "name"],
            ),
        )
        ref = {"$ref": f"#/components/schemas/{model}"}
        collection, item = f"/items{resource}", f"/items{resource}/{{item_id}}"
        not_found = {
            "description": "not found",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
            },
        }
        path_param = {
            "name": "item_id",
            "in": "path",
            "required": True,
            "schema": _int(),
        }
        operation: dict[str, object]
        if verb == 0:
            operation = {
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {**_int(), "minimum": 1},
                    },
                    {
                        "name": "state",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["draft", "live"]},
                    },
                ],
                "responses": _ok({"type": "array", "items": ref}),
            }
            method, path = "get", collection
        elif verb == 1:
            operation = {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref}},
                },
                "responses": _ok(ref),
            }
            method, path = "post", collection
        elif verb == 2:
            operation = {
                "parameters": [path_param],
                "responses": {**_ok(ref), "404": not_found},
            }
            method, path = "get", item
        else:
            operation = {
                "parameters": [path_param],
                "responses": {"204": {"description": "deleted"}, "404": not_found},
            }
            method, path = "delete", item
        operation["operationId"] = f"{method}_{path.strip('/').replace('/', '_')}"
        operation["operationId"] = (
            str(operation["operationId"]).replace("{", "").replace("}", "")
        )
        operation["summary"] = f"{method.upper()} {path}"
        paths.setdefault(path, {})[method] = operation  # type: ignore[index]
    return {
        "openapi": "3.0.3",
        "info": {"title": f"Synthetic {endpoints}", "version": "1.0.0"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _int() -> dict[str, object]:
    return {"type": "integer"}


def _str() -> dict[str, object]:
    return {"type": "string"}


def _object(
    properties: dict[str, object], required: list[str] | None = None
) -> dict[str, object]:
    schema: dict[str, object] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _ok(schema: dict[str, object]) -> dict[str, object]:
    return {
        "200": {
            "description": "ok",
            "content": {"application/json": {"schema": schema}},
        }
    }


# --- processes ----------------------------------------------------------------------------------


def run(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Wall time and the child's peak RSS; a failure stops the benchmark with its output."""
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed ({child.returncode}):\n"
            + output.decode(errors="replace")[-3000:]
        )
    return Run(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime)


def fresh_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    cache = tmp / "xdg-cache"
    cache.mkdir(exist_ok=True)
    env["XDG_CACHE_HOME"] = str(cache)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def specgen_project(root: Path, spec: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    target = root / "specs" / spec.name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(spec, target)
    (root / "pyproject.toml").write_text(
        PYPROJECT.format(spec=f"specs/{spec.name}"), encoding="utf-8"
    )
    return root


def specgen(root: Path, *args: str) -> Run:
    command = [sys.executable, "-m", "generator", *args]
    return run(command, root, fresh_env(root))


def peer_python() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(
            f"installing openapi-python-client {PEER_VERSION} into {PEER_VENV} ...",
            flush=True,
        )
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                f"openapi-python-client=={PEER_VERSION}",
            ],
            check=True,
        )
    return python


def peer(tmp: Path, spec: Path) -> Run:
    out = tmp / "peer-out"
    binary = PEER_VENV / "bin" / "openapi-python-client"
    env = fresh_env(tmp)
    env["PATH"] = (
        f"{PEER_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"  # its ruff hooks
    )
    command = [str(binary), "generate", "--path", str(spec), "--output-path", str(out)]
    return run([*command, "--overwrite"], tmp, env)


# --- scenarios ----------------------------------------------------------------------------------


def cold_side_by_side(
    name: str, spec: Path, endpoints: int, repeat: int
) -> dict[str, object]:
    ours: list[Run] = []
    theirs: list[Run] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
            root = specgen_project(Path(tmp) / "project", spec)
            ours.append(specgen(root, "generate"))
        with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
            theirs.append(peer(Path(tmp), spec))
    seconds = statistics.median(r.seconds for r in ours)
    peer_seconds = statistics.median(r.seconds for r in theirs)
    return {
        "input": name,
        "endpoints": endpoints,
        "specgen_s": seconds,
        "peer_s": peer_seconds,
        "ratio": seconds / peer_seconds,
        "specgen_ms_per_endpoint": 1000 * seconds / endpoints,
        "peer_ms_per_endpoint": 1000 * peer_seconds / endpoints,
        "specgen_cpu_s": statistics.median(r.cpu for r in ours),
        "peer_cpu_s": statistics.median(r.cpu for r in theirs),
        "specgen_peak_mb": max(r.peak_mb for r in ours),
        "peer_peak_mb": max(r.peak_mb for r in theirs),
    }


# (figure, the issue's target in seconds): issue 11's "Targets"
TARGETS = {
    "no-op generate, 500 endpoints": 0.5,
    "one changed endpoint at 500": 1.5,
    "check on a fresh clone, 500 endpoints": 1.0,
    "check on a fresh clone, 2000 endpoints": 2.0,
    "generated contract tests": 15.0,
}


def figure(label: str, seconds: float) -> str:
    target = next((t for name, t in TARGETS.items() if label.startswith(name)), None)
    verdict = (
        ""
        if target is None
        else f"  (target <= {target:g} s: {'met' if seconds <= target else 'NOT met'})"
    )
    return f"{label}: {seconds:.2f} s{verdict}"


def specgen_extras(spec_500: Path, spec_2000: Path | None, repeat: int) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        root = specgen_project(Path(tmp) / "project", spec_500)
        specgen(root, "generate")
        noop = statistics.median(
            specgen(root, "generate").seconds for _ in range(repeat)
        )
        lines.append(figure("no-op generate, 500 endpoints", noop))
        changed = []
        for attempt in range(repeat):
            document = json.loads((root / "specs" / spec_500.name).read_text("utf-8"))
            operation = document["paths"]["/items0"]["get"]
            operation["summary"] = f"changed {attempt}"
            (root / "specs" / spec_500.name).write_text(
                json.dumps(document), encoding="utf-8"
            )
            changed.append(specgen(root, "generate").seconds)
        lines.append(figure("one changed endpoint at 500", statistics.median(changed)))
    for size, spec in ((500, spec_500), (2000, spec_2000)):
        if spec is None:
            continue
        with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
            root = specgen_project(Path(tmp) / "project", spec)
            specgen(root, "generate")
            seconds = []
            for index in range(repeat):
                clone = Path(tmp) / f"clone-{index}"
                shutil.copytree(
                    root, clone
                )  # generated/ and its manifest, as a clone has them
                seconds.append(specgen(clone, "check").seconds)
            lines.append(
                figure(
                    f"check on a fresh clone, {size} endpoints",
                    statistics.median(seconds),
                )
            )
    return lines


def contract_tests(repeat: int) -> str:
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        root = specgen_project(Path(tmp) / "project", NAPCAT)
        specgen(root, "generate")
        env = fresh_env(root)
        env["PYTHONPATH"] = str(root / "generated")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        seconds = statistics.median(
            run([*command, "generated/tests"], root, env).seconds for _ in range(repeat)
        )
        count = len(list((root / "generated" / "tests").glob("test_*.py")))
    return figure(f"generated contract tests, napcat ({count} modules)", seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,500,2000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-extras", action="store_true")
    parser.add_argument(
        "--tiny", type=int, default=4, help="endpoints of the tiny export (0: skip)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="sizes 50,500, one run each, no contract tests: every other figure in minutes",
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.repeat = "50,500", 1
    sizes = [int(size) for size in args.sizes.split(",") if size]
    if args.tiny:
        sizes = [args.tiny, *[size for size in sizes if size != args.tiny]]
    peer_python()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-peer-inputs-") as tmp:
        specs = {}
        for size in sizes:
            specs[size] = Path(tmp) / f"synthetic-{size}.openapi.json"
            specs[size].write_text(
                json.dumps(synthetic_openapi(size)), encoding="utf-8"
            )
        napcat_ops = sum(
            1
            for item in json.loads(NAPCAT.read_text("utf-8"))["paths"].values()
            for key in item
            if key in ("get", "put", "post", "delete", "patch", "head", "options")
        )
        rows.append(cold_side_by_side("napcat", NAPCAT, napcat_ops, args.repeat))
        for size in sizes:
            rows.append(cold_side_by_side("synthetic", specs[size], size, args.repeat))
            print(f"... {size} done", file=sys.stderr, flush=True)
        extras = []
        if not args.no_extras and 500 in specs:
            extras = specgen_extras(specs[500], specs.get(2000), args.repeat)
            if not args.quick:
                extras.append(contract_tests(args.repeat))
    print(
        f"\ncold generate, whole process, median of {args.repeat}, interleaved"
        f" (openapi-python-client {PEER_VERSION}):\n"
    )
    print(
        "| input | endpoints | specgen s | peer s | ratio | specgen CPU s | peer CPU s"
        " | specgen ms/endpoint | peer ms/endpoint | specgen peak MB | peer peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['input']} | {row['endpoints']} | {row['specgen_s']:.2f} | {row['peer_s']:.2f}"
            f" | {row['ratio']:.2f}x | {row['specgen_cpu_s']:.2f} | {row['peer_cpu_s']:.2f}"
            f" | {row['specgen_ms_per_endpoint']:.1f}"
            f" | {row['peer_ms_per_endpoint']:.1f} | {row['specgen_peak_mb']:.0f}"
            f" | {row['peer_peak_mb']:.0f} |"
        )
    synthetic = [
        row
        for row in rows
        if row["input"] == "synthetic" and row["endpoints"] != args.tiny
    ]
    print()
    for row in rows:
        if row["input"] == "napcat" or row["endpoints"] == 500:
            ratio = float(str(row["ratio"]))
            print(
                f"cold generate, {row['input']} {row['endpoints']}: {ratio:.2f}x the peer"
                f"  (target <= 1.0x, aim 0.5x: {'met' if ratio <= 1.0 else 'NOT met'})"
            )
        if row["endpoints"] == args.tiny and row["input"] == "synthetic":
            print(f"tiny export ({args.tiny} endpoints): {row['specgen_s']:.2f} s")
    largest = max(rows, key=lambda row: int(str(row["endpoints"])))
    peak = float(str(largest["specgen_peak_mb"]))
    print(
        f"peak RSS at {largest['endpoints']} endpoints: {peak:.0f} MB"
        f"  (target <= 500 MB at 2000: {'met' if peak <= 500 else 'NOT met'})"
    )
    tiny = next(
        (r for r in rows if r["input"] == "synthetic" and r["endpoints"] == args.tiny),
        None,
    )
    if len(synthetic) > 1 and tiny is not None:
        # The marginal cost: what an endpoint adds beyond the tiny export's fixed cost
        # (start-up, imports, runtime files), in wall and CPU milliseconds.
        for kind, key in (("wall", "specgen_s"), ("CPU", "specgen_cpu_s")):
            costs = [
                1000
                * (float(str(row[key])) - float(str(tiny[key])))
                / (int(str(row["endpoints"])) - args.tiny)
                for row in synthetic
            ]
            flat = max(costs) / min(costs)
            shown = ", ".join(
                f"{row['endpoints']}: {cost:.1f}"
                for row, cost in zip(synthetic, costs, strict=True)
            )
            print(
                f"specgen ms per endpoint beyond the tiny export ({kind}): {shown};"
                f" largest/smallest {flat:.2f}x"
                f"  (target <= 1.5x: {'met' if flat <= 1.5 else 'NOT met'})"
            )
    for line in extras:
        print(line)


if __name__ == "__main__":
    main()
