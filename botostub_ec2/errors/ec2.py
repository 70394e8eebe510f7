"""EC2's error answers, one named constructor per error (evidence in ``docs/fidelity.md``).

Handlers raise ``Ec2Errors.image_not_found([...])`` and friends; nothing in
:mod:`botostub_ec2.operations` or :mod:`botostub_ec2.common` builds a
:class:`~botostub_ec2.errors.ServiceError` by hand (``tests/test_layout.py`` checks it), so every
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
    def null_tag_value() -> ServiceError:
        return ServiceError(
            "InvalidParameterValue", "Tag value cannot be null. Use empty string instead."
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
    def invalid_region(unknown: Iterable[str]) -> ServiceError:
        """DescribeRegions naming Regions the partition does not have."""
        return ServiceError("InvalidParameterValue", f"Invalid region: [{', '.join(unknown)}]")

    # -- filters and pagination (message of a real 2021 answer for MaxResults=1) ---------------

    @staticmethod
    def invalid_filter(name: str) -> ServiceError:
        """An unknown filter name (a missing one is named ``null``, as EC2 does)."""
        return ServiceError("InvalidParameterValue", f"The filter '{name}' is invalid")

    @staticmethod
    def filter_without_values(name: str) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue", f"The filter '{name}' is invalid: it has no values"
        )

    @staticmethod
    def invalid_filter_escape(following: str) -> ServiceError:
        """A backslash in a filter value followed by something other than ``*``, ``?``, ``\\``."""
        return ServiceError(
            "InvalidParameterValue",
            f"Invalid filter value: The escape sequence '\\{following}' is invalid",
        )

    @staticmethod
    def max_results_too_small(value: int, low: int = 5) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"Value ( {value} ) for parameter maxResults is invalid. "
            f"Expecting a value greater than {low}.",
        )

    @staticmethod
    def max_results_too_large(value: int, high: int) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"Value ( {value} ) for parameter maxResults is invalid. "
            f"Expecting a value less than {high}.",
        )

    @staticmethod
    def parameter_combination(id_set: str, other: str = "maxResults") -> ServiceError:
        """An id list with a paging parameter (DescribeInstances names them ``instancesSet`` and
        ``maxResults``; DescribeImages ``ImageIds`` and ``MaxResults``)."""
        return ServiceError(
            "InvalidParameterCombination",
            f"The parameter {id_set} cannot be used with the parameter {other}",
        )

    @staticmethod
    def invalid_pagination_token() -> ServiceError:
        """A token the stub issued, sent with another query than the one it continues."""
        return ServiceError(
            "InvalidPaginationToken", "The specified pagination token is not valid or is expired."
        )

    @staticmethod
    def invalid_next_token(token: str) -> ServiceError:
        """A ``NextToken`` that is no token at all (garbage, forged; real DescribeVpcs wording)."""
        return ServiceError(
            "InvalidParameterValue",
            f"Value ( {token} ) for parameter NextToken is invalid. The token is invalid.",
        )

    @staticmethod
    def too_many_ids(name: str, count: int, limit: int) -> ServiceError:
        """More ids than a request may name (``name``: ``image IDs``...)."""
        return ServiceError(
            "InvalidParameterValue",
            f"The maximum number of {name} that can be specified is {limit}, but {count} were "
            f"given.",
        )

    # -- creating images ------------------------------------------------------------------------

    @staticmethod
    def malformed_image_name() -> ServiceError:
        return ServiceError(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may contain letters, "
            "numbers, '(', ')', '.', '-', '/' and '_'",
        )

    @staticmethod
    def duplicate_image_name(name: str, image_id: str) -> ServiceError:
        return ServiceError(
            "InvalidAMIName.Duplicate", f"AMI name {name} is already in use by AMI {image_id}"
        )

    @staticmethod
    def block_device_without_size(device_name: str) -> ServiceError:
        return ServiceError(
            "InvalidBlockDeviceMapping",
            f"snapshotId or volumeSize must be specified for device {device_name}",
        )

    @staticmethod
    def invalid_root_device(device_name: str) -> ServiceError:
        return ServiceError(
            "InvalidBlockDeviceMapping",
            f"The device '{device_name}' is not a valid root device name: it has no snapshot in "
            f"the block device mapping.",
        )

    @staticmethod
    def instance_not_imageable(instance_id: str) -> ServiceError:
        """CreateImage from an instance that is not running, stopping or stopped."""
        return ServiceError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a state from which it can be imaged.",
        )

    # -- image attributes -----------------------------------------------------------------------

    @staticmethod
    def unsupported_attribute(attribute: str) -> ServiceError:
        return ServiceError("InvalidRequest", f"The attribute '{attribute}' is not supported.")

    @staticmethod
    def attribute_not_resettable(attribute: str) -> ServiceError:
        return ServiceError("InvalidRequest", f"The attribute '{attribute}' cannot be reset.")

    @staticmethod
    def invalid_attribute_item(value: str, item_type: str) -> ServiceError:
        """A launch permission entry that is not an account id (``userId``) or ``all``
        (``group``)."""
        return ServiceError(
            "InvalidAMIAttributeItemValue",
            f"Invalid attribute item value \"{value}\" for {item_type} item type.",
        )

    @staticmethod
    def disabled_image_not_shareable(image_id: str) -> ServiceError:
        return ServiceError(
            "OperationNotPermitted",
            f"The AMI {image_id} is disabled. You can't share a disabled AMI.",
        )

    @staticmethod
    def invalid_imds_support(value: object) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"Value ({value}) for parameter imdsSupport is invalid. Expecting v2.0.",
        )

    # -- RunInstances ---------------------------------------------------------------------------

    @staticmethod
    def count_not_positive(parameter: str, value: int) -> ServiceError:
        """``minCount`` / ``maxCount`` below 1."""
        return ServiceError(
            "InvalidParameterValue",
            f"Value ({value}) for parameter {parameter} is invalid. Expected a positive integer.",
        )

    @staticmethod
    def max_count_below_min_count(max_count: int) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"Value ({max_count}) for parameter maxCount is invalid. "
            f"Expected a value greater than or equal to minCount.",
        )

    @staticmethod
    def vcpu_limit_exceeded(limit: int) -> ServiceError:
        """Not even ``MinCount`` instances fit in the account's running On-Demand vCPU quota."""
        return ServiceError(
            "VcpuLimitExceeded",
            f"You have requested more vCPU capacity than your current vCPU limit of {limit} "
            f"allows for the instance bucket that the specified instance type belongs to. Please "
            f"visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this "
            f"limit.",
        )

    @staticmethod
    def instance_limit_exceeded(available: int, requested: int) -> ServiceError:
        """The count-based running-instance quota leaves fewer than ``MinCount`` instances."""
        return ServiceError(
            "InstanceLimitExceeded",
            f"Your quota allows for {available} more running instance(s). You requested at least "
            f"{requested}",
        )

    @staticmethod
    def malformed_user_id(raw: str) -> ServiceError:
        return ServiceError("InvalidUserID.Malformed", f"User ID '{raw}' is invalid")

    # -- sizes and counts a request controls (docs/fidelity/resources.md, "Request limits") --

    @staticmethod
    def resource_count_exceeded() -> ServiceError:
        """More ids in one request than the operation takes (1,000 for CreateTags...)."""
        return ServiceError(
            "ResourceCountExceeded",
            "You have exceeded the number of resources allowed in a single call of this type",
        )

    @staticmethod
    def too_many_filter_values(limit: int) -> ServiceError:
        return ServiceError(
            "FilterLimitExceeded",
            f"The maximum number of filter values specified on a single call is {limit}",
        )

    @staticmethod
    def filter_value_too_long(limit: int) -> ServiceError:
        return ServiceError(
            "FilterLimitExceeded", f"The maximum length for a filter value is {limit} characters"
        )

    @staticmethod
    def tag_key_too_long(limit: int) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue", f"Tag key exceeds the maximum length of {limit} characters"
        )

    @staticmethod
    def tag_value_too_long(limit: int) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue", f"Tag value exceeds the maximum length of {limit} characters"
        )

    @staticmethod
    def description_too_long(value: str, limit: int) -> ServiceError:
        return ServiceError(
            "InvalidParameterValue",
            f"Value ({value}) for parameter description is invalid. It exceeds {limit} characters",
        )

    @staticmethod
    def ami_sharing_limit_exceeded(limit: int) -> ServiceError:
        """Sharing an AMI with more entities than the account's AMI sharing quota."""
        return ServiceError(
            "ResourceLimitExceeded",
            f"You have exceeded the maximum number of entities ({limit}) that an AMI can be "
            f"shared with in this Region.",
        )
