#!/usr/bin/env bash
# The cluster response cache under a Zipf key mix: three Gatehouse nodes (separate JVMs on loopback, one Hazelcast
# cluster) in front of one nginx origin that counts its requests; `gatehouse loadtest --keys N --zipf S` spreads
# requests round-robin over the three nodes. Reports the hit ratio, origin requests per second and per-node
# throughput for a cold start and for steady state, and (with --kill-node) the origin refetches after one node is
# killed mid-run. See bench/README.md. Everything binds 127.0.0.1.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BENCH=cluster-cache

NODES=${NODES:-3}
KEYS=${KEYS:-10000}
ZIPF=${ZIPF:-1.1}
SEED=${SEED:-1}
SIZE=${SIZE:-1024}
CONNECTIONS=${CONNECTIONS:-48}
COLD=${COLD:-15s}
JVM_WARMUP=${JVM_WARMUP:-15s}
DURATION=${DURATION:-30s}
KILL_NODE=${KILL_NODE:-0}
KILL_DURATION=${KILL_DURATION:-20s}
CACHE=${CACHE:-on}
NODE_PORT=${NODE_PORT:-18201}          # node i listens on NODE_PORT+i-1
ADMIN_PORT=${ADMIN_PORT:-18211}
CLUSTER_PORT=${CLUSTER_PORT:-18221}
ORIGIN_PORT=${ORIGIN_PORT:-18231}
ORIGIN_STATUS_PORT=${ORIGIN_STATUS_PORT:-18232}
GATEHOUSE_JAVA_OPTS=${GATEHOUSE_JAVA_OPTS:--XX:+UseParallelGC -Xms512m -Xmx512m}
HOST_NAME=${HOST_NAME:-cache.bench.test}

usage() {
    cat <<EOF
usage: bench/cluster-cache.sh [--nodes 3] [--keys 10000] [--zipf 1.1] [--seed 1] [--size 1024]
                              [--connections 48] [--jvm-warmup 15s] [--cold 15s] [--duration 30s] [--kill-node 0]
                              [--kill-duration 20s] [--cache on|off] [--node-port 18201] [--admin-port 18211]
                              [--cluster-port 18221] [--origin-port 18231] [--origin-status-port 18232]

Starts an nginx origin (static files, access log, stub_status), NODES Gatehouse nodes forming one cluster, each
with one route caching everything (cache: {enabled: true}), and runs 'gatehouse loadtest' closed-loop with
CONNECTIONS connections over GET /bytes/<size>?max-age=3600&k=<key> (Host: HOST_NAME on every node, as behind a
load balancer: the cache key holds the host), keys drawn from Zipf(KEYS, ZIPF) (seeds SEED,
SEED+1, SEED+2 for the three phases), round-robin over the nodes:

  (jvm warm-up, --jvm-warmup, not reported: the same load on 100 other keys, /bytes/<size>?max-age=3600&w=<key>,
   so the JVMs have compiled the hot paths before the measured phases start from caches empty of their keys)
  cold     from empty caches, for --cold (what filling costs the origin)
  steady   right after, for --duration (the hit ratio a warm cluster reaches)
  kill     with --kill-node I (1..NODES): another --kill-duration run; node I is killed (SIGKILL) halfway. Counts
           the origin refetches after the kill: requests for keys the origin had already served before it (an
           entry the cluster lost), apart from the first fetches of keys never asked before

--cache off runs the same without the cache route: the baseline where every request reaches the origin.

Environment: the options above as NODES, KEYS, ZIPF, SEED, SIZE, CONNECTIONS, JVM_WARMUP, COLD, DURATION, KILL_NODE,
KILL_DURATION, CACHE, NODE_PORT, ADMIN_PORT, CLUSTER_PORT, ORIGIN_PORT, ORIGIN_STATUS_PORT; also
  GATEHOUSE_JAVA_OPTS  JVM flags of each node (default: $GATEHOUSE_JAVA_OPTS)
  KEEP_TMP=1           keep the temporary directory with configs and logs
EOF
}

