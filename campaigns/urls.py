"""The campaign system's pages outside the admin: what Google, recipients and n8n reach."""

from django.urls import include, path

from campaigns.accounts import views as account_views
from campaigns.events import views as event_views

urlpatterns = [
    path(
        "email/oauth/callback/",
        account_views.gmail_oauth_callback,
        name="gmail_oauth_callback",
    ),
    path("u/<str:token>/", event_views.unsubscribe_view, name="unsubscribe"),
    path("api/campaigns/", include("campaigns.api.urls")),
    path("t/o/<str:token>.gif", event_views.track_open, name="track_open"),
    path("t/c/<str:token>/", event_views.track_click, name="track_click"),
]
