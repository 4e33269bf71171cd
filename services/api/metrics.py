"""Request metrics in the Prometheus text format (0.0.4), kept in memory per process.

Small enough not to need a client library: request counts by method, route and status, a
duration histogram by route, and gauges the /metrics handler measures at scrape time
(projector lag per tenant).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4"  # Litestar adds "; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    inner = ",".join(f'{k}="{_label(v)}"' for k, v in pairs)
    return "{" + inner + "}" if inner else ""


class Metrics:
    """Counters and histograms of the requests this process served."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request and its duration."""
        self.requests[(method, route, str(status))] += 1
        key = (method, route)
        index = bisect.bisect_left(BUCKETS, seconds)
        if index < len(BUCKETS):
            self.buckets[key][index] += 1
        self.sums[key] += seconds
        self.counts[key] += 1

    def render(self, gauges: dict[str, tuple[str, list[tuple[dict[str, str], float]]]]) -> str:
        """The exposition text: request metrics, then the given gauges (name -> help, samples)."""
        lines = [
            "# HELP okr_http_requests_total HTTP requests served, by method, route and status.",
            "# TYPE okr_http_requests_total counter",
        ]
        for (method, route, status), count in sorted(self.requests.items()):
            labels = _labels((("method", method), ("route", route), ("status", status)))
            lines.append(f"okr_http_requests_total{labels} {count}")
        lines += [
            "# HELP okr_http_request_duration_seconds Time to the response start, by route.",
            "# TYPE okr_http_request_duration_seconds histogram",
        ]
        for (method, route), counts in sorted(self.buckets.items()):
            base = (("method", method), ("route", route))
            cumulative = 0
            for bound, count in zip(BUCKETS, counts, strict=True):
                cumulative += count
                labels = _labels((*base, ("le", repr(bound))))
                lines.append(f"okr_http_request_duration_seconds_bucket{labels} {cumulative}")
            total = self.counts[(method, route)]
            labels = _labels((*base, ("le", "+Inf")))
            lines.append(f"okr_http_request_duration_seconds_bucket{labels} {total}")
            lines.append(
                f"okr_http_request_duration_seconds_sum{_labels(base)} {self.sums[(method, route)]}"
            )
            lines.append(f"okr_http_request_duration_seconds_count{_labels(base)} {total}")
        for name, (help_text, samples) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            for sample_labels, value in samples:
                lines.append(f"{name}{_labels(sorted(sample_labels.items()))} {value:g}")
        return "\n".join(lines) + "\n"
