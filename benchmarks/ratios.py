#!/usr/bin/env python3
"""Turn the JMH JSON results of benchmarks/run-all.sh into markdown tables of ratios to the peers.

    python3 benchmarks/ratios.py                        # the latest benchmarks/results/<timestamp>/
    python3 benchmarks/ratios.py RESULTS_DIR_OR_JSON... [--output FILE]

Convention: every ratio is "ours / peer", computed only between results of the same run, class,
JDK, thread count, mode and parameters.
  * Time modes (avgt, ss; ns/op, us/op): a cost ratio, ours ns/op / peer ns/op. Below 1 means
    ours is cheaper: 0.80 = ours costs 80 % of the peer.
  * Throughput (thrpt; ops/s): a speed ratio, ours ops/s / peer ops/s (peer-normalised). Above 1
    means ours is faster: 1.25 = ours does 25 % more operations per second.
The range after a ratio combines the two scores' 99.9 % error bars (ratio of the extremes);
JMH reports no error for a single iteration. B/op is gc.alloc.rate.norm from -prof gc.

Standard library only.
"""

import argparse
import glob
import json
import math
import os
import re
import sys

# Which methods of each class are this project's; every other method is a peer (or a baseline).
OURS = {
    "GuardCostBenchmark": {"engineTryAcquire", "engineTryAcquireMetrics", "engineSlot", "engineSlotMetrics"},
    "AnnotatedCallBenchmark": {"boundedExecution"},
    "GatherBenchmark": {"gather", "gatherForAgent", "gatherAsync"},
    "WorkQueueBenchmark": {"process", "processEach"},
    "ScaleBenchmark": {"engine10kAgents", "engineDynamic10kAgents", "engineHandOff"},
    "RedisStoreBenchmark": {"memoryStore", "redisStore"},
}

# The targets of issue 6: (class, ours, peer, threads, params, comparison, bound, label).
# params: a dict every result must match (absent = any). comparison "<=" or ">=" on the ratio.
TARGETS = []
for _ours in ("engineTryAcquire", "engineSlot"):
    TARGETS.append(("GuardCostBenchmark", _ours, "semaphore", 1, {}, "<=", 1.3,
                    f"{_ours} / Semaphore, 1 thread, cost <= 1.3x"))
    TARGETS.append(("GuardCostBenchmark", _ours, "semaphore", 2, {}, "<=", 1.5,
                    f"{_ours} / Semaphore, 2 threads, cost <= 1.5x"))
TARGETS.append(("AnnotatedCallBenchmark", "boundedExecution", "concurrencyLimit", 1, {}, "<=", 1.0,
                "@BoundedExecution (metrics on) / @ConcurrencyLimit, 1 thread, cost <= 1.0x"))
TARGETS.append(("AnnotatedCallBenchmark", "boundedExecution", "concurrencyLimit", 2, {}, "<=", 0.35,
                "@BoundedExecution (metrics on) / @ConcurrencyLimit, 2 threads, cost <= 0.35x"))
for _ours in ("gather", "gatherForAgent", "gatherAsync"):
    TARGETS.append(("GatherBenchmark", _ours, "completableFuture", 1, {"task": "sleep"}, ">=", 0.97,
                    f"{_ours} / fixed-pool CompletableFuture, 1 ms tasks, throughput >= 0.97x"))
    TARGETS.append(("GatherBenchmark", _ours, "completableFuture", 1, {"task": "cpu"}, ">=", 1.0,
                    f"{_ours} / fixed-pool CompletableFuture, CPU-tiny tasks, throughput >= 1.0x"))
for _k in ("2", "16"):
    for _ours in ("process", "processEach"):
        TARGETS.append(("WorkQueueBenchmark", _ours, "threadPoolCallerRuns", 1, {"k": _k}, ">=", 1.0,
                        f"{_ours} / TPE + CallerRunsPolicy, K={_k}, throughput >= 1.0x"))
        TARGETS.append(("WorkQueueBenchmark", _ours, "producerConsumers", 1, {"k": _k}, ">=", 4.0,
                        f"{_ours} / producer + K consumers, K={_k}, throughput >= 4.0x"))
