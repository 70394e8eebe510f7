"""Seeding and inspecting a stub's state: ``add_image``, ``add_snapshot``, ``add_instance``,
``image()``, ``images()``...

These are methods of :class:`~botostub_ec2.Ec2Stub` (mixed in from :class:`Seeding` and
:class:`Inspection`); they read and write the backend directly, in one transaction each, without
going through botocore, so they work whether or not the stub is active. Every argument is checked
here, where it is passed (:class:`~botostub_ec2.errors.SeedError` names it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from .clock import parse_time
from .errors import ConfigurationError, SeedError
from .factory import (
    ARCHITECTURES,
    IMAGE_STATES,
    IMAGE_TYPES,
    INSTANCE_STATES,
    MAX_DESCRIPTION_LENGTH,
    MAX_IMAGE_SNAPSHOTS,
    MAX_VOLUME_SIZE,
    OWNER_ALIAS_VALUES,
    PLATFORMS,
    PROTECTION_VALUES,
    ROOT_DEVICE_NAME,
    ROOT_DEVICE_TYPES,
    SNAPSHOT_STATES,
    image_devices,
    image_snapshot,
    instance_types,
    instance_volumes,
    is_image_name,
    owner_alias_for,
    protection_setting,
)
from .ids import new_resource_id, normalize_image_id, private_ip_for
from .models import (
    ImageRecord,
    InstanceRecord,
    SnapshotRecord,
    freeze_tags,
)
from .settings import check_account_id, check_region
from .text import storable_tags, storable_text

if TYPE_CHECKING:
    from .backends import StateBackend
    from .clock import Clock

_R = TypeVar("_R", bound=tuple[Any, ...])

#: What may follow the prefix of a seeded id: EC2's own ids (8 or 17 lowercase hex digits) and
#: readable fixture ids (``snap-fixture``); see :meth:`_Arguments.resource_id`.
_ID_SUFFIX = re.compile(r"[a-z0-9-]+")
_ID_NOUNS = {"ami": "an image", "snap": "a snapshot", "i": "an instance", "vol": "a volume"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(value)} characters)" if (
        isinstance(value, str)) else f"{text[:60]}..."


class _Arguments:
    """The checks of one seeding method's arguments: each failure is a :class:`SeedError`
    ``<method>(<argument>=...): <rule>, got <value>``, raised before anything is stored."""

    __slots__ = ("method",)

    def __init__(self, method: str) -> None:
        self.method = method

    def fail(self, argument: str, rule: str, value: Any) -> NoReturn:
        raise SeedError(f"{self.method}({argument}=...): {rule}, got {_shown(value)}")

    def flag(self, argument: str, value: Any) -> bool:
        if not isinstance(value, bool):
            self.fail(argument, "must be True or False", value)
        return value

    def account(self, argument: str, value: Any) -> str:
        try:
            return check_account_id(value)
        except ConfigurationError:
            self.fail(argument, "must be 12 digits", value)

    def region(self, argument: str, value: Any, default: str) -> str:
        if value is None:
            return default
        try:
            return check_region(value)
        except ConfigurationError:
            self.fail(argument, "must be a Region name such as 'us-east-1'", value)

    def choice(self, argument: str, value: Any, allowed: Iterable[str]) -> str:
        allowed = sorted(allowed)
        if not isinstance(value, str) or value not in allowed:
            self.fail(argument, f"must be one of {allowed}", value)
        return value

    def text(self, argument: str, value: Any, max_length: int | None = None) -> str:
        if not isinstance(value, str) or (max_length is not None and len(value) > max_length):
            limit = f" of at most {max_length} characters" if max_length is not None else ""
            self.fail(argument, f"must be a string{limit}", value)
        return _stored_text(self.method, argument, value)

    def image_name(self, argument: str, value: Any) -> str:
        self.text(argument, value)
        if not is_image_name(value):
            self.fail(argument, "must be an AMI name: 3 to 128 letters, digits, spaces or "
                                "()[]./-'@_ (EC2's rule for RegisterImage)", value)
        return value  # type: ignore[no-any-return]

    def time(self, argument: str, value: Any) -> datetime:
        if isinstance(value, (datetime, str)):
            try:
                return parse_time(value)
            except (ValueError, OverflowError):
                pass
        self.fail(argument, "must be a datetime or an ISO 8601 string", value)

    def volume_size(self, argument: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not (
                1 <= value <= MAX_VOLUME_SIZE):
            self.fail(argument, f"must be a whole number of GiB from 1 to {MAX_VOLUME_SIZE}",
                      value)
        return value

    def resource_id(self, argument: str, value: Any, prefix: str, rule: str = "") -> str:
        """A seeded id: ``<prefix>-`` and lowercase letters, digits or hyphens.

        Decision (docs/fidelity/resources.md, "Resource id validation"): seeded ids need not be
        ids EC2 itself issues (8 or 17 hex digits): a readable ``snap-fixture`` stays accepted,
        as the lookups find any seeded id. They must be ids a lookup can reach, though: EC2
        zero-pads an ``ami-`` id of fewer than 8 hex digits, so ``ami-1`` could never be found.
        """
        noun = _ID_NOUNS[prefix]
        if not isinstance(value, str) or not value.startswith(prefix + "-") or (
                _ID_SUFFIX.fullmatch(value[len(prefix) + 1:]) is None):
            self.fail(argument, f"{rule}must be {noun} id: '{prefix}-' and lowercase letters, "
                                f"digits or hyphens (such as '{prefix}-0123456789abcdef0')", value)
        if prefix == "ami":
            looked_up = normalize_image_id(value)
            if looked_up != value:
                self.fail(argument, f"EC2 looks this id up as {looked_up!r} (it zero-pads fewer "
                                    f"than 8 hex digits), so the image could never be found",
                          value)
        return value

    def sequence(self, argument: str, value: Any, what: str) -> list[Any]:
        """A list, tuple, set or other iterable, but neither a string nor a mapping (a string
        would be split into characters)."""
        if isinstance(value, (str, bytes)):
            self.fail(argument, f"must be a list of {what}, not a string", value)
        if isinstance(value, Mapping):
            self.fail(argument, f"must be a list of {what}, not a mapping", value)
        if not isinstance(value, Iterable):
            self.fail(argument, f"must be a list of {what}", value)
        return list(value)

    def accounts(self, argument: str, value: Any) -> tuple[str, ...]:
        accounts = self.sequence(argument, value, "account ids")
        for account in accounts:
            if not isinstance(account, str) or not account.isascii() or not (
                    account.isdigit() and len(account) == 12):
                self.fail(argument, "must hold account ids of 12 digits", account)
        return tuple(dict.fromkeys(accounts))  # a permission is held once

    def snapshot_ids(self, argument: str, value: Any) -> list[str]:
        ids = self.sequence(argument, value, "snapshot ids")
        for sid in ids:
            self.resource_id(argument, sid, "snap", "each ")
        if len(ids) > MAX_IMAGE_SNAPSHOTS:
            self.fail(argument, f"an image maps at most {MAX_IMAGE_SNAPSHOTS} snapshots "
                                f"(/dev/xvda, then /dev/sdb to /dev/sdz)", value)
        return ids

    def tags(self, argument: str, value: Any) -> Mapping[str, str]:
        """EC2's tag rules (:mod:`botostub_ec2.common.tagging`): string keys of 1 to 128
        characters, string values of at most 256, at most 50 user tags.

        Decision: keys with the reserved ``aws:`` prefix are accepted here, and do not count
        towards the 50, as in EC2: no API call may set them, but AWS does (CloudFormation's
        ``aws:cloudformation:stack-name``, the Recycle Bin's ``aws:recycle-bin:resource-in-bin``),
        so a seeded resource may carry them.
        """
        from .common.tagging import (
            MAX_TAG_KEY_LENGTH,
            MAX_TAG_VALUE_LENGTH,
            MAX_TAGS_PER_RESOURCE,
            is_reserved,
        )

        if value is None:
            return freeze_tags(None)
        if not isinstance(value, Mapping):
            self.fail(argument, "must be a mapping of tag keys to values (a dict)", value)
        user_tags = sum(1 for key in value if not (isinstance(key, str) and is_reserved(key)))
        if user_tags > MAX_TAGS_PER_RESOURCE:
            self.fail(argument, f"a resource has at most {MAX_TAGS_PER_RESOURCE} tags (not "
                                f"counting 'aws:' ones)", f"{user_tags} tags")
        for key, text in value.items():
            if not isinstance(key, str):
                self.fail(argument, "tag keys are strings", key)
            if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
                self.fail(argument, f"tag keys have 1 to {MAX_TAG_KEY_LENGTH} characters", key)
            if not isinstance(text, str):
                self.fail(argument, f"tag values are strings (tag {key!r})", text)
            if len(text) > MAX_TAG_VALUE_LENGTH:
                self.fail(argument, f"tag values have at most {MAX_TAG_VALUE_LENGTH} characters "
                                    f"(tag {key!r})", text)
        return freeze_tags(storable_tags(value))


def _stored_text(method: str, argument: str, value: str) -> str:
    """Seeded text as the API stores it: characters XML 1.0 cannot carry become U+FFFD, the rule
    :mod:`botostub_ec2.text` applies at the engine for every call (tags go through
    :func:`~botostub_ec2.text.storable_tags` the same way)."""
    return storable_text(value)


class _StubState:
    """What seeding and inspection need of the stub."""

    backend: StateBackend
    clock: Clock
    region: str
    account_id: str


class Seeding(_StubState):
    """``add_image`` / ``add_snapshot`` / ``add_instance`` (methods of :class:`Ec2Stub`).

    Every argument is checked as EC2 checks the equivalent API field, before anything is stored:
    a wrong value raises :class:`~botostub_ec2.errors.SeedError` naming the method and the
    argument (``add_image(owner_id=...): must be 12 digits, got 'abc'``).
    """

    def add_image(
        self,
        name: str | None = None,
        *,
        image_id: str | None = None,
        owner_id: str | None = None,
        region: str | None = None,
        public: bool = False,
        shared_with: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
        state: str = "available",
        root_device_type: str = "ebs",
        snapshots: int = 1,
        snapshot_ids: Sequence[str] | None = None,
        volume_size: int = 8,
        creation_date: datetime | str | None = None,
        description: str | None = None,
        deregistration_protection: bool | str = False,
        architecture: str = "x86_64",
        platform: str | None = None,
        owner_alias: str | None = None,
        image_type: str = "machine",
        deprecation_time: datetime | str | None = None,
        source_instance_id: str | None = None,
    ) -> ImageRecord:
        """Seed an image (EBS-backed with one new snapshot unless told otherwise).

        ``snapshot_ids`` names the snapshots of the EBS mappings explicitly; unknown ids are
        created, known ones are shared with the images already using them. ``snapshots`` is the
        number of new snapshots otherwise (``0`` for an image without EBS data volumes).
        ``deregistration_protection`` is ``True`` (``enabled-without-cooldown``) or one of EC2's
        values. Returns the stored record.
        """
        check = _Arguments("add_image")
        if name is not None:
            check.image_name("name", name)
        region = check.region("region", region, self.region)
        owner_id = check.account("owner_id", owner_id) if owner_id is not None \
            else self.account_id
        image_id = check.resource_id("image_id", image_id, "ami") if image_id is not None \
            else new_resource_id("ami")
        check.flag("public", public)
        shared = check.accounts("shared_with", shared_with)
        frozen_tags = check.tags("tags", tags)
        check.choice("state", state, IMAGE_STATES)
        check.choice("root_device_type", root_device_type, ROOT_DEVICE_TYPES)
        if isinstance(snapshots, bool) or not isinstance(snapshots, int) or not (
                0 <= snapshots <= MAX_IMAGE_SNAPSHOTS):
            check.fail("snapshots", f"must be a count from 0 to {MAX_IMAGE_SNAPSHOTS}", snapshots)
        given_ids = check.snapshot_ids("snapshot_ids", snapshot_ids) \
            if snapshot_ids is not None else None
        check.volume_size("volume_size", volume_size)
        created = check.time("creation_date", creation_date) if creation_date is not None \
            else None
        if description is not None:
            description = check.text("description", description, MAX_DESCRIPTION_LENGTH)
        if not isinstance(deregistration_protection, bool) and (
                not isinstance(deregistration_protection, str)
                or deregistration_protection not in PROTECTION_VALUES):
            check.fail("deregistration_protection",
                       f"must be a bool or one of {sorted(PROTECTION_VALUES)}",
                       deregistration_protection)
        check.choice("architecture", architecture, ARCHITECTURES)
        if platform is not None and platform not in PLATFORMS:
            check.fail("platform", "must be 'windows' or None", platform)
        if owner_alias is not None:
            check.choice("owner_alias", owner_alias, OWNER_ALIAS_VALUES)
        check.choice("image_type", image_type, IMAGE_TYPES)
        deprecated = check.time("deprecation_time", deprecation_time) \
            if deprecation_time is not None else None
        if source_instance_id is not None:
            check.resource_id("source_instance_id", source_instance_id, "i")

        protection = protection_setting(deregistration_protection)
        now = self.clock.now()
        if created is None:
            created = now
        if root_device_type == "instance-store":
            ids: list[str] = given_ids or []
        else:
            ids = given_ids if given_ids is not None else [
                new_resource_id("snap") for _ in range(snapshots)
            ]
        root_device_name, devices = image_devices(root_device_type, ids, volume_size)
        record = ImageRecord(
            image_id=image_id,
            region=region,
            owner_id=owner_id,
            name=name if name is not None else f"image-{image_id[4:]}",
            state=state,
            description=description,
            public=public,
            shared_with=shared,
            root_device_type=root_device_type,
            root_device_name=root_device_name,
            block_devices=devices,
            creation_date=created,
            architecture=architecture,
            platform=platform,
            owner_alias=owner_alias or owner_alias_for(owner_id),
            tags=frozen_tags,
            deregistration_protection=protection,
            image_type=image_type,
            deprecation_time=deprecated,
            source_instance_id=source_instance_id,
            deregistered_at=now if state == "deregistered" else None,
        )
        source = source_instance_id or new_resource_id("i")
        with self.backend.transaction() as tx:
            if tx.get(ImageRecord, region, image_id) is not None:
                raise SeedError(f"image {image_id} already exists in {region}")
            for sid in ids:
                existing = tx.get(SnapshotRecord, region, sid)
                if existing is None:
                    tx.put(image_snapshot(
                        sid, region=region, owner_id=owner_id, image_id=image_id,
                        instance_id=source, volume_id=new_resource_id("vol"),
                        volume_size=volume_size, start_time=created,
                        owner_alias=record.owner_alias,
                    ))
                elif existing.owner_id != owner_id:
                    raise SeedError(
                        f"snapshot {sid} belongs to {existing.owner_id}, not {owner_id}")
            tx.put(record)
        return record

    def add_snapshot(
        self,
        snapshot_id: str | None = None,
        *,
        region: str | None = None,
        owner_id: str | None = None,
        volume_size: int = 8,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        state: str = "completed",
        start_time: datetime | str | None = None,
        encrypted: bool = False,
        public: bool = False,
        shared_with: Iterable[str] = (),
        volume_id: str | None = None,
    ) -> SnapshotRecord:
        """Seed a snapshot that no image uses (yet).

        ``public`` / ``shared_with`` grant ``createVolumePermission`` to everyone / to those
        accounts: such a snapshot of another ``owner_id`` is visible to the stub's account.
        """
        check = _Arguments("add_snapshot")
        snapshot_id = check.resource_id("snapshot_id", snapshot_id, "snap") \
            if snapshot_id is not None else new_resource_id("snap")
        region = check.region("region", region, self.region)
        owner_id = check.account("owner_id", owner_id) if owner_id is not None \
            else self.account_id
        check.volume_size("volume_size", volume_size)
        description = check.text("description", description, MAX_DESCRIPTION_LENGTH)
        frozen_tags = check.tags("tags", tags)
        check.choice("state", state, SNAPSHOT_STATES)
        started = check.time("start_time", start_time) if start_time is not None \
            else self.clock.now()
        check.flag("encrypted", encrypted)
        check.flag("public", public)
        shared = check.accounts("shared_with", shared_with)
        volume_id = check.resource_id("volume_id", volume_id, "vol") if volume_id is not None \
            else new_resource_id("vol")
        record = SnapshotRecord(
            snapshot_id=snapshot_id,
            region=region,
            owner_id=owner_id,
            volume_id=volume_id,
            volume_size=volume_size,
            state=state,
            description=description,
            start_time=started,
            encrypted=encrypted,
            tags=frozen_tags,
            owner_alias=owner_alias_for(owner_id),
            public=public,
            shared_with=shared,
        )
        with self.backend.transaction() as tx:
            if tx.get(SnapshotRecord, region, record.snapshot_id) is not None:
                raise SeedError(f"snapshot {record.snapshot_id} already exists in {region}")
            tx.put(record)
        return record

    def add_instance(
        self,
        image_id: str,
        *,
        instance_id: str | None = None,
        region: str | None = None,
        owner_id: str | None = None,
        state: str = "running",
        instance_type: str = "t3.micro",
        tags: Mapping[str, str] | None = None,
        launch_time: datetime | str | None = None,
    ) -> InstanceRecord:
        """Seed an instance launched from ``image_id`` (running by default).

        It gets one EBS volume per snapshot mapping of the image (one root volume when the image
        is not known), as RunInstances gives it. A terminated instance stays visible for an hour
        of the stub clock, as in EC2.
        """
        check = _Arguments("add_instance")
        check.resource_id("image_id", image_id, "ami")
        if instance_id is not None:
            check.resource_id("instance_id", instance_id, "i")
        region = check.region("region", region, self.region)
        owner_id = check.account("owner_id", owner_id) if owner_id is not None \
            else self.account_id
        check.choice("state", state, INSTANCE_STATES)
        if not isinstance(instance_type, str) or instance_type not in instance_types():
            import botocore

            check.fail("instance_type", f"must be an instance type botocore "
                                        f"{botocore.__version__} knows, such as 't3.micro'",
                       instance_type)
        frozen_tags = check.tags("tags", tags)
        launched = check.time("launch_time", launch_time) if launch_time is not None else None
        now = self.clock.now()
        with self.backend.transaction() as tx:
            image = tx.get(ImageRecord, region, image_id)
            new_id = instance_id or new_resource_id("i")
            record = InstanceRecord(
                instance_id=new_id,
                region=region,
                owner_id=owner_id,
                image_id=image_id,
                state=state,
                instance_type=instance_type,
                launch_time=launched if launched is not None else self.clock.now(),
                tags=frozen_tags,
                availability_zone=f"{region}a",
                root_device_type=image.root_device_type if image else "ebs",
                root_device_name=image.root_device_name if image else ROOT_DEVICE_NAME,
                volumes=instance_volumes(image),
                private_ip_address=private_ip_for(new_id),
                architecture=image.architecture if image else "x86_64",
                platform=image.platform if image else None,
                virtualization_type=image.virtualization_type if image else "hvm",
                state_changed_at=now,
            )
            if tx.get(InstanceRecord, region, record.instance_id) is not None:
                raise SeedError(f"instance {record.instance_id} already exists in {region}")
            tx.put(record)
        return record


class Inspection(_StubState):
    """``image()``, ``snapshot()``, ``instance()`` and the listings (methods of ``Ec2Stub``)."""

    def image(self, image_id: str, region: str | None = None) -> ImageRecord | None:
        """The image record (``state == "deregistered"`` once deregistered), or None if unknown."""
        return self._lookup(ImageRecord, image_id, region)

    def snapshot(self, snapshot_id: str, region: str | None = None) -> SnapshotRecord | None:
        """The snapshot record, or None (never known, or deleted)."""
        return self._lookup(SnapshotRecord, snapshot_id, region)

    def instance(self, instance_id: str, region: str | None = None) -> InstanceRecord | None:
        return self._lookup(InstanceRecord, instance_id, region)

    def images(self, region: str | None = None) -> list[ImageRecord]:
        """Every image record of ``region`` (default: the stub's), in seeding order."""
        with self.backend.transaction(write=False) as tx:
            return list(tx.scan(ImageRecord, region or self.region))

    def snapshots(self, region: str | None = None) -> list[SnapshotRecord]:
        with self.backend.transaction(write=False) as tx:
            return list(tx.scan(SnapshotRecord, region or self.region))

    def instances(self, region: str | None = None) -> list[InstanceRecord]:
        with self.backend.transaction(write=False) as tx:
            return list(tx.scan(InstanceRecord, region or self.region))

    def _lookup(self, kind: type[_R], key: str, region: str | None) -> _R | None:
        with self.backend.transaction(write=False) as tx:
            if region is not None:
                return tx.get(kind, region, key)
            found = tx.get(kind, self.region, key)
            if found is not None:
                return found
            for other in tx.regions(kind):
                found = tx.get(kind, other, key)
                if found is not None:
                    return found
        return None

