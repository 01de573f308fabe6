"""A tiny URLconf for platform tests: one POST that writes a row, one that fails."""

from django.urls import include, path
from rest_framework import serializers
from rest_framework.response import Response

from agency.api.views import PartnerAPIView
from agency.models import Partner


class MakePartnerApi(PartnerAPIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=50)

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partner = Partner.objects.create(name=data.validated_data["name"], kind="brand")
        return Response({"id": partner.pk, "name": partner.name}, status=201)


class BrokenApi(PartnerAPIView):
    def post(self, request):
        raise RuntimeError("a bug")


urlpatterns = [
    path("t/make/", MakePartnerApi.as_view()),
    path("t/broken/", BrokenApi.as_view()),
    path("", include("agency.urls")),
]
