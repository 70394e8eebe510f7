"""Records: the plain, typed, read-only state the emulator keeps.

Every record is an immutable :class:`~typing.NamedTuple`. Backends store and return them as they
are, so a record handed to a user can never change under them, and an operation "changes" state
only by putting a new record (``record._replace(...)``), which makes rollback cheap and safe.

Each record kind has a ``region`` and a ``key`` (its resource id); ``(kind, region, key)`` addresses
one record in a :class:`~botostub_ec2.backends.StateBackend`. :data:`INDEXES` lists the secondary
lookups every backend must offer (see :meth:`Transaction.find`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar

from .speedups import install_fast_replace

K = TypeVar("K")
V = TypeVar("V")


class FrozenMapping(Mapping[K, V], Generic[K, V]):
    """A read-only, hashable, picklable mapping (records' tags).

    Compares equal to a dict with the same items; ``dict(frozen)`` gives a mutable copy.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | Any = ()) -> None:
        self._data: dict[K, V] = dict(data)

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Any:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMapping):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._data,))

    def __repr__(self) -> str:
        return repr(self._data)


EMPTY_TAGS: Mapping[str, str] = FrozenMapping()


def freeze_tags(tags: Mapping[str, str] | None) -> Mapping[str, str]:
    """Return a read-only copy of ``tags`` (shared empty mapping when there are none)."""
    if not tags:
        return EMPTY_TAGS
    return FrozenMapping(tags)


class BlockDevice(NamedTuple):
    """One block-device mapping of an image (``Image.BlockDeviceMappings[]``)."""

    device_name: str
    snapshot_id: str | None = None
    volume_size: int | None = 8
    volume_type: str = "gp3"
    delete_on_termination: bool = True
    encrypted: bool = False
    #: ``ephemeralN`` for an instance-store mapping; such a mapping has no snapshot.
    virtual_name: str | None = None


class ImageRecord(NamedTuple):
    """An AMI as the emulator knows it.

    ``state`` follows EC2's ``ImageState`` (``available``, ``pending``, ``disabled``,
    ``deregistered``, ``failed``...). A deregistered image is kept (so a repeated call answers
    ``InvalidAMIID.Unavailable``); one in the Recycle Bin has ``recycle_bin_exit_time`` set.
    """

    image_id: str
    region: str
    owner_id: str
    name: str
    state: str = "available"
    description: str | None = None
    public: bool = False
    #: Account ids holding a launch permission (``ModifyImageAttribute`` ``launchPermission``).
    shared_with: tuple[str, ...] = ()
    root_device_type: str = "ebs"
    root_device_name: str = "/dev/xvda"
    block_devices: tuple[BlockDevice, ...] = ()
    creation_date: datetime | None = None
    architecture: str = "x86_64"
    virtualization_type: str = "hvm"
    image_type: str = "machine"
    platform: str | None = None
    owner_alias: str | None = None
    tags: Mapping[str, str] = EMPTY_TAGS
    #: ``disabled``, ``enabled-without-cooldown`` or ``enabled-with-cooldown``; while a cooldown
    #: runs, the value shown during it (see docs/fidelity/lifecycle.md and ``LifecycleOptions``).
    deregistration_protection: str = "disabled"
    #: Set when protection enabled with a cooldown is disabled: deregistration stays blocked until
    #: this time, after which protection reads ``disabled`` whatever the stored value says.
    protection_cooldown_until: datetime | None = None
    deprecation_time: datetime | None = None
    source_instance_id: str | None = None
    source_image_id: str | None = None
    source_image_region: str | None = None
    kernel_id: str | None = None
    ramdisk_id: str | None = None
    ena_support: bool = True
    sriov_net_support: str | None = "simple"
    boot_mode: str | None = None
    imds_support: str | None = None
    last_launched_time: datetime | None = None
    deregistered_at: datetime | None = None
    #: State the image had before it was deregistered into the Recycle Bin (restored on restore).
    state_before_bin: str | None = None
    recycle_bin_enter_time: datetime | None = None
    recycle_bin_exit_time: datetime | None = None
    #: Launch permissions the image had when it entered the Recycle Bin (given back on restore).
    public_before_bin: bool = False
    shared_with_before_bin: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The record's id (what backends address it by)."""
        return self.image_id

    @property
    def snapshot_ids(self) -> list[str]:
        """Snapshot ids of the EBS mappings, in mapping order, without repeats."""
        seen: list[str] = []
        for device in self.block_devices:
            if device.snapshot_id and device.snapshot_id not in seen:
                seen.append(device.snapshot_id)
        return seen

    @property
    def in_recycle_bin(self) -> bool:
        return self.recycle_bin_exit_time is not None

    @property
    def is_registered(self) -> bool:
        """True while the image counts as registered (it holds its snapshots "in use")."""
        return self.state != "deregistered"


