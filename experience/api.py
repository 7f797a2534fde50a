"""REST endpoints of the experience model: ``/api/v1/experience-models/`` (SPEC §5, §8).

Read: every version with its dimensions and behaviors. Write: a new version from the SPEC §8
JSON, validated and written by ``experience_model_create_from_json``.
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers

from cxtracker.api import (
    OrgApiView,
    bulk_apply,
    bulk_examples,
    write_items,
    write_response,
    write_schema,
)

from .models import Behavior, Dimension, ExperienceModel
from .services import experience_model_create_from_json


class BehaviorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Behavior
        fields = ["code", "name", "position"]


class DimensionSerializer(serializers.ModelSerializer):
    behaviors = BehaviorSerializer(many=True, read_only=True)

    class Meta:
        model = Dimension
        fields = ["code", "name", "description", "position", "behaviors"]


class ExperienceModelSerializer(serializers.ModelSerializer):
    dimensions = DimensionSerializer(many=True, read_only=True)

    class Meta:
        model = ExperienceModel
        fields = ["version", "name", "description", "is_active", "activated_at", "created_at", "dimensions"]


# The write shapes below document the request body; experience_model_create_from_json validates it.
class BehaviorWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=300)
    guidance = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="Guidance per mastery level: {'1': '…', '4': '…'}."
    )


class DimensionWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False)
    journeys = serializers.ListField(child=serializers.CharField(), required=False, help_text="Journey codes.")
    behaviors = BehaviorWriteSerializer(many=True)


class ExperienceModelWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False)
    activate = serializers.BooleanField(required=False, default=False, help_text="Make it the active version.")
    dimensions = DimensionWriteSerializer(many=True)


EXAMPLE = {
    "name": "Expérience 2026",
    "activate": True,
    "dimensions": [
        {"code": "accueil", "name": "Accueil", "behaviors": [{"code": "salue-30s", "name": "Salue en moins de 30 s"}]}
    ],
}


def _create(org, item: dict):
    data = dict(item)
    activate = data.pop("activate", False)
    if not isinstance(activate, bool):
        raise ValidationError({"activate": _("Must be true or false.")})
    return experience_model_create_from_json(org=org, data=data, activate=activate), "created"


def _models(org):
    behaviors = Behavior.objects.order_by("position", "id")
    dimensions = Dimension.objects.order_by("position", "id").prefetch_related(Prefetch("behaviors", behaviors))
    return ExperienceModel.objects.for_org(org).prefetch_related(Prefetch("dimensions", dimensions))


class ExperienceModelListApi(mixins.ListModelMixin, OrgApiView):
    """The experience model versions, newest first; a POST creates a new version."""

    model = ExperienceModel
    serializer_class = ExperienceModelSerializer

    def org_queryset(self):
        return _models(self.org)

    def get(self, request):
        return self.list(request)

    @write_schema(
        "ExperienceModel",
        ExperienceModelWriteSerializer,
        ExperienceModelSerializer,
        examples=bulk_examples(EXAMPLE, {**EXAMPLE, "name": "Expérience 2027", "activate": False}),
    )
    def post(self, request):
        items, bulk = write_items(request)
        result, objects = bulk_apply(items, lambda item: _create(self.org, item))
        return write_response(
            result, bulk, lambda: ExperienceModelSerializer(_models(self.org).get(pk=objects[0].pk)).data
        )


class ExperienceModelDetailApi(mixins.RetrieveModelMixin, OrgApiView):
    model = ExperienceModel
    serializer_class = ExperienceModelSerializer
    lookup_field = lookup_url_kwarg = "version"

    def org_queryset(self):
        return _models(self.org)

    @extend_schema(responses=ExperienceModelSerializer)
    def get(self, request, version):
        return self.retrieve(request, version=version)
