"""EC2's error answers, one named constructor per error (evidence in ``docs/fidelity.md``).

Handlers raise ``Ec2Errors.image_not_found([...])`` and friends; nothing in
:mod:`botostub_ec2.operations` builds a :class:`~botostub_ec2.errors.ServiceError` by hand, so every
message EC2 sends lives here, next to the fact it reproduces.
"""

from __future__ import annotations

from collections.abc import Iterable

from .service import ServiceError


class Ec2Errors:
    """Constructors for the EC2 errors the emulator answers with (one place for every message)."""

    @staticmethod
    def malformed_image_id(raw: str) -> ServiceError:
        return ServiceError("InvalidAMIID.Malformed", f'Invalid id: "{raw}" (expecting "ami-...")')

    @staticmethod
    def image_not_found(image_ids: Iterable[str]) -> ServiceError:
        ids = list(image_ids)
        if len(ids) == 1:
            return ServiceError("InvalidAMIID.NotFound",
                                f"The image id '[{ids[0]}]' does not exist")
        return ServiceError(
            "InvalidAMIID.NotFound", f"The image ids '[{', '.join(ids)}]' do not exist"
        )

    @staticmethod
    def image_unavailable(image_id: str) -> ServiceError:
        return ServiceError(
            "InvalidAMIID.Unavailable", f"The image ID '{image_id}' is no longer available"
        )

    @staticmethod
    def image_auth_failure(image_id: str) -> ServiceError:
        return ServiceError("AuthFailure", f"Not authorized for image:{image_id}")

    @staticmethod
    def dry_run() -> ServiceError:
        return ServiceError(
            "DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412
        )

    @staticmethod
    def unauthorized(message: str) -> ServiceError:
        return ServiceError("UnauthorizedOperation", message, 403)

    @staticmethod
    def deregistration_protected(image_id: str) -> ServiceError:
        # Code inferred (no capture exists); see docs/fidelity.md "Deregistration protection".
        return ServiceError(
            "OperationNotPermitted",
            f"The AMI {image_id} has deregistration protection enabled. "
            f"Disable deregistration protection before you deregister the AMI.",
        )

    @staticmethod
    def deregistration_cooldown(image_id: str, until: str) -> ServiceError:
        return ServiceError(
            "OperationNotPermitted",
            f"The AMI {image_id} can't be deregistered until {until} because deregistration "
            f"protection was disabled with a 24-hour cooldown period.",
        )

    @staticmethod
    def missing_parameter(name: str) -> ServiceError:
        return ServiceError("MissingParameter", f"The request must contain the parameter {name}")

    @staticmethod
    def invalid_parameter_value(message: str) -> ServiceError:
        return ServiceError("InvalidParameterValue", message)

    # -- snapshots, volumes, instances, tags (docs/fidelity/resources.md has the evidence) -----

    @staticmethod
    def invalid_id_parameter(raw: str, parameter: str, prefix: str) -> ServiceError:
        # Something that is not an id of the expected kind at all.
        return ServiceError(
            "InvalidParameterValue",
            f"Value ({raw}) for parameter {parameter} is invalid. Expected: '{prefix}-...'.",
        )

    @staticmethod
    def malformed_snapshot_id(raw: str) -> ServiceError:
        return ServiceError(
            "InvalidSnapshotID.Malformed", f'Invalid id: "{raw}" (expecting "snap-...")'
        )

    @staticmethod
    def snapshot_not_found(snapshot_id: str) -> ServiceError:
        return ServiceError(
            "InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist."
        )

    @staticmethod
    def snapshot_in_use(snapshot_id: str, image_id: str) -> ServiceError:
        return ServiceError(
            "InvalidSnapshot.InUse", f"The snapshot {snapshot_id} is currently in use by {image_id}"
        )

    @staticmethod
    def malformed_volume_id(raw: str) -> ServiceError:
        return ServiceError(
            "InvalidVolumeID.Malformed", f'Invalid id: "{raw}" (expecting "vol-...")'
        )

    @staticmethod
    def volume_not_found(volume_id: str) -> ServiceError:
        return ServiceError("InvalidVolume.NotFound", f"The volume '{volume_id}' does not exist.")

    @staticmethod
    def malformed_instance_id(raw: str) -> ServiceError:
        return ServiceError(
            "InvalidInstanceID.Malformed", f'Invalid id: "{raw}" (expecting "i-...")'
        )

    @staticmethod
    def instance_not_found(instance_ids: Iterable[str]) -> ServiceError:
        ids = list(instance_ids)
        if len(ids) == 1:
            return ServiceError(
                "InvalidInstanceID.NotFound", f"The instance ID '{ids[0]}' does not exist"
            )
        return ServiceError(
            "InvalidInstanceID.NotFound", f"The instance IDs '{', '.join(ids)}' do not exist"
        )

    @staticmethod
    def image_not_launchable(image_id: str) -> ServiceError:
        # A disabled (or pending, failed...) image cannot be launched; the code is the one EC2
        # documents for "not in a state from which you can launch an instance" (inferred).
        return ServiceError(
            "InvalidAMIID.Unavailable", f"The image ID '{image_id}' is not available"
        )

    @staticmethod
    def invalid_resource_id(raw: str) -> ServiceError:
        return ServiceError("InvalidID", f"The ID '{raw}' is not valid")

    @staticmethod
    def reserved_tag_key(key: str) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"Value ( {key} ) for parameter key is invalid. "
            f"Tag keys starting with 'aws:' are reserved for internal use",
        )

    @staticmethod
    def tag_limit_exceeded() -> ServiceError:
        return ServiceError(
            "TagLimitExceeded", "The maximum number of Tags for a resource has been reached."
        )

    @staticmethod
    def invalid_taggable_type(resource_type: str) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"'{resource_type}' is not a valid taggable resource type for this operation.",
        )

    @staticmethod
    def max_results_too_small(value: int) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"Value ( {value} ) for parameter maxResults is invalid. "
            f"Expecting a value greater than 5.",
        )

    @staticmethod
    def parameter_combination(id_set: str) -> ServiceError:
        return ServiceError(
            "InvalidParameterCombination",
            f"The parameter {id_set} cannot be used with the parameter maxResults",
        )

    @staticmethod
    def malformed_user_id(raw: str) -> ServiceError:
        return ServiceError("InvalidUserID.Malformed", f"User ID '{raw}' is invalid")