parse_options --nodes=NODES --keys=KEYS --zipf=ZIPF --seed=SEED --size=SIZE --connections=CONNECTIONS \
    --jvm-warmup=JVM_WARMUP --cold=COLD --duration=DURATION --kill-node=KILL_NODE --kill-duration=KILL_DURATION --cache=CACHE \
    --node-port=NODE_PORT --admin-port=ADMIN_PORT --cluster-port=CLUSTER_PORT --origin-port=ORIGIN_PORT \
    --origin-status-port=ORIGIN_STATUS_PORT -- "$@"

# ---- validate arguments ------------------------------------------------------------------------------------

[[ $NODES =~ ^[1-9]$ ]] || die "--nodes: '$NODES' (expected: 1..9)"
[[ $KEYS =~ ^[1-9][0-9]*$ ]] || die "--keys: '$KEYS' (expected: a whole number >= 1)"
[[ $ZIPF =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--zipf: '$ZIPF' (expected e.g. 1.1)"
[[ $SEED =~ ^-?[0-9]+$ ]] || die "--seed: '$SEED' (expected: a whole number)"
[[ $SIZE =~ ^[0-9]+$ ]] || die "--size: '$SIZE' (expected: bytes, e.g. 1024)"
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "--connections: '$CONNECTIONS' (expected: a whole number >= 1)"
[[ $JVM_WARMUP =~ ^[0-9]+[smh]$ ]] || die "--jvm-warmup: '$JVM_WARMUP' (expected e.g. 15s, or 0s for none)"
for d in "$COLD" "$DURATION" "$KILL_DURATION"; do
    [[ $d =~ ^[1-9][0-9]*[smh]$ ]] || die "duration '$d' (expected e.g. 15s, 1m)"
done
[[ $KILL_NODE =~ ^[0-9]$ ]] && (( KILL_NODE <= NODES )) || die "--kill-node: '$KILL_NODE' (expected: 0 or 1..$NODES)"
[[ $CACHE == on || $CACHE == off ]] || die "--cache: '$CACHE' (expected: on or off)"
check_ports "$NODE_PORT" "$ADMIN_PORT" "$CLUSTER_PORT" "$ORIGIN_PORT" "$ORIGIN_STATUS_PORT"

seconds() {      # 10s | 2m | 1h -> seconds
    case $1 in
        *h) echo $(( ${1%h} * 3600 )) ;;
        *m) echo $(( ${1%m} * 60 )) ;;
        *s) echo "${1%s}" ;;
    esac
}

export PATH="$PATH:/usr/sbin:/sbin"
command -v nginx >/dev/null || die "nginx not found: apt-get install -y nginx"
command -v java >/dev/null || die "java not found (Java 17+)"
build_jar_if_missing

make_tmp gatehouse-cluster-cache
chmod 711 "$TMP"

node_port() { echo $(( NODE_PORT + $1 - 1 )); }
admin_port() { echo $(( ADMIN_PORT + $1 - 1 )); }
cluster_port() { echo $(( CLUSTER_PORT + $1 - 1 )); }

for (( i = 1; i <= NODES; i++ )); do
    for p in "$(node_port "$i")" "$(admin_port "$i")" "$(cluster_port "$i")"; do
        port_in_use "$p" && die "port $p is in use"
    done
done
for p in "$ORIGIN_PORT" "$ORIGIN_STATUS_PORT"; do
    port_in_use "$p" && die "port $p is in use"
done

# ---- the origin: nginx, static files, one access log line per request -----------------------------------------

