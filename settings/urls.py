"""Root URLs: the admin is the whole UI; the rest is what Google and recipients reach."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from crm.site import login

# Django's view-on-site shortcut (/admin/r/<content type>/<id>/) is left out: no model here
# has a public page, and its answers told another organization's objects from missing ones.
admin_urls, app_name, namespace = admin.site.urls
admin_urls = [url for url in admin_urls if getattr(url, "name", None) != "view_on_site"]

# Styled 403 and 404 pages, in the admin's look under /admin/ (DEBUG is off in production).
handler403 = "crm.site.error_pages.permission_denied"
handler404 = "crm.site.error_pages.page_not_found"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Before the admin's own: wrong old passwords count as failed logins (crm/site/login.py).
    path("admin/password_change/", admin.site.admin_view(login.password_change)),
    path("admin/", (admin_urls, app_name, namespace)),
    path("", include("crm.urls")),
    path("", include("campaigns.urls")),
]
