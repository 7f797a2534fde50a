"""``/api/v1/members/<code>/export/`` and ``/erase/``: a member's rights, for admins (and the
organization's API keys: export with the read scope, erasure with the write scope)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from cxtracker.api import OrgApiView
from cxtracker.tenancy.access import is_admin
from cxtracker.tenancy.models import Member

from .services import EraseMode, member_erase, member_erasure_preview, member_export


class _MemberRightsApi(OrgApiView):
    model = Member
    lookup_field = lookup_url_kwarg = "code"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.membership is not None and not is_admin(self.membership):
            raise exceptions.PermissionDenied(_("Only the organization's admins can export or erase a member."))

    def org_queryset(self):
        return Member.objects.for_org(self.org).select_related("team")


class MemberExportApi(_MemberRightsApi):
    """Everything recorded about a member (GDPR right of access), as JSON."""

    @extend_schema(responses={200: OpenApiResponse(description="The member's data.")})
    def get(self, request, code):
        return Response(member_export(member=self.get_object()))


class EraseSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=EraseMode.ALL, default=EraseMode.ANONYMIZE, required=False)


class MemberEraseApi(_MemberRightsApi):
    """Erase a member (GDPR right to erasure), irreversibly: ``anonymize`` (default) keeps the
    ratings without identity, ``delete`` deletes the observations and ratings too. A GET tells
    what each mode would remove."""

    serializer_class = EraseSerializer

    @extend_schema(
        responses={
            200: inline_serializer(
                "ErasurePreview",
                {
                    "code": serializers.CharField(),
                    "observations": serializers.IntegerField(),
                    "ratings": serializers.IntegerField(),
                    "observations_with_notes": serializers.IntegerField(),
                },
            )
        }
    )
    def get(self, request, code):
        """What an erasure would remove, before it is done."""
        return Response(member_erasure_preview(member=self.get_object()))

    @extend_schema(
        request=EraseSerializer,
        examples=[
            OpenApiExample("Anonymize (the default)", value={"mode": "anonymize"}, request_only=True),
            OpenApiExample("Delete the ratings and observations too", value={"mode": "delete"}, request_only=True),
        ],
        responses={
            200: inline_serializer("Erased", {"mode": serializers.CharField(), "code": serializers.CharField()})
        },
    )
    def post(self, request, code):
        member = self.get_object()
        data = EraseSerializer(data=request.data if isinstance(request.data, dict) else {"mode": request.data})
        data.is_valid(raise_exception=True)
        mode = data.validated_data["mode"]
        try:
            pseudonym = member_erase(member=member, mode=mode)
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from error
        return Response({"mode": mode, "code": pseudonym})
