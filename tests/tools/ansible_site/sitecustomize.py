"""Activates a botostub_ec2 stub inside every Python process Ansible starts for a module.

Ansible runs each module task in a fresh interpreter, so a stub started in the test process
cannot answer it. With this directory on ``PYTHONPATH`` and ``BOTOSTUB_SQLITE`` naming an
SQLite state file, each module process starts a stub on that shared state (seeded by the test,
read back by the test), and appends the calls it answered to ``BOTOSTUB_CALLS`` (JSON lines).
Used by ``test_ansible.py`` only.
"""

import os

if os.environ.get("BOTOSTUB_SQLITE"):
    import atexit
    import json

    from botostub_ec2 import Ec2Stub, SqliteBackend

    _stub = Ec2Stub(backend=SqliteBackend(os.environ["BOTOSTUB_SQLITE"]),
                    account_id=os.environ.get("BOTOSTUB_ACCOUNT", "123456789012"),
                    region=os.environ.get("BOTOSTUB_REGION", "us-east-1"), strict=True)
    _stub.start()

    def _record_calls() -> None:
        with open(os.environ["BOTOSTUB_CALLS"], "a", encoding="utf-8") as log:
            for call in _stub.calls:
                log.write(json.dumps({"service": call.service, "operation": call.operation,
                                      "params": dict(call.params), "error": call.error_code},
                                     default=str) + "\n")

    atexit.register(_record_calls)
