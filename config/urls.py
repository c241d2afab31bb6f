from django.apps import apps
from django.urls import include, path

# /healthz, the probe for load balancers (and the benchmarks' trivial baseline), answers in
# config.middleware.HealthCheckMiddleware, before any host check or account lookup.
# The API first: apps send it events one request each, and every pattern tried before it costs them.
urlpatterns = [
    path("api/v2/", include("api.urls")),
    path("", include("accounts.urls")),
    path("", include("custom_fields.urls")),
    path("agent/", include("profiles.urls")),
    path("agent/tickets/", include("tickets.urls")),
    path("portal/", include("tickets.portal")),
    path("verify-email/", include("profiles.public_urls")),
    path("password-reset/", include("profiles.password_urls")),
]
if apps.is_installed("devtools"):  # development and tests only: the benchmarks' trivial view
    urlpatterns.append(path("_dev/", include("devtools.urls")))

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
