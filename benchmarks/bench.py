"""botostub_ec2 benchmark: every speed claim of the README, as ratios measured side by side in
one run.

Usage::

    python benchmarks/bench.py            # full run (~8 min, 2 of them loading 1M images into
                                          # SQLite), table + benchmarks/results/latest.json
    python benchmarks/bench.py --quick    # smoke run (seconds): checks that every scenario runs
    python benchmarks/bench.py --only per-call,per-test
    python benchmarks/bench.py --only sqlite --sqlite-max 100000   # SQLite without the 1M load

moto is optional (``pip install -e '.[bench]'``); without it the moto rows are skipped with a note.
Per-call scenarios run in interleaved rounds (round r times a batch of every scenario in turn) and
report the median per-call time over rounds; each ratio is the median over rounds of a batch
against its baseline's batch of the same round, so a noisy neighbour slows both sides alike.
Sections: per-call, per-test, import, scale (MemoryBackend), threads, sqlite (SqliteBackend
against MemoryBackend, then flat to 1,000,000 images). What the numbers mean, and the latest
ones: docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.session  # noqa: E402
from botocore.awsrequest import AWSResponse  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from botocore.stub import Stubber  # noqa: E402

from botostub_ec2 import Ec2Stub, Principal  # noqa: E402

try:  # optional peer
    import moto
    from moto import mock_aws
except ImportError:  # pragma: no cover - depends on the environment
    moto = None
    mock_aws = None

REGION = "us-east-1"
#: Largest SQLite state of the full run's ``sqlite`` section (``--sqlite-max``; loading 1M images
#: takes a minute or two).
SQLITE_MAX = 1_000_000
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")  # moto signs requests; ours never does
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def new_client() -> Any:
    return boto3.client("ec2", region_name=REGION)


# -- per-call scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    call: Callable[[], Any]
    enter: Callable[[], Any] = lambda: None
    exit: Callable[[], Any] = lambda: None
    batch: int = 200
    samples: list[float] = field(default_factory=list)

    def run_batch(self) -> None:
        self.enter()
        try:
            call = self.call
            start = time.perf_counter()
            for _ in range(self.batch):
                call()
            elapsed = time.perf_counter() - start
        finally:
            self.exit()
        self.samples.append(elapsed / self.batch)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def run_interleaved(scenarios: list[Scenario], rounds: int) -> None:
    """One warm-up batch each, then ``rounds`` rounds of one batch of every scenario in turn,
    the garbage collector off while timing."""
    for scenario in scenarios:  # warm-up: caches, lazy imports
        scenario.run_batch()
        scenario.samples.clear()
    gc.disable()
    try:
        for _ in range(rounds):
            for scenario in scenarios:
                scenario.run_batch()
    finally:
        gc.enable()


def paired_ratio(scenario: Scenario, base: Scenario) -> float:
    """Median over rounds of (this round's batch / ``base``'s batch of the same round): a machine
    that slows down for a while slows both, so the ratio holds while the times move."""
    return statistics.median(a / b for a, b in zip(scenario.samples, base.samples, strict=True))


class _Raw:
    def __init__(self, body: bytes = b"") -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Any:
        yield self.body


def floor_client(error: bool) -> Any:
    """A client whose before-call handler returns a constant answer: botocore's own cost."""
    client = new_client()
    if error:
        parsed = {"Error": {"Code": "InvalidAMIID.NotFound",
                            "Message": "The image id '[ami-12345678]' does not exist"},
                  "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 400,
                                       "HTTPHeaders": {}, "RetryAttempts": 0}}
        http = AWSResponse("https://ec2.us-east-1.amazonaws.com/", 400, {}, _Raw())
    else:
        parsed = {"Return": True, "DeleteSnapshotResults": [],
                  "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200,
                                       "HTTPHeaders": {}, "RetryAttempts": 0}}
        http = AWSResponse("https://ec2.us-east-1.amazonaws.com/", 200, {}, _Raw())

    def handler(**kwargs: Any) -> Any:
        # A fresh dict per call, as any real answer needs.
        return http, {**parsed, "ResponseMetadata": dict(parsed["ResponseMetadata"])}

    client.meta.events.register("before-call.ec2.DeregisterImage", handler)
    return client


