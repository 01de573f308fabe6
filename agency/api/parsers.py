"""The partner API's JSON parser: DRF's, with limits on what a body may hold.

- Nesting deeper than ``MAX_DEPTH`` is a 400 (``parse_error``). No route takes more than a
  few levels; without a limit, a body of a thousand nested arrays exhausts Python's recursion
  limit while decoding.
- A string (or key) containing a NUL character is a 400 naming the field: PostgreSQL text
  and jsonb refuse NUL, so it must never reach a query.
"""

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from agency.validation import NUL, NUL_MESSAGE

MAX_DEPTH = 32


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        check_json_value(data)
        return data


def _too_deep() -> ParseError:
    return ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")


def check_json_value(data: Any) -> None:
    """Raise for nesting deeper than ``MAX_DEPTH`` or a NUL in any string or key.

    Iterative, so it cannot itself run out of stack."""
    stack: list[tuple[Any, tuple[str, ...], int]] = [(data, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise _too_deep()
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                key = str(key)
                if NUL in key:
                    _nul_at((*path, key.replace(NUL, "\\x00")))
                stack.append((child, (*path, key), depth + 1))
        elif isinstance(value, str) and NUL in value:
            _nul_at(path)


def _nul_at(path: tuple[str, ...]) -> None:
    """A validation error at ``path``, nested as the error shape nests field errors."""
    detail: Any = [NUL_MESSAGE]
    for key in reversed(path or ("non_field_errors",)):
        detail = {key: detail}
    raise ValidationError(detail)
