"""Text the emulated EC2 stores and answers with: only characters XML 1.0 can carry.

EC2 answers in XML. A tag value, a description or a device name holding a character XML 1.0
cannot carry (C0 controls other than tab, line feed and carriage return; lone surrogates;
U+FFFE, U+FFFF) would make every later answer that shows it unparseable: botocore raises
``ResponseParserError`` for the whole Describe. EC2 documents that its tags take any character
but not what it answers with such a value, so the emulator makes one choice at one boundary
(docs/fidelity/resources.md, "Characters XML cannot carry"): such a character is replaced with
U+FFFD, the Unicode replacement character, when the text enters the emulator.

* :func:`storable_params` is applied by the engine to the parameters of every call to a service
  that answers in XML (EC2, and query-protocol services), before the handler runs: what a handler
  stores, matches (filter values) or echoes is already safe.
* :func:`storable_text` and :func:`storable_tags` are the same rule for text that reaches the
  state another way: seeding (``add_image(name=..., description=..., tags=...)``) and imports
  should pass caller text through them.
* Error messages use :func:`storable_text` too (:class:`~botostub_ec2.errors.ServiceError`).

Usage::

    storable_text("a\\x01b")             # 'a\\ufffdb'
    storable_tags({"team": "a\\x00"})    # {'team': 'a\\ufffd'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Characters XML 1.0 cannot carry (the complement of its ``Char`` production).
NOT_XML_SOURCE = "[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
#: What replaces each of them.
REPLACEMENT = "\ufffd"
_not_xml: re.Pattern[str] | None = None  # compiled on first use (it costs ms at import)


def storable_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot carry replaced by U+FFFD.

    Returns ``text`` itself when nothing needs replacing (the common case, decided in C).
    """
    global _not_xml
    if text.isprintable():
        return text
    if _not_xml is None:
        _not_xml = re.compile(NOT_XML_SOURCE)
    return _not_xml.sub(REPLACEMENT, text) if _not_xml.search(text) else text


def storable_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """Tags with :func:`storable_text` applied to every key and value (a new dict).

    Two keys that differ only in replaced characters become one key; the later value wins, as
    for a request that repeats a key.
    """
    return {storable_text(k): storable_text(v) for k, v in (tags or {}).items()}


def storable_params(params: Any) -> Any:
    """Call parameters (botocore's typed form) with :func:`storable_text` applied to every string.

    Walks dicts, lists and tuples; other values (numbers, booleans, datetimes, bytes) are left
    as they are. Returns ``params`` itself when no string changes, so the usual call pays one
    ``isprintable`` per string and allocates nothing (the engine runs it on every XML call:
    strings are tested inline, a nested container costs one call).
    """
    kind = type(params)
    if kind is dict:
        changed: dict[Any, Any] | None = None
        for key, value in params.items():
            value_kind = type(value)
            if value_kind is str:
                if value.isprintable():
                    continue
                clean = storable_text(value)
            elif value_kind is dict or value_kind is list or value_kind is tuple:
                clean = storable_params(value)
            else:
                continue
            if clean is not value:
                if changed is None:
                    changed = dict(params)
                changed[key] = clean
        return params if changed is None else changed
    if kind is list or kind is tuple:
        items = None
        for index, value in enumerate(params):
            value_kind = type(value)
            if value_kind is str:
                if value.isprintable():
                    continue
                clean = storable_text(value)
            elif value_kind is dict or value_kind is list or value_kind is tuple:
                clean = storable_params(value)
            else:
                continue
            if clean is not value:
                if items is None:
                    items = list(params)
                items[index] = clean
        if items is None:
            return params
        return items if kind is list else tuple(items)
    if kind is str:
        return storable_text(params)
    return params
