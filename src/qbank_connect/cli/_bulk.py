"""``qbank payments create-ach --csv FILE``: one ACH payment per row, at most once each.

Every row's ``Idempotency-Key`` is derived from its ``reference`` column
(``idempotency_key_for("createAchPayment", reference)``), so running the same file again,
after a crash, a Ctrl-C or a partial failure, pays no row twice: QBank replays the rows it
already executed and executes only the others. Every row is checked before the first one is
sent; a file with a bad row sends nothing.
"""

from __future__ import annotations

import csv
import os
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._connect import Target, aconnect
from ._errors import BadInput, CommandFailed, describe
from ._exit import ExitCode
from ._output import Format, emit, resolve_format

if TYPE_CHECKING:
    from .._async.client import AsyncQBankConnect
    from ..models import AchPaymentRequest

__all__ = ["CSV_COLUMNS", "RESULT_COLUMNS", "load_rows", "run_bulk"]

OPERATION = "createAchPayment"

# column -> where it goes in the AchPaymentRequest (None: the CLI's own column).
CSV_COLUMNS: dict[str, tuple[str, ...] | None] = {
    "reference": None,
    "source_account_id": ("source_account_id",),
    "amount": ("amount",),
    "effective_date": ("effective_date",),
    "recipient_name": ("recipient_details", "name"),
    "routing_number": ("recipient_details", "routing_number"),
    "account_number": ("recipient_details", "account_number"),
    "account_type": ("recipient_details", "account_type"),
    "currency": ("currency",),
    "direction": ("direction",),
    "sec_code": ("sec_code",),
    "memo": ("memo",),
}
REQUIRED = (
    "reference",
    "amount",
    "effective_date",
    "recipient_name",
    "routing_number",
    "account_number",
    "account_type",
)
RESULT_COLUMNS = (
    "row",
    "reference",
    "status",
    "payment_id",
    "idempotency_key",
    "replayed",
    "retries",
    "error",
)
_MAX_SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class Row:
    number: int
    """The line's row number in the file, the header being row 1 (as a spreadsheet shows it)."""
    reference: str
    request: AchPaymentRequest
    key: str


@dataclass
class Result:
    row: int
    reference: str
    idempotency_key: str
    status: str = "not_sent"
    payment_id: str = ""
    replayed: bool = False
    retries: int = 0
    error: str = ""

    def csv_row(self) -> list[str]:
        return [
            str(self.row),
            self.reference,
            self.status,
            self.payment_id,
            self.idempotency_key,
            "true" if self.replayed else "false",
            str(self.retries),
            self.error,
        ]


@dataclass
class Tally:
    done: int = 0
    failed: int = 0
    retried: int = 0
    replayed: int = 0
    in_flight: set[int] = field(default_factory=lambda: set[int]())


