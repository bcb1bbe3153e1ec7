"""Printing results: a rich table on a terminal, JSON when piped, CSV on request.

JSON is the SDK model's own JSON (``model_dump(mode="json")``): money stays a string such as
``"1000.50"``, dates are ISO 8601, and fields the SDK does not know yet are kept.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import Enum
from typing import Any, cast

__all__ = ["Format", "dump", "emit", "emit_many", "note", "resolve_format"]


class Format(str, Enum):
    auto = "auto"
    table = "table"
    json = "json"
    csv = "csv"


# The columns a table shows, by model; JSON and CSV carry every field.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "Account": ("id", "name", "type", "currency", "status", "account_number_last4"),
    "Balance": ("account_id", "currency", "available", "ledger", "as_of"),
    "Transaction": ("posting_date", "id", "direction", "amount", "currency", "description"),
    "Payment": ("id", "type", "status", "amount", "currency", "source_account_id", "created_at"),
    "CheckException": (
        "id",
        "account_id",
        "check_number",
        "presented_amount",
        "reason",
        "decision_deadline",
    ),
    "CheckIssue": ("id", "account_id", "check_number", "amount", "issue_date", "status"),
    "AchFile": ("id", "status", "entry_count", "total_credit", "total_debit", "received_at"),
}
_RIGHT = frozenset(
    {
        "amount",
        "available",
        "ledger",
        "presented_amount",
        "total_credit",
        "total_debit",
        "entry_count",
    }
)


_WRAPS = frozenset({"name", "description", "reason", "message", "memo", "error", "failure_reason"})


def resolve_format(fmt: Format) -> Format:
    """``auto``: a table on a terminal, JSON when piped."""
    if fmt is not Format.auto:
        return fmt
    return Format.table if sys.stdout.isatty() else Format.json


def dump(item: Any) -> Any:
    """The JSON form of a model (or of plain data)."""
    model_dump = getattr(item, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    return item


def emit(item: Any, fmt: Format) -> None:
    """Print one result."""
    fmt = resolve_format(fmt)
    data = dump(item)
    if fmt is Format.json:
        _write_json(data)
    elif fmt is Format.csv:
        _write_csv([data])
    else:
        # A model's name titles its table; the CLI's own results (plain dicts) have no title.
        _table_one(data, type(item).__name__ if hasattr(item, "model_dump") else "")


def emit_many(items: Iterable[Any], fmt: Format, model: type[Any] | None = None) -> int:
    """Print a list (every page of it); returns how many items. ``model`` (the item type) gives
    the CSV header row of an empty list."""
    fmt = resolve_format(fmt)
    first: Any = None
    rows: list[Any] = []
    for item in items:
        if first is None:
            first = item
        rows.append(dump(item))
    if fmt is Format.json:
        _write_json(rows)
    elif fmt is Format.csv:
        fields: object = getattr(model, "model_fields", None)
        header = tuple(cast("Mapping[str, Any]", fields)) if isinstance(fields, Mapping) else ()
        _write_csv(rows, header)
    else:
        _table_many(rows, type(first).__name__ if first is not None else "")
    return len(rows)


def note(text: str) -> None:
    """A remark for the human, on stderr (stdout stays machine-readable)."""
    sys.stderr.write(text + "\n")


def _write_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(rows: Sequence[Any], header: Sequence[str] = ()) -> None:
    columns: dict[str, None] = dict.fromkeys(header)
    mappings: list[Mapping[str, Any]] = [row if isinstance(row, Mapping) else {} for row in rows]
    for mapping in mappings:
        columns.update(dict.fromkeys(mapping))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for mapping in mappings:
        writer.writerow([_cell(mapping.get(name)) for name in columns])


def _console() -> Any:
    from rich.console import Console

    return Console()


def _table_many(rows: Sequence[Any], model: str) -> None:
    from rich.table import Table

    console = _console()
    if not rows:
        console.print("[dim]no items[/dim]")
        return
    columns = _COLUMNS.get(model)
    if columns is None:  # plain rows (the CLI's own): every field
        columns = tuple(rows[0])
    table = Table(show_edge=False, header_style="bold")
    for name in columns:
        # Ids, codes, dates and amounts are never broken across lines (`acc_operatin` / `g`):
        # free text (names, descriptions, reasons) wraps instead.
        table.add_column(
            name,
            justify="right" if name in _RIGHT else "left",
            overflow="fold",
            no_wrap=name not in _WRAPS,
        )
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in columns))
    console.print(table)
    console.print(f"[dim]{len(rows)} item{'s' if len(rows) != 1 else ''}[/dim]")


def _table_one(data: Any, model: str) -> None:
    from rich.table import Table

    console = _console()
    if not isinstance(data, Mapping):
        console.print(_cell(data))
        return
    fields = cast("Mapping[str, Any]", data)
    table = Table(show_header=False, show_edge=False, box=None, title=model or None)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in fields.items():
        table.add_row(key, _cell(value))
    console.print(table)
