"""The address that links in emails (unsubscribe, tracking), n8n's callbacks and Google's
OAuth redirect start with.

In production it is PUBLIC_BASE_URL, always: the Host header of a request never reaches an
email. In development (DEBUG) with PUBLIC_BASE_URL left unset, it is the address the server
is actually reached at (`runserver 8101` gives links to port 8101, not the default 8000):
taken from the request being served, and kept under var/ for the sender, which runs in
another process and serves no request.
"""

from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_serving: ContextVar[str] = ContextVar("public_base_url", default="")


def base_url() -> str:
    if not follows_requests():
        return settings.PUBLIC_BASE_URL
    return _serving.get() or _last_seen() or settings.PUBLIC_BASE_URL


def follows_requests() -> bool:
    return bool(settings.DEBUG and settings.PUBLIC_BASE_URL_FROM_REQUEST)


def _seen_file() -> Path:
    return Path(settings.VAR_DIR) / "public_base_url"


def _last_seen() -> str:
    try:
        return _seen_file().read_text().strip()
    except OSError:
        return ""


def _remember(base: str) -> None:
    if _last_seen() == base:
        return  # development only: one small read a request
    path = _seen_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(base + "\n")


class RequestAddressMiddleware:
    """Development only: links made while serving a request use the request's address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not follows_requests():
            return self.get_response(request)
        # get_host() is checked against ALLOWED_HOSTS (CommonMiddleware has done so already).
        base = f"{request.scheme}://{request.get_host()}"
        _remember(base)
        token = _serving.set(base)
        try:
            return self.get_response(request)
        finally:
            _serving.reset(token)
