"""Public routes, mounted at /password-reset/: a forgotten password, from the request to the new one."""

from django.urls import path

from profiles import public_views

app_name = "password_reset"

urlpatterns = [
    path("", public_views.password_reset_ask, name="ask"),
    path("sent/", public_views.password_reset_sent, name="sent"),
    path("done/", public_views.password_reset_done, name="done"),
    path("<str:uidb64>/<str:token>/", public_views.PasswordResetConfirm.as_view(), name="confirm"),
]
