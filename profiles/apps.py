from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # Django's own sign-in announces itself only by this signal; the receiver just hands over to a service.
        user_logged_in.connect(_record_sign_in, dispatch_uid="profiles.record_sign_in")


def _record_sign_in(sender, request, user, **kwargs):
    from profiles.services import customer_signed_in

    customer_signed_in(customer=user)
