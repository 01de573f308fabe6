"""The partner API's JSON parser: DRF's, with limits on what a body may hold.

- Nesting deeper than ``MAX_DEPTH`` is a 400 (``parse_error``). No route takes more than a
  few levels; without a limit, a body of a thousand nested arrays exhausts Python's recursion
  limit while decoding.
- A string (or key) containing a NUL character is a 400 naming the field: PostgreSQL text
  and jsonb refuse NUL, so it must never reach a query.

Both checks stay cheap on a body at the size limit: depth is measured one level at a time,
and field paths are only worked out when the text holds a ``\\u0000`` escape (strict JSON
has no other way to carry a NUL).
"""

import io
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from agency.validation import NUL, NUL_MESSAGE

MAX_DEPTH = 32
_NUL_ESCAPE = "\\u0000"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        raw = stream.read()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        check_depth(data)
        encoding = parsers.get_encoding(parser_context or {})
        if (
            _NUL_ESCAPE in raw.decode(encoding, errors="replace")
            and (path := nul_path(data)) is not None
        ):
            _nul_at(path)
        return data


def _too_deep() -> ParseError:
    return ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")


def check_depth(data: Any) -> None:
    """Raise when containers nest deeper than ``MAX_DEPTH``, walking one level at a time."""
    level = [data] if _is_container(data) else []
    depth = 0
    while level:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        below: list = []
        for value in level:
            children = value.values() if type(value) is dict else value
            below += [c for c in children if type(c) is dict or type(c) is list]
        level = below
        depth += 1


def nul_path(data: Any) -> tuple[str, ...] | None:
    """Where a NUL is (keys and list indexes as strings), or None when there is none."""
    if type(data) is str:
        return () if NUL in data else None
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())] if _is_container(data) else []
    while stack:
        value, path = stack.pop()
        if type(value) is dict:
            for key in value:
                if NUL in key:
                    return (*path, key.replace(NUL, "\\x00"))
            items = value.items()
        else:
            items = enumerate(value)
        for key, child in items:
            if type(child) is str:
                if NUL in child:
                    return (*path, str(key))
            elif type(child) is dict or type(child) is list:
                stack.append((child, (*path, str(key))))
    return None


def _is_container(value: Any) -> bool:
    # json.loads builds exactly these types: ``type() is`` is exact and fast.
    return type(value) is dict or type(value) is list


def _nul_at(path: tuple[str, ...]) -> None:
    """A validation error at ``path``, nested as the error shape nests field errors."""
    detail: Any = [NUL_MESSAGE]
    for key in reversed(path or ("non_field_errors",)):
        detail = {key: detail}
    raise ValidationError(detail)