def load_rows(path: Path, *, account: str | None = None) -> list[Row]:
    """Read and check every row (nothing is sent if any row is bad)."""
    from pydantic import ValidationError

    from .._idempotency import idempotency_key_for
    from ..models import AchPaymentRequest

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or ()]
            records = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else str(exc) or "not UTF-8 text"
        raise BadInput(f"--csv: cannot read {str(path)!r}: {reason}") from None
    missing = [name for name in REQUIRED if name not in header]
    if "source_account_id" not in header and account is None:
        missing.append("source_account_id (or pass --account)")
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if missing or unknown:
        parts: list[str] = []
        if missing:
            parts.append("missing column(s): " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s): " + ", ".join(unknown))
        raise BadInput(f"--csv: {str(path)!r}: " + "; ".join(parts))
    if not records:
        raise BadInput(f"--csv: {str(path)!r} has no rows")

    rows: list[Row] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=2):
        values = {k.strip().lower(): (v or "").strip() for k, v in record.items() if k is not None}
        if None in record:
            problems.append(f"row {number}: more cells than columns")
            continue
        # Every problem of the row at once: a bad reference does not hide its bad cells.
        before = len(problems)
        reference = values.get("reference", "")
        if not reference or not reference.isprintable():
            problems.append(f"row {number}: reference: must be non-empty printable text")
        elif reference in seen:
            problems.append(
                f"row {number}: reference {reference!r} repeats row {seen[reference]} "
                "(each row needs its own reference: it is the row's idempotency key)"
            )
        else:
            seen[reference] = number
        body: dict[str, Any] = {}
        if account is not None and not values.get("source_account_id"):
            values["source_account_id"] = account
        for column, target in CSV_COLUMNS.items():
            value = values.get(column, "")
            if target is None or value == "":
                continue
            node = body
            for part in target[:-1]:
                node = node.setdefault(part, {})
            node[target[-1]] = value
        try:
            request = AchPaymentRequest.model_validate(body)
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(p) for p in error["loc"])
                column = next(
                    (c for c, t in CSV_COLUMNS.items() if t and ".".join(t) == where), where
                )
                message = error["msg"].removeprefix("Value error, ")
                problems.append(f"row {number} ({reference}): {column}: {message}")
            continue
        if len(problems) > before:
            continue
        rows.append(Row(number, reference, request, idempotency_key_for(OPERATION, reference)))
    if problems:
        shown = "; ".join(problems[:_MAX_SHOWN_PROBLEMS])
        more = len(problems) - _MAX_SHOWN_PROBLEMS
        raise BadInput(
            f"--csv: {str(path)!r}: nothing sent, {len(problems)} problem(s): {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )
    return rows


def default_results_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.results.csv")


def write_results(path: Path, results: list[Result]) -> None:
    """Write the results CSV atomically (a reader never sees half a file)."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(RESULT_COLUMNS)
            writer.writerows(result.csv_row() for result in results)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


async def _send_all(
    client: AsyncQBankConnect,
    rows: list[Row],
    results: dict[int, Result],
    tally: Tally,
    concurrency: int,
    on_change: Any,
) -> None:
    import anyio

    from ..errors import QBankError, QBankIdempotencyConflict

    limiter = anyio.CapacityLimiter(concurrency)

    async def one(row: Row) -> None:
        async with limiter:
            result = results[row.number]
            tally.in_flight.add(row.number)
            try:
                raw = await client.with_raw_response.payments.create_ach(
                    request=row.request, reference=row.reference
                )
                payment = raw.parse()
                result.status = str(payment.status)
                result.payment_id = payment.id
                result.replayed = raw.replayed
                result.retries = raw.retries_taken
                tally.done += 1
                tally.replayed += raw.replayed
            except QBankError as exc:
                result.status = "failed"
                result.error = describe(exc)
                result.retries = int(getattr(exc, "retries_taken", 0) or 0)
                if isinstance(exc, QBankIdempotencyConflict) and exc.transaction_id:
                    result.payment_id = exc.transaction_id
                tally.failed += 1
            tally.in_flight.discard(row.number)
            tally.retried += result.retries > 0
            on_change()

    async with anyio.create_task_group() as group:
        for row in rows:
            group.start_soon(one, row)


def run_bulk(
    path: Path,
    *,
    target: Target,
    fmt: Format,
    account: str | None,
    concurrency: int,
    results: Path | None,
) -> None:
    """Send every row of ``path``; write the results file even when interrupted."""
    import anyio
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    rows = load_rows(path, account=account)
    results_path = results or default_results_path(path)
    by_row = {row.number: Result(row.number, row.reference, row.key) for row in rows}
    tally = Tally()
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("ACH payments"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "done {task.fields[done]}  failed {task.fields[failed]}  retried {task.fields[retried]}"
        ),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    task = progress.add_task("send", total=len(rows), done=0, failed=0, retried=0)

    def on_change() -> None:
        progress.update(
            task,
            completed=tally.done + tally.failed,
            done=tally.done,
            failed=tally.failed,
            retried=tally.retried,
        )

    interrupted = False

    async def main() -> None:
        # Ctrl-C is received as a signal and cancels the run, the same way on every Python
        # (before 3.11, asyncio let a KeyboardInterrupt surface as a bare CancelledError).
        async with anyio.create_task_group() as group:

            async def on_ctrl_c() -> None:
                nonlocal interrupted
                with anyio.open_signal_receiver(signal.SIGINT) as signals:
                    async for _ in signals:
                        interrupted = True
                        group.cancel_scope.cancel()
                        return

            group.start_soon(on_ctrl_c)
            async with aconnect(target) as client:
                await _send_all(client, rows, by_row, tally, concurrency, on_change)
            group.cancel_scope.cancel()

    try:
        with progress:
            anyio.run(main)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for number in tally.in_flight:
            by_row[number].status = "unknown"
            by_row[number].error = "interrupted while in flight; re-run the file (same key)"
        write_results(results_path, [by_row[row.number] for row in rows])
    summary = {
        "rows": len(rows),
        "succeeded": tally.done,
        "replayed": tally.replayed,
        "failed": tally.failed,
        "retried": tally.retried,
        "not_sent": len(rows) - tally.done - tally.failed,
        "results_file": str(results_path),
    }
    if interrupted:
        sys.stderr.write(
            f"qbank: interrupted: {tally.done} sent, {summary['not_sent']} not sent or unknown; "
            f"results in {results_path}; re-run the same file to finish (nothing is paid twice)\n"
        )
        raise KeyboardInterrupt
    if resolve_format(fmt) is Format.table:
        console.print(
            f"{len(rows)} rows: {tally.done} succeeded ({tally.replayed} already done before, "
            f"replayed), {tally.failed} failed, {tally.retried} retried; results: {results_path}"
        )
    else:
        emit(summary, fmt)
    if tally.failed:
        raise CommandFailed(
            f"{tally.failed} of {len(rows)} rows failed; see {results_path} (re-running the "
            "file retries only those)",
            ExitCode.ROWS_FAILED,
        )
