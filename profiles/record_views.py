"""The Actions menu's record-level actions on a customer: Set password, Send password reset, Export data
and Delete. Each works on its own page or form, without JavaScript, from the new page and the legacy one."""

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import team_member_required
from profiles.access_views import customer_for_action
from profiles.deletion import customer_delete, deletion_preview
from profiles.export import customer_export, customer_export_record, export_filename
from profiles.forms import NewPasswordForm
from profiles.page import ProfilePage
from profiles.passwords import PasswordResetRefused, customer_set_password, password_reset_send
from profiles.record_actions import may_delete, may_export, may_send_password_reset, may_set_password


@team_member_required
@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def set_password(request, user_id: int):
    """Admins only: give the customer a new password, typed twice and checked by the password validators."""
    page = ProfilePage(request)
    customer, answer = customer_for_action(request, user_id, may_set_password)
    if answer:
        return answer
    form = NewPasswordForm(customer, request.POST or None)
    if request.method == "POST" and form.is_valid():
        customer_set_password(customer=customer, actor=request.user, password=form.cleaned_data["new_password1"])
        messages.success(request, _("%(name)s’s password was changed.") % {"name": customer.name})
        return redirect(page.details_url(customer))
    status = 400 if request.method == "POST" else 200
    context = {"customer": customer, "form": form, "nav": "customers"}
    return render(request, "profiles/set_password.html", context, status=status)


@team_member_required
@require_POST
def send_password_reset(request, user_id: int):
    """Agents and admins: email the customer a link to choose a new password themselves."""
    page = ProfilePage(request)
    customer, answer = customer_for_action(request, user_id, may_send_password_reset)
    if answer:
        return answer
    try:
        password_reset_send(user=customer, actor=request.user, base_url=request.build_absolute_uri("/"))
    except PasswordResetRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("A password reset email was sent to %(email)s.") % {"email": customer.email},
        )
    return redirect(page.details_url(customer))


@team_member_required
@require_POST
def export(request, user_id: int):
    """Agents and admins: download everything stored about the customer as one JSON file, for a data-subject
    request (B7). Both may, since answering such requests is support work; an agent's file leaves out the
    custom fields admins hid from agents, an admin's holds them all. Each export is in the audit log. The
    file is streamed as it is read, so a customer with millions of events exports in constant memory."""
    customer, answer = customer_for_action(request, user_id, may_export)
    if answer:
        return answer
    customer_export_record(customer=customer, actor=request.user)
    response = StreamingHttpResponse(
        customer_export(customer=customer, role=request.user.role), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename(customer)}"'
    response["Cache-Control"] = "no-store"
    return response


@team_member_required
@require_http_methods(["GET", "POST"])
def delete(request, user_id: int):
    """Admins only: a confirmation naming what goes, then the customer and their personal data are removed;
    their tickets stay with an anonymized requester, and the profile's address answers 404 from then on."""
    customer, answer = customer_for_action(request, user_id, may_delete)
    if answer:
        return answer
    if request.method == "POST":
        customer_delete(customer=customer, actor=request.user)
        messages.success(request, _("%(name)s was deleted.") % {"name": customer.name})
        return redirect("profiles:search")
    context = {"customer": customer, "preview": deletion_preview(customer=customer), "nav": "customers"}
    return render(request, "profiles/delete.html", context)