start_origin() {
    local root=$TMP/origin conf=$TMP/origin-nginx.conf t
    mkdir -p "$root/bytes" "$TMP/origin-tmp" && chmod 777 "$TMP/origin-tmp"
    for s in 16 "$SIZE"; do
        head -c "$s" /dev/zero | tr '\0' 'x' >"$root/bytes/$s"
    done
    chmod -R a+rX "$root"
    : >"$TMP/origin-access.log" && chmod 666 "$TMP/origin-access.log"
    {
        echo "worker_processes 1;"
        echo "pid $TMP/origin-nginx.pid;"
        echo "error_log $TMP/origin-error.log warn;"
        echo "daemon off;"
        echo "events { worker_connections 4096; }"
        echo "http {"
        echo "    keepalive_requests 1000000;"
        echo "    default_type application/octet-stream;"
        echo "    log_format bench '\$msec \$request_uri';"
        # cacheable for an hour when asked (the benchmark's URLs all ask)
        echo "    map \$args \$bench_expires { ~(^|&)max-age= 1h; default off; }"
        for t in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${t}_temp_path $TMP/origin-tmp/$t;"
        done
        echo "    server {"
        echo "        listen 127.0.0.1:$ORIGIN_PORT;"
        echo "        root $root;"
        echo "        access_log $TMP/origin-access.log bench;"
        echo "        expires \$bench_expires;"
        echo "    }"
        echo "    server {"
        echo "        listen 127.0.0.1:$ORIGIN_STATUS_PORT;"
        echo "        access_log off;"
        echo "        location = /status { stub_status; }"
        echo "    }"
        echo "}"
    } >"$conf"
    nginx -t -q -e "$TMP/origin-error.log" -c "$conf" >"$TMP/origin.log" 2>&1 \
        || { cat "$TMP/origin.log" >&2; die "nginx rejected $conf"; }
    nginx -e "$TMP/origin-error.log" -c "$conf" >>"$TMP/origin.log" 2>&1 &
    ORIGIN_PID=$!
    PIDS+=("$ORIGIN_PID")
    wait_ready origin "$ORIGIN_PORT" /bytes/16 "$ORIGIN_PID" "$TMP/origin.log" 30
}

# ---- the nodes ------------------------------------------------------------------------------------------------

export GATEHOUSE_CLUSTER_SECRET
GATEHOUSE_CLUSTER_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

write_node_config() {     # I -> $TMP/node-I.yaml
    local i=$1 j members=
    for (( j = 1; j <= NODES; j++ )); do
        members+="${members:+, }127.0.0.1:$(cluster_port "$j")"
    done
    {
        echo "data-dir: $TMP/node-$i-data"
        echo "cluster: { name: bench-cache-$$, host: 127.0.0.1, port: $(cluster_port "$i"), members: [$members] }"
        echo "listeners:"
        echo "  - { name: bench, host: 127.0.0.1, port: $(node_port "$i") }"
        echo "admin: { host: 127.0.0.1, port: $(admin_port "$i") }"
        echo "pools:"
        echo "  - name: origin"
        echo "    backends: [ { url: http://127.0.0.1:$ORIGIN_PORT } ]"
        echo "routes:"
        echo "  - name: all"
        echo "    match: { path-prefix: / }"
        echo "    pool: origin"
        [[ $CACHE == on ]] && echo "    cache: { enabled: true }"
        [[ $CACHE == on ]] && echo "cache: { max-size: 256MB }"
    } >"$TMP/node-$i.yaml"
}

declare -A NODE_PID
start_node() {            # I
    local i=$1
    write_node_config "$i"
    java -jar "$JAR" validate --config "$TMP/node-$i.yaml" >"$TMP/node-$i-validate.log" 2>&1 \
        || { cat "$TMP/node-$i-validate.log" >&2; die "node $i: $JAR rejected $TMP/node-$i.yaml"; }
    # shellcheck disable=SC2086
    java $GATEHOUSE_JAVA_OPTS -jar "$JAR" run --config "$TMP/node-$i.yaml" >"$TMP/node-$i.log" 2>&1 &
    NODE_PID[$i]=$!
    PIDS+=("${NODE_PID[$i]}")
}

