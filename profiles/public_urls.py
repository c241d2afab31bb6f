"""Public routes, mounted at /verify-email/: no sign-in needed, the signed token is the credential."""

from django.urls import path

from profiles import public_views

app_name = "verification"

urlpatterns = [
    path("<str:token>/", public_views.verify_email, name="confirm"),
]