class SnapshotRecord(NamedTuple):
    """An EBS snapshot."""

    snapshot_id: str
    region: str
    owner_id: str
    volume_id: str = "vol-ffffffff"
    volume_size: int = 8
    state: str = "completed"
    description: str = ""
    start_time: datetime | None = None
    encrypted: bool = False
    tags: Mapping[str, str] = EMPTY_TAGS
    progress: str = "100%"
    storage_tier: str = "standard"
    owner_alias: str | None = None
    recycle_bin_enter_time: datetime | None = None
    recycle_bin_exit_time: datetime | None = None
    #: ``createVolumePermission`` for the ``all`` group (anyone can see and restore it).
    public: bool = False
    #: Account ids holding an explicit ``createVolumePermission``.
    shared_with: tuple[str, ...] = ()
    #: ``createVolumePermission`` the snapshot had when it entered the Recycle Bin (given back on
    #: restore).
    public_before_bin: bool = False
    shared_with_before_bin: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The record's id (what backends address it by)."""
        return self.snapshot_id

    @property
    def in_recycle_bin(self) -> bool:
        return self.recycle_bin_exit_time is not None


class InstanceRecord(NamedTuple):
    """An EC2 instance, kept only as far as AMI workflows need one (launched from, state, tags)."""

    instance_id: str
    region: str
    owner_id: str
    image_id: str
    state: str = "running"
    instance_type: str = "t3.micro"
    launch_time: datetime | None = None
    tags: Mapping[str, str] = EMPTY_TAGS
    availability_zone: str = ""
    private_ip_address: str = "10.0.0.10"
    root_device_type: str = "ebs"
    root_device_name: str = "/dev/xvda"
    #: ``(device_name, volume_id)`` pairs of the attached EBS volumes.
    volumes: tuple[tuple[str, str], ...] = ()
    #: Instances launched by one RunInstances call share it; empty means one of its own
    #: (``r-`` plus the instance id's digits, see :attr:`reservation`).
    reservation_id: str = ""
    ami_launch_index: int = 0
    architecture: str = "x86_64"
    platform: str | None = None
    virtualization_type: str = "hvm"
    #: When the instance reached its current state (termination time for ``terminated``).
    state_changed_at: datetime | None = None

    @property
    def key(self) -> str:
        """The record's id (what backends address it by)."""
        return self.instance_id

    @property
    def reservation(self) -> str:
        return self.reservation_id or "r-" + self.instance_id[2:]


class AccountTagsRecord(NamedTuple):
    """Tags an account put on a resource it does not own (a public or shared image or snapshot).

    EC2 keeps such tags private to the tagging account: "You can tag public or shared resources,
    but the tags you assign are available only to your AWS account" (EC2 User Guide).
    """

    region: str
    account_id: str
    resource_id: str
    tags: Mapping[str, str] = EMPTY_TAGS

    @property
    def key(self) -> str:
        return f"{self.account_id}/{self.resource_id}"


