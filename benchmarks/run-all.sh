#!/usr/bin/env bash
# Runs the benchmark groups of issue 6 beside their peers, with -prof gc, and writes one JMH JSON
# file per group plus the ratio table (ratios.py) into benchmarks/results/<UTC timestamp>/.
#
#   benchmarks/run-all.sh                      # every group, on the java of JAVA_HOME or PATH
#   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 benchmarks/run-all.sh
#   benchmarks/run-all.sh GuardCost Gather     # some groups only (class names, "Benchmark" optional)
#
# Budget: the forks, warm-up and measurement of each benchmark are the annotations of its class
# (benchmarks/README.md lists them); the whole run takes about 11 minutes on 2 cores, so JDK 17
# then JDK 25 take about 22.
# Extra JMH options go in JMH_ARGS, placed after the defaults so they win, for example
# JMH_ARGS="-f 2" for two forks, or JMH_ARGS="-wi 1 -i 1 -w 1s -r 1s" for a smoke run.
# RESULTS_DIR overrides the output folder. Run it on an otherwise idle machine: env.txt records
# the load average before each group so that a busy run can be recognised afterwards.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
jar="$here/target/benchmarks.jar"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

groups=()
for group in "$@"; do
  groups+=("${group%Benchmark}Benchmark")
done
if [ ${#groups[@]} -eq 0 ]; then
  groups=(GuardCostBenchmark AnnotatedCallBenchmark GatherBenchmark WorkQueueBenchmark ScaleBenchmark)
fi

# Build the uber jar when it is missing or older than any source or pom it is made from.
stale=""
if [ -f "$jar" ]; then
  stale=$(find "$root/pom.xml" "$root/agent-control-plane-core" "$root/agent-control-plane-autoconfigure" \
    "$root/agent-control-plane-redis" "$here" \( -name pom.xml -o -path '*/src/main/*' \) -type f \
    -newer "$jar" -print -quit)
fi
if [ ! -f "$jar" ] || [ -n "$stale" ]; then
  echo "run-all: building $jar${stale:+ ($stale changed)}" >&2
  (cd "$root" && ./mvnw -B -ntp -q -pl benchmarks -am package -DskipTests)
fi

out="${RESULTS_DIR:-$here/results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "java: $("$java_bin" -version 2>&1 | head -n 1)"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
  echo "cores: $(nproc 2>/dev/null || echo unknown)"
  echo "memory: $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)"
  echo "os: $(uname -sr)"
  echo "jmh args: -prof gc ${JMH_ARGS:-}"
} > "$out/env.txt"

start=$(date +%s)
failed=()
for group in "${groups[@]}"; do
  echo "load before $group: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)" >> "$out/env.txt"
  echo "run-all: $group" >&2
  # One group failing must not cost the others their run: note it and go on.
  # shellcheck disable=SC2086 # JMH_ARGS is a list of options
  if ! "$java_bin" -jar "$jar" "io\.agentcontrolplane\.benchmarks\.$group\." -prof gc \
      -rf json -rff "$out/$group.json" ${JMH_ARGS:-} 2>&1 | tee "$out/$group.log"; then
    failed+=("$group")
  elif grep -q '<failure>' "$out/$group.log"; then
    # JMH goes on after a benchmark that throws, and exits 0; its log says <failure>.
    failed+=("$group")
  fi
done
echo "load after: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)" >> "$out/env.txt"
echo "duration: $(( $(date +%s) - start )) s" >> "$out/env.txt"

if command -v python3 >/dev/null 2>&1; then
  python3 "$here/ratios.py" "$out" --output "$out/ratios.md"
fi
echo "run-all: results in $out" >&2
if [ ${#failed[@]} -ne 0 ]; then
  echo "run-all: failed: ${failed[*]} (see their .log files)" >&2
  exit 1
fi