# Results that are not guards but parts of a floor: listed in their class's table, never a peer
# column.
FLOOR_PARTS = {"GuardCostBenchmark": {"twoClockReads"}}
# The floor of each cost target: what any implementation must spend, summed from parts measured
# in the same run, over the target's peer. (label, [(class, part)], (class, peer), threads, bound).
FLOORS = []
for _threads, _bound in ((1, 1.3), (2, 1.5)):
    FLOORS.append((f"agent-keyed guard vs Semaphore, {_threads} thread{'s' if _threads > 1 else ''}: "
                   "a Semaphore found by agent id (`semaphoreById`)",
                   [("GuardCostBenchmark", "semaphoreById")], ("GuardCostBenchmark", "semaphore"),
                   _threads, _bound))
    FLOORS.append((f"agent-keyed guard that counts its grants vs Semaphore, {_threads} thread"
                   f"{'s' if _threads > 1 else ''}: `semaphoreById` with a `LongAdder` grant total "
                   "(`countedSemaphoreById`)",
                   [("GuardCostBenchmark", "countedSemaphoreById")], ("GuardCostBenchmark", "semaphore"),
                   _threads, _bound))
for _threads, _bound in ((1, 1.0), (2, 0.35)):
    FLOORS.append((f"@BoundedExecution with metrics vs @ConcurrencyLimit, {_threads} thread"
                   f"{'s' if _threads > 1 else ''}: the proxy (`proxyOnly`) + the hold timer's two "
                   "clock reads (`twoClockReads`) + an agent-keyed guard (`semaphoreById`)",
                   [("AnnotatedCallBenchmark", "proxyOnly"), ("GuardCostBenchmark", "twoClockReads"),
                    ("GuardCostBenchmark", "semaphoreById")],
                   ("AnnotatedCallBenchmark", "concurrencyLimit"), _threads, _bound))
# Allocation targets: (class, ours, threads, max B/op, label).
ALLOC_TARGETS = [
    ("GuardCostBenchmark", "engineTryAcquire", 1, 0.5, "engineTryAcquire, metrics off, 0 B/op"),
    ("GuardCostBenchmark", "engineSlot", 1, 0.5, "engineSlot, metrics off, 0 B/op"),
]

CLASS_ORDER = ["GuardCostBenchmark", "AnnotatedCallBenchmark", "GatherBenchmark", "WorkQueueBenchmark",
               "ScaleBenchmark", "RedisStoreBenchmark"]
TIME_MODES = {"avgt", "ss", "sample"}
MODE_NAMES = {"avgt": "average time", "ss": "single shot", "thrpt": "throughput", "sample": "sampling"}


class Result:
    """One JMH result (one benchmark method, one set of parameters)."""

    def __init__(self, raw, source):
        name = raw["benchmark"]
        parts = name.split(".")
        self.cls = parts[-2]
        self.method = parts[-1]
        self.base = re.sub(r"_\d+t$", "", self.method)
        self.mode = raw["mode"]
        self.threads = int(raw.get("threads", 1))
        self.params = {k: str(v) for k, v in (raw.get("params") or {}).items()}
        self.jdk = raw.get("jdkVersion", "?")
        self.vm = raw.get("vmName", "")
        primary = raw["primaryMetric"]
        self.score = number(primary.get("score"))
        self.error = number(primary.get("scoreError"))
        self.unit = primary.get("scoreUnit", "")
        alloc = (raw.get("secondaryMetrics") or {}).get("gc.alloc.rate.norm")
        self.alloc = number(alloc.get("score")) if alloc else None
        self.source = source
        self.ours = self.base in OURS.get(self.cls, set())

    def key(self):
        return (self.jdk, self.cls, self.mode, self.threads, tuple(sorted(self.params.items())))


