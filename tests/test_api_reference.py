"""docs/api.md names every public name of the package and every public member of Ec2Stub."""

from __future__ import annotations

from pathlib import Path

import botostub_ec2
from botostub_ec2 import Ec2Stub

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()


def test_every_exported_name_is_documented() -> None:
    missing = [name for name in botostub_ec2.__all__ if f"`{name}" not in PAGE
               and f"{name}(" not in PAGE and f" {name}," not in PAGE]
    assert missing == []


def test_every_public_member_of_the_stub_is_documented() -> None:
    members = [name for name in dir(Ec2Stub) if not name.startswith("_")]
    members += ["responder"]  # an instance attribute
    missing = [name for name in members if f"`{name}" not in PAGE and f" {name}(" not in PAGE
               and f"`{name}(" not in PAGE and f", {name}" not in PAGE]
    assert missing == []


def test_every_constructor_argument_is_documented() -> None:
    import inspect

    arguments = [name for name in inspect.signature(Ec2Stub.__init__).parameters
                 if name != "self"]
    assert [name for name in arguments if f"{name}=" not in PAGE] == []
