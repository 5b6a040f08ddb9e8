"""Timing, statistics and the JSON-lines report shared by every benchmark."""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(os.environ.get("BENCH_RESULTS") or Path(__file__).resolve().parent / "results")
SIZES = {"tiny": 200, "1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}


@dataclass
class Context:
    size_name: str
    size: int
    backend: str
    runs: int
    corpus: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed(fn: Callable[[], Any], runs: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``runs`` calls after ``warmup`` calls (garbage collected first)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def record(
    ctx: Context,
    name: str,
    values: list[float],
    unit: str,
    *,
    reference: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
    higher_is_better: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """One measurement: statistics of ``values`` and, where given, the reference and ratio.

    ``ratio`` is ours / reference's median; with ``target`` the record says whether it is met.
    """
    stats = summary(values)
    out: dict[str, Any] = {
        "name": name,
        "size": ctx.size_name,
        "backend": ctx.backend,
        "unit": unit,
        **{k: round(v, 6) if isinstance(v, float) else v for k, v in stats.items()},
        "peak_rss_mb": peak_rss_mb(),
        "reference": reference,
        "ratio": None,
    }
    if reference and reference.get("median"):
        out["ratio"] = round(stats["median"] / reference["median"], 3)
    if target is not None:
        bound = target["value"]
        met = stats["median"] >= bound if higher_is_better else stats["median"] <= bound
        out["target"] = target
        out["meets_target"] = met
    out.update(extra)
    return out


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


class Reporter:
    """Prints each record as one JSON line and keeps them in results/latest.jsonl."""

    def __init__(self) -> None:
        RESULTS.mkdir(exist_ok=True)
        self.path = RESULTS / "latest.jsonl"
        self.file = self.path.open("w", encoding="utf-8")

    def emit(self, item: dict[str, Any]) -> None:
        line = json.dumps(item, ensure_ascii=False)
        print(line, flush=True)
        self.file.write(line + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def bench_app(folder: str, **extra: Any):
    """The app on a fresh database in ``folder`` (SQLite), or CONSULT_BENCH_DATABASE_URL's
    (PostgreSQL, with the PostgreSQL search backend), migrated, with the demo organisation.

    Returns the app and the demo accounts (bound to the app context the caller opens).
    """
    from consult import create_app

    config = {"INSTANCE_PATH": folder, "SECRET_KEY": "bench",
              "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **extra}  # fmt: skip
    url = os.environ.get("CONSULT_BENCH_DATABASE_URL")
    if url:
        config["DATABASE_URL"] = url
        if url.startswith("postgres"):
            config.setdefault("SEARCH_BACKEND", "postgresql")
    return create_app(config)


def migrated_with_demo():
    """Inside the bench app's context: the schema and the demo organisation's accounts."""
    from flask_migrate import upgrade

    from consult.org.demo import load_demo

    upgrade()
    return load_demo()
