#!/usr/bin/env bash
# bench/run.sh: mailtls side by side with openssl s_client, sslyze and testssl.sh,
# against in-process test servers on loopback (testkit's mailtls-bench-servers).
#
#   bash bench/install-tools.sh && bash bench/run.sh | tee bench.out
#
# Installs nothing: a peer that is missing gets a "not installed" row. Progress
# goes to standard error, the result (one table, then start-up time, round trips
# and the machine) to standard output. Only 127.0.0.0/8 is contacted.
#
# Knobs (environment): BENCH_RUNS (runs per fast single check, default 15),
# BENCH_SLOW_RUNS (testssl.sh single check, default 3), BENCH_PROBE_RUNS (full
# probes, default 1), BENCH_BATCH_RUNS (mailtls batch, default 3), BENCH_TARGETS
# (10000), BENCH_HOSTS (100), BENCH_CONCURRENCY (200), BENCH_PER_HOST (2),
# BENCH_SSLYZE_BATCH (sslyze batch subset, 500), BENCH_WRONG_PORT_RUNS (3),
# BENCH_SHARDS (shards run at once for the shard row, 2), BENCH_BASELINE (a
# commit whose build runs the same batch in the same run, for a like-for-like
# throughput ratio; default 05f8e4d, the build issue 19 measured; "none" skips
# it), BENCH_ONLY_PROBE (1: only the full-probe rows, with connection counts),
# BENCH_NOJITTER (0, the default;
# 1 also builds and measures a copy with AWS_LC_SYS_NO_JITTER_ENTROPY=1, which
# .cargo/config.toml now sets for every build anyway; see docs/benchmarks.md).
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

RUNS="${BENCH_RUNS:-15}"
SLOW_RUNS="${BENCH_SLOW_RUNS:-3}"
PROBE_RUNS="${BENCH_PROBE_RUNS:-1}"
BATCH_RUNS="${BENCH_BATCH_RUNS:-3}"
TARGETS="${BENCH_TARGETS:-10000}"
HOSTS="${BENCH_HOSTS:-100}"
CONCURRENCY="${BENCH_CONCURRENCY:-200}"
PER_HOST="${BENCH_PER_HOST:-2}"
SSLYZE_BATCH="${BENCH_SSLYZE_BATCH:-500}"
WRONG_PORT_RUNS="${BENCH_WRONG_PORT_RUNS:-3}"
SHARDS="${BENCH_SHARDS:-2}"
NOJITTER="${BENCH_NOJITTER:-0}"
ONLY_PROBE="${BENCH_ONLY_PROBE:-0}"

