from django.conf import settings
from django.db.models import IntegerField, QuerySet, Subquery
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

_TOTAL = "_page_total"
_MAX_OFFSET = 2**62  # OFFSET is a bigint; a larger page number is past the end anyway


class _CountOf(Subquery):
    """``(SELECT count(*) FROM (<query>) ...)``: how many rows a query has, as a column."""

    template = "(SELECT count(*) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


class PartnerPagination(PageNumberPagination):
    """``?page=N&page_size=M``. The page size is bounded (1..API_MAX_PAGE_SIZE); a value
    outside it, or not a whole number, is a 400 naming the parameter, never silently changed."""

    page_size = settings.API_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            reason = f"Must be a whole number from 1 to {self.max_page_size}."
            raise ValidationError({self.page_size_query_param: [reason]})
        return size

    def paginate_rows(self, rows: QuerySet, request, view=None) -> list[dict] | None:
        """``paginate_queryset`` for a ``.values()`` queryset in one query instead of two:
        the total is counted in the page's own query. A page past the end (no row to carry
        the count), ``page=last`` or a page that is not a number go the usual way, with its
        errors."""
        self.request = request
        page_size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param) or 1
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        offset = (number - 1) * page_size
        if number < 1 or offset > _MAX_OFFSET:  # past any table: PostgreSQL's bigint ends
            return self.paginate_queryset(rows, request, view)
        counted = rows.annotate(**{_TOTAL: _CountOf(rows.order_by().values("pk"))})
        page = list(counted[offset : offset + page_size])
        if not page:
            return self.paginate_queryset(rows, request, view)
        paginator = self.django_paginator_class(rows, page_size)
        paginator.count = page[0][_TOTAL]  # the cached property, known already
        for row in page:
            del row[_TOTAL]
        self.page = paginator._get_page(page, number, paginator)
        return page

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    {"minimum": 1, "maximum": self.max_page_size, "default": self.page_size}
                )
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update({"minimum": 1})
        return parameters
