from django.http import HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def trivial(request):
    """The benchmarks' baseline: a view that does nothing, reached through the whole middleware stack as any
    page is (host, account, session, user, language), so a ratio to it measures what a page adds. /healthz
    answers before all of that and would flatter nothing but itself."""
    return HttpResponse("ok", content_type="text/plain")
