"""Scale benchmark of the SQLite backend: bulk load, then per-call cost at 1k / 100k / 1M images.

Run on demand (not part of the tests)::

    python benchmarks/bench_scale_sqlite.py                      # 1k, 100k, 1M images
    python benchmarks/bench_scale_sqlite.py --sizes 1000 100000 --calls 1000

For each size it loads that many images (describe-images items, one EBS snapshot each; the
loader creates the snapshot records too) into a fresh SqliteBackend in one ``inventory.load``
call, then times, per call: ``DeregisterImage`` (boto3, one image each), ``DescribeImages`` with
one ``ImageIds`` entry, and ``stub.image(id)``. The same calls run on a MemoryBackend for the
sizes up to ``--memory-max``. It prints medians and the ratio of each size to the smallest one
(all measured in this run), and writes everything to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore

from botostub_ec2 import Clock, Ec2Stub, MemoryBackend, inventory
from botostub_ec2.backends.sqlite import SqliteBackend
from botostub_ec2.operations import load_all

REGION = "us-east-1"
ACCOUNT = "123456789012"


def image_items(count: int, page: int = 1000) -> Iterator[dict[str, Any]]:
    """describe-images pages of ``count`` synthetic images, generated lazily."""
    for start in range(0, count, page):
        yield {"Images": [
            {
                "ImageId": f"ami-{i:017x}",
                "OwnerId": ACCOUNT,
                "Name": f"app-{i % 1000}-{i}",
                "State": "available",
                "CreationDate": "2024-01-15T10:23:45.000Z",
                "Architecture": "x86_64",
                "RootDeviceName": "/dev/xvda",
                "RootDeviceType": "ebs",
                "VirtualizationType": "hvm",
                "EnaSupport": True,
                "Public": False,
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                    "SnapshotId": f"snap-{i:017x}", "VolumeSize": 8, "VolumeType": "gp3",
                    "DeleteOnTermination": True, "Encrypted": False}}],
                "Tags": [{"Key": "team", "Value": f"team-{i % 7}"}],
            }
            for i in range(start, min(start + page, count))
        ]}


def per_call(fn: Callable[[str], Any], ids: list[str]) -> float:
    """Median seconds of ``fn(id)`` over ``ids``."""
    timings = []
    clock = time.perf_counter
    for image_id in ids:
        began = clock()
        fn(image_id)
        timings.append(clock() - began)
    return statistics.median(timings)


def measure(
    backend_name: str, size: int, calls: int, client: Any, directory: str
) -> dict[str, Any]:
    if backend_name == "sqlite":
        backend: Any = SqliteBackend(os.path.join(directory, f"bench-{size}.db"))
    else:
        backend = MemoryBackend()
    stub = Ec2Stub(backend=backend, account_id=ACCOUNT, region=REGION,
                   clock=Clock("2024-06-01T00:00:00Z"))
    gc.collect()
    began = time.perf_counter()
    report = inventory.load(stub, image_items(size))
    load_seconds = time.perf_counter() - began
    assert report.images == size and report.created_snapshots == size

    rng = random.Random(size)
    picks = rng.sample(range(size), min(size, 3 * calls))
    describe_ids = [f"ami-{i:017x}" for i in picks[:calls]]
    lookup_ids = [f"ami-{i:017x}" for i in picks[calls:2 * calls]] or describe_ids
    deregister_ids = [f"ami-{i:017x}" for i in picks[2 * calls:]] or describe_ids
    result: dict[str, Any] = {
        "backend": backend_name, "images": size, "load_seconds": round(load_seconds, 3),
        "records_loaded": report.images + report.created_snapshots,
    }
    with stub:
        for warm in describe_ids[:20]:
            stub.image(warm)
        if ("ec2", "DescribeImages") in load_all():
            result["describe_images_by_id_us"] = per_call(
                lambda i: client.describe_images(ImageIds=[i]), describe_ids) * 1e6
        result["stub_image_us"] = per_call(stub.image, lookup_ids) * 1e6
        result["deregister_image_us"] = per_call(
            lambda i: client.deregister_image(ImageId=i), deregister_ids) * 1e6
    assert all(stub.image(i).state == "deregistered" for i in deregister_ids[:10])
    if backend_name == "sqlite":
        result["file_mb"] = round(os.path.getsize(backend.path) / 1e6, 1)
    backend.close()
    del stub, backend
    gc.collect()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--calls", type=int, default=1000, help="timed calls per operation")
    parser.add_argument("--memory-max", type=int, default=100_000,
                        help="largest size also measured on MemoryBackend")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args(argv)

    client = boto3.client("ec2", region_name=REGION, aws_access_key_id="bench",
                          aws_secret_access_key="bench")
    rows = []
    with tempfile.TemporaryDirectory(prefix="botostub-bench-") as directory:
        for size in sorted(args.sizes):
            for backend_name in ("memory", "sqlite"):
                if backend_name == "memory" and size > args.memory_max:
                    continue
                row = measure(backend_name, size, args.calls, client, directory)
                rows.append(row)
                print(json.dumps(row), flush=True)

    metrics = ["deregister_image_us", "describe_images_by_id_us", "stub_image_us"]
    print()
    print(f"{'backend':8} {'images':>9} {'load s':>8} " + " ".join(f"{m:>26}" for m in metrics))
    for row in rows:
        cells = [f"{row[m]:26.1f}" if row.get(m) is not None else f"{'-':>26}" for m in metrics]
        print(f"{row['backend']:8} {row['images']:>9} {row['load_seconds']:>8.2f} "
              + " ".join(cells))
    ratios: dict[str, dict[str, float]] = {}
    print("\nratios (this size / smallest size, same backend, same run):")
    for backend_name in ("memory", "sqlite"):
        mine = [r for r in rows if r["backend"] == backend_name]
        if len(mine) < 2:
            continue
        base = mine[0]
        for row in mine[1:]:
            key = f"{backend_name} {row['images']}/{base['images']}"
            ratios[key] = {m: round(row[m] / base[m], 3) for m in metrics if row.get(m)}
            print(f"  {key:24} " + "  ".join(f"{m}={v:.2f}" for m, v in ratios[key].items()))
    print("\nSQLite / Memory at the same size:")
    for row in rows:
        if row["backend"] != "sqlite":
            continue
        memory = next((r for r in rows if r["backend"] == "memory"
                       and r["images"] == row["images"]), None)
        if memory:
            key = f"sqlite/memory {row['images']}"
            ratios[key] = {m: round(row[m] / memory[m], 3) for m in metrics if row.get(m)}
            print(f"  {key:24} " + "  ".join(f"{m}={v:.2f}" for m, v in ratios[key].items()))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = out / f"bench_scale_sqlite-{stamp}.json"
    target.write_text(json.dumps({
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
        "python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version,
        "botocore": botocore.__version__, "machine": platform.platform(),
        "cpus": os.cpu_count(), "calls_per_metric": args.calls,
        "rows": rows, "ratios": ratios,
    }, indent=2) + "\n")
    print(f"\nwrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
