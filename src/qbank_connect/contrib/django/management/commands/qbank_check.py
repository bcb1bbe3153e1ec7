"""``manage.py qbank_check``: can this deployment talk to QBank?

Checks the settings (the system checks), the credentials (a token is fetched), the scopes
granted (against ``QBANK["SCOPES"]`` when set), and this host's clock against the ``Date``
header of QBank's answer (a skew beyond 60 s fails: webhook timestamps have a 300 s tolerance
and the journal's resend window assumes an honest clock). Exit status 1 when a check fails.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qbank_connect.errors import QBankError

from ...clients import get_client
from ...conf import problems, settings

MAX_SKEW = 60.0


class Command(BaseCommand):
    help = "Check the QBank settings, credentials, scopes and clock skew."

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for problem in problems():
            self.stdout.write(f"{'FAIL' if problem.error else 'WARN'} settings: {problem.msg}")
            failed |= problem.error
        if failed:
            raise CommandError("settings.QBANK has errors", returncode=1)
        self.stdout.write("ok   settings")
        client = get_client()
        try:
            scopes = client.authenticate()  # the granted scopes, never the token
        except QBankError as e:
            raise CommandError(f"credentials: {type(e).__name__}: {e}", returncode=1) from None
        self.stdout.write(f"ok   credentials (client {client.client_id})")
        granted = set(scopes or ())
        wanted = set(settings().scopes or ())
        if wanted - granted and granted:
            missing = " ".join(sorted(wanted - granted))
            self.stdout.write(f"FAIL scopes: not granted: {missing}")
            failed = True
        else:
            self.stdout.write(f"ok   scopes: {' '.join(sorted(granted)) or '(not stated)'}")
        try:
            raw = client.with_raw_response.accounts.list(limit=1)
        except QBankError as e:
            raise CommandError(f"API call failed: {type(e).__name__}: {e}", returncode=1) from None
        date = raw.headers.get("date")
        if date is None:
            self.stdout.write("WARN clock: QBank's answer has no Date header")
        else:
            theirs = parsedate_to_datetime(date)
            if theirs.tzinfo is None:  # "-0000": UTC, with no claim about the local zone
                theirs = theirs.replace(tzinfo=timezone.utc)
            skew = (datetime.now(timezone.utc) - theirs).total_seconds()
            verdict = "ok  " if abs(skew) <= MAX_SKEW else "FAIL"
            self.stdout.write(f"{verdict} clock skew: {skew:+.0f} s against QBank's Date")
            failed |= abs(skew) > MAX_SKEW
        if failed:
            raise CommandError("some checks failed", returncode=1)
