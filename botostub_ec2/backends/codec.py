"""A JSON codec for record NamedTuples, driven by their type hints.

Persistent backends need to turn a record into text and back so that the record read back is
equal to, and of the same type as, the one stored. :class:`RecordCodec` does that for any
NamedTuple whose fields use the types below, compiling one converter per field the first time a
kind is seen (no per-call introspection):

* ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any`` (stored as JSON as they are);
* ``datetime`` / ``date`` (ISO 8601; naive stays naive, the offset is kept), ``bytes`` (base64),
  :class:`~enum.Enum` subclasses (by value);
* ``Mapping[K, V]`` (read back as a read-only :class:`~botostub_ec2.models.FrozenMapping`),
  ``dict[K, V]`` (a plain dict), with ``str`` keys;
* ``tuple[X, ...]``, ``tuple[X, Y]``, ``list[X]``, ``frozenset[X]``, ``set[X]``;
* nested NamedTuples (``BlockDevice``), ``Optional`` / ``X | None`` and other unions.

Fields equal to their default (same type and value) are left out of the stored document, which
keeps rows small and lets a field added to a record class later read back as its default.

Reading is defensive: a stored text that is not JSON, not a JSON object, holds a value of the
wrong JSON type for its field, or cannot be converted back raises :class:`CodecError` naming the
kind and, when the text still holds it, the record's key; no ``json.JSONDecodeError``,
``TypeError`` or ``RecursionError`` escapes from a backend read (docs/fidelity/backends.md,
"Damaged rows").

Usage::

    codec = RecordCodec(ImageRecord)
    text = codec.dumps(image)
    assert codec.loads(text) == image
"""

from __future__ import annotations

import base64
import enum
import json
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ..errors import BotostubError
from ..models import FrozenMapping

Converter = Callable[[Any], Any]

_NATIVE = (str, int, float, bool, type(None))
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_loads = json.loads


class CodecError(BotostubError, TypeError):
    """A record field holds a value its type hint does not allow, or a hint the codec cannot
    store."""


class _Field(typing.NamedTuple):
    name: str
    encode: Converter | None  # None: store the value as it is
    decode: Converter | None
    has_default: bool
    default: Any


class RecordCodec:
    """Encode one NamedTuple kind to JSON text and back (see the module docstring)."""

    __slots__ = ("_fields", "from_document", "kind", "names", "to_document")

    def __init__(self, kind: type[Any]) -> None:
        if not (isinstance(kind, type) and issubclass(kind, tuple) and hasattr(kind, "_fields")):
            raise CodecError(f"{kind!r} is not a NamedTuple record kind")
        self.kind = kind
        hints = _type_hints(kind)
        defaults: dict[str, Any] = getattr(kind, "_field_defaults", {})
        fields = []
        for name in kind._fields:
            hint = hints.get(name, Any)
            where = f"{kind.__name__}.{name}"
            encode, decode = _compile(hint, where)
            fields.append(
                _Field(name, encode, decode, name in defaults, defaults.get(name))
            )
        self._fields: tuple[_Field, ...] = tuple(fields)
        #: Field names in declaration order (what a database records about the kind).
        self.names: tuple[str, ...] = tuple(kind._fields)
        #: ``record -> dict`` of the non-default fields, JSON-ready (see :func:`_compile_encoder`).
        self.to_document: Callable[[Any], dict[str, Any]] = _compile_encoder(kind, self._fields)
        #: ``dict -> record`` for a dict made by :meth:`to_document` (missing fields take their
        #: defaults; see :func:`_compile_decoder`).
        self.from_document: Callable[[dict[str, Any]], Any] = _compile_decoder(kind, self._fields)

    def dumps(self, record: Any) -> str:
        return _dumps(self.to_document(record))

    def loads(self, text: str | bytes) -> Any:
        """The record stored as ``text``; :class:`CodecError` naming it if ``text`` is damaged."""
        try:
            document = _loads(text)
        except (ValueError, TypeError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8
            raise self.damaged(text, None, f"not JSON ({exc})") from None
        if type(document) is not dict:
            raise self.damaged(text, None, f"a JSON {type(document).__name__}, not an object")
        try:
            return self.from_document(document)
        except CodecError as exc:
            reason = str(exc).removeprefix(f"stored {self.kind.__name__} ")
            raise self.damaged(text, document, reason) from None
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError,
                RecursionError) as exc:  # a field's own converter refused its value
            raise self.damaged(text, document, f"{type(exc).__name__}: {exc}") from None

    def damaged(self, text: str | bytes, document: dict[str, Any] | None,
                reason: str) -> CodecError:
        """The error for a stored ``text`` that does not read back as a record of this kind."""
        key = _key_of(self.kind, document)
        named = f"{self.kind.__name__} {key!r}" if key is not None else self.kind.__name__
        excerpt = text[:80] if isinstance(text, str) else bytes(text[:80])
        return CodecError(f"stored {named} is damaged: {reason}; the stored text begins "
                          f"{excerpt!r}")