class RetentionRuleRecord(NamedTuple):
    """A Recycle Bin retention rule (``rbin`` service), per account and region.

    ``resource_tags`` / ``exclude_resource_tags`` hold ``(key, value)`` pairs; a ``None`` value
    matches any value of the key. A rule without ``resource_tags`` is a Region-level rule.
    ``status`` and ``lock_state`` move with the clock: see
    :func:`botostub_ec2.common.retention.rule_status` and ``rule_lock_state``.
    """

    identifier: str
    region: str
    owner_id: str
    #: ``EBS_SNAPSHOT``, ``EC2_IMAGE`` or ``EBS_VOLUME``.
    resource_type: str
    retention_days: int
    description: str | None = None
    resource_tags: tuple[tuple[str, str | None], ...] = ()
    exclude_resource_tags: tuple[tuple[str, str | None], ...] = ()
    #: Tags of the rule itself (``TagResource``), not the tags it matches.
    tags: Mapping[str, str] = EMPTY_TAGS
    created_at: datetime | None = None
    #: The rule reads ``pending`` (and retains nothing) until this time.
    available_at: datetime | None = None
    #: ``None`` (never locked), ``locked``, ``pending_unlock`` or ``unlocked``.
    lock_state: str | None = None
    unlock_delay_days: int | None = None
    #: End of the unlock delay while ``pending_unlock``.
    lock_end_time: datetime | None = None

    @property
    def key(self) -> str:
        """The record's id (what backends address it by)."""
        return self.identifier

    @property
    def is_region_level(self) -> bool:
        return not self.resource_tags


Record = (
    ImageRecord | SnapshotRecord | InstanceRecord | AccountTagsRecord | RetentionRuleRecord
)
R = TypeVar("R", bound=tuple[Any, ...])

class Index(NamedTuple):
    """A secondary lookup: the record fields it reads, and the values a record is found under."""

    fields: tuple[str, ...]
    values: Callable[[Any], tuple[str, ...]]


#: Secondary indexes every backend maintains: ``kind -> {index name -> Index}``.
INDEXES: dict[type[Any], dict[str, Index]] = {
    ImageRecord: {
        "owner_id": Index(("owner_id",), lambda r: (r.owner_id,)),
        "name": Index(("name",), lambda r: (r.name,)),
        "snapshot_id": Index(("block_devices",), lambda r: tuple(r.snapshot_ids)),
    },
    SnapshotRecord: {"owner_id": Index(("owner_id",), lambda r: (r.owner_id,))},
    InstanceRecord: {
        "image_id": Index(("image_id",), lambda r: (r.image_id,)),
        "owner_id": Index(("owner_id",), lambda r: (r.owner_id,)),
        "volume_id": Index(("volumes",), lambda r: tuple(volume for _, volume in r.volumes)),
    },
    AccountTagsRecord: {"account_id": Index(("account_id",), lambda r: (r.account_id,))},
    # Retention decisions look up the rules of one owner and resource type.
    RetentionRuleRecord: {
        "owner_type": Index(
            ("owner_id", "resource_type"), lambda r: (f"{r.owner_id}/{r.resource_type}",)
        ),
        "owner_id": Index(("owner_id",), lambda r: (r.owner_id,)),
    },
}


def register_kind(kind: type[Any], indexes: dict[str, Index] | None = None) -> None:
    """Make a new record kind known to every backend (extensions, later operation families).

    ``kind`` must be a NamedTuple with ``region`` and ``key``; each :class:`Index` names the fields
    it reads and returns the tuple of values a record is found under.
    """
    INDEXES.setdefault(kind, {}).update(indexes or {})
    install_fast_replace(kind)


for _kind in list(INDEXES):
    install_fast_replace(_kind)


class Call(NamedTuple):
    """One emulated call, as kept in :attr:`Ec2Stub.calls <botostub_ec2.Ec2Stub.calls>`."""

    service: str
    operation: str
    #: The typed parameters the caller passed (as botocore validated them).
    params: Mapping[str, Any]
    region: str
    account_id: str
    principal_arn: str
    #: ``None`` on success, else the error code (``DryRunOperation``, ``InvalidAMIID.NotFound``...).
    error_code: str | None
    http_status: int
    request_id: str

    @property
    def succeeded(self) -> bool:
        return self.error_code is None
