from __future__ import annotations

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "tests.contrib.django_project.shop"
    label = "shop"

    def ready(self) -> None:
        from qbank_connect.contrib.django.signals import payment_status_updated

        from .receivers import on_payment, on_payment_async

        payment_status_updated.connect(on_payment, dispatch_uid="shop.on_payment")
        payment_status_updated.connect(on_payment_async, dispatch_uid="shop.on_payment_async")
