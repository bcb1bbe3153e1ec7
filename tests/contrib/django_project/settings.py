"""A small Django project for tests/contrib/test_django*.py: the app, a business model
(``shop.Invoice``) and the webhook URL. The database comes from ``QBANK_TEST_DATABASE_URL``
(a PostgreSQL URL) or is a SQLite file in ``QBANK_TEST_SQLITE``."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

SECRET_KEY = "tests-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.contrib.django_project.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "qbank_connect.contrib.django",
    "tests.contrib.django_project.shop",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_pg = os.environ.get("QBANK_TEST_DATABASE_URL")
if _pg:
    _url = urlsplit(_pg)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/"),
            "USER": _url.username or "postgres",
            "HOST": _url.hostname,
            "PORT": _url.port,
            "TEST": {"NAME": _url.path.lstrip("/") + "_django"},
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("QBANK_TEST_SQLITE", "qbank-test.db"),
            "OPTIONS": {"timeout": 30},
        }
    }

QBANK = {
    "CLIENT_ID": os.environ.get("QBANK_TEST_CLIENT_ID", "demo-client"),
    "CLIENT_SECRET": os.environ.get("QBANK_TEST_CLIENT_SECRET", "demo-s3cret:/+%="),
    "BASE_URL": os.environ.get("QBANK_TEST_BASE_URL", "http://127.0.0.1:9/v1"),
    "WEBHOOK_SECRET": ["whsec_Sup3r-S3cret-Do-Not-Log_9f2c", "whsec_Old-Rotated-Secret_11aa"],
    "JOURNAL": "django",
}
