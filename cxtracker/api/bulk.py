"""The write protocol of SPEC §8: a write takes one object or a list of at most ``MAX_BULK``;
each item is ``created``, ``duplicate`` (same external_id, nothing changed), ``updated``
(upserts) or ``rejected`` with its field errors, and valid items are kept when others fail."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from .errors import errors_of

STATUSES = ("created", "updated", "duplicate", "rejected")
MAX_BULK = 1000


@dataclass
class BulkResult:
    """What happened to each item of a write."""

    size: int
    upsert: bool = False
    results: list[dict] = field(init=False)
    # Survey responses: how many pieces of personal data the stored comments had replaced by markers
    # (None for the writes that mask nothing).
    masked: int | None = None

    def __post_init__(self):
        self.results = [{"index": i, "status": None} for i in range(self.size)]

    def set(self, index: int, status: str) -> None:
        self.results[index] = {"index": index, "status": status}

    def reject(self, index: int, errors: dict) -> None:
        self.results[index] = {"index": index, "status": "rejected", "errors": errors}

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r["status"] == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def duplicates(self) -> int:
        return self.count("duplicate")

    @property
    def updated(self) -> int:
        return self.count("updated")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    def as_dict(self) -> dict:
        body = {"created": self.created, "duplicates": self.duplicates}
        if self.upsert:
            body["updated"] = self.updated
        body["rejected"] = self.rejected
        if self.masked is not None:
            body["masked"] = self.masked
        body["results"] = self.results
        return body


def write_items(request) -> tuple[list, bool]:
    """The items of a write body and whether it was a list (bulk)."""
    data = request.data
    if isinstance(data, list):
        if not data:
            raise exceptions.ValidationError({"non_field_errors": [_("The list is empty.")]})
        if len(data) > MAX_BULK:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("At most %(max)d items per request; this one has %(n)d.") % {"max": MAX_BULK, "n": len(data)}
                    ]
                }
            )
        return data, True
    if isinstance(data, dict):
        return [data], False
    raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object or a list of objects.")]})


def bulk_apply(items: list, write_one: Callable[[dict], tuple[object, str]], *, upsert=False):
    """Write each item in its own savepoint: a rejected item leaves no trace and the others are
    kept. ``write_one(item)`` returns ``(obj, status)`` or raises a validation error. Returns the
    BulkResult and the objects written (None for the rejected)."""
    result = BulkResult(len(items), upsert=upsert)
    objects: list = [None] * len(items)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            result.reject(index, {"non_field_errors": [_("Expected an object.")]})
            continue
        try:
            with transaction.atomic():
                objects[index], status = write_one(item)
        except (DjangoValidationError, exceptions.ValidationError) as exc:
            result.reject(index, errors_of(exc))
        else:
            result.set(index, status)
    return result, objects


def write_response(result: BulkResult, bulk: bool, stored: Callable[[], dict]) -> Response:
    """A list answers 200 with the per-item report; one object answers 201 with the stored
    object, 200 for a duplicate or an update, 400 with its field errors."""
    if bulk:
        return Response(result.as_dict(), status=status.HTTP_200_OK)
    outcome = result.results[0]
    if outcome["status"] == "rejected":
        return Response(outcome["errors"], status=status.HTTP_400_BAD_REQUEST)
    code = status.HTTP_201_CREATED if outcome["status"] == "created" else status.HTTP_200_OK
    return Response(stored(), status=code)


class UpsertListMixin:
    """POST of one object or a list, each created or, when its code is known, updated (SPEC §8
    upserts) by the view's ``write(data=)``, which returns ``(obj, status)``. One item at a time
    and in order: a unit may name as parent a unit created earlier in the list."""

    def post(self, request) -> Response:
        items, bulk = write_items(request)
        result, objects = bulk_apply(items, lambda item: self.write(data=item), upsert=True)
        return write_response(result, bulk, lambda: self.get_serializer(objects[0]).data)


class DetailUpdateMixin:
    """GET (with DRF's RetrieveModelMixin), PUT (every field) and PATCH (some) of one object
    addressed by its code; the view's ``write(data=, instance=, partial=)`` does the work and
    returns ``(obj, status)``."""

    lookup_field = lookup_url_kwarg = "code"

    def get(self, request, code) -> Response:
        return self.retrieve(request, code=code)

    def put(self, request, code) -> Response:
        return self.update(request, partial=False)

    def patch(self, request, code) -> Response:
        return self.update(request, partial=True)

    def update(self, request, partial: bool) -> Response:
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        with transaction.atomic():
            instance = self.get_object()
            data = request.data if partial else {"code": instance.code, **request.data}
            obj, _status = self.write(data=data, instance=instance, partial=partial)
        return Response(self.get_serializer(obj).data)