say() { printf 'bench: %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
if ! (: "$EPOCHREALTIME") 2>/dev/null || [ -z "${EPOCHREALTIME:-}" ]; then
    echo "bench: needs bash 5 or later (EPOCHREALTIME)" >&2
    exit 2
fi
command -v cargo >/dev/null || { echo "bench: cargo is needed to build mailtls" >&2; exit 2; }

gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
    gnu_time=/usr/bin/time
fi
openssl_bin="$(command -v openssl || true)"
hyperfine_bin="$(command -v hyperfine || true)"
jq_bin="$(command -v jq || true)"
sslyze_bin=""
if [ -x "$here/.venv/bin/sslyze" ]; then
    sslyze_bin="$here/.venv/bin/sslyze"
elif command -v sslyze >/dev/null; then
    sslyze_bin="$(command -v sslyze)"
fi
testssl_bin="$(command -v testssl.sh || command -v testssl || true)"

missing=()
[ -n "$gnu_time" ] || missing+=("GNU time (peak RSS column)")
[ -n "$openssl_bin" ] || missing+=("openssl")
[ -n "$sslyze_bin" ] || missing+=("sslyze")
[ -n "$testssl_bin" ] || missing+=("testssl.sh")
[ -n "$hyperfine_bin" ] || missing+=("hyperfine (start-up time falls back to a shell loop)")
[ -n "$jq_bin" ] || missing+=("jq (round trips and batch verdicts)")
for m in "${missing[@]}"; do say "not installed: $m; run bash bench/install-tools.sh"; done

# ---------------------------------------------------------------- build
say "building mailtls and mailtls-bench-servers (release)"
build_log="$(mktemp)"
if ! (cd "$repo" && cargo build --release -p mailtls --bin mailtls \
    -p mailtls-testkit --bin mailtls-bench-servers) >"$build_log" 2>&1; then
    cat "$build_log" >&2
    rm -f "$build_log"
    exit 2
fi
rm -f "$build_log"
target_dir="$(cd "$repo" && cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
mailtls="$target_dir/release/mailtls"
servers_bin="$target_dir/release/mailtls-bench-servers"
mailtls_nojitter=""
BASELINE="${BENCH_BASELINE:-05f8e4d}"
mailtls_baseline=""
if [ "$BASELINE" != none ] && [ "$ONLY_PROBE" != 1 ]; then
    say "building the baseline mailtls at $BASELINE (release) into $target_dir/bench-baseline"
    baseline_src="$(mktemp -d)"
    if (cd "$repo" && git archive "$BASELINE" | tar -x -C "$baseline_src") 2>/dev/null &&
        (cd "$baseline_src" && CARGO_TARGET_DIR="$target_dir/bench-baseline" \
            cargo build --release -p mailtls --bin mailtls) >/dev/null 2>&1; then
        mailtls_baseline="$target_dir/bench-baseline/release/mailtls"
    else
        say "the baseline build at $BASELINE failed; its row is left out"
    fi
    rm -rf "$baseline_src"
fi
if [ "$NOJITTER" = 1 ]; then
    say "building mailtls with AWS_LC_SYS_NO_JITTER_ENTROPY=1 into $target_dir/bench-nojitter"
    if (cd "$repo" && AWS_LC_SYS_NO_JITTER_ENTROPY=1 CARGO_TARGET_DIR="$target_dir/bench-nojitter" \
        cargo build --release -p mailtls --bin mailtls) >/dev/null 2>&1; then
        mailtls_nojitter="$target_dir/bench-nojitter/release/mailtls"
    else
        say "the no-jitter build failed; its row is left out"
    fi
fi

# ---------------------------------------------------------------- servers
work="$(mktemp -d)"
server_pid=""
cleanup() {
    # Closing the servers' standard input tells them to stop.
    exec 9>&- 2>/dev/null || true
    if [ -n "$server_pid" ]; then
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$work/servers.stdin"
"$servers_bin" --dir "$work" --hosts "$HOSTS" --targets "$TARGETS" \
    <"$work/servers.stdin" >"$work/servers.env" 2>"$work/servers.log" &
server_pid=$!
exec 9>"$work/servers.stdin"
for _ in $(seq 300); do
    grep -q '^READY=1$' "$work/servers.env" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q '^READY=1$' "$work/servers.env" 2>/dev/null; then
    echo "bench: the bench servers did not start:" >&2
    cat "$work/servers.log" >&2
    exit 2
fi
# shellcheck source=/dev/null
. "$work/servers.env"
say "servers up: IMAP STARTTLS $IMAP_STARTTLS, IMAPS $IMAPS, $BATCH_HOSTS batch hosts"
started_at="$(date -u '+%Y-%m-%d %H:%M UTC')"
load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

# ---------------------------------------------------------------- measuring
# measure RUNS CMD... : one warm-up run (unless WARMUP=0), then RUNS timed runs.
# Sets MED_MS (median wall time, ms, process start to exit), PEAK_MB (largest
# max RSS, MB, or "n/a") and MED_CPU_MS (median user + system CPU time, ms, or "").
MED_MS="" PEAK_MB="" MED_CPU_MS="" WARMUP=1
measure() {
    local runs=$1
    shift
    if [ "$WARMUP" = 1 ]; then
        "$@" >/dev/null 2>&1 </dev/null || true
    fi
    : >"$work/times"
    : >"$work/cpu"
    local peak=0 i s e rss user sys
    for ((i = 0; i < runs; i++)); do
        if [ -n "$gnu_time" ]; then
            s=$EPOCHREALTIME
            "$gnu_time" -f '%M %U %S' -o "$work/rss" "$@" >/dev/null 2>&1 </dev/null || true
            e=$EPOCHREALTIME
            read -r rss user sys < <(tail -n 1 "$work/rss") || true
            [ "$rss" -gt "$peak" ] 2>/dev/null && peak=$rss
            echo "$user $sys" >>"$work/cpu"
        else
            s=$EPOCHREALTIME
            "$@" >/dev/null 2>&1 </dev/null || true
            e=$EPOCHREALTIME
        fi
        echo "$s $e" >>"$work/times"
    done
    MED_MS="$(awk '{ print ($2 - $1) * 1000 }' "$work/times" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }')"
    if [ -n "$gnu_time" ]; then
        PEAK_MB="$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')"
        MED_CPU_MS="$(awk '{ print ($1 + $2) * 1000 }' "$work/cpu" | sort -g |
            awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f", m }')"
    else
        PEAK_MB="n/a"
        MED_CPU_MS=""
    fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }'; }

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }
not_installed() { row "$1" "$2" "-" "-" "-" "not installed"; }

# ---------------------------------------------------------------- 1. single checks
single() {
    local label=$1 url=$2 addr=$3 starttls=$4
    local base_ms tool
    local ca=(--sni "$SERVER_NAME" --ca-file "$ROOT_PEM")
    say "$label: checking that mailtls reports ok"
    local verdict
    verdict="$("$mailtls" check "$url" "${ca[@]}" --format nagios 2>&1 | head -n 1 || true)"
    case "$verdict" in
    "MAILTLS OK"*) ;;
    *) echo "bench: mailtls did not report OK for $url: $verdict" >&2; exit 2 ;;
    esac

    say "$label: mailtls check ($RUNS runs)"
    measure "$RUNS" "$mailtls" check "$url" "${ca[@]}"
    base_ms=$MED_MS
    row "1 $label" "mailtls check" "$MED_MS" "$PEAK_MB" "1.0" "runs: $RUNS"
    if [ -n "$mailtls_nojitter" ]; then
        measure "$RUNS" "$mailtls_nojitter" check "$url" "${ca[@]}"
        row "1 $label" "mailtls check, built without jitter entropy [e]" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$base_ms")" "runs: $RUNS"
    fi

    tool="openssl s_client"
    if [ -n "$openssl_bin" ]; then
        local st=()
        [ "$starttls" = 1 ] && st=(-starttls imap)
        say "$label: $tool ($RUNS runs)"
        if ! "$openssl_bin" s_client "${st[@]}" -connect "$addr" -servername "$SERVER_NAME" \
            -verify_hostname "$SERVER_NAME" -CAfile "$ROOT_PEM" -verify_return_error -brief \
            </dev/null >/dev/null 2>&1; then
            say "warning: openssl s_client failed against $addr"
        fi
        measure "$RUNS" "$openssl_bin" s_client "${st[@]}" -connect "$addr" -servername "$SERVER_NAME" \
            -verify_hostname "$SERVER_NAME" -CAfile "$ROOT_PEM" -verify_return_error -brief
        row "1 $label" "$tool [a]" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$base_ms")" "runs: $RUNS"
    else
        not_installed "1 $label" "$tool"
    fi

    tool="sslyze --certinfo"
    if [ -n "$sslyze_bin" ]; then
        local st=()
        [ "$starttls" = 1 ] && st=(--starttls imap)
        say "$label: $tool ($RUNS runs)"
        measure "$RUNS" "$sslyze_bin" --quiet --mozilla_config disable "${st[@]}" --sni "$SERVER_NAME" \
            --certinfo --certinfo_ca_file "$ROOT_PEM" "$addr"
        row "1 $label" "$tool [b]" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$base_ms")" "runs: $RUNS"
    else
        not_installed "1 $label" "$tool"
    fi

    tool="testssl.sh -S"
    if [ -n "$testssl_bin" ]; then
        local st=()
        [ "$starttls" = 1 ] && st=(--starttls imap)
        say "$label: $tool ($SLOW_RUNS runs, seconds each)"
        WARMUP=0 measure "$SLOW_RUNS" "$testssl_bin" --quiet --color 0 --warnings off --nodns none \
            "${st[@]}" --add-ca "$ROOT_PEM" -S "$addr"
        row "1 $label" "$tool [c]" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$base_ms")" "runs: $SLOW_RUNS (no warm-up)"
    else
        not_installed "1 $label" "$tool"
    fi
}