def _compile_encoder(kind: type[Any], fields: tuple[_Field, ...]) -> Callable[[Any], Any]:
    """Generate ``to_document`` for one kind, unrolled over its fields.

    Bulk loads encode millions of records; a generated function does per field only the checks
    that field needs (about 4x faster than a loop over field descriptions).
    """
    namespace: dict[str, Any] = {"KIND": kind, "wrong_type": _wrong_type}
    unpack = ", ".join(f"v{i}" for i in range(len(fields)))
    lines = [
        "def to_document(record):",
        "    if type(record) is not KIND:",
        "        wrong_type(KIND, record)",
        f"    ({unpack},) = record",
        "    document = {}",
    ]
    for i, spec in enumerate(fields):
        value = f"v{i}"
        if spec.encode is not None:
            namespace[f"E{i}"] = spec.encode
            encoded = f"E{i}({value})"
        else:
            encoded = value
        if spec.has_default and spec.default is None:
            lines.append(f"    if {value} is not None:")
            lines.append(f"        document[{spec.name!r}] = {encoded}")
            continue
        if spec.encode is not None:
            encoded = f"None if {value} is None else {encoded}"
        if spec.has_default:
            namespace[f"D{i}"] = spec.default
            namespace[f"T{i}"] = type(spec.default)
            lines.append(f"    if not ({value} is D{i} or "
                         f"(type({value}) is T{i} and {value} == D{i})):")
            lines.append(f"        document[{spec.name!r}] = {encoded}")
        else:
            lines.append(f"    document[{spec.name!r}] = {encoded}")
    lines.append("    return document")
    exec("\n".join(lines), namespace)
    return namespace["to_document"]  # type: ignore[no-any-return]


def _compile_decoder(kind: type[Any], fields: tuple[_Field, ...]) -> Callable[[Any], Any]:
    """Generate ``from_document`` for one kind: the tuple built positionally, in one expression.

    Every read of a persistent backend runs it; calling the NamedTuple with ``**document``
    costs about twice as much.
    """
    namespace: dict[str, Any] = {
        "KIND": kind, "NEW": tuple.__new__, "NAMES": frozenset(f.name for f in fields),
        "MISSING": _MISSING, "problem": _document_problem, "wrong": _wrong_json_type,
    }
    hints = _type_hints(kind)
    items = []
    for i, spec in enumerate(fields):
        name = repr(spec.name)
        allowed = _json_types(hints.get(spec.name, Any)) if spec.decode is None else None
        if allowed is not None:
            # A plain field: its JSON type is checked (one ``type() in`` per field and read).
            if spec.has_default:
                namespace[f"D{i}"] = spec.default
            source = f"get({name}, D{i})" if spec.has_default else f"document[{name}]"
            items.append(f"(v if {_type_test(allowed, f'T{i}', namespace, source)} "
                         f"else wrong(KIND, {name}, v))")
            continue
        if spec.has_default:
            namespace[f"D{i}"] = spec.default
            if spec.decode is None:
                items.append(f"get({name}, D{i})")
                continue
            namespace[f"F{i}"] = spec.decode
            items.append(f"(D{i} if (v := get({name}, MISSING)) is MISSING "
                         f"else None if v is None else F{i}(v))")
        elif spec.decode is None:
            items.append(f"document[{name}]")
        else:
            namespace[f"F{i}"] = spec.decode
            items.append(f"(None if (v := document[{name}]) is None else F{i}(v))")
    lines = [
        "def from_document(document):",
        "    if not NAMES.issuperset(document):",
        "        problem(KIND, document)",
        "    get = document.get",
        "    try:",
        f"        return NEW(KIND, ({', '.join(items)},))",
        "    except KeyError:",
        "        problem(KIND, document)",
    ]
    exec("\n".join(lines), namespace)
    return namespace["from_document"]  # type: ignore[no-any-return]


_MISSING = object()


