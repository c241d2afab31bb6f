from django.urls import path

from profiles import api

app_name = "api"

urlpatterns = [
    path("user_profiles/events", api.user_profile_event_create, name="user_profile_events"),
    path("user_profiles/events/create_many", api.user_profile_events_create_many, name="user_profile_events_many"),
    path("users/<int:user_id>/events", api.user_events, name="user_events"),
]
