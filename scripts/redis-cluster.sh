#!/usr/bin/env bash
# A local Redis Cluster on loopback ports, for the store suites and the
# cluster fault tests.
#
#   scripts/redis-cluster.sh start [BASE] [REPLICAS]
#   scripts/redis-cluster.sh stop  [BASE] [REPLICAS]
#   scripts/redis-cluster.sh node  [BASE] [REPLICAS] PORT   (restart one stopped node)
#
# Three masters on ports BASE+1..BASE+3, and with REPLICAS=1 one replica each
# on BASE+4..BASE+6 (the failover test needs a replica to promote).
# Defaults: BASE=7000, REPLICAS=0, the shared cluster the suites use through
# REDIS_CLUSTER_URLS=redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003.
# Tests that restart or fail over nodes start their own cluster on another
# base, so they never disturb the shared one.
#
# `start` is idempotent: a cluster already up on those ports is left alone.
# Nothing is persisted; the nodes' files live in a temporary directory.
set -euo pipefail

cmd=${1:-}
base=${2:-7000}
replicas=${3:-0}
masters=3
count=$((masters * (1 + replicas)))
dir="${TMPDIR:-/tmp}/rampart-redis-cluster-$base"
ports=()
for i in $(seq 1 "$count"); do ports+=($((base + i))); done

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

# One node; its nodes-PORT.conf in $dir makes a restarted node rejoin.
node() {
    redis-server --bind 127.0.0.1 --port "$1" --cluster-enabled yes \
        --cluster-config-file "nodes-$1.conf" --cluster-node-timeout 2000 \
        --save "" --appendonly no --daemonize yes --dir "$dir" \
        --logfile "$dir/redis-$1.log"
}

state_ok() {
    cli "${ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
    local known
    known=$(cli "${ports[0]}" cluster info 2>/dev/null | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')
    [ "$known" = "$count" ] || return 1
    # Replicas are attached and in sync, so a failover has one to promote.
    local synced=0
    for port in "${ports[@]}"; do
        if cli "$port" info replication 2>/dev/null | grep -q '^master_link_status:up'; then
            synced=$((synced + 1))
        fi
    done
    [ "$synced" = "$((masters * replicas))" ]
}

wait_ok() {
    for _ in $(seq 1 60); do
        if state_ok; then return 0; fi
        sleep 0.5
    done
    echo "the Redis Cluster on ports ${ports[*]} did not reach cluster_state:ok" >&2
    return 1
}

start() {
    if state_ok; then
        echo "Redis Cluster already up on ports ${ports[*]}"
        return 0
    fi
    mkdir -p "$dir"
    for port in "${ports[@]}"; do
        if cli "$port" ping >/dev/null 2>&1; then continue; fi
        node "$port"
    done
    for port in "${ports[@]}"; do
        for _ in $(seq 1 50); do
            if cli "$port" ping >/dev/null 2>&1; then break; fi
            sleep 0.1
        done
    done
    # Nodes that already hold slots (a half-built cluster) are not re-created.
    if [ "$(cli "${ports[0]}" cluster info | sed -n 's/^cluster_slots_assigned:\([0-9]*\).*/\1/p')" = "0" ]; then
        local nodes=()
        for port in "${ports[@]}"; do nodes+=("127.0.0.1:$port"); done
        redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes >/dev/null
    fi
    wait_ok
    echo "Redis Cluster up on ports ${ports[*]} ($masters masters, $replicas replica(s) each)"
}

stop() {
    for port in "${ports[@]}"; do
        cli "$port" shutdown nosave >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
    echo "Redis Cluster on ports ${ports[*]} stopped"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    node)
        port=${4:?usage: $0 node BASE REPLICAS PORT}
        node "$port"
        ;;
    *)
        echo "usage: $0 start|stop [BASE] [REPLICAS] | node BASE REPLICAS PORT" >&2
        exit 2
        ;;
esac
