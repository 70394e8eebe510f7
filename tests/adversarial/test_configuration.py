"""Every configuration argument is checked where it is passed (issue item 12).

One table over every ``Ec2Stub`` argument, every assignable ``Ec2Stub`` property, every
``LifecycleOptions`` field, ``inject()``, ``add_handler()`` / ``handler()``, ``Clock``, checkpoints,
``attach`` targets and ``SqliteBackend``'s options: a wrong value raises
:class:`ConfigurationError` (a ``BotostubError`` and ``ValueError``) whose message names the
argument, at the line that passes it, instead of failing in a later call.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from botostub_ec2 import (
    AllowAll,
    BotostubError,
    Clock,
    ConfigurationError,
    Ec2Stub,
    LifecycleOptions,
    MemoryBackend,
    TargetError,
)
from botostub_ec2.backends.sqlite import SqliteBackend
from botostub_ec2.checkpoints import CheckpointError

ARN = "arn:aws:iam::123456789012:user/alice"


def _set(attribute: str, value: Any) -> Callable[[], Any]:
    return lambda: setattr(Ec2Stub(), attribute, value)


def _lifecycle(attribute: str, value: Any) -> Callable[[], Any]:
    return lambda: setattr(Ec2Stub().lifecycle, attribute, value)


def _inject(*args: Any, **kwargs: Any) -> Callable[[], Any]:
    return lambda: Ec2Stub().inject(*args, **kwargs)


def _handler(*args: Any, **kwargs: Any) -> Callable[[], Any]:
    return lambda: Ec2Stub().add_handler(*args, **kwargs)


def _foreign_checkpoint() -> None:
    stub = Ec2Stub()
    stub.restore(Ec2Stub().checkpoint())


def _discarded_checkpoint() -> None:
    stub = Ec2Stub()
    checkpoint = stub.checkpoint()
    checkpoint.discard()
    stub.restore(checkpoint)


def _sqlite(tmp: Path, **kwargs: Any) -> Callable[[], Any]:
    return lambda: SqliteBackend(tmp / "state.db", **kwargs)


def _handle(_call: Any) -> dict[str, Any]:
    return {}


# (what is passed, how, the name the message starts with, what else it says)
def cases(tmp: Path) -> list[tuple[str, Callable[[], Any], str, str]]:
    return [
        # -- Ec2Stub(...) ------------------------------------------------------------------------
        ("Ec2Stub(account_id=123)", lambda: Ec2Stub(account_id=123), "account_id", "12 digits"),
        ("Ec2Stub(account_id=None)", lambda: Ec2Stub(account_id=None), "account_id", "12 digits"),
        ("Ec2Stub(region=None)", lambda: Ec2Stub(region=None), "region", "Region name"),
        ("Ec2Stub(region='')", lambda: Ec2Stub(region=""), "region", "Region name"),
        ("Ec2Stub(backend='state.db')", lambda: Ec2Stub(backend="state.db"), "backend",
         "SqliteBackend(path)"),
        ("Ec2Stub(backend=MemoryBackend)", lambda: Ec2Stub(backend=MemoryBackend), "backend",
         "the class"),
        ("Ec2Stub(evaluator=5)", lambda: Ec2Stub(evaluator=5), "evaluator", "authorize"),
        ("Ec2Stub(evaluator=AllowAll)", lambda: Ec2Stub(evaluator=AllowAll), "evaluator",
         "the class"),
        ("Ec2Stub(principal=5)", lambda: Ec2Stub(principal=5), "principal", "ARN"),
        ("Ec2Stub(principal='alice')", lambda: Ec2Stub(principal="alice"), "principal", "ARN"),
        ("Ec2Stub(principals={'AKIA': 5})", lambda: Ec2Stub(principals={"AKIA": 5}),
         "principals", "ARN"),
        ("Ec2Stub(principals=['AKIA'])", lambda: Ec2Stub(principals=["AKIA"]), "principals",
         "map access key ids"),
        ("Ec2Stub(principals={'': ARN})", lambda: Ec2Stub(principals={"": ARN}), "principals",
         "non-empty"),
        ("Ec2Stub(passthrough='yes')", lambda: Ec2Stub(passthrough="yes"), "passthrough",
         "True or False"),
        ("Ec2Stub(strict='yes')", lambda: Ec2Stub(strict="yes"), "strict", "True or False"),
        ("Ec2Stub(clock='x')", lambda: Ec2Stub(clock="x"), "clock", "Clock"),
        ("Ec2Stub(clock=Clock)", lambda: Ec2Stub(clock=Clock), "clock", "the class"),
        ("Ec2Stub(wire=1)", lambda: Ec2Stub(wire=1), "wire", "True or False"),
        ("Ec2Stub(real_retry_delays=None)", lambda: Ec2Stub(real_retry_delays=None),
         "real_retry_delays", "True or False"),
        ("Ec2Stub(share_models='no')", lambda: Ec2Stub(share_models="no"), "share_models",
         "True or False"),
        ("Ec2Stub(call_log='5')", lambda: Ec2Stub(call_log="5"), "call_log", ">= 0"),
        ("Ec2Stub(call_log=-1)", lambda: Ec2Stub(call_log=-1), "call_log", ">= 0"),
        ("Ec2Stub(call_log=True)", lambda: Ec2Stub(call_log=True), "call_log", ">= 0"),
        # -- assignable properties -------------------------------------------------------------
        ("stub.account_id = '1'", _set("account_id", "1"), "account_id", "12 digits"),
        ("stub.region = None", _set("region", None), "region", "Region name"),
        ("stub.principal = None", _set("principal", None), "principal", "ARN"),
        ("stub.principals = {'A': 5}", _set("principals", {"A": 5}), "principals", "ARN"),
        ("stub.backend = 'x'", _set("backend", "x"), "backend", "StateBackend"),
        ("stub.backend = MemoryBackend", _set("backend", MemoryBackend), "backend", "the class"),
        ("stub.evaluator = 5", _set("evaluator", 5), "evaluator", "authorize"),
        ("stub.evaluator = AllowAll", _set("evaluator", AllowAll), "evaluator", "the class"),
        ("stub.clock = 'x'", _set("clock", "x"), "clock", "Clock"),
        ("stub.passthrough = 1", _set("passthrough", 1), "passthrough", "True or False"),
        ("stub.strict = None", _set("strict", None), "strict", "True or False"),
        ("stub.real_retry_delays = 'no'", _set("real_retry_delays", "no"), "real_retry_delays",
         "True or False"),
        # -- stub.lifecycle.* and LifecycleOptions(...) -----------------------------------------
        ("lifecycle.cooldown_protection_value = 5", _lifecycle("cooldown_protection_value", 5),
         "cooldown_protection_value", "non-empty string"),
        ("lifecycle.cooldown_protection_value = ''", _lifecycle("cooldown_protection_value", ""),
         "cooldown_protection_value", "non-empty string"),
        ("lifecycle.cooldown_disable_return = None",
         _lifecycle("cooldown_disable_return", None), "cooldown_disable_return",
         "non-empty string"),
        ("lifecycle.first_rule_activation_delay = '30m'",
         _lifecycle("first_rule_activation_delay", "30m"), "first_rule_activation_delay",
         "timedelta"),
        ("lifecycle.first_rule_activation_delay = 30",
         _lifecycle("first_rule_activation_delay", 30), "first_rule_activation_delay",
         "timedelta"),
        ("lifecycle.rule_activation_delay = -1 s",
         _lifecycle("rule_activation_delay", timedelta(seconds=-1)), "rule_activation_delay",
         "not be negative"),
        ("lifecycle.restored_image_state = 'x'", _lifecycle("restored_image_state", "x"),
         "restored_image_state", "one of"),
        ("lifecycle.tag_rules_take_precedence = 'no'",
         _lifecycle("tag_rules_take_precedence", "no"), "tag_rules_take_precedence",
         "True or False"),
        ("lifecycle.rule_activation_dealy = ...",
         _lifecycle("rule_activation_dealy", timedelta(1)), "rule_activation_dealy",
         "no such option"),
        ("LifecycleOptions(rule_activation_delay=-1 s)",
         lambda: LifecycleOptions(rule_activation_delay=timedelta(seconds=-1)),
         "rule_activation_delay", "not be negative"),
        # -- inject() ---------------------------------------------------------------------------
        ("inject(None, service='*')", _inject(None, "X", service="*"), "operation",
         "operation name"),
        ("inject('')", _inject("", "X"), "operation", "operation name"),
        ("inject('NoSuchOperation')", _inject("NoSuchOperation", "X"), "operation",
         "does not answer"),
        ("inject(service=5)", _inject("*", "X", service=5), "service", "service name"),
        ("inject(service='nosuch')", _inject("*", "X", service="nosuch"), "service",
         "answers no operation"),
        ("inject(error=5)", _inject("DescribeImages", 5), "error", "error code"),
        ("inject(status='500')", _inject("DescribeImages", "X", status="500"), "status",
         "HTTP status"),
        ("inject(status=200)", _inject("DescribeImages", "X", status=200), "status",
         "HTTP status"),
        ("inject(status=True)", _inject("DescribeImages", "X", status=True), "status",
         "HTTP status"),
        ("inject(message=5)", _inject("DescribeImages", "X", message=5), "message", "string"),
        ("inject(message='')", _inject("DescribeImages", "X", message=""), "message",
         "not be empty"),
        ("inject(times=0)", _inject("DescribeImages", "X", times=0), "times", "at least 1"),
        ("inject(times='1')", _inject("DescribeImages", "X", times="1"), "times", "at least 1"),
        ("inject(latency=-1)", _inject("DescribeImages", latency=-1), "latency", "negative"),
        ("inject(latency='1')", _inject("DescribeImages", latency="1"), "latency", "seconds"),
        ("inject(latency=nan)", _inject("DescribeImages", latency=float("nan")), "latency",
         "seconds"),
        ("inject(when=5)", _inject("DescribeImages", "X", when=5), "when", "callable"),
        ("inject() nothing", _inject("DescribeImages"), "error", "error=, latency="),
        ("inject(status=500) alone", _inject("DescribeImages", status=500), "status",
         "need error="),
        # -- add_handler() / handler() ----------------------------------------------------------
        ("add_handler(service=5)", _handler(5, "X", _handle), "service", "service name"),
        ("add_handler(service='nosuch')", _handler("nosuch", "X", _handle), "service",
         "knows no service"),
        ("add_handler(operation=5)", _handler("ec2", 5, _handle), "operation",
         "operation name"),
        ("add_handler(operation='NoSuch')", _handler("ec2", "NoSuch", _handle), "operation",
         "has no operation"),
        ("add_handler(handler=5)", _handler("ec2", "DescribeImages", 5), "handler", "callable"),
        ("add_handler(write='no')", _handler("ec2", "DescribeImages", _handle, write="no"),
         "write", "True or False"),
        ("add_handler(validate=None)",
         _handler("ec2", "DescribeImages", _handle, validate=None), "validate",
         "True or False"),
        ("handler(write=1)", lambda: Ec2Stub().handler("ec2", "DescribeImages", write=1),
         "write", "True or False"),
        ("handler('ec2', 'NoSuch')", lambda: Ec2Stub().handler("ec2", "NoSuch"), "operation",
         "has no operation"),
        # -- Clock ------------------------------------------------------------------------------
        ("Clock(start='x')", lambda: Clock("x"), "start", "ISO 8601"),
        ("Clock(start=5)", lambda: Clock(5), "start", "ISO 8601"),
        ("clock.advance('1h')", lambda: Clock().advance("1h"), "delta", "timedelta"),
        ("clock.advance(5)", lambda: Clock().advance(5), "delta", "timedelta"),
        ("clock.advance(days='1')", lambda: Clock().advance(days="1"), "days", "number"),
        ("clock.advance(hours=nan)", lambda: Clock().advance(hours=float("nan")), "hours",
         "number"),
        ("clock.advance(days=inf)", lambda: Clock().advance(days=float("inf")), "days",
         "number"),
        ("clock.advance(minutes=True)", lambda: Clock().advance(minutes=True), "minutes",
         "number"),
        ("clock.advance(days=1e10)", lambda: Clock().advance(days=1e10), "days", "range"),
        ("clock.freeze('x')", lambda: Clock().freeze("x"), "at", "ISO 8601"),
        ("clock.freeze(5)", lambda: Clock().freeze(5), "at", "ISO 8601"),
        # -- checkpoints ------------------------------------------------------------------------
        ("stub.restore(None)", lambda: Ec2Stub().restore(None), "checkpoint", "Checkpoint"),
        ("stub.restore('token')", lambda: Ec2Stub().restore("token"), "checkpoint",
         "Checkpoint"),
        # -- attach / detach targets ------------------------------------------------------------
        ("stub.attach(None)", lambda: Ec2Stub().attach(None), "target", "boto3 or botocore"),
        ("stub.attach('ec2')", lambda: Ec2Stub().attach("ec2"), "target", "boto3 or botocore"),
        ("stub.detach(5)", lambda: Ec2Stub().detach(5), "target", "boto3 or botocore"),
        # -- SqliteBackend(...) -----------------------------------------------------------------
        ("SqliteBackend(path=5)", lambda: SqliteBackend(5), "path", "file path"),
        ("SqliteBackend(':memory:')", lambda: SqliteBackend(":memory:"), "path",
         "MemoryBackend"),
        ("SqliteBackend(timeout='x')", _sqlite(tmp, timeout="x"), "timeout", "seconds"),
        ("SqliteBackend(timeout=-1)", _sqlite(tmp, timeout=-1), "timeout", "seconds"),
        ("SqliteBackend(durable='yes')", _sqlite(tmp, durable="yes"), "durable",
         "True or False"),
        ("SqliteBackend(read_only=1)", _sqlite(tmp, read_only=1), "read_only",
         "True or False"),
    ]


_LABELS = [label for label, *_ in cases(Path("."))]


@pytest.mark.parametrize("label", _LABELS)
def test_a_wrong_value_raises_configuration_error_naming_the_argument(
    label: str, tmp_path: Path
) -> None:
    (case,) = [c for c in cases(tmp_path) if c[0] == label]
    _, call, argument, says = case
    with pytest.raises(ConfigurationError) as raised:
        call()
    text = str(raised.value)
    assert isinstance(raised.value, BotostubError) and isinstance(raised.value, ValueError)
    assert argument in text.split(":")[0] or text.startswith(f"{argument} "), text
    assert says in text, text


def test_attach_targets_stay_type_errors() -> None:
    """``TargetError`` is now a ``ConfigurationError`` and still a ``TypeError``."""
    with pytest.raises(TypeError, match="cannot attach"):
        Ec2Stub().attach(None)
    assert issubclass(TargetError, ConfigurationError)


@pytest.mark.parametrize("call", [_foreign_checkpoint, _discarded_checkpoint])
def test_checkpoints_of_another_backend_or_discarded_stay_checkpoint_errors(
    call: Callable[[], Any],
) -> None:
    with pytest.raises(CheckpointError):
        call()


def test_good_values_stay_accepted(tmp_path: Path) -> None:
    clock = Clock("2024-01-01T00:00:00Z")
    stub = Ec2Stub(account_id="111122223333", region="eu-west-1", backend=MemoryBackend(),
                   evaluator=AllowAll(), principal=ARN, principals={"AKIA": ARN},
                   passthrough=True, strict=False, clock=clock, wire=True,
                   real_retry_delays=False, share_models=False, call_log=None)
    stub.evaluator = lambda request: True
    stub.lifecycle.first_rule_activation_delay = timedelta(minutes=30)
    stub.lifecycle.rule_activation_delay = timedelta(0)
    stub.lifecycle.cooldown_protection_value = "disabled-until-{until}"
    stub.lifecycle.tag_rules_take_precedence = False
    stub.inject("*", "Custom.Code", status=409, message="nope", times=None, latency=0.0,
                service="ec2", when=lambda call: True)
    stub.inject("*", "ThrottlingException", service="*")
    stub.inject("DescribeImages", latency=0.01)
    stub.add_handler("ssm", "GetParameter", _handle, write=False, validate=False)
    clock.advance(timedelta(hours=1), days=1, hours=-2, minutes=0.5, seconds=3)
    clock.freeze("2024-02-01T00:00:00+01:00")
    stub.restore(stub.checkpoint())
    session = boto3.Session(region_name="eu-west-1")
    stub.attach(session)
    stub.detach(session)
    SqliteBackend(tmp_path / "ok.db", timeout=0.5, durable=True).close()
