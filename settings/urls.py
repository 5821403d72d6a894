"""Root URLs: the admin is the whole UI; the rest is what Google and recipients reach."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from campaigns import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("email/oauth/callback/", views.gmail_oauth_callback, name="gmail_oauth_callback"),
    path("u/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    path("api/campaigns/", include("campaigns.urls_api")),
    path("t/o/<str:token>.gif", views.track_open, name="track_open"),
    path("t/c/<str:token>/", views.track_click, name="track_click"),
]
