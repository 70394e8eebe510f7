"""The Recycle Bin service's (``rbin``, rest-json) error answers.

Every error but ``AccessDeniedException`` carries the modelled ``Reason`` member. No capture of a
real rbin error exists: constraint violations use AWS's standard request-validation wording,
semantic errors the documentation's own sentences where one exists, otherwise a plain sentence
(evidence and decisions in docs/fidelity/lifecycle.md, "Recycle Bin rules").
"""

from __future__ import annotations

from collections.abc import Sequence

from .service import ServiceError

_NOT_LOCKABLE = (
    "You can't lock tag-level retention rules, or Region-level retention rules that have "
    "exclusion tags."
)


def _validation(message: str, reason: str = "INVALID_PARAMETER_VALUE") -> ServiceError:
    return ServiceError("ValidationException", message, 400, extra={"Reason": reason})


def _conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409, extra={"Reason": "INVALID_RULE_STATE"})


def _quota(message: str) -> ServiceError:
    return ServiceError(
        "ServiceQuotaExceededException", message, 402, extra={"Reason": "SERVICE_QUOTA_EXCEEDED"}
    )


class RbinErrors:
    """Constructors for the ``rbin`` errors the emulator answers with (one place per message)."""

    # -- ValidationException (400) --------------------------------------------------------------

    @staticmethod
    def constraint_violations(problems: Sequence[str]) -> ServiceError:
        """Request validation: ``problems`` are ``Value '<v>' at '<path>' failed to satisfy
        constraint: ...`` sentences, reported together."""
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        return _validation(f"{count} validation {noun} detected: " + "; ".join(problems))

    @staticmethod
    def invalid_rule_arn(arn: str) -> ServiceError:
        return _validation(
            f"1 validation error detected: Value '{arn}' at 'resourceArn' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: "
            r"^arn:\S+:rbin:[a-z\-0-9]{0,63}:[0-9]{12}:rule/[0-9a-zA-Z]{11}{0,1011}$"
        )

    @staticmethod
    def reserved_tag_key(key: str) -> ServiceError:
        return _validation(f"Tag keys starting with 'aws:' are reserved for system use: {key}")

    @staticmethod
    def retention_out_of_range(resource_type: str, limit: int) -> ServiceError:
        return _validation(
            f"The retention period for {resource_type} resources must be between 1 and "
            f"{limit} days."
        )

    @staticmethod
    def exclusions_on_tag_level_rule() -> ServiceError:
        return _validation(
            "You can't specify exclusion tags for tag-level retention rules. Specify either "
            "ResourceTags or ExcludeResourceTags."
        )

    @staticmethod
    def lock_requested_for_unlockable_rule() -> ServiceError:
        """CreateRule with a ``LockConfiguration`` for a tag-level rule or one with exclusions."""
        return _validation(_NOT_LOCKABLE)

    @staticmethod
    def resource_type_change() -> ServiceError:
        return _validation("You can't update a retention rule's resource type after creation.")

    @staticmethod
    def invalid_page_token() -> ServiceError:
        return _validation("The pagination token is invalid.", "INVALID_PAGE_TOKEN")

    # -- AccessDeniedException (403) ------------------------------------------------------------

    @staticmethod
    def access_denied(principal_arn: str, action: str, resource: str,
                      denial_clause: str) -> ServiceError:
        # rbin models no AccessDeniedException; AWS's JSON services answer denials with it (403),
        # in their message format (no EC2 prefix, no encoded blob).
        return ServiceError(
            "AccessDeniedException",
            f"User: {principal_arn} is not authorized to perform: {action} on resource: "
            f"{resource} {denial_clause}",
            403,
        )

    # -- ResourceNotFoundException (404) --------------------------------------------------------

    @staticmethod
    def rule_not_found(identifier: str) -> ServiceError:
        return ServiceError(
            "ResourceNotFoundException",
            f"Retention rule '{identifier}' does not exist.",
            404,
            extra={"Reason": "RULE_NOT_FOUND"},
        )

    # -- ConflictException (409) ----------------------------------------------------------------

    @staticmethod
    def rule_not_lockable() -> ServiceError:
        """LockRule on a tag-level rule or one with exclusion tags."""
        return _conflict(_NOT_LOCKABLE)

    @staticmethod
    def rule_already_locked(identifier: str) -> ServiceError:
        return _conflict(f"Retention rule {identifier} is already locked.")

    @staticmethod
    def rule_not_locked(identifier: str) -> ServiceError:
        return _conflict(f"Retention rule {identifier} is not locked.")

    @staticmethod
    def rule_locked(identifier: str, verb: str) -> ServiceError:
        """A locked rule cannot be ``verb`` (``modified``, ``deleted``)."""
        return _conflict(
            f"Retention rule {identifier} is locked and can't be {verb}. Unlock it and wait "
            f"for the unlock delay period to expire first."
        )

    @staticmethod
    def rule_unlocking(identifier: str, verb: str) -> ServiceError:
        """A rule in its unlock delay period cannot be ``verb`` either."""
        return _conflict(
            f"Retention rule {identifier} can't be {verb} during its unlock delay period."
        )

    # -- ServiceQuotaExceededException (402) ----------------------------------------------------

    @staticmethod
    def too_many_rules(limit: int) -> ServiceError:
        return _quota(
            f"You have reached the maximum number of retention rules ({limit}) for this Region."
        )

    @staticmethod
    def too_many_rule_tags(limit: int) -> ServiceError:
        return _quota(f"A retention rule can have at most {limit} tags.")

    @staticmethod
    def tag_pair_used_too_often(key: str, value: str | None, limit: int) -> ServiceError:
        return _quota(
            f"The resource tag {key}={value or ''} is already used by {limit} retention rules, "
            f"the maximum for a tag key and value pair."
        )
