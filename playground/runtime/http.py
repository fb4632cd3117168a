"""``Request``, ``Response`` and ``Headers``, as the Fetch API has them, in Python.

Bodies are bytes, text, or (see :mod:`.streams`) a ``ReadableStream``; ``await r.text()``,
``await r.json()`` and ``await r.bytes()`` read them. Over RPC a Request or Response crosses by
value, its body streamed with flow control.
"""

from __future__ import annotations

import http
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .streams import ReadableStream

__all__ = ["BodyInit", "Headers", "Request", "Response"]

#: What a body may be given as: bytes, str, a ReadableStream, or None.
BodyInit = Any


class Headers:
    """Case-insensitive HTTP headers. Names are stored lower-case, as the Fetch API does."""

    __slots__ = ("_items",)

    def __init__(self, init: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        if init is None:
            return
        pairs: Iterable[Any]
        if isinstance(init, Headers):
            pairs = init._items
        elif isinstance(init, Mapping):
            pairs = init.items()
        else:
            pairs = init
        for pair in pairs:
            try:
                name, value = pair
            except (TypeError, ValueError):
                raise TypeError(
                    f"Headers takes a mapping or (name, value) pairs; got {pair!r} in the list"
                ) from None
            self.append(name, value)

    @staticmethod
    def _check(name: object, value: object) -> tuple[str, str]:
        if not isinstance(name, str) or not name or any(c in name for c in " :\r\n"):
            raise TypeError(f"Invalid header name {name!r}: use a non-empty string without spaces or ':'.")
        if not isinstance(value, str):
            value = str(value)
        if "\r" in value or "\n" in value:
            raise TypeError(f"Invalid value for header {name!r}: it contains a line break.")
        return name.lower(), value

    def append(self, name: str, value: str) -> None:
        self._items.append(self._check(name, value))

    def set(self, name: str, value: str) -> None:
        key, value = self._check(name, value)
        self._items = [(k, v) for k, v in self._items if k != key]
        self._items.append((key, value))

    def get(self, name: str, default: str | None = None) -> str | None:
        """All values of ``name`` joined with ``", "``, or ``default`` if absent."""
        key = name.lower()
        values = [v for k, v in self._items if k == key]
        return ", ".join(values) if values else default

    def get_set_cookie(self) -> list[str]:
        return [v for k, v in self._items if k == "set-cookie"]

    def has(self, name: str) -> bool:
        key = name.lower()
        return any(k == key for k, _ in self._items)

    def delete(self, name: str) -> None:
        key = name.lower()
        self._items = [(k, v) for k, v in self._items if k != key]

    def items(self) -> list[tuple[str, str]]:
        """Pairs sorted by name, values of one name combined (``Set-Cookie`` kept apart)."""
        out: list[tuple[str, str]] = []
        for key in sorted({k for k, _ in self._items}):
            if key == "set-cookie":
                out.extend((key, v) for v in self.get_set_cookie())
            else:
                out.append((key, self.get(key) or ""))
        return out

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.items())

    def __len__(self) -> int:
        return len(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self.items() == other.items()
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"

    def _pairs(self) -> list[list[str]]:
        return [[k, v] for k, v in self._items]


def _body_bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    raise TypeError(
        f"A body must be bytes, str or a ReadableStream, not {type(body).__name__}; "
        "for JSON, pass json.dumps(value)."
    )


class _Body:
    """Shared body handling: bytes, or a stream."""

    __slots__ = ("_body", "_stream", "_used", "headers")

    _body: bytes | None
    _stream: Any
    _used: bool
    headers: Headers

    def _set_body(self, body: BodyInit) -> None:
        self._used = False
        if isinstance(body, ReadableStream):
            self._stream, self._body = body, None
        else:
            self._stream, self._body = None, _body_bytes(body)

    @property
    def body(self) -> Any:
        """The body as a ``ReadableStream`` (``None`` when there is no body)."""
        if self._stream is None:
            if self._body is None:
                return None
            self._stream = ReadableStream.from_iterable([self._body] if self._body else [])
            self._body = None
        return self._stream

    @property
    def body_used(self) -> bool:
        return self._used

    async def bytes(self) -> bytes:
        """The whole body (it can be read once)."""
        if self._used:
            raise TypeError("Body has already been used. It can only be used once.")
        self._used = True
        if self._stream is not None:
            return await self._stream.read_all()
        return self._body or b""

    async def text(self) -> str:
        return (await self.bytes()).decode()

    async def json(self) -> Any:
        return json.loads(await self.bytes())


class Request(_Body):
    """An HTTP request: ``Request(url, *, method="GET", headers=None, body=None)``."""

    __slots__ = ("url", "method")

    url: str
    method: str

    def __init__(
        self,
        url: str | Request,
        *,
        method: str | None = None,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: BodyInit = None,
    ) -> None:
        if isinstance(url, Request):
            base = url
            url = base.url
            method = method or base.method
            headers = headers if headers is not None else base.headers
            if body is None and (base._body is not None or base._stream is not None):
                body = base._stream if base._stream is not None else base._body
        if not isinstance(url, str) or not url:
            raise TypeError(f"Request needs a URL string such as 'http://worker/'; got {url!r}.")
        method = (method or "GET").upper()
        if body is not None and method in ("GET", "HEAD"):
            raise TypeError("Request with a GET or HEAD method cannot have a body.")
        self.url = url
        self.method = method
        self.headers = Headers(headers)
        self._set_body(body)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class Response(_Body):
    """An HTTP response: ``Response(body=None, *, status=200, headers=None)``."""

    __slots__ = ("status", "status_text")

    def __init__(
        self,
        body: BodyInit = None,
        *,
        status: int = 200,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        status_text: str | None = None,
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise ValueError(f"Response status must be an integer from 200 to 599; got {status!r}.")
        self.status = status
        if status_text is None:
            try:
                status_text = http.HTTPStatus(status).phrase
            except ValueError:
                status_text = ""
        self.status_text = status_text
        self.headers = Headers(headers)
        self._set_body(body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status <= 299

    @classmethod
    def json_response(cls, value: Any, *, status: int = 200) -> Response:
        """A JSON response (``Response.json`` in JavaScript)."""
        return cls(json.dumps(value), status=status, headers={"content-type": "application/json"})

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.status_text}>"
