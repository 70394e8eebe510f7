"""Every per-call speed trick of the library, in one place (measured in ``docs/performance.md``).

A call costs botocore ~370 k instructions on its own; the stub's budget on top is a quarter of
that. These tricks keep it there (``benchmarks/icount.py`` measures each one's worth), and they
live here so that the data model, the engine and the responses stay plain:

* :func:`install_fast_replace`: records' ``_replace`` copies the tuple once (namedtuple's own is
  ~4x slower), and unchanged fields keep their identity, which lets backends skip re-indexing;
* :class:`LazyHTTPResponse`: a fast-mode answer's headers dict and body are built only if someone
  reads them (most callers never do);
* the call log keeps the :class:`~botostub_ec2.handlers.OperationCall` itself and builds the
  :class:`~botostub_ec2.models.Call` records when :attr:`Ec2Stub.calls` is read
  (:mod:`botostub_ec2.calls`);
* request ids come from a counter behind a random prefix (:func:`botostub_ec2.ids.new_request_id`)
  and the ``Date`` header is cached per second (:func:`botostub_ec2.responses.http_date`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.awsrequest import AWSResponse, HeadersDict

from .errors import RecordFieldError


def install_fast_replace(kind: type[Any]) -> None:
    """Give the NamedTuple ``kind`` a ``_replace`` that copies the tuple once.

    NamedTuple forbids defining ``_replace`` in the class body, so it is set on the class here.
    """
    if getattr(kind._replace, "_botostub_fast", False):
        return
    index = {name: position for position, name in enumerate(kind._fields)}
    new = tuple.__new__

    def _replace(self: Any, **changes: Any) -> Any:
        values = list(self)
        try:
            for name, value in changes.items():
                values[index[name]] = value
        except KeyError:
            unknown = [n for n in changes if n not in index]
            raise RecordFieldError(f"Got unexpected field names: {unknown!r}") from None
        return new(kind, values)

    _replace._botostub_fast = True  # type: ignore[attr-defined]
    _replace.__doc__ = kind._replace.__doc__
    kind._replace = _replace


class RenderedBody:
    """Stands in for urllib3's raw response: what botocore reads the body from."""

    __slots__ = ("_data", "_render")

    def __init__(self, data: bytes | None = None,
                 render: Callable[[], bytes] | None = None) -> None:
        self._data = data
        self._render = render

    def read(self, amt: int | None = None) -> bytes:
        if self._data is None:
            assert self._render is not None
            self._data = self._render()
            self._render = None
        return self._data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.read()


class LazyHTTPResponse(AWSResponse):
    """An :class:`~botocore.awsrequest.AWSResponse` that builds its headers and body on demand."""

    # Class-level defaults: an instance stores only what differs (it is built on every call).
    _headers: HeadersDict | None = None
    _raw: RenderedBody | None = None
    _content = None

    def __init__(
        self,
        url: str,
        status_code: int,
        headers: Mapping[str, str],
        render: Callable[[], bytes] | None = None,
        *,
        body: RenderedBody | None = None,
    ) -> None:
        # AWSResponse.__init__ would build a HeadersDict up front; most callers never look.
        self.url = url
        self.status_code = status_code
        self._header_source = headers
        if body is not None:
            self._raw = body
        self._render = render

    @property
    def headers(self) -> HeadersDict:
        if self._headers is None:
            self._headers = HeadersDict(self._header_source)
        return self._headers

    @headers.setter
    def headers(self, value: Mapping[str, str]) -> None:
        self._headers = HeadersDict(value)

    @property
    def raw(self) -> RenderedBody:
        if self._raw is None:
            self._raw = RenderedBody(render=self._render)
        return self._raw

    @raw.setter
    def raw(self, value: Any) -> None:
        self._raw = value

    def __repr__(self) -> str:
        return f"<LazyHTTPResponse [{self.status_code}] {self.url}>"
