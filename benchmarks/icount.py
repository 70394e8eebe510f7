"""Per-call cost in CPU instructions (valgrind), a measure a noisy or shared machine cannot skew.

Usage::

    python benchmarks/icount.py            # needs valgrind on PATH; ~2-4 minutes
    python benchmarks/icount.py --calls 200

For each scenario, one process makes warm-up calls and then ``--calls`` more calls, and a second
process makes only the warm-up calls; the difference over ``--calls`` is the instructions one call
costs. Ratios are against FLOOR: a client whose ``before-call`` handler returns a constant answer,
i.e. what botocore itself costs around any interception. Wall-clock ratios (benchmarks/bench.py)
also include memory stalls, which instruction counts do not see; both are reported in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SCENARIOS = {
    "floor": "FLOOR (constant before-call answer)",
    "stubber": "botocore Stubber (add_response + call)",
    "success": "botostub_ec2 DeregisterImage success",
    "notfound": "botostub_ec2 DeregisterImage NotFound",
    "dryrun": "botostub_ec2 DeregisterImage DryRun",
    "floor_error": "FLOOR error (constant error answer)",
}

WORKER = r'''
import sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
import boto3
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from bench import floor_client
from botostub_ec2 import Ec2Stub

scenario, calls, images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
warm = 50
stub = Ec2Stub()
# The same setup in every process, whatever --calls is: only the measured calls may differ.
ids = iter([stub.add_image(f"img-{{n}}").image_id for n in range(images)])
kept = stub.add_image("kept").image_id
client = boto3.client("ec2", region_name="us-east-1")

def swallow(fn):
    try:
        fn()
    except ClientError:
        pass

if scenario == "floor":
    floor = floor_client(False)
    call = lambda: floor.deregister_image(ImageId="ami-12345678")
elif scenario == "floor_error":
    floor = floor_client(True)
    call = lambda: swallow(lambda: floor.deregister_image(ImageId="ami-12345678"))
elif scenario == "stubber":
    stubber = Stubber(client)
    stubber.activate()
    def call():
        stubber.add_response("deregister_image", {{"Return": True, "DeleteSnapshotResults": []}})
        client.deregister_image(ImageId="ami-12345678")
else:
    stub.start()
    if scenario == "success":
        call = lambda: client.deregister_image(ImageId=next(ids))
    elif scenario == "notfound":
        call = lambda: swallow(lambda: client.deregister_image(ImageId="ami-12345678"))
    else:
        call = lambda: swallow(lambda: client.deregister_image(ImageId=kept, DryRun=True))
for _ in range(warm):
    call()
for _ in range(calls):
    call()
'''


def instructions(scenario: str, calls: int, images: int = 2000) -> int:
    script = WORKER.format(root=str(ROOT), bench=str(ROOT / "benchmarks"))
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", script, scenario, str(calls), str(images)],
        capture_output=True, text=True, env=env, check=True,
    )
    match = re.search(r"Collected : (\d+)", out.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out.stderr[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="at most 1,900")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "icount.json"))
    parser.add_argument("--scale", type=int, default=0, metavar="IMAGES",
                        help="also measure DeregisterImage success with this many seeded images "
                             "(against 2,000), to show the per-call cost stays flat")
    parser.add_argument("--only", default="", metavar="KEYS",
                        help="comma-separated scenarios (default: all): " + ", ".join(SCENARIOS))
    args = parser.parse_args(argv)
    chosen = set(filter(None, args.only.split(","))) or set(SCENARIOS)
    unknown = chosen - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    # A ratio needs its floor measured in the same run.
    if chosen & {"notfound", "dryrun"}:
        chosen.add("floor_error")
    if args.scale:
        chosen.add("success")  # the growth is against the 2,000-image cost
    if chosen & {"stubber", "success"}:
        chosen.add("floor")
    scenarios = {key: label for key, label in SCENARIOS.items() if key in chosen}
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured")
        return {}
    per_call = {}
    for key, label in scenarios.items():
        base = instructions(key, 0)
        total = instructions(key, args.calls)
        per_call[key] = (total - base) / args.calls
        print(f"{label:<45} {per_call[key] / 1000:8.1f} k instructions/call", flush=True)
    rows = []
    for key, label in scenarios.items():
        floor = per_call["floor_error"] if key in ("notfound", "dryrun", "floor_error") else (
            per_call["floor"])
        rows.append({"scenario": label, "instructions": per_call[key],
                     "ratio_to_floor": per_call[key] / floor})
    print()
    for row in rows:
        print(f"{row['scenario']:<45} ratio to floor {row['ratio_to_floor']:.3f}")
    report: dict[str, Any] = {"calls": args.calls, "rows": rows}
    if args.scale:
        big = (instructions("success", args.calls, args.scale)
               - instructions("success", 0, args.scale)) / args.calls
        growth = big / per_call["success"]
        print(f"DeregisterImage success with {args.scale:,} images: {big / 1000:.1f} k "
              f"instructions/call, {growth:.3f} x the cost with 2,000 images")
        report["scale"] = {"images": args.scale, "instructions": big, "growth": growth}
    if args.json != "-":
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
