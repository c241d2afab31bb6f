from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Locale
from common.time_zones import TimeZoneField


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=pgettext_lazy("email address", "Email"),  # a context: contrib.auth's "Email" reads "Courriel"
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("That email and password don't match an active account here."),
        "inactive": _("This account is suspended."),
    }


class PreferencesForm(forms.Form):
    locale = forms.ChoiceField(label=_("Language"), choices=Locale.choices)
    time_zone = TimeZoneField(label=_("Time zone"), help_text=_("Dates and times are shown in this time zone."))


class AgentInterfaceForm(forms.Form):
    customer_profile_enabled = forms.BooleanField(label=_("Enable customer profile"), required=False)
    agents_may_assume_identity = forms.BooleanField(
        label=_("Agents may assume customers' identity"),
        required=False,
        help_text=_("Admins always may. Every start, end and change made while assuming is in the audit log."),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Say which app uses it, so you know what stops working if you revoke it."),
    )


class OwnPasswordForm(PasswordChangeForm):
    """Someone changing their own password: the current one, then the new one twice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django's help is an HTML list; the field's help is one sentence of text under the input.
        self.fields["new_password1"].help_text = " ".join(password_validation.password_validators_help_texts())
