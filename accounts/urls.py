from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-out/", views.SignOutView.as_view(), name="logout"),
    path("assumed-identity/return/", views.assumption_return, name="assumption_return"),
    path("preferences/", views.preferences, name="preferences"),
    path("admin-center/", views.admin_center, name="admin_center"),
    path(
        "admin-center/workspaces/agent-tools/agent-interface/",
        views.agent_interface,
        name="agent_interface",
    ),
    path("admin-center/apps-and-integrations/apis/api-tokens/", views.api_token_list, name="api_tokens"),
    path("admin-center/account/audit-log/", views.audit_log, name="audit_log"),
    path(
        "admin-center/apps-and-integrations/apis/api-tokens/<int:token_id>/revoke/",
        views.api_token_revoke_confirm,
        name="api_token_revoke",
    ),
]
