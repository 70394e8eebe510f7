"""Ansible ``amazon.aws.ec2_ami`` / ``ec2_ami_info``, run by ``ansible-playbook``, offline.

Ansible executes each module in its own Python process, so the stub cannot be activated from
this process. Instead the test seeds an SQLite state (``SqliteBackend``), and
``ansible_site/sitecustomize.py`` (put on ``PYTHONPATH``) starts a stub on that same state in
every module process; afterwards the test reads the state back and the calls each process logged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from botostub_ec2 import Ec2Stub, SqliteBackend

pytest.importorskip("ansible", reason="ansible-core is not installed")
pytest.importorskip("ansible_collections.amazon.aws",
                    reason="the amazon.aws collection (pip install ansible) is not installed")
pytestmark = pytest.mark.tools

SITE = Path(__file__).with_name("ansible_site")
PLAYBOOK_BIN = Path(sys.executable).with_name("ansible-playbook")


class Run:
    def __init__(self, state: Path, calls: Path, results: dict[str, Any]) -> None:
        self.state, self.calls_path, self.results = state, calls, results

    @property
    def calls(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.calls_path.read_text().splitlines()]

    def task(self, name: str) -> dict[str, Any]:
        for play in self.results["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"] == name:
                    return task["hosts"]["localhost"]
        raise KeyError(name)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[tuple[Ec2Stub, SqliteBackend]]:
    backend = SqliteBackend(tmp_path / "state.db")
    yield Ec2Stub(backend=backend), backend
    backend.close()


def play(tmp_path: Path, tasks: str) -> Run:
    if not PLAYBOOK_BIN.exists():
        pytest.skip("ansible-playbook is not next to this Python")
    playbook = tmp_path / "playbook.yml"
    playbook.write_text("- hosts: localhost\n  connection: local\n  gather_facts: false\n"
                        "  tasks:\n" + tasks)
    calls = tmp_path / "calls.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        BOTOSTUB_SQLITE=str(tmp_path / "state.db"), BOTOSTUB_CALLS=str(calls),
        PYTHONPATH=os.pathsep.join([str(SITE), env.get("PYTHONPATH", "")]),
        ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        # Every directory Ansible writes to is under tmp_path, not ~/.ansible: HOME alone does not
        # move the local and "remote" (here local too) temporary directories.
        ANSIBLE_HOME=str(tmp_path / "ansible"), HOME=str(tmp_path),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible" / "tmp-local"),
        ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible" / "tmp-remote"),
    )
    done = subprocess.run(
        [str(PLAYBOOK_BIN), "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return Run(tmp_path / "state.db", calls, json.loads(done.stdout))


def test_info_then_deregister_with_snapshots(tmp_path: Path,
                                             state: tuple[Ec2Stub, SqliteBackend]) -> None:
    stub, _ = state
    old = stub.add_image("web-2024-01-01", tags={"team": "web"}, snapshots=2,
                         creation_date="2024-01-01T00:00:00Z")
    keeper = stub.add_image("web-2024-02-01", tags={"team": "web"})
    sibling = stub.add_image("web-2024-03-01", tags={"team": "web"},
                             snapshot_ids=keeper.snapshot_ids)
    stub.add_image("db-2024-01-01", tags={"team": "db"})

    run = play(tmp_path, f"""
    - name: list
      amazon.aws.ec2_ami_info: {{owners: [self], filters: {{"tag:team": web}}, region: us-east-1}}
    - name: deregister
      amazon.aws.ec2_ami: {{image_id: {old.image_id}, state: absent, delete_snapshot: true,
                            wait: true, region: us-east-1}}
    - name: again
      amazon.aws.ec2_ami: {{image_id: {old.image_id}, state: absent, delete_snapshot: true,
                            region: us-east-1}}
    - name: shared snapshot
      amazon.aws.ec2_ami: {{image_id: {keeper.image_id}, state: absent, delete_snapshot: true,
                            region: us-east-1}}
      ignore_errors: true
""")

    assert sorted(i["name"] for i in run.task("list")["images"]) == [
        "web-2024-01-01", "web-2024-02-01", "web-2024-03-01"]
    deregistered = run.task("deregister")
    assert deregistered["changed"] is True
    assert deregistered["snapshots_deleted"] == list(old.snapshot_ids)
    assert run.task("again")["changed"] is False  # idempotent: DescribeImages answers []
    # The module deletes snapshots itself; the one web-2024-03-01 still uses is InUse, the
    # module fails after deregistering the image (as it does on AWS).
    failed = run.task("shared snapshot")
    assert failed["failed"] is True and failed["msg"].startswith("Failed to delete snapshot")

    assert stub.image(old.image_id).state == "deregistered"
    assert all(stub.snapshot(s) is None for s in old.snapshot_ids)
    assert stub.image(keeper.image_id).state == "deregistered"
    assert stub.snapshot(keeper.snapshot_ids[0]) is not None
    assert stub.image(sibling.image_id).state == "available"
    operations = [(c["operation"], c["error"]) for c in run.calls]
    assert ("DeleteSnapshot", "InvalidSnapshot.InUse") in operations
    assert {op for op, _ in operations} == {
        "DescribeImages", "DescribeImageAttribute", "DeregisterImage", "DeleteSnapshot"}


def test_create_register_and_describe_attributes(tmp_path: Path,
                                                 state: tuple[Ec2Stub, SqliteBackend]) -> None:
    stub, _ = state
    base = stub.add_image("base-2024-01-01")
    instance = stub.add_instance(base.image_id)
    snapshot = stub.add_snapshot(volume_size=10)

    run = play(tmp_path, f"""
    - name: create
      amazon.aws.ec2_ami:
        instance_id: {instance.instance_id}
        name: web-from-instance
        wait: true
        tags: {{team: web}}
        launch_permissions: {{user_ids: ["111122223333"]}}
        region: us-east-1
    - name: register
      amazon.aws.ec2_ami:
        name: web-from-snapshot
        root_device_name: /dev/xvda
        virtualization_type: hvm
        device_mapping:
          - {{device_name: /dev/xvda, snapshot_id: {snapshot.snapshot_id}, volume_type: gp3}}
        wait: true
        region: us-east-1
    - name: register again
      amazon.aws.ec2_ami:
        name: web-from-snapshot
        root_device_name: /dev/xvda
        device_mapping: [{{device_name: /dev/xvda, snapshot_id: {snapshot.snapshot_id}}}]
        region: us-east-1
      ignore_errors: true
    - name: info
      amazon.aws.ec2_ami_info:
        owners: [self]
        filters: {{name: web-from-*}}
        describe_image_attributes: true
        region: us-east-1
""")

    created, registered = run.task("create"), run.task("register")
    assert created["changed"] and created["launch_permissions"] == [{"user_id": "111122223333"}]
    assert created["tags"] == {"team": "web"}
    assert registered["changed"] and registered["state"] == "available"
    assert run.task("register again")["failed"] is True  # the name is taken, as on AWS
    images = {i["name"]: i for i in run.task("info")["images"]}
    assert set(images) == {"web-from-instance", "web-from-snapshot"}
    assert images["web-from-instance"]["source_instance_id"] == instance.instance_id
    assert ("RegisterImage", "InvalidAMIName.Duplicate") in [
        (c["operation"], c["error"]) for c in run.calls]
    assert stub.image(created["image_id"]).shared_with == ("111122223333",)
