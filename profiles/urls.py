from django.urls import path

from profiles import views

app_name = "profiles"

urlpatterns = [
    path("users/", views.customer_search, name="search"),
    path("users/<int:user_id>/", views.customer_page, name="customer"),
    path("users/<int:user_id>/fields/", views.customer_fields_save, name="fields_save"),
    path("profile-experience/", views.profile_experience, name="experience"),
]
