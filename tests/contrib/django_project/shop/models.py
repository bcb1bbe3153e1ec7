"""The business rows of the test project: invoices paid through QBank."""

from __future__ import annotations

from django.db import models


class Invoice(models.Model):
    number = models.CharField(max_length=32, unique=True)
    payment_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    webhook_count = models.PositiveIntegerField(default=0)

    class Meta:
        app_label = "shop"