if [ "$ONLY_PROBE" != 1 ]; then
single "IMAP STARTTLS" "imap+starttls://$IMAP_STARTTLS" "$IMAP_STARTTLS" 1
single "IMAPS" "imaps://$IMAPS" "$IMAPS" 0
# The same against real Dovecot (the interop suite's launcher), where installed.
if [ -n "${DOVECOT_IMAP_STARTTLS:-}" ]; then
    single "Dovecot IMAP STARTTLS" "imap+starttls://$DOVECOT_IMAP_STARTTLS" "$DOVECOT_IMAP_STARTTLS" 1
    single "Dovecot IMAPS" "imaps://$DOVECOT_IMAPS" "$DOVECOT_IMAPS" 0
else
    row "1 Dovecot" "(all tools)" "-" "-" "-" "not run: ${DOVECOT_SKIPPED:-Dovecot not started} (install with .ci/install-servers.sh, run as root)"
fi

# ---------------------------------------------------------------- 1. wrong port
# A TLS-first port checked as STARTTLS (the IMAPS server as imap+starttls://):
# the time to the verdict, which mailtls reaches by trying TLS on a second
# connection after 1 s of silence instead of waiting for the greeting deadline.
wrong_label="1 wrong port: IMAPS as STARTTLS"
say "$wrong_label: mailtls check ($WRONG_PORT_RUNS runs)"
wrong_code="jq not installed"
if [ -n "$jq_bin" ]; then
    wrong_code="$("$mailtls" check "imap+starttls://$IMAPS" --sni "$SERVER_NAME" --ca-file "$ROOT_PEM" \
        --format json 2>/dev/null | "$jq_bin" -r '[.reports[0].findings[].code] | join(", ")' || true)"
