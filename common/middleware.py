from django.core.handlers.exception import response_for_exception
from django.http import Http404

from common.errors import RecordGone


class RecordGoneMiddleware:
    """A domain's "this record is not there" (`RecordGone`, raised by a service or selector) is a 404, answered
    the way every other 404 is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RecordGone):
            return response_for_exception(request, Http404(str(exception)))
        return None
