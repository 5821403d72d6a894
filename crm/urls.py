"""The CRM's pages outside the admin: the inbound endpoint for leads (crm/inbound/)."""

from django.urls import path

from crm.inbound import views

urlpatterns = [path("api/leads/", views.leads_api, name="leads_api")]
