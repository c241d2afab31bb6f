"""Admin center → People: /admin-center/people/<user|organization|ticket>-fields/…"""

from django.urls import path, register_converter

from profiles.custom_fields import views
from profiles.models import FieldObject


class FieldObjectConverter:
    regex = "|".join(FieldObject.values)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FieldObjectConverter, "field_object")

app_name = "custom_fields"

urlpatterns = [
    path("<field_object:object_type>-fields/", views.field_list, name="list"),
    path("<field_object:object_type>-fields/new/", views.field_create, name="create"),
    path("<field_object:object_type>-fields/<int:field_id>/", views.field_edit, name="edit"),
    path("<field_object:object_type>-fields/<int:field_id>/move/", views.field_move, name="move"),
    path("<field_object:object_type>-fields/<int:field_id>/active/", views.field_set_active, name="set_active"),
]
