#!/usr/bin/env bash
# vertx-domains benchmarks: every figure side by side in one run, one table at the end.
#   bench/run.sh           full run (about 32 minutes on 2 cores)
#   bench/run.sh --smoke   tiny counts and durations, so the benchmarks never rot (CI; under 2 minutes)
# Everything talks to 127.0.0.1 only. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
if [ "$SMOKE" = 1 ]; then
  ROUNDS=1; SECONDS_EACH=2; WARM_SECONDS=2; CONNECTIONS=16; RECYCLES=20; FAULTS=20000; TRIALS=1
  JMH_ARGS=(-f 1 -wi 1 -w 1s -i 1 -r 1s)
else
  ROUNDS=3; SECONDS_EACH=10; WARM_SECONDS=60; CONNECTIONS=64; RECYCLES=1000; FAULTS=1000000; TRIALS=5
  JMH_ARGS=(-f 2 -wi 3 -w 2s -i 5 -r 2s)
fi

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q "${missing[@]}"
fi

echo "building the fat jar and the benchmarks"
mvn -B -q -DskipTests package
mvn -B -q -f bench/pom.xml package
JAR="$ROOT/target/vertx-domains.jar"
CP="$ROOT/bench/target/vertx-domains-bench.jar:$JAR:$(cat "$ROOT/bench/target/classpath.txt")"
OUT="$ROOT/bench/results"   # logs of the last run (not committed)
rm -rf "$OUT"; mkdir -p "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Waits (at most 60 s) until a line containing $2 appears in file $1.
await_line() {
  for _ in $(seq 1 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

# wrk with the status script; prints its STATUS line. Args: url, FAULT_EVERY, and optionally the path of every
# FAULT_EVERY-th request (default /error).
load() {
  FAULT_EVERY=$2 FAULT_PATH=${3:-/error} wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -s "$ROOT/bench/lua/status.lua" "$1" \
    | grep '^STATUS'
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# Runs a Java driver; prints its RESULT line, or its log and fails. Args: log name, java arguments...
driver() {
  local log="$OUT/$1.log"; shift
  if ! java -Dbench.logs="$OUT" "$@" > "$log.out" 2> "$log" || ! grep -q '^RESULT' "$log.out"; then
    echo "  FAILED: see $log; its end:" >&2; tail -15 "$log" | sed 's/^/    /' >&2
    FAILED=1
    echo "RESULT failed"
    return 0
  fi
  grep '^RESULT' "$log.out"
}

FAILED=0
RESULTS="$OUT/results"
: > "$RESULTS"

echo "1/8 domain overhead (HTTP): bare handler vs a domain per request, alternated $ROUNDS times"
BARE=$(free_port); DOM=$(free_port)
java -cp "$CP" dev.vertxdomains.bench.OverheadServer "$BARE" "$DOM" > "$OUT/overhead.log" 2>&1 & PIDS+=($!)
await_line "$OUT/overhead.log" READY
load "http://127.0.0.1:$BARE/" 0 > /dev/null; load "http://127.0.0.1:$DOM/" 0 > /dev/null   # warm-up
bare_sum=0; dom_sum=0; bare_p99=0; dom_p99=0
for r in $(seq 1 "$ROUNDS"); do
  a=$(load "http://127.0.0.1:$BARE/" 0); b=$(load "http://127.0.0.1:$DOM/" 0)
  echo "  round $r: bare $(field "$a" rps) req/s p99 $(field "$a" p99_us) us | domain $(field "$b" rps) req/s p99 $(field "$b" p99_us) us"
  bare_sum=$(python3 -c "print($bare_sum + $(field "$a" rps))"); dom_sum=$(python3 -c "print($dom_sum + $(field "$b" rps))")
  bare_p99=$(python3 -c "print(max($bare_p99, $(field "$a" p99_us)))"); dom_p99=$(python3 -c "print(max($dom_p99, $(field "$b" p99_us)))")
done
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
python3 -c "print('overhead|domain/bare throughput|%.3f|>= 0.95|%s|bare %.0f req/s, domain %.0f req/s; worst p99 bare %d us, domain %d us' % ($dom_sum/$bare_sum, 'ok' if $dom_sum/$bare_sum >= 0.95 else 'MISSED', $bare_sum/$ROUNDS, $dom_sum/$ROUNDS, $bare_p99, $dom_p99))" >> "$RESULTS"

echo "2/8 faults under load: HelloServer supervised, 2 instances; 1 request in 100 hits /error vs none, and vs 1 in 100 to /slow?ms=1"
PORT=$(free_port)
java -Dvertx-domains.management.port=off -jar "$JAR" run dev.vertxdomains.examples.HelloServer -instances 2 \
  -conf "{\"http.port\": $PORT, \"http.host\": \"127.0.0.1\"}" > "$OUT/hello.log" 2>&1 & PIDS+=($!)
HELLO=${PIDS[-1]}
await_line "$OUT/hello.log" "Succeeded in deploying verticle"
# Server CPU (clock ticks), connections accepted on this machine (TCP PassiveOpens), recycles so far (log lines).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$HELLO/stat"; }
accepted() { awk '/^Tcp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; n = 1 } else print $c }' /proc/net/snmp; }
recycled() { grep -c "Recycling worker" "$OUT/hello.log" || true; }
# Measures one load run; prints its STATUS line plus cpu=, accepted=, recycles= for the run. Args as load's.
measured() {
  local c0 a0 r0 line
  c0=$(cpu_ticks); a0=$(accepted); r0=$(recycled)
  line=$(load "$@")
  echo "$line cpu=$(( $(cpu_ticks) - c0 )) accepted=$(( $(accepted) - a0 )) recycles=$(( $(recycled) - r0 ))"
}
echo "  warm-up: ${SECONDS_EACH}s clean, then ${WARM_SECONDS}s with the fault load (the JIT compiles the fault paths late)"
load "http://127.0.0.1:$PORT/" 0 > /dev/null
SAVED=$SECONDS_EACH; SECONDS_EACH=$WARM_SECONDS; load "http://127.0.0.1:$PORT/" 100 > /dev/null; SECONDS_EACH=$SAVED
TICK=$(getconf CLK_TCK)
# /error fails from a 1 ms timer. The third run of each round sends the same share of requests to /slow?ms=1, answered
# from the same timer: the faults against it are what handling the error costs, without the timer's own cost.
TIMER_PATH='/slow?ms=1'
timer_sum=0; beyond_timer_cpu=0; failing=0
clean_sum=0; fault_sum=0; sock=0; e500=0; sentf=0; other=0; p99c=0; p99f=0; recycles=0; newconn=0; extra_cpu=0
for r in $(seq 1 "$ROUNDS"); do
  a=$(measured "http://127.0.0.1:$PORT/" 0); b=$(measured "http://127.0.0.1:$PORT/" 100)
  c=$(measured "http://127.0.0.1:$PORT/" 100 "$TIMER_PATH")
  echo "  round $r: clean $(field "$a" rps) req/s | faults $(field "$b" rps) req/s, $(field "$b" faults_sent) faults sent, $(field "$b" errors500) answered 500, $(field "$b" other) other, $(field "$b" recycles) recycles, $(field "$b" accepted) connections accepted (clean: $(field "$a" accepted)), $(field "$b" socket_errors) socket errors (connect $(field "$b" connect), read $(field "$b" read), write $(field "$b" write), timeout $(field "$b" timeout)); server CPU clean $(field "$a" cpu) ticks, faults $(field "$b" cpu) ticks | 1 in 100 to $TIMER_PATH $(field "$c" rps) req/s, server CPU $(field "$c" cpu) ticks"
  clean_sum=$(python3 -c "print($clean_sum + $(field "$a" rps))"); fault_sum=$(python3 -c "print($fault_sum + $(field "$b" rps))")
  timer_sum=$(python3 -c "print($timer_sum + $(field "$c" rps))")
  sock=$((sock + $(field "$c" socket_errors))); other=$((other + $(field "$c" other) + $(field "$c" errors500)))
  failing=$((failing + $(field "$b" faults_sent)))
  # CPU beyond what the same requests cost with the timer-answered ones in place of the failing ones, in microseconds.
  beyond_timer_cpu=$(python3 -c "print($beyond_timer_cpu + ($(field "$b" cpu) - $(field "$c" cpu) * $(field "$b" rps) / $(field "$c" rps)) * 1e6 / $TICK)")
  sock=$((sock + $(field "$a" socket_errors) + $(field "$b" socket_errors))); e500=$((e500 + $(field "$b" errors500)))
  sentf=$((sentf + $(field "$b" faults_sent))); other=$((other + $(field "$a" other) + $(field "$b" other) + $(field "$a" errors500)))
  p99c=$(python3 -c "print(max($p99c, $(field "$a" p99_us)))"); p99f=$(python3 -c "print(max($p99f, $(field "$b" p99_us)))")
  recycles=$((recycles + $(field "$b" recycles)))
  # wrk opens one connection more than -c (a probe); the clean run beside it shows what that opens without faults
  newconn=$((newconn + $(field "$b" accepted) - $(field "$a" accepted)))
  # CPU beyond what the same number of requests costs without faults, in microseconds.
  extra_cpu=$(python3 -c "print($extra_cpu + ($(field "$b" cpu) - $(field "$a" cpu) * $(field "$b" rps) / $(field "$a" rps)) * 1e6 / $TICK)")
done
kill "$HELLO"; wait "$HELLO" 2>/dev/null || true
python3 -c "
ratio = $fault_sum / $clean_sum
rec = max(1, $recycles)
ok = ratio >= 0.90 and $sock == 0 and $other == 0 and $sentf - $e500 <= $ROUNDS * $CONNECTIONS
print('faults|faults/clean throughput|%.3f|>= 0.90, 0 socket errors, faults 500|%s|%d socket errors; %d faults sent, %d answered 500 (the rest in flight at the end); %d other non-200; worst p99 clean %d us, faults %d us' % (ratio, 'ok' if ok else 'MISSED', $sock, $sentf, $e500, $other, $p99c, $p99f))
print('faults|new connections per recycle|%.3f|0|%s|%d connections beyond what the same wrk run opens without faults (%d), over %d recycles' % (max(0, $newconn) / rec, 'ok' if $newconn <= 0 else 'MISSED', max(0, $newconn), $CONNECTIONS + 1, $recycles))
print('faults|extra server CPU per recycle|%.0f us|<= 100 us|%s|server CPU with faults minus clean CPU scaled to the same requests, over %d recycles (clock-tick resolution)' % (max(0, $extra_cpu) / rec, 'ok' if $extra_cpu / rec <= 100 else 'MISSED', $recycles))
ratio = $fault_sum / $timer_sum
print('faults|faults/timer-answered throughput|%.3f|>= 0.90|%s|what handling the error costs: 1 in 100 to /error (fails from a 1 ms timer) over 1 in 100 to $TIMER_PATH (answered from one), mean %.0f vs %.0f req/s; server CPU per failing request beyond a timer-answered one: %.0f us (clock-tick resolution)' % (ratio, 'ok' if ratio >= 0.90 else 'MISSED', $fault_sum / $ROUNDS, $timer_sum / $ROUNDS, $beyond_timer_cpu / max(1, $failing)))" >> "$RESULTS"

echo "3/8 recovery time: fault to replacement serving, $RECYCLES recycles"
line=$(driver recovery -cp "$CP" dev.vertxdomains.bench.RecoveryBench "$RECYCLES")
echo "  $line"
[ "$line" = "RESULT failed" ] && echo "recovery|fault to replacement serving|FAILED|<= 1 ms|FAILED|see bench/results/recovery.log" >> "$RESULTS" || python3 -c "print('recovery|p99 fault to replacement serving|%s ms|<= 1 ms|%s|in the server (the error handled to the replacement running): p50 %s ms, max %s ms; seen by the client (its 500, then the next request answered by the replacement): p50 %s ms, p99 %s ms; %s recycles' % ('$(field "$line" server_p99_ms)', 'ok' if $(field "$line" server_p99_ms) <= 1 else 'MISSED', '$(field "$line" server_p50_ms)', '$(field "$line" server_max_ms)', '$(field "$line" p50_ms)', '$(field "$line" p99_ms)', '$RECYCLES'))" >> "$RESULTS"

echo "4/8 failover: kill -9 the node of a supervised -ha WorkService, $TRIALS trial(s)"
line=$(driver failover -cp "$CP" dev.vertxdomains.bench.FailoverBench "$JAR" "$TRIALS")
grep -E 'failover (trial|phases)' "$OUT/failover.log" | sed 's/^/  /' || true
[ "$line" = "RESULT failed" ] && echo "failover|median unavailability|FAILED|<= 500 ms|FAILED|see bench/results/failover.log" >> "$RESULTS" || python3 -c "print('failover|median unavailability|%s ms|<= 500 ms|%s|max %s ms over %s trial(s); failed requests per kill (one every 10 ms, 1 s timeout): median %s, max %s' % ('$(field "$line" median_ms)', 'ok' if $(field "$line" median_ms) <= 500 else 'MISSED', '$(field "$line" max_ms)', '$TRIALS', '$(field "$line" median_failed)', '$(field "$line" max_failed)'))" >> "$RESULTS"
[ "$line" = "RESULT failed" ] || python3 -c "print('failover|failed calls per kill, idempotent opt-in|%s|0, wait <= 500 ms|%s|IdempotentCalls (250 ms per send) beside each plain request; the longest any retried call waited, median %s ms, max %s ms' % ('$(field "$line" retried_max_failed)', 'ok' if $(field "$line" retried_max_failed) == 0 and $(field "$line" retried_median_wait_ms) <= 500 else 'MISSED', '$(field "$line" retried_median_wait_ms)', '$(field "$line" retried_max_wait_ms)'))" >> "$RESULTS"

echo "5/8 partitions: the holder of a -quorum 2 -ha WorkService cut off by a real network partition (PartitionIT, network namespaces)"
# The partition figure comes from PartitionIT's own runs (its harness makes the namespaces and cuts, its observer polls
# every node every 100 ms): the two scenarios where the service must move, twice each. Full run only, as root (CI runs
# every partition scenario in mvn verify).
if [ "$SMOKE" = 1 ] || [ "$(id -u)" != 0 ]; then
  echo "  skipped ($([ "$SMOKE" = 1 ] && echo "smoke run" || echo "needs root for network namespaces"))"
  echo "partition|majority serves after|skipped|<= 10000 ms|-|$([ "$SMOKE" = 1 ] && echo "full run only; mvn verify runs the scenarios" || echo "needs root")" >> "$RESULTS"
else
  rm -f target/PartitionIT-*-figures.txt
  if ! mvn -B -q verify -Dinvoker.skip -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
      -Dit.test='PartitionIT#holderIsolated+holderCutFromMasterOnly' -Dfailsafe.failIfNoSpecifiedTests=false \
      > "$OUT/partition.log" 2>&1; then
    echo "  PartitionIT failed: see $OUT/partition.log"
  fi
  shopt -s nullglob
  FIGURES=(target/PartitionIT-*-figures.txt)
  shopt -u nullglob
  cat "${FIGURES[@]}" /dev/null | grep -E 'majority node runs|overlap' | sed 's/^/  /' || true
  python3 - "${FIGURES[@]}" <<'PY' >> "$RESULTS"
import re, statistics, sys
serve, overlap = [], []
for name in sys.argv[1:]:
    for line in open(name):
        m = re.search(r"majority node runs a copy after \(ms\) = (\d+)", line)
        if m:
            serve.append(int(m.group(1)))
        m = re.search(r"overlap (during the partition|after the heal) \(ms[^)]*\) = (\d+)", line)
        if m:
            overlap.append(int(m.group(2)))
if not serve or not overlap:
    print("partition|majority serves after|FAILED|<= 10000 ms|FAILED|no figures (skipped where namespaces cannot be made): see bench/results/partition.log")
else:
    print("partition|median time until the majority serves|%d ms|<= 10000 ms|%s|holder isolated and bridge, %d runs: %s ms (detection bound 5 s)" % (
        statistics.median(serve), "ok" if max(serve) <= 10000 else "MISSED", len(serve), ", ".join(map(str, serve))))
    print("partition|overlap (two copies running)|%d ms|0 ms|%s|the longest, during and after the partition, over %d runs" % (
        max(overlap), "ok" if max(overlap) == 0 else "MISSED", len(serve)))
PY
fi

EB_LANES=$([ "$SMOKE" = 1 ] && echo 8 || echo 32)
# More, shorter rounds than HTTP's: the event-bus rates drift by more than they differ, so the median of the ratios
# taken side by side in each round needs rounds.
EB_ROUNDS=$([ "$SMOKE" = 1 ] && echo 1 || echo 5); EB_SECONDS=$([ "$SMOKE" = 1 ] && echo 2 || echo 6)
echo "6/8 event bus: request/reply through a bare consumer, EventBusDomains, supervised, a ServiceBinder proxy and the supervised Accounts proxy, alternated $EB_ROUNDS times, then the faults; local, then clustered (two JVMs)"
for where in local clustered; do
  line=$(driver "eventbus-$where" -cp "$CP" dev.vertxdomains.bench.EventBusBench "$where" "$EB_SECONDS" "$EB_ROUNDS" "$EB_LANES")
  grep -E '^eventbus ' "$OUT/eventbus-$where.log" | sed 's/^/  /' || true
  if [ "$line" = "RESULT failed" ]; then
    echo "eventbus|$where|FAILED|>= 0.95|FAILED|see bench/results/eventbus-$where.log" >> "$RESULTS"
    continue
  fi
  python3 - "$where" <<PY >> "$RESULTS"
import sys
where = sys.argv[1]
f = {k: float(v) for k, v in (kv.split("=") for kv in "$line".split()[2:])}
# Each ratio is the median over the rounds of the ratio within a round (side by side); the rates are the means.
def row(measure, a, b, target, what):
    ratio = f[a + "_ratio"]
    print("eventbus|%s, %s|%.3f|>= %.2f|%s|%s, median of %s rounds: mean %.0f/s p99 %.0f us vs %.0f/s p99 %.0f us" % (measure, where, ratio, target,
          "ok" if ratio >= target else "MISSED", what, "$EB_ROUNDS", f[a + "_rps"], f[a + "_p99_us"], f[b + "_rps"], f[b + "_p99_us"]))
row("domain/bare throughput", "domain", "bare", 0.95, "EventBusDomains consumer vs bare consumer")
row("supervised/bare throughput", "supervised", "bare", 0.95, "supervised EventBusDomains consumer vs bare consumer")
row("supervised proxy/ServiceBinder", "supervised_proxy", "proxy", 0.95, "supervised Accounts (ServiceDomains) vs ServiceBinder")
# The same at a fixed rate, as CPU per call of both JVMs (the baseline's over the service's): no drift between runs.
def cpu_row(measure, a, b, what):
    ratio = f[a + "_cpu_ratio"]
    print("eventbus|%s at a fixed rate, %s|%.3f|>= 0.95|%s|%s, CPU per call of both JVMs (median of %s rounds): %.2f us vs %.2f us" % (measure, where, ratio,
          "ok" if ratio >= 0.95 else "MISSED", what, "$EB_ROUNDS", f[a + "_cpu_us"], f[b + "_cpu_us"]))
cpu_row("domain/bare capacity", "domain", "bare", "EventBusDomains consumer vs bare consumer")
cpu_row("supervised/bare capacity", "supervised", "bare", "supervised EventBusDomains consumer vs bare consumer")
cpu_row("supervised proxy/ServiceBinder capacity", "supervised_proxy", "proxy", "supervised Accounts (ServiceDomains) vs ServiceBinder")
ratio = f["faults_ratio"]
print("eventbus|faults/clean throughput, %s|%.3f|>= 0.90|%s|supervised consumer, 1 request in 100 failing (sent beside the $EB_LANES lanes), median of %s rounds: mean %.0f/s vs clean %.0f/s" % (where, ratio, "ok" if ratio >= 0.90 else "MISSED", "$EB_ROUNDS", f["faults_rps"], f["clean_rps"]))
# At a fixed rate the runs do the same work but the faults': CPU per call is what bounds a CPU-bound server's
# throughput, and it does not move with how much each wake-up batches, as the closed-loop rate does. The failing call
# fails from a 1 ms timer; a run answering the same calls from that timer tells the timer's own cost apart.
ratio = f["paced_cpu_ratio"]
print("eventbus|faults/clean capacity at a fixed rate, %s|%.3f|>= 0.90|%s|CPU per call of both JVMs, clean over faults, at %.0f calls/s (half the clean rate), median of %s rounds; beyond a clean call, a failing call costs %.0f us of CPU, one answered from the same 1 ms timer %.0f us; p99 of the answered calls %.0f us vs clean %.0f us" % (where, ratio, "ok" if ratio >= 0.90 else "MISSED", f["paced_rate"], "$EB_ROUNDS", f["fault_cpu_us"], f["timer_cpu_us"], f["paced_p99_faults_us"], f["paced_p99_clean_us"]))
ratio = f["paced_timer_ratio"]
print("eventbus|faults/timer-answered capacity at a fixed rate, %s|%.3f|>= 0.90|%s|what handling the error costs: CPU per call, 1 in 100 answered from a 1 ms timer over 1 in 100 failing from it, median of %s rounds; %.0f us of CPU per failing call beyond one answered from the timer" % (where, ratio, "ok" if ratio >= 0.90 else "MISSED", "$EB_ROUNDS", f["fault_cpu_us"] - f["timer_cpu_us"]))
PY
done

echo "7/8 memory: heap after full GC, before and after $FAULTS faults"
line=$(driver memory -Xmx512m -cp "$CP" dev.vertxdomains.bench.MemoryBench "$FAULTS")
echo "  $line"
[ "$line" = "RESULT failed" ] && echo "memory|heap growth|FAILED|<= 10 MB|FAILED|see bench/results/memory.log" >> "$RESULTS" || python3 -c "print('memory|heap growth|%s MB|<= 10 MB|%s|%s faults, %s to %s MB, %s faults/s' % ('$(field "$line" growth_mb)', 'ok' if $(field "$line" growth_mb) <= 10 else 'MISSED', '$FAULTS', '$(field "$line" before_mb)', '$(field "$line" after_mb)', '$(field "$line" faults_per_s)'))" >> "$RESULTS"

echo "8/8 micro (JMH): run in a domain, bound handler, vs plain runOnContext"
java -cp "$CP" org.openjdk.jmh.Main DomainBenchmark "${JMH_ARGS[@]}" -rf csv -rff "$OUT/jmh.csv" > "$OUT/jmh.log" 2>&1 \
  || { cat "$OUT/jmh.log" >&2; exit 1; }
python3 - "$OUT/jmh.csv" >> "$RESULTS" <<'PY'
import csv, sys
scores = {row["Benchmark"].rsplit(".", 1)[1]: float(row["Score"]) for row in csv.DictReader(open(sys.argv[1]))}
base = scores["plainRunOnContext"]
for name in ("runInDomain", "boundHandler"):
    added = scores[name] - base
    print("micro|%s added cost|%.0f ns/op|<= 200 ns|%s|%s %.0f ns/op vs runOnContext %.0f ns/op"
          % (name, added, "ok" if added <= 200 else "MISSED", name, scores[name], base))
PY

echo
echo "vertx-domains benchmarks ($([ "$SMOKE" = 1 ] && echo smoke || echo full)), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1)"
python3 - "$RESULTS" <<'PY'
import sys
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1]) if line.strip()]
head = ["figure", "measure", "value", "target", "", "details"]
widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
fmt = lambda r: "  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5]
print(fmt(head))
for r in rows:
    print(fmt(r))
PY
if [ "$FAILED" = 1 ]; then
  echo "some benchmark drivers failed (see bench/results/)" >&2
  exit 1
fi
