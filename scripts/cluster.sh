#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for persona's demo, tests and benchmark.
#
#   scripts/cluster.sh start | stop | env
#
# It lives in .pg/ under the repository (or PERSONA_PGDIR), is owned by the unprivileged
# `postgres` user (PostgreSQL refuses to run as root), listens only on a Unix socket in that
# folder on port PERSONA_PORT (default 5499), and never touches the system cluster.
# `env` prints the PGHOST/PGPORT/PGUSER lines that psql needs. PERSONA_PG_BIN points at
# another PostgreSQL 15 bin folder (default: Debian's).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${PERSONA_PG_BIN:-/usr/lib/postgresql/15/bin}"
PORT="${PERSONA_PORT:-5499}"
OWNER=postgres
PGDIR="${PERSONA_PGDIR:-$REPO/.pg}"

as_owner() {
    if [ "$(id -un)" = "$OWNER" ]; then "$@"; else runuser -u "$OWNER" -- "$@"; fi
}

# The owner must reach the folder; a clone under /root is not reachable by postgres, so the
# cluster moves to /var/tmp in that case and says so.
ensure_dir() {
    mkdir -p "$PGDIR"
    chown "$OWNER": "$PGDIR" 2>/dev/null || true
    if ! as_owner test -w "$PGDIR"; then
        PGDIR="/var/tmp/persona-pg-$PORT"
        echo "cluster: $OWNER cannot write under $REPO; using $PGDIR" >&2
        mkdir -p "$PGDIR"
        chown "$OWNER": "$PGDIR"
    fi
}

init() {
    [ -f "$PGDIR/data/PG_VERSION" ] && return
    as_owner "$BIN/initdb" -D "$PGDIR/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 --no-instructions > "$PGDIR/initdb.log"
}

# Written at every start, so an existing cluster picks up changed settings.
configure() {
    local include="include_if_exists = 'persona.conf'"
    grep -qxF "$include" "$PGDIR/data/postgresql.conf" ||
        echo "$include" >> "$PGDIR/data/postgresql.conf"
    cat > "$PGDIR/data/persona.conf" <<CONF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$PGDIR'
max_parallel_workers_per_gather = 2
# pg_cron runs its jobs over a local connection: through the socket, in database persona.
shared_preload_libraries = 'pg_cron'
cron.database_name = 'persona'
cron.host = '$PGDIR'
CONF
    chown "$OWNER": "$PGDIR/data/persona.conf"
}

start() {
    ensure_dir
    init
    configure
    if ! as_owner "$BIN/pg_ctl" -D "$PGDIR/data" status > /dev/null 2>&1; then
        # A Rust backtrace in an error's DETAIL helps nobody reading a cancelled query.
        as_owner env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE \
            "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 start > /dev/null
    fi
    "$BIN/psql" -h "$PGDIR" -p "$PORT" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_database WHERE datname = 'persona'" | grep -q 1 ||
        "$BIN/createdb" -h "$PGDIR" -p "$PORT" -U postgres persona
    echo "cluster: running on socket $PGDIR port $PORT (psql -h $PGDIR -p $PORT -U postgres persona)"
}

stop() {
    for dir in "$PGDIR" "/var/tmp/persona-pg-$PORT"; do
        if [ -f "$dir/data/postmaster.pid" ]; then
            as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null || true
        fi
    done
}

env_lines() {
    [ -d "$PGDIR/data" ] || PGDIR="/var/tmp/persona-pg-$PORT"
    echo "PGHOST=$PGDIR PGPORT=$PORT PGUSER=postgres PGDATABASE=persona"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    env) env_lines ;;
    *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
