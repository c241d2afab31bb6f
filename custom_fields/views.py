"""Admin center → People → User, Organization and Ticket fields; and the agents' lookup suggestions."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import admin_required, team_member_required
from accounts.models import Role
from common.http import or_404
from custom_fields.admin_forms import AGENT_ACCESS_HELP, CustomFieldForm
from custom_fields.form_fields import custom_field_form_field
from custom_fields.lookups import lookup_search
from custom_fields.models import AgentAccess, FieldObject
from custom_fields.services import (
    custom_field_create,
    custom_field_move,
    custom_field_set_active,
    custom_field_update,
)
from custom_fields.values import (
    FORM_PREFIX,
    LOOKUP_TEXT_MAX_LENGTH,
    custom_field_get,
    custom_field_usage_count,
    custom_fields_of,
    storable_text,
)

PAGE_TITLES = {
    FieldObject.USER: gettext_lazy("User fields"),
    FieldObject.ORGANIZATION: gettext_lazy("Organization fields"),
    FieldObject.TICKET: gettext_lazy("Ticket fields"),
}
PAGE_INTROS = {
    FieldObject.USER: gettext_lazy("Fields agents fill in on each customer's profile, in this order."),
    FieldObject.ORGANIZATION: gettext_lazy("Fields agents fill in on each organization, in this order."),
    FieldObject.TICKET: gettext_lazy("Fields agents fill in on each ticket, in this order."),
}
MOVES = {"up": -1, "down": 1}


def _context(object_type: str, **extra) -> dict:
    return {
        "object_type": object_type,
        "page_title": PAGE_TITLES[object_type],
        "admin_section": f"{object_type}_fields",
        "nav": "admin",
        **extra,
    }


def _list_context(request, object_type: str, announcement: str = "") -> dict:
    fields = custom_fields_of(account=request.account, object_type=object_type)
    return _context(object_type, fields=fields, intro=PAGE_INTROS[object_type], announcement=announcement)


@admin_required
@require_GET
@vary_on_headers("HX-Request")
def field_list(request, object_type: str):
    """Every field of one kind of record, in the order agents see them, with what can be done to each."""
    template = "custom_fields/admin/custom_field_list.html"
    return render(request, f"{template}#field-list" if request.htmx else template, _list_context(request, object_type))


def _form_page(request, object_type: str, form: CustomFieldForm, field=None, status: int = 200):
    context = _context(object_type, form=form, field=field, access_help=AGENT_ACCESS_HELP)
    if field is not None:
        context["usage_count"] = custom_field_usage_count(field)
        # The preview is the field as an agent gets it (an admin sees hidden fields, so use that role then).
        role = Role.ADMIN if field.agent_access == AgentAccess.HIDDEN else Role.AGENT
        preview = forms.Form(prefix="preview")
        preview.fields[FORM_PREFIX + field.key] = custom_field_form_field(field, account=request.account, role=role)
        context["preview_field"] = preview[FORM_PREFIX + field.key]
    return render(request, "custom_fields/admin/custom_field_form.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def field_create(request, object_type: str):
    form = CustomFieldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            field = custom_field_create(
                account=request.account, actor=request.user, object_type=object_type, **form.definition()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("“%(title)s” was added.") % {"title": field.title})
            return redirect("custom_fields:list", object_type)
    return _form_page(request, object_type, form, status=400 if request.method == "POST" else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def field_edit(request, object_type: str, field_id: int):
    field = or_404(custom_field_get(account=request.account, object_type=object_type, field_id=field_id))
    form = CustomFieldForm(request.POST or None, field=field)
    if request.method == "POST" and form.is_valid():
        try:
            changed = custom_field_update(field=field, actor=request.user, **form.definition())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if changed:
                messages.success(request, _("“%(title)s” was saved.") % {"title": field.title})
            else:
                messages.info(request, _("Nothing to save: nothing was changed."))
            return redirect("custom_fields:list", object_type)
    return _form_page(request, object_type, form, field=field, status=400 if request.method == "POST" else 200)


def _after_change(request, object_type: str, field, message: str, fields=None):
    """Back where the admin was: the list (swapped in place with HTMX) or the field's page."""
    if request.htmx:
        if fields is None:
            fields = custom_fields_of(account=request.account, object_type=object_type)
        context = _context(object_type, fields=fields, announcement=message)
        return render(request, "custom_fields/admin/custom_field_list.html#field-list", context)
    messages.success(request, message)
    if request.POST.get("next") == "edit":
        return redirect("custom_fields:edit", object_type, field.pk)
    return redirect(reverse("custom_fields:list", args=[object_type]) + f"#field-{field.pk}")


@admin_required
@require_POST
def field_move(request, object_type: str, field_id: int):
    field = or_404(custom_field_get(account=request.account, object_type=object_type, field_id=field_id))
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None:
        return HttpResponseBadRequest(_("Move a field up or down."), content_type="text/plain")
    custom_field_move(field=field, actor=request.user, offset=offset)
    fields = custom_fields_of(account=request.account, object_type=object_type)
    position = next(i for i, f in enumerate(fields, 1) if f.pk == field.pk)
    message = _("“%(title)s” is now at position %(position)s of %(count)s.") % {
        "title": field.title,
        "position": position,
        "count": len(fields),
    }
    return _after_change(request, object_type, field, message, fields=fields)


@admin_required
@require_POST
def field_set_active(request, object_type: str, field_id: int):
    field = or_404(custom_field_get(account=request.account, object_type=object_type, field_id=field_id))
    active = request.POST.get("active")
    if active not in ("true", "false"):
        return HttpResponseBadRequest(_("Say whether the field should be active."), content_type="text/plain")
    custom_field_set_active(field=field, actor=request.user, active=active == "true")
    if field.active:
        message = _("“%(title)s” is active again, with the values it had.") % {"title": field.title}
    else:
        message = _("“%(title)s” is now inactive: nobody sees it, and its values are kept.") % {"title": field.title}
    return _after_change(request, object_type, field, message)


class LookupQueryForm(forms.Form):
    q = forms.CharField(required=False, max_length=LOOKUP_TEXT_MAX_LENGTH, validators=[storable_text])


@team_member_required
@require_GET
def lookup_suggestions(request, target: str):
    """Suggestions for a lookup input, as <option>s for its datalist: records of this account only."""
    if target not in FieldObject.values:
        raise Http404
    # The lookup input sends its text under its own form name, which it names in `param`.
    form = LookupQueryForm({"q": request.GET.get("q") or request.GET.get(request.GET.get("param") or "q", "")})
    if not form.is_valid():
        return HttpResponse(" ".join(form.errors["q"]), status=422, content_type="text/plain; charset=utf-8")
    options = lookup_search(account=request.account, target=target, query=form.cleaned_data["q"])
    return render(request, "custom_fields/lookup_suggestions.html", {"options": options})
