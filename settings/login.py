"""Login throttling (django-axes): a lockout per username and client address."""

import datetime

from django.core.exceptions import ImproperlyConfigured

from settings.env import env_int

# How many reverse proxies in front of Django append the client's address to
# X-Forwarded-For (nginx's $proxy_add_x_forwarded_for). 0: the header is ignored and the
# client is REMOTE_ADDR, since anyone can send the header.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "crm.site.login.client_address"
AXES_LOCKOUT_CALLABLE = "crm.site.login.lockout_response"
# crm/admin.py registers the attempts the unfold way, for superusers only.
AXES_ENABLE_ADMIN = False
# No start-up banner on every management command's stderr.
AXES_VERBOSE = False