def expect_error(fn: Callable[[], Any]) -> Callable[[], None]:
    def call() -> None:
        try:
            fn()
        except ClientError:
            return
        raise AssertionError("expected a ClientError")

    return call


def _iam_evaluator() -> Any:
    from botostub_ec2 import IamPolicyEvaluator

    def document(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    everything = document({"Effect": "Allow", "Action": "*", "Resource": "*"})
    return IamPolicyEvaluator(
        [document(
            {"Effect": "Allow", "Action": ["ec2:DeregisterImage", "ec2:DeleteSnapshot"],
             "Resource": "arn:aws:ec2:*::image/*",
             "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
                           "Bool": {"aws:SecureTransport": "true"}}},
            {"Effect": "Deny", "Action": "ec2:DeregisterImage", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}}},
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}},
        )],
        permissions_boundary=document({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}),
        scps=[[everything], [everything]],
    )


def per_call_scenarios(quick: bool) -> tuple[list[Scenario], list[str]]:
    notes: list[str] = []
    batch = 20 if quick else 200
    rounds_needed = 3 if quick else 21
    pool = batch * (rounds_needed + 1) + 10  # + the warm-up batch

    floor_ok, floor_err = floor_client(False), floor_client(True)
    scenarios = [
        Scenario("FLOOR success (constant before-call answer)",
                 lambda: floor_ok.deregister_image(ImageId="ami-12345678"), batch=batch),
        Scenario("FLOOR error (constant error answer)",
                 expect_error(lambda: floor_err.deregister_image(ImageId="ami-12345678")),
                 batch=batch),
    ]

    stubbed = new_client()
    stubber = Stubber(stubbed)
    stubber.activate()

    def stubber_call() -> None:
        stubber.add_response("deregister_image", {"Return": True, "DeleteSnapshotResults": []})
        stubbed.deregister_image(ImageId="ami-12345678")

    scenarios.append(Scenario("botocore Stubber (add_response + call)", stubber_call, batch=batch))

    stub = Ec2Stub()
    ids = iter([stub.add_image(f"img-{n}").image_id for n in range(pool)])
    ours = new_client()
    scenarios += [
        Scenario("botostub_ec2 DeregisterImage success",
                 lambda: ours.deregister_image(ImageId=next(ids)),
                 stub.start, stub.stop, batch=batch),
        Scenario("botostub_ec2 DeregisterImage NotFound",
                 expect_error(lambda: ours.deregister_image(ImageId="ami-12345678")),
                 stub.start, stub.stop, batch=batch),
    ]
    protected = stub.add_image("kept").image_id
    scenarios.append(Scenario(
        "botostub_ec2 DeregisterImage DryRun",
        expect_error(lambda: ours.deregister_image(ImageId=protected, DryRun=True)),
        stub.start, stub.stop, batch=batch))

    # The same call decided by the IAM evaluator: identity policy (ABAC condition with a policy
    # variable, a conditional Deny, a region guard), a permissions boundary and two SCP levels.
    iam_stub = Ec2Stub(evaluator=_iam_evaluator(),
                       principal=Principal("arn:aws:iam::123456789012:user/alice",
                                           tags={"team": "web"}))
    iam_ids = iter([iam_stub.add_image(f"img-{n}", tags={"team": "web", "env": "dev"}).image_id
                    for n in range(pool)])
    scenarios.append(Scenario(
        "botostub_ec2 DeregisterImage success, IamPolicyEvaluator",
        lambda: ours.deregister_image(ImageId=next(iam_ids)),
        iam_stub.start, iam_stub.stop, batch=batch))

    if mock_aws is None:
        notes.append("moto is not installed: moto rows skipped (pip install -e '.[bench]')")
        return scenarios, notes
    mock = mock_aws()
    mock.start()
    moto_client = new_client()
    moto_batch = max(5, batch // 10)
    source = moto_client.run_instances(ImageId=_moto_base_image(moto_client), MinCount=1,
                                       MaxCount=1)["Instances"][0]["InstanceId"]
    moto_ids = iter([
        moto_client.create_image(InstanceId=source, Name=f"img-{n}")["ImageId"]
        for n in range(moto_batch * (rounds_needed + 1) + 5)
    ])
    mock.stop(remove_data=False)
    scenarios += [
        Scenario("moto DeregisterImage success",
                 lambda: moto_client.deregister_image(ImageId=next(moto_ids)),
                 lambda: mock.start(reset=False), lambda: mock.stop(remove_data=False),
                 batch=moto_batch),
        Scenario("moto DeregisterImage NotFound",
                 expect_error(lambda: moto_client.deregister_image(ImageId="ami-12345678")),
                 lambda: mock.start(reset=False), lambda: mock.stop(remove_data=False),
                 batch=moto_batch),
    ]
    return scenarios, notes


def _moto_base_image(client: Any) -> str:
    return client.register_image(Name="base", RootDeviceName="/dev/xvda", BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]


def run_per_call(quick: bool) -> dict[str, Any]:
    scenarios, notes = per_call_scenarios(quick)
    run_interleaved(scenarios, 3 if quick else 21)
    by_name = {s.name: s for s in scenarios}
    floor_ok = by_name["FLOOR success (constant before-call answer)"]
    floor_err = by_name["FLOOR error (constant error answer)"]

    rows = []
    for name, scenario in by_name.items():
        is_error = "NotFound" in name or "DryRun" in name or "error" in name
        base = floor_err if is_error else floor_ok
        rows.append({"scenario": name, "median_us": scenario.median * 1e6,
                     "ratio_to_floor": paired_ratio(scenario, base)})
    ours_ok = by_name["botostub_ec2 DeregisterImage success"]
    comparisons = {}
    if "moto DeregisterImage success" in by_name:
        comparisons["moto / botostub_ec2 (success)"] = paired_ratio(
            by_name["moto DeregisterImage success"], ours_ok)
        comparisons["moto / botostub_ec2 (NotFound)"] = paired_ratio(
            by_name["moto DeregisterImage NotFound"],
            by_name["botostub_ec2 DeregisterImage NotFound"])
        comparisons["moto / FLOOR (what any interception can reach)"] = paired_ratio(
            by_name["moto DeregisterImage success"], floor_ok)
    notes.append("ratios: median over rounds of (this round's batch / the baseline's batch of the "
                  "same round)")
    return {"rows": rows, "comparisons": comparisons, "notes": notes}


# -- per-test cycles -------------------------------------------------------------------------------


def cycle_botostub() -> None:
    stub = Ec2Stub()
    image = stub.add_image("web")
    with stub:
        boto3.Session(region_name=REGION).client("ec2").deregister_image(ImageId=image.image_id)


def cycle_moto() -> None:
    with mock_aws():  # type: ignore[misc]
        client = boto3.Session(region_name=REGION).client("ec2")
        with contextlib.suppress(ClientError):
            client.deregister_image(ImageId="ami-12345678")


def cycle_cold_client() -> None:
    boto3.Session(region_name=REGION).client("ec2")


def run_per_test(quick: bool) -> dict[str, Any]:
    cycles: dict[str, Callable[[], None]] = {
        "botostub_ec2 fixture cycle (new stub + Session + client + 1 call)": cycle_botostub,
        "cold boto3.Session().client('ec2')": cycle_cold_client,
    }
    notes = []
    if mock_aws is not None:
        cycles["moto cycle (mock_aws + Session + client + 1 call)"] = cycle_moto
    else:
        notes.append("moto not installed: moto per-test cycle skipped")
    rounds = 2 if quick else 10
    samples: dict[str, list[float]] = {name: [] for name in cycles}
    for fn in cycles.values():  # warm-up (first moto EC2 call imports its backend)
        fn()
    for _ in range(rounds):
        for name, fn in cycles.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(v) for name, v in samples.items()}
    ours = medians["botostub_ec2 fixture cycle (new stub + Session + client + 1 call)"]
    comparisons = {
        "botostub_ec2 cycle / cold client": ours / medians["cold boto3.Session().client('ec2')"]}
    if "moto cycle (mock_aws + Session + client + 1 call)" in medians:
        comparisons["botostub_ec2 cycle / moto cycle"] = (
            ours / medians["moto cycle (mock_aws + Session + client + 1 call)"])
    return {"rows": [{"scenario": k, "median_ms": v * 1e3} for k, v in medians.items()],
            "comparisons": comparisons, "notes": notes}


