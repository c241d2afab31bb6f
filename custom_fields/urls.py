"""Admin center → People: /admin-center/people/<user|organization|ticket>-fields/…; and the agents' lookup
suggestions, /agent/lookup/<target>/."""

from django.urls import path, register_converter

from custom_fields import views
from custom_fields.models import FieldObject


class FieldObjectConverter:
    regex = "|".join(FieldObject.values)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FieldObjectConverter, "field_object")

app_name = "custom_fields"

_ADMIN = "admin-center/people/<field_object:object_type>-fields/"

urlpatterns = [
    path(_ADMIN, views.field_list, name="list"),
    path(f"{_ADMIN}new/", views.field_create, name="create"),
    path(f"{_ADMIN}<int:field_id>/", views.field_edit, name="edit"),
    path(f"{_ADMIN}<int:field_id>/move/", views.field_move, name="move"),
    path(f"{_ADMIN}<int:field_id>/active/", views.field_set_active, name="set_active"),
    path("agent/lookup/<str:target>/", views.lookup_suggestions, name="lookup"),
]
