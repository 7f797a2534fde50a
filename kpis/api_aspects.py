"""``/api/v1/aspects/``: the aspects of the experience that survey responses score from 1 to 5, by
code, each mirroring a dimension of the experience model or none. A POST creates or updates
aspects by code (one or a list); ``/api/v1/aspects/<code>/`` reads, replaces or changes one. The
code of an aspect never changes: survey responses name it."""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, mixins, serializers

from cxtracker.api import (
    DetailUpdateMixin,
    OrgApiView,
    StrictCharField,
    StrictSerializer,
    UpsertListMixin,
    bulk_examples,
    detail_update_schema,
    write_schema,
)
from cxtracker.tenancy.models import code_validator

from .models import Aspect
from .services import aspect_create, aspect_update


class AspectSerializer(serializers.ModelSerializer):
    dimension = serializers.SerializerMethodField(help_text="The code of the dimension it mirrors, or null.")

    class Meta:
        model = Aspect
        fields = ["code", "name", "dimension"]

    def get_dimension(self, aspect) -> str | None:
        return aspect.dimension_code or None


class AspectWriteSerializer(StrictSerializer):
    code = StrictCharField(max_length=64, validators=[code_validator])
    name = StrictCharField(max_length=200)
    dimension = StrictCharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="The code of a dimension of the experience model, or null.",
    )


def aspect_write(*, org, data: dict, instance: Aspect | None = None, partial=False):
    """Create or update one aspect by code; ``(aspect, status)``."""
    serializer = AspectWriteSerializer(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    values = serializer.validated_data
    code = values.get("code", instance.code if instance else None)
    if instance is None:
        instance = Aspect.objects.for_org(org).select_for_update().filter(code=code).first()
    elif code != instance.code:
        raise exceptions.ValidationError(
            {"code": [_("The code of an aspect cannot change: survey responses name it.")]}
        )
    if instance is None:
        with transaction.atomic():
            aspect = aspect_create(org=org, code=code, name=values["name"], dimension_code=values["dimension"] or "")
        return aspect, "created"
    dimension = values.get("dimension", instance.dimension_code)
    name = values.get("name", instance.name)
    return aspect_update(aspect=instance, name=name, dimension_code=dimension or ""), "updated"


ASPECT_EXAMPLE = {"code": "accueil", "name": "Accueil", "dimension": "accueil"}
ASPECT_CHANGE = {"name": "Accueil en magasin", "dimension": "accueil"}


class _AspectApi(OrgApiView):
    model = Aspect
    serializer_class = AspectSerializer

    def org_queryset(self):
        return Aspect.objects.for_org(self.org).order_by("name", "code")

    def write(self, **kwargs):
        return aspect_write(org=self.org, **kwargs)


@extend_schema_view(
    post=write_schema(
        "Aspect",
        AspectWriteSerializer,
        AspectSerializer,
        upsert=True,
        examples=bulk_examples(ASPECT_EXAMPLE, {"code": "conseil", "name": "Conseil", "dimension": None}),
    )
)
class AspectListApi(mixins.ListModelMixin, UpsertListMixin, _AspectApi):
    """The organization's aspects; a POST creates or updates them by code."""

    def get(self, request):
        return self.list(request)


@detail_update_schema(AspectWriteSerializer, AspectSerializer, ASPECT_CHANGE, {"dimension": None})
class AspectDetailApi(mixins.RetrieveModelMixin, DetailUpdateMixin, _AspectApi):
    pass
