from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("<int:ticket_id>/", views.ticket_page, name="ticket"),
    path("<int:ticket_id>/fields/", views.ticket_fields_save, name="fields_save"),
]
