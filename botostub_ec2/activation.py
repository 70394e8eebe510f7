"""``@stub`` on a function of any kind: active for exactly the time its body runs.

* a plain function or a coroutine function: from its call until it returns (or raises);
* a generator function or an async generator function: while the body runs, i.e. during each
  step (``next``/``send``/``throw``/``close`` and their async forms), not while it is suspended
  at a ``yield``, so a consumer that abandons the generator never leaves the stub active, and code
  running between two steps is not covered by the generator's stub;
* a class: each of its ``test*`` methods (as ``unittest.mock.patch`` does), so a
  ``unittest.TestCase`` can be decorated whole.

Activation is process-wide while the body runs (``with stub:``), so calls from worker threads the
body waits for are covered too.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import AbstractContextManager
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

#: Methods a decorated class gets covered (``unittest``'s and pytest's default test prefix).
TEST_PREFIX = "test"


def decorate(activation: AbstractContextManager[Any], target: F) -> F:
    """``target`` wrapped so that ``activation`` is entered whenever its body runs."""
    if isinstance(target, type):
        return cast(F, _decorate_class(activation, target))
    if inspect.isasyncgenfunction(target):
        return cast(F, _async_generator(activation, target))
    if inspect.isgeneratorfunction(target):
        return cast(F, _generator(activation, target))
    if inspect.iscoroutinefunction(target):

        @functools.wraps(target)
        async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
            with activation:
                return await target(*args, **kwargs)

        return cast(F, coroutine_wrapper)
    if not callable(target):
        from .errors import ConfigurationError

        raise ConfigurationError(f"a stub decorates functions and classes, not {target!r}")

    @functools.wraps(target)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with activation:
            return target(*args, **kwargs)

    return cast(F, wrapper)


def _generator(activation: AbstractContextManager[Any],
               function: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        generator = function(*args, **kwargs)  # runs nothing of the body yet
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            with activation:
                try:
                    item = generator.throw(thrown) if thrown else generator.send(sent)
                except StopIteration as stop:
                    return stop.value
                finally:
                    thrown = None
            try:
                sent = yield item
            except GeneratorExit:
                with activation:
                    generator.close()
                raise
            except BaseException as exc:  # thrown in by the consumer: the body handles it
                thrown, sent = exc, None

    return wrapper


def _async_generator(activation: AbstractContextManager[Any],
                     function: Callable[..., AsyncGenerator[Any, Any]]) -> Callable[..., Any]:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        generator = function(*args, **kwargs)
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            with activation:
                try:
                    item = await (generator.athrow(thrown) if thrown else generator.asend(sent))
                except StopAsyncIteration:
                    return
                finally:
                    thrown = None
            try:
                sent = yield item
            except GeneratorExit:
                with activation:
                    await generator.aclose()
                raise
            except BaseException as exc:
                thrown, sent = exc, None

    return wrapper


def _decorate_class(activation: AbstractContextManager[Any], cls: type) -> type:
    for name, member in list(vars(cls).items()):
        if not name.startswith(TEST_PREFIX):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            setattr(cls, name, type(member)(decorate(activation, member.__func__)))
        elif inspect.isfunction(member):
            setattr(cls, name, decorate(activation, member))
    return cls