# the cluster has formed when every node's log says its health checks are divided among all of them (Hazelcast's
# own member list is not logged at Gatehouse's default levels)
wait_cluster() {
    local i t
    for (( t = 0; t < 1200; t++ )); do
        local formed=1
        for (( i = 1; i <= NODES; i++ )); do
            kill -0 "${NODE_PID[$i]}" 2>/dev/null || { tail -n 30 "$TMP/node-$i.log" >&2; die "node $i exited"; }
            grep -q "divided among $NODES members" "$TMP/node-$i.log" || formed=0
        done
        (( formed )) && return 0
        sleep 0.1
    done
    die "the $NODES nodes did not form one cluster within 120 s (logs: $TMP/node-*.log; KEEP_TMP=1 keeps them)"
}

start_origin
echo "$BENCH: origin nginx on 127.0.0.1:$ORIGIN_PORT (status :$ORIGIN_STATUS_PORT, pid $ORIGIN_PID)"
for (( i = 1; i <= NODES; i++ )); do
    start_node "$i"
done
for (( i = 1; i <= NODES; i++ )); do
    wait_ready "node $i" "$(node_port "$i")" /bytes/16 "${NODE_PID[$i]}" "$TMP/node-$i.log" 120
done
(( NODES > 1 )) && wait_cluster
echo "$BENCH: $NODES nodes ready on 127.0.0.1:$(node_port 1)..$(node_port "$NODES"), one cluster (cache $CACHE)"

# the readiness probes went to the origin; the runs count from here
urls=()
for (( i = 1; i <= NODES; i++ )); do
    urls+=(--url "http://127.0.0.1:$(node_port "$i")/bytes/$SIZE?max-age=3600&k={key}")
done

mkdir -p "$ROOT/bench/results"
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS="$ROOT/bench/results/cluster-cache-$STAMP.txt"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/report.txt"

access_lines() { wc -l <"$TMP/origin-access.log"; }