fi
WARMUP=0 measure "$WRONG_PORT_RUNS" "$mailtls" check "imap+starttls://$IMAPS" --sni "$SERVER_NAME" --ca-file "$ROOT_PEM"
wrong_base=$MED_MS
row "$wrong_label" "mailtls check" "$MED_MS" "$PEAK_MB" "1.0" "runs: $WRONG_PORT_RUNS (no warm-up), --timeout 10s; findings: $wrong_code"
if [ -n "$openssl_bin" ]; then
    say "$wrong_label: openssl s_client -starttls imap (1 run, given up after 15 s)"
    WARMUP=0 measure 1 timeout 15 "$openssl_bin" s_client -starttls imap -connect "$IMAPS" \
        -servername "$SERVER_NAME" -verify_hostname "$SERVER_NAME" -CAfile "$ROOT_PEM" -verify_return_error -brief
    row "$wrong_label" "openssl s_client -starttls imap [a]" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$wrong_base")" \
        "runs: 1 (no warm-up); it waits for a greeting that never comes, under timeout 15"
else
    not_installed "$wrong_label" "openssl s_client"
fi
fi # ONLY_PROBE

# ---------------------------------------------------------------- 2. full probe
# Every tool goes through bench/count-proxy.py, which counts the TCP
# connections it accepts: the "connections" note is counted, not guessed.
probe_label="2 probe IMAP STARTTLS"
probe_base=""
proxy_pid=""
start_proxy() {
    : >"$work/count"
    mkfifo "$work/proxy.stdin.$1"
    python3 "$here/count-proxy.py" "$IMAP_STARTTLS" "$work/count" \
        <"$work/proxy.stdin.$1" >"$work/proxy.port" 2>>"$work/proxy.log" &
    proxy_pid=$!
    exec 8>"$work/proxy.stdin.$1"
    for _ in $(seq 100); do
        [ -s "$work/proxy.port" ] && break
        sleep 0.05
    done
    PROXY="127.0.0.1:$(head -n 1 "$work/proxy.port")"
}
stop_proxy() {
    exec 8>&-
    wait "$proxy_pid" 2>/dev/null || true
    CONNECTIONS="$(wc -l <"$work/count" | tr -d ' ')"
}
check_help="$("$mailtls" check --help 2>/dev/null || true)"
if grep -q -- '--probe' <<<"$check_help"; then
    say "full probe: mailtls check --probe --audit ($PROBE_RUNS runs)"
    start_proxy mailtls
    WARMUP=0 measure "$PROBE_RUNS" "$mailtls" check --probe --audit "imap+starttls://$PROXY" \
        --sni "$SERVER_NAME" --ca-file "$ROOT_PEM"
    stop_proxy
    probe_base=$MED_MS
    row "$probe_label" "mailtls check --probe --audit" "$MED_MS" "$PEAK_MB" "1.0" "runs: $PROBE_RUNS (no warm-up); connections: $CONNECTIONS"
