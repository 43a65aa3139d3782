#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: loopback only, a free port, trust auth, no fsync.
#
#   scripts/start_test_postgres.sh start DIR   # initdb DIR/data, start it, create database bakeoff_test;
#                                              # prints the URI (postgresql://postgres@127.0.0.1:PORT/bakeoff_test)
#   scripts/start_test_postgres.sh stop DIR    # stop it (DIR stays; delete it yourself)
#
# Binaries: initdb on PATH, else the newest /usr/lib/postgresql/*/bin (Debian's postgresql package).
# Run as root, the cluster belongs to the postgres user (root cannot run postgres).
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2

bindir() {
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return
    fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$found" ]; then
        echo "error: PostgreSQL is not installed (no initdb); on Debian: apt-get install postgresql" >&2
        exit 3
    fi
    echo "$found"
}

# run a PostgreSQL program as the cluster's owner
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

BIN=$(bindir)
case "$action" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # an English collation, as on most team servers (not code-point order: "a" < "B" < "b"), where ICU is built in
    icu=(--locale-provider=icu --icu-locale=en-US)
    "$BIN/pg_config" --configure 2>/dev/null | grep -q -- --with-icu || icu=()
    as_owner "$BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 "${icu[@]}" \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # listen on loopback only; sockets in DIR (not /var/run); durability off: a test cluster dies with its tests
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    "$BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres bakeoff_test
    echo "postgresql://postgres@127.0.0.1:$port/bakeoff_test"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    fi
    ;;
*)
    usage
    ;;
esac