# -- import cost -----------------------------------------------------------------------------------


def _import_time(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    # Bytecode caching on, as in any installed environment (the sandbox may turn it off, and then
    # every import would include compiling the source).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env=env)
    return float(out.stdout.strip())


def run_import(quick: bool) -> dict[str, Any]:
    rounds = 3 if quick else 11
    _import_time("import boto3; import botostub_ec2")  # writes the bytecode caches
    base, ours = [], []
    for _ in range(rounds):
        base.append(_import_time("import boto3"))
        ours.append(_import_time("import boto3; import botostub_ec2"))
    added = statistics.median(ours) - statistics.median(base)
    return {"rows": [{"scenario": "import boto3", "median_ms": statistics.median(base) * 1e3},
                     {"scenario": "import boto3 + botostub_ec2",
                      "median_ms": statistics.median(ours) * 1e3}],
            "comparisons": {"added by botostub_ec2 (ms)": added * 1e3}, "notes": []}


# -- scale -----------------------------------------------------------------------------------------


def _time_calls(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def run_scale(quick: bool) -> dict[str, Any]:
    """MemoryBackend from 100 to 100,000 images: states side by side, calls interleaved by round."""
    sizes = [100, 1000] if quick else [100, 10_000, 100_000]
    rounds = 3 if quick else 11
    batch = 20 if quick else 50
    client = new_client()
    rows: list[dict[str, Any]] = []
    pairs: dict[int, list[Scenario]] = {}
    for size in sizes:
        stub = Ec2Stub()
        ids = [stub.add_image(f"img-{i}").image_id for i in range(size)]
        probe = ids[size // 2]
        # Each DeregisterImage batch takes images seeded just before it (untimed), so every
        # state keeps its size however many rounds run, and the probe is never deregistered.
        victims: list[str] = []

        def refill(stub: Ec2Stub = stub, victims: list[str] = victims) -> None:
            victims.extend(stub.add_image(f"fresh-{len(victims)}-{n}").image_id
                           for n in range(batch))
            stub.start()

        pending = iter(victims)  # a list iterator also sees items appended later
        pairs[size] = [
            Scenario(f"{size:>7,} images: DeregisterImage",
                     lambda pending=pending: client.deregister_image(  # type: ignore[misc]
                         ImageId=next(pending)), refill, stub.stop, batch=batch),
            Scenario(f"{size:>7,} images: DescribeImages by id",
                     lambda probe=probe: client.describe_images(  # type: ignore[misc]
                         ImageIds=[probe]), stub.start, stub.stop, batch=batch),
        ]
    scenarios = [scenario for pair in pairs.values() for scenario in pair]
    run_interleaved(scenarios, rounds)
    for scenario in scenarios:
        rows.append({"scenario": scenario.name, "median_us": scenario.median * 1e6})
    small, large = sizes[0], sizes[-1]
    comparisons = {}
    for mine, base in zip(pairs[large], pairs[small], strict=True):
        operation = mine.name.split(": ")[1]
        comparisons[f"{operation}, {large:,} / {small:,} images"] = paired_ratio(mine, base)
    del pairs, scenarios
    gc.collect()
    notes = []
    # Memory per seeded image (one snapshot, no tags), by tracemalloc.
    count = 2_000 if quick else 20_000
    stub = Ec2Stub()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(count):
        stub.add_image(f"m-{i}")
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    comparisons["bytes per seeded image (image + its snapshot + indexes)"] = grown / count
    # Filtered DescribeImages at 10,000 images, against moto.
    filtered_n = 500 if quick else 10_000
    stub = Ec2Stub()
    for i in range(filtered_n):
        stub.add_image(f"svc-{i % 50}-{i}", tags={"team": f"t{i % 10}"})
    filters = [{"Name": "name", "Values": ["svc-7-*"]}, {"Name": "tag:team", "Values": ["t7"]}]
    with stub:
        ours = _time_calls(lambda: client.describe_images(Owners=["self"], Filters=filters),
                           3 if quick else 10)
    rows.append({"scenario": f"filtered DescribeImages, {filtered_n} images (botostub_ec2)",
                 "median_ms": ours * 1e3})
    if mock_aws is not None:
        with mock_aws():
            moto_client = new_client()
            base = _moto_base_image(moto_client)
            instance = moto_client.run_instances(ImageId=base, MinCount=1, MaxCount=1)[
                "Instances"][0]["InstanceId"]
            moto_count = min(filtered_n, 500 if quick else 10_000)
            for i in range(moto_count):
                moto_client.create_image(InstanceId=instance, Name=f"svc-{i % 50}-{i}",
                                         TagSpecifications=[{"ResourceType": "image", "Tags": [
                                             {"Key": "team", "Value": f"t{i % 10}"}]}])
            theirs = _time_calls(lambda: moto_client.describe_images(Owners=["self"],
                                                                     Filters=filters),
                                 3 if quick else 10)
        rows.append({"scenario": f"filtered DescribeImages, {moto_count} images (moto)",
                     "median_ms": theirs * 1e3})
        comparisons["moto / botostub_ec2 filtered DescribeImages"] = theirs / ours
    else:
        notes.append("moto not installed: filtered DescribeImages comparison skipped")
    return {"rows": rows, "comparisons": comparisons, "notes": notes}


# -- threads ---------------------------------------------------------------------------------------


def run_threads(quick: bool) -> dict[str, Any]:
    """Calls/s with 1, 2 and 4 threads on one stub, beside the same threads on FLOOR clients.

    CPython runs one thread at a time (the GIL), so more threads never add throughput, and
    handing the GIL between threads on two cores costs some: the FLOOR rows show how much of the
    drop is botocore's and CPython's own, the ratio between the two what the stub adds (its
    backend lock, for one).
    """
    per_thread = 100 if quick else 2_000
    rows = []

    def work(barrier: threading.Barrier, call: Callable[[str], Any], image_ids: list[str]) -> None:
        barrier.wait()
        for image_id in image_ids:
            call(image_id)

    def run(threads: int, stub: Ec2Stub | None, ids: list[list[str]],
            calls: list[Callable[[str], Any]]) -> float:
        barrier = threading.Barrier(threads + 1)
        workers = [threading.Thread(target=work, args=(barrier, calls[t], ids[t]))
                   for t in range(threads)]
        if stub is not None:
            stub.start()
        try:
            for w in workers:
                w.start()
            barrier.wait()
            start = time.perf_counter()
            for w in workers:
                w.join()
            elapsed = time.perf_counter() - start
        finally:
            if stub is not None:
                stub.stop()
        return threads * per_thread / elapsed

    throughput: dict[tuple[str, int], float] = {}
    for threads in (1, 2, 4):
        floors = [floor_client(False) for _ in range(threads)]
        throughput[("FLOOR", threads)] = run(
            threads, None, [["ami-12345678"] * per_thread] * threads,
            [lambda _, c=c: c.deregister_image(ImageId="ami-12345678") for c in floors])
        stub = Ec2Stub()
        ids = [[stub.add_image(f"t{t}-{i}").image_id for i in range(per_thread)]
               for t in range(threads)]
        clients = [new_client() for _ in range(threads)]
        throughput[("botostub_ec2", threads)] = run(
            threads, stub, ids,
            [lambda image_id, c=c: c.deregister_image(ImageId=image_id) for c in clients])
    for (name, threads), value in throughput.items():
        rows.append({"scenario": f"{name}, {threads} thread(s)", "calls_per_s": value})
    comparisons = {}
    for threads in (2, 4):
        ours = throughput[("botostub_ec2", threads)] / throughput[("botostub_ec2", 1)]
        floor = throughput[("FLOOR", threads)] / throughput[("FLOOR", 1)]
        comparisons[f"botostub_ec2 {threads} threads / 1 thread"] = ours
        comparisons[f"FLOOR {threads} threads / 1 thread"] = floor
        comparisons[f"botostub_ec2 scaling / FLOOR scaling, {threads} threads"] = ours / floor
    return {"rows": rows, "comparisons": comparisons, "notes": []}


# -- SQLite backend --------------------------------------------------------------------------------


def run_sqlite(quick: bool) -> dict[str, Any]:
    """SqliteBackend against MemoryBackend per call (interleaved, paired), then flat to 1M
    images."""
    import random
    import tempfile

    import bench_scale_sqlite  # benchmarks/ is on sys.path when this file runs as a script

    from botostub_ec2 import inventory
    from botostub_ec2.backends.sqlite import SqliteBackend

    rounds = 3 if quick else 15
    batch = 20 if quick else 100
    client = new_client()
    rows: list[dict[str, Any]] = []
    comparisons: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="botostub-bench-") as directory:
        stubs = {"memory": Ec2Stub(),
                 "sqlite": Ec2Stub(backend=SqliteBackend(os.path.join(directory, "paired.db")))}
        pools = {name: iter([stub.add_image(f"img-{n}").image_id
                             for n in range(batch * (rounds + 1) + 5)])
                 for name, stub in stubs.items()}
        kept = {name: stub.add_image("kept").image_id for name, stub in stubs.items()}
        scenarios: dict[tuple[str, str], Scenario] = {}
        for name, stub in stubs.items():
            pool, image = pools[name], kept[name]
            scenarios[(name, "DeregisterImage")] = Scenario(
                f"{name}: DeregisterImage success",
                lambda pool=pool: client.deregister_image(ImageId=next(pool)),  # type: ignore[misc]
                stub.start, stub.stop, batch=batch)
            scenarios[(name, "DescribeImages")] = Scenario(
                f"{name}: DescribeImages(ImageIds=[1])",
                lambda image=image: client.describe_images(ImageIds=[image]),  # type: ignore[misc]
                stub.start, stub.stop, batch=batch)
        run_interleaved(list(scenarios.values()), rounds)
        for scenario in scenarios.values():
            rows.append({"scenario": scenario.name, "median_us": scenario.median * 1e6})
        for operation in ("DeregisterImage", "DescribeImages"):
            sqlite, memory = scenarios[("sqlite", operation)], scenarios[("memory", operation)]
            comparisons[f"SQLite / Memory, {operation}"] = paired_ratio(sqlite, memory)
        stubs["sqlite"].backend.close()

        # Flat with size: bulk-loaded states of every size open side by side, their calls
        # interleaved by round like the per-call section (random images in each).
        sizes = [1_000, 5_000] if quick else sorted({1_000, 100_000, SQLITE_MAX})
        # The smallest state (1,000 images) must hold both pools: 2 x 50 x 10 draws.
        per_round = 20 if quick else 50
        scale_rounds = 3 if quick else 9
        sized: list[Scenario] = []
        loaded: dict[int, tuple[Ec2Stub, list[Scenario]]] = {}
        for size in sizes:
            stub = Ec2Stub(backend=SqliteBackend(os.path.join(directory, f"scale-{size}.db")))
            began = time.perf_counter()
            report = inventory.load(stub, bench_scale_sqlite.image_items(size))
            load_s = time.perf_counter() - began
            assert report.images == size
            picks = random.Random(size).sample(range(size), per_round * (scale_rounds + 1) * 2)
            doomed = iter([f"ami-{i:017x}" for i in picks[::2]])
            looked = iter([f"ami-{i:017x}" for i in picks[1::2]])
            pair = [
                Scenario(f"sqlite, {size:,} images: DeregisterImage",
                         lambda doomed=doomed: client.deregister_image(  # type: ignore[misc]
                             ImageId=next(doomed)), stub.start, stub.stop, batch=per_round),
                Scenario(f"sqlite, {size:,} images: DescribeImages by id",
                         lambda looked=looked: client.describe_images(  # type: ignore[misc]
                             ImageIds=[next(looked)]), stub.start, stub.stop, batch=per_round),
            ]
            loaded[size] = (stub, pair)
            sized += pair
            rows.append({"scenario": f"sqlite, load {size:,} images (+ their snapshots)",
                         "seconds": load_s})
        run_interleaved(sized, scale_rounds)
        for scenario in sized:
            rows.append({"scenario": scenario.name, "median_us": scenario.median * 1e6})
        small, large = loaded[sizes[0]][1], loaded[sizes[-1]][1]
        for mine, base in zip(large, small, strict=True):
            operation = mine.name.split(": ")[1]
            comparisons[f"SQLite {operation}, {sizes[-1]:,} / {sizes[0]:,} images"] = (
                paired_ratio(mine, base))
        for stub, _ in loaded.values():
            stub.backend.close()
    return {"rows": rows, "comparisons": comparisons,
            "notes": ["SQLite / Memory: median over rounds of (SQLite batch / Memory batch of the "
                      "same round)"]}


# -- main ------------------------------------------------------------------------------------------

SECTIONS = {
    "per-call": run_per_call,
    "per-test": run_per_test,
    "import": run_import,
    "scale": run_scale,
    "threads": run_threads,
    "sqlite": run_sqlite,
}


def print_section(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name} ==")
    for row in result["rows"]:
        cells = [f"{row['scenario']:<62}"]
        for key, value in row.items():
            if key != "scenario":
                cells.append(f"{key}={value:,.2f}")
        print("  ".join(cells))
    for key, value in result["comparisons"].items():
        print(f"  -> {key}: {value:,.2f}")
    for note in result["notes"]:
        print(f"  (note: {note})")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    global SQLITE_MAX
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke run)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "latest.json"),
                        help="where to write the results ('-' for none)")
    parser.add_argument("--sqlite-max", type=int, default=SQLITE_MAX,
                        help="largest SQLite state of the sqlite section (default 1,000,000)")
    args = parser.parse_args(argv)
    SQLITE_MAX = args.sqlite_max
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "botocore": botocore.__version__,
                    "boto3": boto3.__version__,
                    "moto": getattr(moto, "__version__", None) if moto else None},
        "quick": args.quick,
        "sections": {},
    }
    print(f"machine: {report['machine']}")
    for name in [s.strip() for s in args.only.split(",") if s.strip()]:
        result = SECTIONS[name](args.quick)
        report["sections"][name] = result
        print_section(name, result)
    if args.json != "-":
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
        print(f"\nwrote {path}")
    return report


if __name__ == "__main__":
    main()
