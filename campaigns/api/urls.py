"""URLs of the API that n8n calls."""

from django.urls import path

from campaigns.api import views

urlpatterns = [
    path("dispatches/<uuid:dispatch_id>/claim/", views.claim, name="api_dispatch_claim"),
    path("dispatches/<uuid:dispatch_id>/token/", views.token, name="api_dispatch_token"),
    path("log-message/", views.log_message, name="api_log_message"),
    path("status/", views.status, name="api_status"),
    path("tick/", views.tick, name="api_tick"),
    path("check-replies/", views.check_replies, name="api_check_replies"),
]