else
    row "$probe_label" "mailtls check --probe" "-" "-" "-" "mailtls probe: not available in this build"
fi
if [ -n "$sslyze_bin" ]; then
    say "full probe: sslyze default scan ($PROBE_RUNS runs)"
    start_proxy sslyze
    WARMUP=0 measure "$PROBE_RUNS" "$sslyze_bin" --quiet --starttls imap --sni "$SERVER_NAME" \
        --certinfo_ca_file "$ROOT_PEM" "$PROXY"
    stop_proxy
    row "$probe_label" "sslyze (default scan) [d]" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$probe_base")" "runs: $PROBE_RUNS (no warm-up); connections: $CONNECTIONS"
else
    not_installed "$probe_label" "sslyze (default scan)"
fi
if [ -n "$testssl_bin" ]; then
    say "full probe: testssl.sh default run ($PROBE_RUNS runs, a minute or more each)"
    start_proxy testssl
    WARMUP=0 measure "$PROBE_RUNS" "$testssl_bin" --quiet --color 0 --warnings off --nodns none \
        --starttls imap --add-ca "$ROOT_PEM" "$PROXY"
    stop_proxy
    row "$probe_label" "testssl.sh (default run) [d]" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$probe_base")" "runs: $PROBE_RUNS (no warm-up); connections: $CONNECTIONS"
else
    not_installed "$probe_label" "testssl.sh (default run)"
fi

startup="not measured (BENCH_ONLY_PROBE=1)" rtt="$startup" per_store_note="CPU per chain verification: $startup"
load_after="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
if [ "$ONLY_PROBE" != 1 ]; then
# ---------------------------------------------------------------- 3. batch
batch_label="3 batch $TARGETS × IMAPS"
say "batch: mailtls, $TARGETS targets on $BATCH_HOSTS hosts, --concurrency $CONCURRENCY --per-host $PER_HOST ($BATCH_RUNS runs)"
batch_cmd=("$mailtls" check --targets-file "$TARGETS_FILE" -f ndjson --quiet
    --concurrency "$CONCURRENCY" --per-host "$PER_HOST" --sni "$SERVER_NAME" --ca-file "$ROOT_PEM")
"${batch_cmd[@]}" >"$work/batch.ndjson" 2>"$work/batch.err" || true
lines="$(wc -l <"$work/batch.ndjson" | tr -d ' ')"
ok="?"
if [ -n "$jq_bin" ]; then
    ok="$("$jq_bin" -r .verdict "$work/batch.ndjson" | grep -c '^ok$' || true)"
fi
# The servers' CPU time (utime + stime, clock ticks) over the measured runs.
server_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat" 2>/dev/null || echo 0; }
ticks_before="$(server_ticks)"
WARMUP=0 measure "$BATCH_RUNS" "${batch_cmd[@]}"
ticks_after="$(server_ticks)"
rate="$(awk -v n="$TARGETS" -v ms="$MED_MS" 'BEGIN { printf "%.0f", n / (ms / 1000) }')"
batch_base=$MED_MS
cpu_note=""
if [ -n "$MED_CPU_MS" ]; then
    hz="$(getconf CLK_TCK 2>/dev/null || echo 100)"
    cpu_note="$(awk -v c="$MED_CPU_MS" -v n="$TARGETS" -v t="$((ticks_after - ticks_before))" \
        -v hz="$hz" -v runs="$BATCH_RUNS" -v cpus="$(nproc)" 'BEGIN {
            client = c / n; server = t / hz * 1000 / runs / n
            printf "; CPU per check: mailtls %.2f ms, servers %.2f ms, so %d CPUs allow about %.0f checks/s", client, server, cpus, cpus * 1000 / (client + server) }')"
fi
row "$batch_label" "mailtls check --targets-file (ndjson)" "$MED_MS" "$PEAK_MB" "1.0" \
    "**$rate checks/s**; wc -l: $lines lines, $ok ok; runs: $BATCH_RUNS$cpu_note"
cache_cpu=$MED_CPU_MS
stores="?"
if [ -n "$jq_bin" ]; then
    stores="$(head -n 1 "$work/batch.ndjson" | "$jq_bin" '.facts.trust_by_store | length')"
fi

