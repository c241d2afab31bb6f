from django.urls import path

from profiles import access_views, actions_views, details_views, organization_views, record_views, views

app_name = "profiles"

urlpatterns = [
    path("users/", views.customer_search, name="search"),
    path("users/<int:user_id>/", views.customer_page, name="customer"),
    path("users/<int:user_id>/details/", details_views.details_save, name="details_save"),
    path(
        "users/<int:user_id>/identities/<int:identity_id>/<slug:action>/",
        details_views.identity_action,
        name="identity_action",
    ),
    path("users/<int:user_id>/organizations/add/", details_views.membership_add_view, name="membership_add"),
    path(
        "users/<int:user_id>/organizations/<int:membership_id>/<slug:action>/",
        details_views.membership_action,
        name="membership_action",
    ),
    path("organizations/<int:organization_id>/", organization_views.organization_page, name="organization"),
    path("users/<int:user_id>/tickets/new/", actions_views.new_ticket, name="new_ticket"),
    path("users/<int:user_id>/merge/", actions_views.merge, name="merge"),
    path("users/<int:user_id>/assume-identity/", access_views.assume_identity, name="assume_identity"),
    path("users/<int:user_id>/upgrade-to-agent/", access_views.upgrade_to_agent, name="upgrade_to_agent"),
    path("users/<int:user_id>/suspension/", access_views.suspension, name="suspension"),
    path("users/<int:user_id>/password/", record_views.set_password, name="set_password"),
    path("users/<int:user_id>/password-reset/", record_views.send_password_reset, name="send_password_reset"),
    path("users/<int:user_id>/export/", record_views.export, name="export"),
    path("users/<int:user_id>/delete/", record_views.delete, name="delete"),
    path("profile-experience/", views.profile_experience, name="experience"),
]
