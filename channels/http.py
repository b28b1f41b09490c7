"""Request plumbing every channel shares: body caps (decompressed too), loopback checks, and
running the store's blocking work off the event loop."""

import asyncio
import ipaddress
import json
import zlib
from typing import Any, Callable, Optional, TypeVar

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.store.db import session_scope

T = TypeVar("T")

#: Largest webhook body a channel reads (Slack and Teams send a few KB), after decompression too.
MAX_BODY_BYTES = 256 * 1024


class BodyTooLarge(Exception):
    pass


class BadEncoding(Exception):
    pass


def body_bytes(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, decompressed when it says gzip or deflate, never more than ``limit``
    bytes (a small compressed body can expand to gigabytes)."""
    raw = request.body or b""
    if len(raw) > limit:
        raise BodyTooLarge(f"body of {len(raw)} bytes")
    encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
    if encoding == "identity":
        return raw
    if encoding not in ("gzip", "deflate"):
        raise BadEncoding(encoding)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise BadEncoding(f"{encoding}: {exc}") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge(f"decompressed body over {limit} bytes")
    return out


def json_body(request: Request, limit: int = MAX_BODY_BYTES) -> Any:
    return json.loads(body_bytes(request, limit) or b"null")


def refused_body(exc: Exception) -> HTTPResponse:
    """413 for a body over the cap, 415 for an encoding we do not read, 400 for bad JSON."""
    if isinstance(exc, BodyTooLarge):
        return response.json({"error": "request body too large"}, status=413)
    if isinstance(exc, BadEncoding):
        return response.json({"error": "unsupported content encoding"}, status=415)
    return response.json({"error": "malformed request body"}, status=400)


def is_loopback(address: Optional[str]) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%")[0]).is_loopback
    except ValueError:
        return False


async def in_store(work: Callable[..., T], *args: Any) -> T:
    """``work(session, *args)`` in one transaction, in a worker thread (never on the loop)."""

    def run() -> T:
        with session_scope() as session:
            return work(session, *args)

    return await asyncio.to_thread(run)
