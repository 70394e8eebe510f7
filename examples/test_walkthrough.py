"""The walkthrough runs offline from top to bottom (its cells assert what they show)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("walkthrough.py")


def test_walkthrough_runs_offline_top_to_bottom(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), HOME=str(tmp_path),
               BOTOSTUB_EC2_STRICT="1")  # every answer is also checked against botocore's shapes
    done = subprocess.run([sys.executable, str(SCRIPT)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("walkthrough complete")
    assert done.stderr == ""


def test_walkthrough_is_split_into_notebook_cells() -> None:
    cells = [line for line in SCRIPT.read_text().splitlines() if line.startswith("# %%")]
    assert len(cells) >= 10