# The same batch with the verification cache off (--no-verify-cache): every
# check verifies its chain in the handshake and judges it by every store afresh.
say "batch: mailtls --no-verify-cache ($BATCH_RUNS runs)"
ticks_before="$(server_ticks)"
WARMUP=0 measure "$BATCH_RUNS" "${batch_cmd[@]}" --no-verify-cache
ticks_after="$(server_ticks)"
nocache_rate="$(awk -v n="$TARGETS" -v ms="$MED_MS" 'BEGIN { printf "%.0f", n / (ms / 1000) }')"
nocache_note=""
per_store_note="CPU per chain verification: not measured (needs GNU time and jq)"
if [ -n "$MED_CPU_MS" ]; then
    nocache_note="$(awk -v c="$MED_CPU_MS" -v n="$TARGETS" -v t="$((ticks_after - ticks_before))" \
        -v hz="$hz" -v runs="$BATCH_RUNS" -v cpus="$(nproc)" 'BEGIN {
            client = c / n; server = t / hz * 1000 / runs / n
            printf "; CPU per check: mailtls %.2f ms, servers %.2f ms, so %d CPUs allow about %.0f checks/s", client, server, cpus, cpus * 1000 / (client + server) }')"
    if [ "$stores" != "?" ]; then
        # Verifications a check makes without the cache: the handshake's, and one
        # per store judged except the CA files' (inferred from the handshake's).
        per_store_note="$(awk -v a="$MED_CPU_MS" -v b="$cache_cpu" -v n="$TARGETS" -v s="$stores" 'BEGIN {
            v = s; if (v < 1) v = 1
            printf "per-client cost: one chain verification costs about %.3f ms of CPU uncached (%.2f ms per check for %d verifications: the handshake'"'"'s and %d of %d store verdicts), and nothing when the verdict is cached; each further store (client profile) judged adds that much per distinct chain and name", (a - b) / n / v, (a - b) / n, v, v - 1, s }')"
    fi
fi
row "$batch_label" "mailtls, verification cache off" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$batch_base")" \
    "$nocache_rate checks/s; runs: $BATCH_RUNS$nocache_note"

# The same batch with the baseline build, in this run on these servers: the
# like-for-like throughput ratio (the baseline judges fewer stores).
if [ -n "$mailtls_baseline" ]; then
    say "batch: the baseline build at $BASELINE ($BATCH_RUNS runs)"
    baseline_cmd=("$mailtls_baseline" "${batch_cmd[@]:1}")
    ticks_before="$(server_ticks)"
    WARMUP=0 measure "$BATCH_RUNS" "${baseline_cmd[@]}"
    ticks_after="$(server_ticks)"
    base_rate="$(awk -v n="$TARGETS" -v ms="$MED_MS" 'BEGIN { printf "%.0f", n / (ms / 1000) }')"
    base_note=""
    if [ -n "$MED_CPU_MS" ]; then
        base_note="$(awk -v c="$MED_CPU_MS" -v n="$TARGETS" -v t="$((ticks_after - ticks_before))" \
            -v hz="$hz" -v runs="$BATCH_RUNS" 'BEGIN {
                printf "; CPU per check: mailtls %.2f ms, servers %.2f ms", c / n, t / hz * 1000 / runs / n }')"
    fi
    row "$batch_label" "mailtls at $BASELINE (baseline build)" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$batch_base")" \
        "$base_rate checks/s; this build's throughput is $(awk -v a="$rate" -v b="$base_rate" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')× the baseline's; runs: $BATCH_RUNS$base_note"
fi

# Shards: the same batch as $SHARDS processes with --shard K/$SHARDS at once on
# this machine (on several machines each would get its own CPUs); the notes
# prove that their union is every target once.
say "batch: $SHARDS shards at once ($BATCH_RUNS runs)"
shard_script='for k in $(seq 1 "$1"); do "${@:3}" --shard "$k/$1" >"$2.$k" 2>/dev/null & done; wait'
WARMUP=0 measure "$BATCH_RUNS" bash -c "$shard_script" shards "$SHARDS" "$work/shard.ndjson" "${batch_cmd[@]}"
shard_rate="$(awk -v n="$TARGETS" -v ms="$MED_MS" 'BEGIN { printf "%.0f", n / (ms / 1000) }')"
shard_lines="$(cat "$work"/shard.ndjson.* | wc -l | tr -d ' ')"
shard_sizes="$(for k in $(seq 1 "$SHARDS"); do wc -l <"$work/shard.ndjson.$k" | tr -d ' '; done | paste -sd+ -)"
shard_check="?"
if [ -n "$jq_bin" ]; then
    # The targets file repeats each URL; compare as multisets (sorted, not uniq).
    same="no"
    if diff <(cat "$work"/shard.ndjson.* | "$jq_bin" -r .input | sort) \
        <("$jq_bin" -r .input "$work/batch.ndjson" | sort) >/dev/null; then
        same="yes"
    fi
    shard_check="; union of the shards' inputs equals the unsharded run's, as a multiset: $same"
