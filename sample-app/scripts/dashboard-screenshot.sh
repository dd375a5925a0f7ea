#!/usr/bin/env bash
# Regenerates the README's screenshot, docs/images/dashboard.png: starts the sample app on
# 127.0.0.1, puts its agents under load (think calls, drafts that spend the token and cost
# budgets, a tool fan-out), and photographs the dashboard with headless Chromium.
#
#   sample-app/scripts/dashboard-screenshot.sh [output.png]
#
# Needs Debian's chromium (apt-get install -y chromium) and a JDK; builds the sample's jar with
# the Maven wrapper when it is missing. Stops the app it started, by its PID.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-docs/images/dashboard.png}"
port="${PORT:-18480}"
base="http://127.0.0.1:${port}"
jar=$(ls sample-app/target/agent-control-plane-sample-app-*.jar 2>/dev/null | grep -v original | head -1 || true)
if [ -z "$jar" ]; then
  ./mvnw -B -ntp -q -pl sample-app -am package -DskipTests
  jar=$(ls sample-app/target/agent-control-plane-sample-app-*.jar | grep -v original | head -1)
fi
command -v chromium >/dev/null || { echo "chromium is missing: apt-get install -y chromium" >&2; exit 1; }

log=$(mktemp)
java -jar "$jar" --server.address=127.0.0.1 --server.port="$port" >"$log" 2>&1 &
app=$!
trap 'kill "$app" 2>/dev/null || true; wait "$app" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 90); do
  curl -fs -o /dev/null "$base/actuator/health" && break
  kill -0 "$app" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 1
done

# Spend some of each budget first, then keep the agents busy while the page is taken, so the
# cards show permits in flight, budget bars part spent and the chart some refusals.
for agent in planner researcher coder critic; do
  for _ in 1 2 3; do curl -fs -o /dev/null -X POST "$base/agents/$agent/draft" || true; done
done
curl -fs -o /dev/null -X POST "$base/load?calls=8&tools=30"
( for _ in 1 2 3 4; do sleep 1.5; curl -fs -o /dev/null -X POST "$base/load?calls=8&tools=30" || true; done ) &
load=$!
sleep 3

# Virtual time lets the page poll several times before the picture is taken.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --window-size=1200,1420 --virtual-time-budget=6000 --screenshot="$out" "$base/" >/dev/null 2>&1
wait "$load" || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
