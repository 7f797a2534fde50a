"""Strict input: serializers that name unknown fields, strings that are strings, and moments
that carry their offset and are not in the future (SPEC §8)."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from cxtracker.months import MIN_YEAR

# Clients stamp data with their own clock: a few minutes ahead is skew, not the future.
CLOCK_SKEW = datetime.timedelta(minutes=5)


class StrictSerializer(serializers.Serializer):
    """A write serializer that rejects unknown fields, naming them."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, dict):
            unknown = {key: [_("Unknown field.")] for key in data if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({**unknown, **exc.detail}) from None
        if unknown:
            raise exceptions.ValidationError(unknown)
        return value


class StrictCharField(serializers.CharField):
    """A string and nothing else (DRF's CharField turns numbers into strings)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer and nothing else (DRF's IntegerField takes "3" and 3.0 too), as the survey
    scores are read (kpis.ingest)."""

    def to_internal_value(self, data):
        if type(data) is not int:
            self.fail("invalid")
        return super().to_internal_value(data)


def parse_moment(value, now: datetime.datetime | None = None) -> datetime.datetime:
    """An ISO 8601 datetime with its offset, not in the future (django ValidationError)."""
    if not isinstance(value, str):
        raise DjangoValidationError(_("Must be an ISO 8601 date and time with its offset."))
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise DjangoValidationError(
            _("Must be an ISO 8601 date and time with its offset, e.g. 2026-03-10T10:00:00+01:00.")
        ) from None
    if timezone.is_naive(moment):
        raise DjangoValidationError(_("Give the UTC offset (e.g. +01:00 or Z): the time is ambiguous without it."))
    if moment.year < MIN_YEAR:
        raise DjangoValidationError(_("This date is too far in the past."))
    if moment > (now or timezone.now()) + CLOCK_SKEW:
        raise DjangoValidationError(_("This date is in the future."))
    return moment


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentField(serializers.Field):
    """A datetime that must carry its offset and not be in the future."""

    def to_internal_value(self, data):
        try:
            return parse_moment(data)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return value.isoformat()
