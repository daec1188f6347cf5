"""Errors repositories raise; routes turn them into HTTP responses."""

from __future__ import annotations


class NotFoundError(LookupError):
    """No row of `entity` has id `entity_id`."""

    def __init__(self, entity: str, entity_id: object) -> None:
        super().__init__(f"{entity} {entity_id} not found")
        self.entity = entity
        self.entity_id = entity_id


class InvalidChangesError(ValueError):
    """A partial update is valid field by field but not once merged with the stored row.

    `field` names the offending field so the API can answer with a precise 422 `loc`.
    """

    def __init__(self, field: str, message: str, value: object = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.value = value