fi
row "$batch_label" "mailtls, $SHARDS × --shard K/$SHARDS at once" "$MED_MS" "$PEAK_MB" "$(ratio "$MED_MS" "$batch_base")" \
    "$shard_rate checks/s; lines $shard_lines ($shard_sizes)$shard_check; runs: $BATCH_RUNS; peak RSS of one shard"
if [ -n "$sslyze_bin" ]; then
    head -n "$SSLYZE_BATCH" "$SSLYZE_TARGETS_FILE" >"$work/sslyze-subset.txt"
    say "batch: sslyze --targets_in, $SSLYZE_BATCH targets (1 run, extrapolated to $TARGETS)"
    WARMUP=0 measure 1 "$sslyze_bin" --quiet --mozilla_config disable --sni "$SERVER_NAME" --certinfo \
        --certinfo_ca_file "$ROOT_PEM" --targets_in "$work/sslyze-subset.txt" \
        --json_out "$work/sslyze-batch.json"
    done_count="?"
    if [ -n "$jq_bin" ] && [ -s "$work/sslyze-batch.json" ]; then
        done_count="$("$jq_bin" '[.server_scan_results[] | select(.scan_status == "COMPLETED")] | length' "$work/sslyze-batch.json")"
    fi
    s_rate="$(awk -v n="$SSLYZE_BATCH" -v ms="$MED_MS" 'BEGIN { printf "%.1f", n / (ms / 1000) }')"
    s_full="$(awk -v n="$TARGETS" -v r="$s_rate" 'BEGIN { if (r > 0) printf "%.0f", n / r * 1000; else print "-" }')"
    row "$batch_label" "sslyze --targets_in --certinfo [f]" "$s_full (extrapolated)" "$PEAK_MB" \
        "$(ratio "$s_full" "$batch_base")" \
        "$s_rate checks/s; ran $SSLYZE_BATCH targets in $MED_MS ms, $done_count completed"
else
    not_installed "$batch_label" "sslyze --targets_in"
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

# ---------------------------------------------------------------- start-up, round trips
if [ -n "$hyperfine_bin" ]; then
    "$hyperfine_bin" -N --warmup 10 --runs 200 --export-json "$work/version.json" \
        "$mailtls --version" >/dev/null 2>&1
    if [ -n "$jq_bin" ]; then
        startup="$("$jq_bin" '.results[0].median * 1000 | . * 100 | round / 100' "$work/version.json") ms (hyperfine -N, median of 200 runs)"
    else
        startup="$(sed -n 's/.*"median": *\([0-9.e-]*\).*/\1/p' "$work/version.json" | head -n 1 |
            awk '{ printf "%.2f", $1 * 1000 }') ms (hyperfine -N, median of 200 runs)"
    fi
else
    : >"$work/times"
    for _ in $(seq 100); do
        s=$EPOCHREALTIME
        "$mailtls" --version >/dev/null
        e=$EPOCHREALTIME
        echo "$s $e" >>"$work/times"
    done
    startup="$(awk '{ print ($2 - $1) * 1000 }' "$work/times" | sort -g |
        awk '{ v[NR] = $1 } END { printf "%.2f", (v[50] + v[51]) / 2 }') ms (shell loop, median of 100 runs; hyperfine not installed)"
fi

