from django.urls import include, path

urlpatterns = [
    path("", include("accounts.urls")),
    path("agent/", include("profiles.urls")),
    path("agent/tickets/", include("tickets.urls")),
    path("portal/", include("tickets.portal")),
]
