"""A test-only middleware (tests/faults/settings_linger.py adds it): a request with the
header X-Fault-Linger holds its answer that many seconds once the view has returned and its
work committed, so that a test can kill the worker between the commit and the answer."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "X-Fault-Linger"


class Linger:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        seconds = request.headers.get(HEADER)
        if seconds:
            time.sleep(float(seconds))
        return response
