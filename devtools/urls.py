from django.urls import path

from devtools import views

app_name = "devtools"

urlpatterns = [path("trivial", views.trivial, name="trivial")]
