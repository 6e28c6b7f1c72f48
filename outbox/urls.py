from django.urls import path

from outbox import views

app_name = "outbox"

urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("<int:pk>/resend/", views.message_resend, name="message_resend"),
]
