from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        "invalid_login": _("That email and password don't match an active account here."),
        "inactive": _("This account is suspended."),
    }


class AgentInterfaceForm(forms.Form):
    customer_profile_enabled = forms.BooleanField(label=_("Enable customer profile"), required=False)
