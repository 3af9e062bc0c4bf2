"""Production settings: the base plus TLS-only cookies, HSTS and a required secret key.

Run with DJANGO_SETTINGS_MODULE=webapp.settings_production; SECRET_KEY and ALLOWED_HOSTS must be
in the environment. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER, e.g.
``HTTP_X_FORWARDED_PROTO,https``, and TRUSTED_PROXY_COUNT to the number of proxies.
"""

from django.core.exceptions import ImproperlyConfigured

from webapp.settings import *  # noqa: F403
from webapp.settings import env

INSECURE_KEYS = {"insecure-development-key-change-me"}
MIN_SECRET_KEY_LENGTH = 50

DEBUG = False

SECRET_KEY = env.str("SECRET_KEY", default="")
if (len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or SECRET_KEY in INSECURE_KEYS
        or SECRET_KEY.startswith("django-insecure-") or len(set(SECRET_KEY)) < 5):  # noqa: PLR2004
    raise ImproperlyConfigured(
        f"SECRET_KEY must be set in the environment to a random value of at least "
        f"{MIN_SECRET_KEY_LENGTH} characters (not the development default). Generate one with: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list this service's host names, e.g. "
                               "ALLOWED_HOSTS=disclosure.example.police.uk")

# Access-log checkpoints are signed with AUDIT_CHECKPOINT_KEY only: the checkpoint job and
# command refuse to run without it (the web processes still start).
AUDIT_CHECKPOINT_KEY_REQUIRED = True

SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header:
    # Only when a proxy of ours sets (and strips any client-sent) header, e.g. X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header[0], _proxy_ssl_header[1])