rtt="jq not installed"
if [ -n "$jq_bin" ]; then
    "$mailtls" check "imap+starttls://$IMAP_STARTTLS" --sni "$SERVER_NAME" --ca-file "$ROOT_PEM" \
        --format json >"$work/rtt.json" || true
    # A round trip is a client line the client then waits for an answer to: a
    # client line followed by a server line in the same phase.
    read -r before after sent_before sent_after version < <("$jq_bin" -r '
        .reports[0].facts as $f | $f.transcript.lines as $l
        | [range(0; ($l | length) - 1)
           | select($l[.].from == "client" and $l[. + 1].from == "server" and $l[. + 1].tls == $l[.].tls)
           | $l[.].tls] as $waited
        | [($waited | map(select(. == false)) | length),
           ($waited | map(select(. == true)) | length),
           ([$l[] | select(.from == "client" and .tls == false)] | length),
           ([$l[] | select(.from == "client" and .tls == true)] | length),
           ($f.tls.version // "none")] | @tsv' "$work/rtt.json") || true
    tls_rtt=1
    [ "$version" = "TLSv1.2" ] && tls_rtt=2
    total=$((1 + before + tls_rtt + after))
    rtt="$total = TCP 1 + before TLS $before + $version handshake $tls_rtt + inside TLS $after"
    rtt="$rtt (client lines: $sent_before before TLS, $sent_after inside TLS; the closing LOGOUT is not waited for)."
    rtt="$rtt Protocol minimum: 4 = TCP 1 + STARTTLS 1 (the greeting already lists the capabilities) + TLS 1.3 handshake 1 + CAPABILITY inside TLS 1; 3 for a check that does not read the capabilities inside TLS"
fi
fi # ONLY_PROBE

# ---------------------------------------------------------------- output
version_of() { "$@" 2>/dev/null | head -n 1 || true; }
echo "### mailtls benchmark, started $started_at"
echo
echo "| row | tool | median ms | peak RSS MB | × mailtls time | notes |"
echo "|---|---|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
echo "- mailtls --version start-up: $startup"
echo "- round trips, IMAP STARTTLS check: $rtt"
echo "- $per_store_note"
echo "- batch: $TARGETS targets round-robin over $BATCH_HOSTS IMAPS servers on 127.0.1.1-127.0.1.$BATCH_HOSTS, --concurrency $CONCURRENCY --per-host $PER_HOST"
echo "- wall time is process start to exit (the bench servers run in the same machine and share its CPUs); peak RSS is GNU time's maximum resident set size, the largest over the runs"
for m in "${missing[@]}"; do echo "- not installed: $m"; done
echo
echo "[a] openssl s_client [-starttls imap] -connect ADDR -servername mail.test -verify_hostname mail.test -CAfile root.pem -verify_return_error -brief </dev/null: one connection, handshake and chain verification, exits at end of input"
echo "[b] sslyze --quiet --mozilla_config disable [--starttls imap] --sni mail.test --certinfo --certinfo_ca_file root.pem ADDR: connectivity test, then the certificate-info scan (chain, trust against its stores and the CA file, OCSP stapling)"
echo "[c] testssl.sh --quiet --color 0 --warnings off --nodns none [--starttls imap] --add-ca root.pem -S ADDR: server defaults and certificate information only"
echo "[d] full scans of the IMAP STARTTLS endpoint: sslyze with every default scan command and the Mozilla intermediate compliance check; testssl.sh's default run (protocols, ciphers, vulnerabilities, ...), --nodns none"
[ -n "$mailtls_nojitter" ] && echo "[e] the same mailtls source built with AWS_LC_SYS_NO_JITTER_ENTROPY=1: aws-lc seeds its random generator from the OS (getrandom) instead of also running its CPU-jitter entropy collector"
echo "[f] sslyze --quiet --mozilla_config disable --sni mail.test --certinfo --certinfo_ca_file root.pem --targets_in FILE (HOST:PORT lines, implicit TLS) on the first $SSLYZE_BATCH targets; time for $TARGETS extrapolated linearly"
echo
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, $(uname -sr); load average before $load_before, after the batch $load_after"
echo "Versions: $("$mailtls" --version)${openssl_bin:+; $(version_of "$openssl_bin" version)}${sslyze_bin:+; sslyze $("$sslyze_bin" --help 2>/dev/null | sed -n 's/^SSLyze version //p')}${testssl_bin:+; testssl.sh $(dpkg-query -W -f '${Version}' testssl.sh 2>/dev/null || echo '?')}${hyperfine_bin:+; $(version_of "$hyperfine_bin" --version)}"
echo "Date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
