"""Misuse of the library raises a BotostubError that is also the built-in exception raised before
(so existing ``except ValueError`` / ``KeyError`` / ``RuntimeError`` / ``TypeError`` still work)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from botostub_ec2 import BotostubError, ImageRecord, LifecycleOptions, MemoryBackend, Principal
from botostub_ec2.backends import (
    BackendClosedError,
    BackendError,
    ReadOnlyTransactionError,
    UnknownCheckpointError,
    UnknownIndexError,
)
from botostub_ec2.backends.sqlite import SqliteBackend
from botostub_ec2.checkpoints import CopyCheckpoints
from botostub_ec2.errors import ArgumentTypeError, ConfigurationError, RecordFieldError
from botostub_ec2.iam import IamPolicyEvaluator, Policy, simulate
from botostub_ec2.permissions import (
    AuthorizationMessageError,
    EvaluatorError,
    as_decision,
    as_evaluator,
    decode_authorization_message,
)

REGION = "us-east-1"
IMAGE = ImageRecord(image_id="ami-12345678", region=REGION, owner_id="123456789012", name="web")


def _raises(call: Callable[[], Any], kind: type[BotostubError], builtin: type[Exception],
            match: str) -> None:
    with pytest.raises(kind, match=match) as info:
        call()
    assert isinstance(info.value, BotostubError)
    assert isinstance(info.value, builtin)


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    made = MemoryBackend() if request.param == "memory" else SqliteBackend(tmp_path / "s.db")
    yield made
    made.close()


def test_writes_in_a_read_only_transaction(backend: Any) -> None:
    def put() -> None:
        with backend.transaction(write=False) as tx:
            tx.put(IMAGE)

    def delete() -> None:
        with backend.transaction(write=False) as tx:
            tx.delete(ImageRecord, REGION, IMAGE.image_id)

    _raises(put, ReadOnlyTransactionError, RuntimeError, "write=False")
    _raises(delete, ReadOnlyTransactionError, RuntimeError, "write=False")
    assert issubclass(ReadOnlyTransactionError, BackendError)


def test_unknown_index_and_unknown_checkpoint(backend: Any) -> None:
    def find() -> None:
        with backend.transaction() as tx:
            tx.find(ImageRecord, REGION, "colour", "red")

    _raises(find, UnknownIndexError, KeyError, "ImageRecord has no index 'colour'")
    token = backend.snapshot_state()
    backend.discard_state(token)
    _raises(lambda: backend.restore_state(token), UnknownCheckpointError, KeyError, "no checkpoint")
    with pytest.raises(UnknownCheckpointError) as info:
        backend.restore_state(token)
    assert str(info.value).startswith("no checkpoint")  # not quoted as a KeyError would be


def test_closed_backend(backend: Any) -> None:
    backend.close()
    _raises(backend.transaction, BackendClosedError, RuntimeError, "closed")


def test_copy_checkpoints_of_an_unknown_token() -> None:
    copier = CopyCheckpoints(MemoryBackend())
    _raises(lambda: copier.restore_state(7), UnknownCheckpointError, KeyError, "no checkpoint 7")


def test_sqlite_backend_needs_a_file() -> None:
    _raises(lambda: SqliteBackend(":memory:"), ConfigurationError, ValueError, "MemoryBackend")


def test_principal_and_lifecycle_options() -> None:
    _raises(lambda: Principal("alice"), ConfigurationError, ValueError, "not a principal ARN")
    options = LifecycleOptions()
    with pytest.raises(ConfigurationError, match="restored_image_state"):
        options.restored_image_state = "gone"
    assert isinstance(ConfigurationError("x"), ValueError)


def test_evaluators_that_do_not_fit_the_protocol() -> None:
    _raises(lambda: as_evaluator(42), EvaluatorError, TypeError, "authorize")  # type: ignore[arg-type]
    _raises(lambda: as_decision("yes"), EvaluatorError, TypeError, "Decision or a bool")  # type: ignore[arg-type]


def test_authorization_message_not_issued_here() -> None:
    _raises(lambda: decode_authorization_message("hello"), AuthorizationMessageError, ValueError,
            "not an authorization message")
    _raises(lambda: decode_authorization_message("bse1!!"), AuthorizationMessageError,
            ValueError, "malformed")


def test_record_replace_with_an_unknown_field() -> None:
    _raises(lambda: IMAGE._replace(colour="red"), RecordFieldError, ValueError,
            "unexpected field names")


def test_iam_arguments() -> None:
    _raises(lambda: Policy.load(42), ArgumentTypeError, TypeError, "a policy is JSON text")  # type: ignore[arg-type]
    _raises(lambda: IamPolicyEvaluator(identities={"arn:aws:iam::123456789012:user/a": 1}),  # type: ignore[dict-item]
            ArgumentTypeError, TypeError, "must be an IamIdentity")
    _raises(lambda: IamPolicyEvaluator(scps=[[]]), ConfigurationError, ValueError, "has no policy")
    evaluator = IamPolicyEvaluator()
    _raises(lambda: simulate(evaluator, "ec2:DescribeImages", scps=[]), ArgumentTypeError,
            TypeError, "pass evaluator options")
