"""Resource ids and request ids: how EC2 shapes them, and how it validates the ones callers send."""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Iterator

from .errors import Ec2Errors

_HEX = frozenset("0123456789abcdef")
# One generator per process: ids only need to be unique and EC2-shaped, not secret.
_rng = random.Random(os.urandom(16))


def new_resource_id(prefix: str) -> str:
    """A new long-format id: ``<prefix>-`` plus 17 lowercase hex digits (``ami-0a1b...``)."""
    return f"{prefix}-{_rng.getrandbits(68):017x}"


def is_hex(text: str) -> bool:
    return bool(text) and _HEX.issuperset(text)


def normalize_image_id(raw: str) -> str:
    """Validate an AMI id the way EC2 does, returning the id EC2 would look up.

    * no ``ami-`` prefix, or nothing after it: ``InvalidAMIID.Malformed``;
    * ``ami-`` plus fewer than 8 hex digits: zero-padded to 8 (``ami-c636c6b`` -> ``ami-0c636c6b``);
    * anything else is looked up as given (a foreign id EC2 cannot resolve is ``NotFound``).

    See docs/fidelity.md, "AMI id validation", for the evidence behind each rule.
    """
    if not raw.startswith("ami-") or len(raw) == 4:
        raise Ec2Errors.malformed_image_id(raw)
    suffix = raw[4:]
    if len(suffix) < 8 and _HEX.issuperset(suffix):
        return "ami-" + suffix.rjust(8, "0")
    return raw


def is_well_formed(raw: str, prefix: str) -> bool:
    """Whether ``raw`` has the shape of an EC2 id EC2 itself would issue: ``<prefix>-`` plus 8 or
    17 lowercase hex digits, not all zeros (real EC2 answers ``InvalidSnapshotID.Malformed`` for
    ``snap-00000000000000000``; see docs/fidelity/resources.md, "Resource id validation")."""
    if not raw.startswith(prefix + "-"):
        return False
    suffix = raw[len(prefix) + 1:]
    return len(suffix) in (8, 17) and _HEX.issuperset(suffix) and suffix.strip("0") != ""


def normalize_snapshot_id(raw: str) -> str:
    """Check a snapshot id's prefix, returning the id EC2 looks up.

    Something that is not a snapshot id at all (no ``snap-`` prefix) is ``InvalidParameterValue``;
    a ``snap-`` id EC2 cannot have issued is ``InvalidSnapshotID.Malformed``, but only once the
    lookup failed (ids seeded by the user are accepted whatever their shape): see
    :func:`is_well_formed` and docs/fidelity/resources.md.
    """
    if not raw.startswith("snap-"):
        raise Ec2Errors.invalid_id_parameter(raw, "snapshotId", "snap")
    if len(raw) == 5:
        raise Ec2Errors.malformed_snapshot_id(raw)
    return raw


def normalize_instance_id(raw: str) -> str:
    """Check an instance id's prefix (``InvalidInstanceID.Malformed`` without ``i-``)."""
    if not raw.startswith("i-") or len(raw) == 2:
        raise Ec2Errors.malformed_instance_id(raw)
    return raw


def normalize_volume_id(raw: str) -> str:
    """Check a volume id's prefix (``InvalidParameterValue`` without ``vol-``)."""
    if not raw.startswith("vol-"):
        raise Ec2Errors.invalid_id_parameter(raw, "volumeId", "vol")
    if len(raw) == 4:
        raise Ec2Errors.malformed_volume_id(raw)
    return raw


def private_ip_for(instance_id: str) -> str:
    """A private address in the default VPC's 172.31.0.0/16, derived from the instance id
    (stable, and no shared counter to lock)."""
    tail = instance_id[-4:]
    low = int(tail, 16) if len(tail) == 4 and _HEX.issuperset(tail) else 10
    return f"172.31.{low >> 8}.{max(low & 0xFF, 4)}"


_request_prefix = ""
_request_counter: Iterator[int] = itertools.count()


def _reset_request_ids() -> None:
    """A random, version-4 prefix per process plus a counter: request ids are unique within the
    process, and across processes (drawn again after ``fork``)."""
    global _request_prefix, _request_counter
    r = random.Random(os.urandom(16))
    a, b, c, d = r.getrandbits(32), r.getrandbits(16), r.getrandbits(12), r.getrandbits(12)
    _request_prefix = f"{a:08x}-{b:04x}-4{c:03x}-{0x8 | (d >> 10):x}{d & 0x3FF:03x}-"
    # 40 random bits leave 2**47 ids before the 12 hex digits could overflow.
    _request_counter = itertools.count(r.getrandbits(40))


def new_request_id() -> str:
    """A UUID4-shaped request id at a fraction of ``uuid.uuid4()``'s cost."""
    # itertools.count is atomic under the GIL: no lock on the hot path.
    return "%s%012x" % (_request_prefix, next(_request_counter))  # noqa: UP031 (fastest form)


def _after_fork_in_child() -> None:
    # Parent and child must not draw the same resource ids (they may share an SQLite state).
    _rng.seed(os.urandom(16))
    _reset_request_ids()


_reset_request_ids()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
