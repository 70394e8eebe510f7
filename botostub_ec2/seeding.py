"""Seeding and inspecting a stub's state: ``add_image``, ``add_snapshot``, ``add_instance``,
``image()``, ``images()``...

These are methods of :class:`~botostub_ec2.Ec2Stub` (mixed in from :class:`Seeding` and
:class:`Inspection`); they read and write the backend directly, in one transaction each, without
going through botocore, so they work whether or not the stub is active. Every argument is checked
here, where it is passed (:class:`~botostub_ec2.errors.SeedError` names it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .clock import parse_time
from .errors import SeedError
from .factory import (
    IMAGE_STATES,
    INSTANCE_STATES,
    ROOT_DEVICE_NAME,
    ROOT_DEVICE_TYPES,
    image_devices,
    image_snapshot,
    instance_volumes,
    owner_alias_for,
    protection_setting,
)
from .ids import new_resource_id, private_ip_for
from .models import (
    ImageRecord,
    InstanceRecord,
    SnapshotRecord,
    freeze_tags,
)

if TYPE_CHECKING:
    from .backends import StateBackend
    from .clock import Clock

_R = TypeVar("_R", bound=tuple[Any, ...])

class _StubState:
    """What seeding and inspection need of the stub."""

    backend: StateBackend
    clock: Clock
    region: str
    account_id: str


class Seeding(_StubState):
    """``add_image`` / ``add_snapshot`` / ``add_instance`` (methods of :class:`Ec2Stub`)."""

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
        region = region or self.region
        owner_id = owner_id or self.account_id
        image_id = image_id or new_resource_id("ami")
        if not image_id.startswith("ami-"):
            raise SeedError(f"image ids start with 'ami-': {image_id!r}")
        if state not in IMAGE_STATES:
            raise SeedError(f"state must be one of {sorted(IMAGE_STATES)}, got {state!r}")
        if root_device_type not in ROOT_DEVICE_TYPES:
            raise SeedError(
                f"root_device_type must be 'ebs' or 'instance-store': {root_device_type!r}")
        protection = protection_setting(deregistration_protection)
        now = self.clock.now()
        created = parse_time(creation_date) if creation_date is not None else now
        if root_device_type == "instance-store":
            ids: list[str] = list(snapshot_ids or ())
        else:
            ids = list(snapshot_ids) if snapshot_ids is not None else [
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
            shared_with=tuple(shared_with),
            root_device_type=root_device_type,
            root_device_name=root_device_name,
            block_devices=devices,
            creation_date=created,
            architecture=architecture,
            platform=platform,
            owner_alias=owner_alias or owner_alias_for(owner_id),
            tags=freeze_tags(tags),
            deregistration_protection=protection,
            image_type=image_type,
            deprecation_time=parse_time(deprecation_time) if deprecation_time else None,
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
        region = region or self.region
        owner_id = owner_id or self.account_id
        record = SnapshotRecord(
            snapshot_id=snapshot_id or new_resource_id("snap"),
            region=region,
            owner_id=owner_id,
            volume_id=volume_id or new_resource_id("vol"),
            volume_size=volume_size,
            state=state,
            description=description,
            start_time=parse_time(start_time) if start_time else self.clock.now(),
            encrypted=encrypted,
            tags=freeze_tags(tags),
            owner_alias=owner_alias_for(owner_id),
            public=public,
            shared_with=tuple(shared_with),
        )
        if not record.snapshot_id.startswith("snap-"):
            raise SeedError(f"snapshot ids start with 'snap-': {record.snapshot_id!r}")
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
        region = region or self.region
        if state not in INSTANCE_STATES:
            raise SeedError(f"not an instance state: {state!r}")
        now = self.clock.now()
        with self.backend.transaction() as tx:
            image = tx.get(ImageRecord, region, image_id)
            new_id = instance_id or new_resource_id("i")
            record = InstanceRecord(
                instance_id=new_id,
                region=region,
                owner_id=owner_id or self.account_id,
                image_id=image_id,
                state=state,
                instance_type=instance_type,
                launch_time=parse_time(launch_time) if launch_time else self.clock.now(),
                tags=freeze_tags(tags),
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