def number(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def natural(value):
    """Sort numbers as numbers (k=2 before k=16), other values as text after them."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value)


def load(paths):
    files = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(sorted(glob.glob(os.path.join(path, "*.json"))))
        else:
            files.append(path)
    results = []
    for file in files:
        with open(file, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as ex:
                print(f"ratios.py: skipping {file}: {ex}", file=sys.stderr)
                continue
        if isinstance(data, list):
            results.extend(Result(raw, file) for raw in data if "primaryMetric" in raw)
    return results


def ratio(ours, peer):
    """ours / peer, with the range the two error bars allow (None where unknown)."""
    if ours.score is None or peer.score is None or peer.score == 0:
        return None, None, None
    value = ours.score / peer.score
    if ours.error is None or peer.error is None or peer.score - peer.error <= 0:
        return value, None, None
    low = (ours.score - ours.error) / (peer.score + peer.error)
    high = (ours.score + ours.error) / (peer.score - peer.error)
    return value, low, high


def fmt(value, digits=3):
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:.{decimals}f}"


def fmt_alloc(value):
    if value is None:
        return "n/a"
    return "0" if abs(value) < 0.5 else f"{value:.0f}"


def fmt_ratio(value, low, high):
    if value is None:
        return "n/a"
    text = f"{value:.2f}"
    if low is not None and high is not None:
        text += f" ({low:.2f}-{high:.2f})"
    return text


def describe_config(key):
    jdk, _cls, mode, threads, params = key
    text = f"JDK {jdk}, {threads} thread{'s' if threads != 1 else ''}, {MODE_NAMES.get(mode, mode)}"
    if params:
        text += ", " + ", ".join(f"{k}={v}" for k, v in params)
    return text


def tables(results):
    lines = []
    groups = {}
    for result in results:
        groups.setdefault(result.key(), []).append(result)

    def order(key):
        cls = key[1]
        params = tuple((name, natural(value)) for name, value in key[4])
        return (key[0], CLASS_ORDER.index(cls) if cls in CLASS_ORDER else len(CLASS_ORDER), cls, key[2],
                params, key[3])

    current_class = None
    for key in sorted(groups, key=order):
        cls = key[1]
        if cls != current_class:
            current_class = cls
            lines.append(f"### {cls} (JDK {key[0]})")
            lines.append("")
        members = sorted(groups[key], key=lambda r: (not r.ours, r.base))
        ours = [r for r in members if r.ours]
        peers = [r for r in members if not r.ours and r.base not in FLOOR_PARTS.get(r.cls, set())]
        unit = members[0].unit
        kind = "cost ratio, below 1 = ours cheaper" if key[2] in TIME_MODES else \
            "speed ratio, above 1 = ours faster"
        lines.append(f"{describe_config(key)}; score in {unit}; ratios ours / peer ({kind})")
        lines.append("")
        header = ["benchmark", f"score ({unit})", "error", "B/op"] + (
            [f"/ {p.base}" for p in peers] if ours else [])
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|")
        for result in members:
            name = f"**{result.base}** (ours)" if result.ours else result.base
            row = [name, fmt(result.score), fmt(result.error), fmt_alloc(result.alloc)]
            if ours:
                for peer in peers:
                    row.append(fmt_ratio(*ratio(result, peer)) if result.ours else "")
            lines.append("| " + " | ".join(row) + " |")
        lines.append("")
    return lines


def find(results, cls, base, threads, params):
    for result in results:
        if (result.cls == cls and result.base == base and result.threads == threads
                and all(result.params.get(k) == v for k, v in params.items())):
            yield result


def verdict(value, low, high, comparison, bound):
    if value is None:
        return "not measured"
    met = value <= bound if comparison == "<=" else value >= bound
    if low is not None and high is not None and low <= bound <= high:
        return ("met" if met else "missed") + ", within error"
    return "met" if met else "MISSED"


def targets(results):
    lines = ["### Targets of issue 6", "",
             "| JDK | target | measured ratio (range) | verdict |", "|---|---|---:|---|"]
    jdks = sorted({r.jdk for r in results})
    for jdk in jdks:
        scoped = [r for r in results if r.jdk == jdk]
        for cls, ours_name, peer_name, threads, params, comparison, bound, label in TARGETS:
            pairs = [(o, p) for o in find(scoped, cls, ours_name, threads, params)
                     for p in find(scoped, cls, peer_name, threads, params)
                     if o.mode == p.mode and o.params == p.params]
            if not pairs:
                continue
            for ours, peer in pairs:
                value, low, high = ratio(ours, peer)
                lines.append(f"| {jdk} | {label} | {fmt_ratio(value, low, high)} | "
                             f"{verdict(value, low, high, comparison, bound)} |")
        for cls, ours_name, threads, limit, label in ALLOC_TARGETS:
            for ours in find(scoped, cls, ours_name, threads, {}):
                if ours.alloc is None:
                    state = "not measured (run with -prof gc)"
                else:
                    state = "met" if ours.alloc <= limit else "MISSED"
                lines.append(f"| {jdk} | {label} | {fmt_alloc(ours.alloc)} B/op | {state} |")
    lines.append("")
    lines.append("Not measured by these benchmarks: the heap staying flat while `processEach` runs "
                 "10,000,000 items.")
    lines.append("")
    return lines


def floors(results):
    """The floor of each cost target, from parts measured in the same run on the same JDK."""
    lines = ["### Floors of the cost targets", "",
             "The least any implementation must spend, summed from parts measured in this run, over "
             "the target's peer. A floor above the bound means the bound cannot be met.", "",
             "| JDK | floor | floor (ns/op) | peer (ns/op) | floor / peer | bound |",
             "|---|---|---:|---:|---:|---:|"]
    found = False
    for jdk in sorted({r.jdk for r in results}):
        scoped = [r for r in results if r.jdk == jdk]
        for label, parts, (peer_cls, peer_name), threads, bound in FLOORS:
            measured = [next(find(scoped, cls, name, threads, {}), None) for cls, name in parts]
            peer = next(find(scoped, peer_cls, peer_name, threads, {}), None)
            if peer is None or peer.score is None or any(m is None or m.score is None for m in measured):
                continue
            found = True
            total = sum(m.score for m in measured)
            lines.append(f"| {jdk} | {label} | {fmt(total)} | {fmt(peer.score)} | "
                         f"{total / peer.score:.2f} | {bound} |")
    lines.append("")
    return lines if found else []


def machine(paths):
    lines = []
    for path in paths:
        env = os.path.join(path, "env.txt") if os.path.isdir(path) else None
        if env and os.path.exists(env):
            with open(env, encoding="utf-8") as handle:
                lines.append(f"Run `{os.path.basename(os.path.normpath(path))}`:")
                lines.append("")
                lines.extend(f"    {line.rstrip()}" for line in handle if line.strip())
                lines.append("")
    return lines


def latest_results():
    here = os.path.dirname(os.path.abspath(__file__))
    runs = sorted(d for d in glob.glob(os.path.join(here, "results", "*")) if os.path.isdir(d))
    return runs[-1:] if runs else []


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="results folders or JMH JSON files (default: the latest run)")
    parser.add_argument("--output", "-o", help="also write the markdown to this file")
    args = parser.parse_args(argv)
    paths = args.paths or latest_results()
    if not paths:
        parser.error("no results: run benchmarks/run-all.sh first, or name a folder or JSON file")
    results = load(paths)
    if not results:
        parser.error(f"no JMH results in {', '.join(paths)}")
    lines = ["## Benchmark ratios", "",
             "Ratios are ours / peer within one run. Time modes: cost ratio (ns/op ours / ns/op peer; "
             "below 1 = ours cheaper). Throughput: speed ratio (ops/s ours / ops/s peer; above 1 = ours "
             "faster). Ranges combine both scores' 99.9 % error bars. B/op = `gc.alloc.rate.norm`.",
             ""]
    lines += machine(paths)
    lines += targets(results)
    lines += floors(results)
    lines += tables(results)
    text = "\n".join(lines).rstrip() + "\n"
    sys.stdout.write(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