def _document_problem(kind: type[Any], document: dict[str, Any]) -> None:
    names = set(kind._fields)
    unknown = [name for name in document if name not in names]
    where = f"{kind.__module__}.{kind.__qualname__}"
    if unknown:
        raise CodecError(
            f"stored {kind.__name__} has field {unknown[0]!r}, which this version of {where} "
            "does not define")
    defaults = getattr(kind, "_field_defaults", {})
    missing = [name for name in kind._fields if name not in document and name not in defaults]
    if missing:
        raise CodecError(f"stored {kind.__name__} lacks the required field {missing[0]!r}")
    # A KeyError from inside a field's own decoder.
    raise CodecError(f"stored {kind.__name__} could not be decoded: {document!r}")


def _wrong_type(kind: type[Any], record: Any) -> None:
    raise CodecError(f"expected a {kind.__name__}, got {type(record).__name__}")


def _wrong_json_type(kind: type[Any], name: str, value: Any) -> Any:
    raise CodecError(f"field {name!r} holds {type(value).__name__} {value!r:.60}, not a value of "
                     f"{_type_hints(kind).get(name, Any)!r}")


#: The Python types ``json.loads`` gives for each plain hint.
_JSON_TYPES: dict[Any, tuple[type, ...]] = {
    str: (str,), int: (int,), bool: (bool,), float: (float, int), type(None): (type(None),),
}


def _json_types(hint: Any) -> tuple[type, ...] | None:
    """The types a stored plain field of ``hint`` may read back as; None: not checked."""
    if hint in _JSON_TYPES:
        return _JSON_TYPES[hint]
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        allowed: list[type] = []
        for member in typing.get_args(hint):
            member_types = _json_types(member)
            if member_types is None:
                return None
            allowed.extend(member_types)
        return tuple(dict.fromkeys(allowed))
    return None  # Any, Literal...: stored as they are, not checked


def _type_test(allowed: tuple[type, ...], label: str, namespace: dict[str, Any],
               source: str) -> str:
    """Source text testing the JSON type of ``v := source`` (cheapest form for common hints)."""
    plain = [t for t in allowed if t is not type(None)]
    if len(plain) == 1:
        namespace[label] = plain[0]
        if len(allowed) == 2:  # Optional[X]
            return f"((v := {source}) is None or type(v) is {label})"
        return f"type(v := {source}) is {label}"
    namespace[label] = allowed
    return f"type(v := {source}) in {label}"


def _key_of(kind: type[Any], document: dict[str, Any] | None) -> str | None:
    """The key a damaged document's record would have, if the fields it needs are still there."""
    prop = getattr(kind, "key", None)
    if document is None or not isinstance(prop, property) or prop.fget is None:
        return None
    # Only the text fields still there: a key reading a missing or damaged one fails.
    names = set(kind._fields)
    fields = {n: v for n, v in document.items() if n in names and isinstance(v, str)}
    try:
        key = prop.fget(types.SimpleNamespace(**fields))
    except Exception:
        return None
    return key if isinstance(key, str) else None


