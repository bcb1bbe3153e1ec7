"""Packaged integrations for the frameworks the SDK is used from.

- ``qbank_connect.contrib.django``: a Django app (settings, clients, journal and webhook
  de-duplication on the project's database, a webhook view and signal, management commands,
  admin); ``pip install "qbank-connect[django]"``, docs/django.md.
- ``qbank_connect.contrib.fastapi``: a webhook dependency and a client lifespan for FastAPI and
  Starlette; ``pip install "qbank-connect[fastapi]"``, docs/fastapi.md.
- ``qbank_connect.contrib.celery``: a task base class that pays once per business key;
  ``pip install "qbank-connect[celery]"``, docs/celery.md.

Nothing here is imported by ``import qbank_connect``: each module imports its framework, and
only when you import it.
"""
