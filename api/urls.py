from django.urls import path, re_path, register_converter

from api import openapi
from api.converters import IdConverter
from api.resources import events
from api.routing import Resource, unknown_endpoint

register_converter(IdConverter, "id")

app_name = "api"

urlpatterns = [
    path("user_profiles/events", events.user_profile_event_create, name="user_profile_events"),
    path("user_profiles/events/create_many", events.user_profile_events_create_many, name="user_profile_events_many"),
    path("users/<int:user_id>/events", events.user_events, name="user_events"),
    path("openapi.json", openapi.document, name="openapi"),
    # Every resource the modules above declare, each with and without ".json".
    *[url for resource in Resource.registry for url in resource.urls()],
    re_path(r"", unknown_endpoint),
]