def _type_hints(kind: type[Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(kind)
    except Exception as exc:  # an unresolvable forward reference
        raise CodecError(f"cannot resolve the type hints of {kind.__qualname__}: {exc}") from exc


def _is_namedtuple(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields")


def _compile(hint: Any, where: str) -> tuple[Converter | None, Converter | None]:
    """``(encode, decode)`` for values of ``hint``; ``None`` means "store as is"."""
    if hint is Any or hint in _NATIVE:
        return None, None
    if hint is datetime:
        return _expect(datetime, where, datetime.isoformat), datetime.fromisoformat
    if hint is date:
        return _expect(date, where, date.isoformat), date.fromisoformat
    if hint is bytes:
        return (
            _expect(bytes, where, lambda v: base64.b64encode(v).decode("ascii")),
            base64.b64decode,
        )
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        enum_type = hint
        return _expect(enum_type, where, lambda v: v.value), enum_type
    if _is_namedtuple(hint):
        nested = RecordCodec(hint)
        return _expect(hint, where, nested.to_document), nested.from_document

    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return None, None
    if origin is typing.Union or origin is types.UnionType:
        return _compile_union(args, where)
    if origin in (Mapping, dict, typing.Mapping, dict, types.MappingProxyType, FrozenMapping) or (
        origin is not None and isinstance(origin, type) and issubclass(origin, Mapping)
    ):
        key_hint, value_hint = args if args else (str, Any)
        if key_hint is not str and key_hint is not Any:
            raise CodecError(f"{where}: only str keys can be stored, not {key_hint!r}")
        encode_value, decode_value = _compile(value_hint, f"{where}[]")
        read_only = origin is not dict and origin is not dict
        return _mapping_codec(encode_value, decode_value, read_only)
    if origin in (tuple, list, frozenset, set):
        return _sequence_codec(origin, args, where)
    if hint is tuple or hint is list:
        return (lambda v: list(v)), hint
    raise CodecError(
        f"{where}: the SQLite backend cannot store values of type {hint!r}; use str, int, float, "
        f"bool, datetime, Enum, Mapping, tuple, list or a NamedTuple"
    )


def _expect(kind: Any, where: str, convert: Converter) -> Converter:
    def encode(value: Any) -> Any:
        if not isinstance(value, kind):
            raise CodecError(f"{where}: expected {kind.__name__}, got {type(value).__name__}")
        return convert(value)

    return encode


def _compile_union(args: tuple[Any, ...], where: str) -> tuple[Converter | None, Converter | None]:
    members = [a for a in args if a is not type(None)]
    if len(members) == 1:
        return _compile(members[0], where)
    compiled = [_compile(m, where) for m in members]
    if all(enc is None and dec is None for enc, dec in compiled):
        return None, None  # e.g. ``int | str``: JSON keeps them apart
    # Several members needing conversion: store ``[member index, encoded value]``.
    checks = [_runtime_check(m) for m in members]

    def encode(value: Any) -> Any:
        for index, (check, (enc, _)) in enumerate(zip(checks, compiled, strict=True)):
            if check(value):
                return [index, enc(value) if enc is not None else value]
        raise CodecError(f"{where}: {type(value).__name__} is none of {members!r}")

    def decode(value: Any) -> Any:
        index, inner = value
        dec = compiled[index][1]
        return dec(inner) if dec is not None else inner

    return encode, decode


def _runtime_check(hint: Any) -> Callable[[Any], bool]:
    origin = typing.get_origin(hint) or hint
    if hint is Any:
        return lambda value: True
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        return lambda value: value in allowed
    if isinstance(origin, type):
        if origin in (Mapping, typing.Mapping):
            return lambda value: isinstance(value, Mapping)
        if origin is int:
            return lambda value: isinstance(value, int) and not isinstance(value, bool)
        return lambda value: isinstance(value, origin)
    return lambda value: False


def _mapping_codec(
    encode_value: Converter | None, decode_value: Converter | None, read_only: bool
) -> tuple[Converter, Converter]:
    def encode(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise CodecError(f"expected a mapping, got {type(value).__name__}")
        if encode_value is None:
            return dict(value)
        return {k: (encode_value(v) if v is not None else None) for k, v in value.items()}

    def decode(value: Any) -> Any:
        if type(value) is not dict:
            raise CodecError(f"expected a JSON object, got {type(value).__name__}")
        if decode_value is not None:
            value = {k: (decode_value(v) if v is not None else None) for k, v in value.items()}
        return FrozenMapping(value) if read_only else value

    return encode, decode


def _sequence_codec(
    origin: Any, args: tuple[Any, ...], where: str
) -> tuple[Converter, Converter]:
    if origin is tuple and args and (len(args) != 2 or args[1] is not Ellipsis):
        # A fixed-shape tuple such as ``tuple[str, str]``.
        parts = [_compile(a, f"{where}[{i}]") for i, a in enumerate(args)]

        def encode_fixed(value: Any) -> Any:
            return [enc(v) if enc is not None and v is not None else v
                    for (enc, _), v in zip(parts, value, strict=True)]

        def decode_fixed(value: Any) -> Any:
            if type(value) is not list:
                raise CodecError(f"{where}: expected a JSON array, got {type(value).__name__}")
            return tuple(dec(v) if dec is not None and v is not None else v
                         for (_, dec), v in zip(parts, value, strict=True))

        return encode_fixed, decode_fixed
    item_hint = args[0] if args else Any
    encode_item, decode_item = _compile(item_hint, f"{where}[]")
    build: Callable[[Any], Any] = origin
    sort = origin in (frozenset, set)

    def encode(value: Any) -> Any:
        items = sorted(value, key=repr) if sort else value
        if encode_item is None:
            return list(items)
        return [encode_item(v) if v is not None else None for v in items]

    def decode(value: Any) -> Any:
        if type(value) is not list:
            raise CodecError(f"{where}: expected a JSON array, got {type(value).__name__}")
        if decode_item is None:
            return build(value)
        return build(decode_item(v) if v is not None else None for v in value)

    return encode, decode


#: One codec per kind, shared by every backend instance (compiling one costs ~100 µs).
_CODECS: dict[type[Any], RecordCodec] = {}


def codec_for(kind: type[Any]) -> RecordCodec:
    """The (cached) :class:`RecordCodec` of ``kind``."""
    codec = _CODECS.get(kind)
    if codec is None:
        codec = _CODECS[kind] = RecordCodec(kind)
    return codec


__all__ = ["CodecError", "RecordCodec", "codec_for"]
