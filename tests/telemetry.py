"""OpenTelemetry SDK providers with in-memory exporters, for the tracing tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from qbank_connect import _tracing


class Telemetry:
    """Real SDK providers given to the SDK through ``_tracing.configure`` (the global ones can
    be set only once per process)."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def __enter__(self) -> Telemetry:
        _tracing.configure(self.tracer_provider, self.meter_provider)
        return self

    def __exit__(self, *exc: object) -> None:
        _tracing.configure()
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()

    def spans(self) -> list[ReadableSpan]:
        """Finished spans in the order they started."""
        return sorted(self.exporter.get_finished_spans(), key=lambda s: s.start_time or 0)

    def calls(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.kind is SpanKind.INTERNAL]

    def attempts(self) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.kind is SpanKind.CLIENT]

    def clear(self) -> None:
        self.exporter.clear()

    def duration_points(self) -> list[HistogramDataPoint]:
        data = self.reader.get_metrics_data()
        points: list[HistogramDataPoint] = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == "http.client.request.duration":
                        assert metric.unit == "s"
                        points.extend(p for p in metric.data.data_points)  # type: ignore[misc]
        return points

    def everything_recorded(self) -> Iterator[tuple[str, Any]]:
        """Every attribute (of spans, their events and links, metric points) as (key, value)."""
        for span in self.exporter.get_finished_spans():
            yield "name", span.name
            yield from (span.attributes or {}).items()
            yield "status", span.status.description
            for event in span.events:
                yield "event", event.name
                yield from (event.attributes or {}).items()
            for link in span.links:
                yield from (link.attributes or {}).items()
        for point in self.duration_points():
            yield from (point.attributes or {}).items()


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})
