"""URLs of the API that n8n calls."""

from django.urls import path

from campaigns import api

urlpatterns = [
    path("dispatches/<uuid:dispatch_id>/claim/", api.claim, name="api_dispatch_claim"),
    path("dispatches/<uuid:dispatch_id>/token/", api.token, name="api_dispatch_token"),
    path("log-message/", api.log_message, name="api_log_message"),
    path("status/", api.status, name="api_status"),
    path("tick/", api.tick, name="api_tick"),
    path("check-replies/", api.check_replies, name="api_check_replies"),
]
