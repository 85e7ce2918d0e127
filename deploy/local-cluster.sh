#!/usr/bin/env bash
# Runs N lathe nodes on 127.0.0.1, each with its own data folder and ports, for trying a cluster on one machine.
#   deploy/local-cluster.sh start 3     node i: Artery 25520+i, gRPC 25550+i, /alive + /ready on 25580+i
#   deploy/local-cluster.sh status      ready or not, then `lathe status` of the cluster
#   deploy/local-cluster.sh stop        SIGTERM (coordinated shutdown), then wait
# LATHE_JAR (default node/target/lathe.jar) and LATHE_CLUSTER_DIR (default ./local-cluster) override the paths.
# LATHE_JVM_OPTS replaces the nodes' JVM options: a 1 GiB heap, and G1 refining remembered sets in its pauses
# rather than on concurrent threads, which took a fifth of the CPU of a node with 1,000 live streams on two cores
# (README, Benchmarks: median p99 ack latency 54 ms with it, 76 ms without, in 8 interleaved runs each).
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
jar="${LATHE_JAR:-$here/node/target/lathe.jar}"
dir="${LATHE_CLUSTER_DIR:-$PWD/local-cluster}"
java="${JAVA:-java}"
read -r -a jvm_opts <<<"${LATHE_JVM_OPTS:--Xmx1g -XX:G1ConcRefinementThreads=0}"

usage() {
  echo "usage: $0 start N | stop | status" >&2
  exit 2
}

nodes() {
  ls -d "$dir"/node* 2>/dev/null | sed 's/.*node//' | sort -n
}

alive() {
  [[ -f "$dir/node$1/pid" ]] && kill -0 "$(cat "$dir/node$1/pid")" 2>/dev/null
}

start() {
  local n="$1"
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage
  [[ -f "$jar" ]] || { echo "no $jar: build it with mvn -pl node -am package" >&2; exit 1; }
  mkdir -p "$dir"
  for i in $(seq 1 "$n"); do
    if alive "$i"; then
      echo "node$i already runs (pid $(cat "$dir/node$i/pid"))"
      continue
    fi
    mkdir -p "$dir/node$i"
    nohup "$java" "${jvm_opts[@]}" -jar "$jar" node --data-dir "$dir/node$i" --host 127.0.0.1 \
      --port $((25520 + i)) --grpc-port $((25550 + i)) --management-port $((25580 + i)) \
      --seed 127.0.0.1:25521 >"$dir/node$i/node.log" 2>&1 &
    echo $! >"$dir/node$i/pid"
    echo "node$i: pid $!, gRPC 127.0.0.1:$((25550 + i)), data $dir/node$i"
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 60); do
      if curl -fs "http://127.0.0.1:$((25580 + i))/ready" >/dev/null 2>&1; then
        break
      fi
      alive "$i" || { echo "node$i exited; see $dir/node$i/node.log" >&2; exit 1; }
      sleep 1
    done
  done
  status
}

stop() {
  for i in $(nodes); do
    if alive "$i"; then
      kill -TERM "$(cat "$dir/node$i/pid")"
    fi
  done
  for i in $(nodes); do
    for _ in $(seq 1 60); do
      alive "$i" || break
      sleep 1
    done
    if alive "$i"; then
      echo "node$i did not stop within 60 s" >&2
    else
      rm -f "$dir/node$i/pid"
      echo "node$i stopped"
    fi
  done
}

status() {
  local first=""
  for i in $(nodes); do
    if alive "$i"; then
      ready=$(curl -fs "http://127.0.0.1:$((25580 + i))/ready" 2>/dev/null || echo "not ready")
      echo "node$i: pid $(cat "$dir/node$i/pid"), $(echo "$ready" | tr -d '\n')"
      first="${first:-127.0.0.1:$((25550 + i))}"
    else
      echo "node$i: stopped"
    fi
  done
  if [[ -n "$first" ]]; then
    "$java" -jar "$jar" status --cluster "$first"
  fi
}

case "${1:-}" in
  start) [[ $# -eq 2 ]] || usage; start "$2" ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
