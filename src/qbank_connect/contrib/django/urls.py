"""``path("qbank/webhooks/", include("qbank_connect.contrib.django.urls"))``."""

from __future__ import annotations

from django.urls import path

from .views import webhook

app_name = "qbank_connect"

urlpatterns = [path("", webhook, name="webhook")]
