from django.urls import path

from profiles import views
from profiles.custom_fields import views as custom_field_views

app_name = "profiles"

urlpatterns = [
    path("users/", views.customer_search, name="search"),
    path("users/<int:user_id>/", views.customer_page, name="customer"),
    path("users/<int:user_id>/fields/", views.customer_fields_save, name="fields_save"),
    path("profile-experience/", views.profile_experience, name="experience"),
    path("lookup/<str:target>/", custom_field_views.lookup_suggestions, name="lookup"),
]
