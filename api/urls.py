from django.urls import path

from api import events

app_name = "api"

urlpatterns = [
    path("user_profiles/events", events.user_profile_event_create, name="user_profile_events"),
    path("user_profiles/events/create_many", events.user_profile_events_create_many, name="user_profile_events_many"),
    path("users/<int:user_id>/events", events.user_events, name="user_events"),
]
