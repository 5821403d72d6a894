"""The admin: ModelAdmins, the custom pages, and the forms and resources they use."""
