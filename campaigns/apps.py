from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A lead that arrives through a key naming a sequence is enrolled (the CRM below
        # calls what registers, and imports nothing of the campaigns).
        from campaigns.sequences import arrivals

        arrivals.register()
