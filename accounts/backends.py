from django.contrib.auth.backends import BaseBackend

from accounts.models import User


class AccountEmailBackend(BaseBackend):
    """Sign in by email and password within the account the request came to. A suspended person with the
    right password is returned too, so the sign-in form can say they are suspended (its "inactive" check)
    rather than that the password is wrong; their sessions, though, end (`get_user`)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        account = getattr(request, "account", None)
        if account is None or not username or not password:
            return None
        user = User.objects.filter(account=account, email=username.strip().lower()).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing reveals nothing
            return None
        if user.check_password(password):
            return user
        return None

    def get_user(self, user_id):
        return User.objects.select_related("account").filter(pk=user_id, suspended=False).first()