# loadtest NAME DURATION SEED [URL OPTIONS...]: one closed-loop run over the nodes (no warm-up: every request
# counts), JSON to $TMP/NAME.json and the text report to the results. Each phase has its own seed: with one seed a
# later phase would replay the keys of the earlier one in the same order and find all of them cached.
loadtest() {
    local name=$1 duration=$2 seed=$3 before after
    shift 3
    local target=("$@")
    (( ${#target[@]} > 0 )) || target=("${urls[@]}" --keys "$KEYS" --zipf "$ZIPF")
    before=$(access_lines)
    # one Host for every node, as behind a load balancer: the cache key holds the host, and 127.0.0.1:<node port>
    # would give each node keys of its own
    java -jar "$JAR" loadtest "${target[@]}" --seed "$seed" --connections "$CONNECTIONS" --header "Host: $HOST_NAME" \
        --duration "$duration" --warmup 0s --timeout 5s \
        --origin-counter "http://127.0.0.1:$ORIGIN_STATUS_PORT/status" --json >"$TMP/$name.json" 2>"$TMP/$name.err"
    local rc=$?
    after=$(access_lines)
    [[ -s $TMP/$name.json ]] && jq -e . "$TMP/$name.json" >/dev/null 2>&1 \
        || { cat "$TMP/$name.json" "$TMP/$name.err" >&2; die "loadtest $name failed (exit $rc)"; }
    jq --arg phase "$name" --argjson lines $(( after - before )) '. + {phase: $phase, origin_access_log_lines: $lines}' \
        "$TMP/$name.json" >"$TMP/$name.tagged.json"
}

# summary NAME: one line of figures from $TMP/NAME.json
summary() {
    jq -r '
        def pct: (. * 1000 | round) / 10;
        "\(.phase): \(.responses) responses, \(.achieved_rate | round)/s, errors \(.errors.total), hit ratio \(.cache.hit_ratio | pct)%, origin \(.origin.requests // "?") requests = \(.origin.rate // "?")/s (\((.origin.share_of_responses // 0) | pct)% of responses; access log \(.origin_access_log_lines)), p99 \(.latency_ms.p99) ms",
        (.targets // [] | to_entries[] | "    node \(.key + 1): \(.value.responses) responses, \(.value.rate | round)/s, errors \(.value.errors), hit ratio \(.value.hit_ratio | pct)%, p99 \(.value.p99_ms) ms")
    ' "$TMP/$1.tagged.json"
}

runs_s=$(( $(seconds "$JVM_WARMUP") + $(seconds "$COLD") + $(seconds "$DURATION") + (KILL_NODE > 0 ? $(seconds "$KILL_DURATION") : 0) ))
echo "$BENCH: $KEYS keys, zipf $ZIPF, seed $SEED, /bytes/$SIZE, $CONNECTIONS connections; about $(( runs_s + 10 )) s of load"

if [[ $JVM_WARMUP != 0 && $JVM_WARMUP != 0s ]]; then
    echo "$BENCH: JVM warm-up for $JVM_WARMUP on 100 other keys (not reported)"
    warm=()
    for (( i = 1; i <= NODES; i++ )); do
        warm+=(--url "http://127.0.0.1:$(node_port "$i")/bytes/$SIZE?max-age=3600&w={key}")
    done
    loadtest jvm-warmup "$JVM_WARMUP" "$SEED" "${warm[@]}" --keys 100
    rm -f "$TMP/jvm-warmup.tagged.json"
fi
echo "$BENCH: cold: from empty caches for $COLD"
loadtest cold "$COLD" "$SEED"
summary cold | tee -a "$TMP/report.txt"
echo "$BENCH: steady: warm caches for $DURATION"
loadtest steady "$DURATION" $(( SEED + 1 ))
summary steady | tee -a "$TMP/report.txt"

if (( KILL_NODE > 0 )); then
    half=$(( $(seconds "$KILL_DURATION") / 2 ))
    echo "$BENCH: kill: $KILL_DURATION, node $KILL_NODE killed (SIGKILL) after ${half}s"
    kill_line_file=$TMP/kill-at.txt
    (
        sleep "$half"
        date +%s.%N >"$kill_line_file"
        kill -9 "${NODE_PID[$KILL_NODE]}"
    ) &
    killer=$!
    loadtest kill "$KILL_DURATION" $(( SEED + 2 ))
    wait "$killer"
    summary kill | tee -a "$TMP/report.txt"
    # refetches: origin requests after the kill for a URI the origin had served before it (1 h freshness: no
    # entry expired, so each is an entry the cluster lost or a miss the surviving nodes could not answer)
    kill_at=$(<"$kill_line_file")
    awk -v t="$kill_at" '
        $1 < t { seen[$2] = 1; next }
        { after++; if ($2 in seen) { refetch++; if (!($2 in counted)) { counted[$2] = 1; keys++ } } }
        END { printf "    after the kill: %d origin requests, %d of them refetches of %d keys already fetched before it\n", after, refetch, keys }
    ' "$TMP/origin-access.log" | tee -a "$TMP/report.txt"
fi

hit=$(jq -r '.cache.hit_ratio' "$TMP/steady.json")
{
    echo "# Gatehouse cluster cache benchmark $STAMP"
    echo "# host $(uname -srm), $(nproc) cores; load average before: $LOAD_BEFORE; $(java -version 2>&1 | head -1)"
    echo "# $NODES nodes, cache $CACHE; $KEYS keys, zipf $ZIPF, seed $SEED, /bytes/$SIZE, closed loop $CONNECTIONS connections;"
    echo "# cold $COLD, steady $DURATION$( (( KILL_NODE > 0 )) && echo ", kill node $KILL_NODE halfway through $KILL_DURATION")"
    echo "# GATEHOUSE_JAVA_OPTS=$GATEHOUSE_JAVA_OPTS"
    cat "$TMP/report.txt"
    echo
    echo "# node config (node 1)"
    cat "$TMP/node-1.yaml"
    echo
    echo "# loadtest reports (JSON)"
    cat "$TMP"/*.tagged.json
} >"$RESULTS"
echo "raw results: ${RESULTS#"$ROOT"/}"
if [[ $CACHE == on ]] && awk -v h="$hit" 'BEGIN {exit !(h == 0)}'; then
    die "no request was a cache hit in steady state: the nodes are not caching (see $TMP/node-1.log)"
fi
