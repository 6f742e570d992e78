# Shared by the shell-driven tests, sourced from the repository's top folder: the private
# cluster's connection settings, sample_tables_sql (scripts/sample-data.sh), WORK (a scratch
# folder removed at exit, with any background job), fresh_db, and `check NAME EXPECTED
# ACTUAL`, which prints a TAP-like "ok - NAME" or "not ok - NAME: expected ..., got ..." line
# and counts it.
eval "export $(bash scripts/cluster.sh env)"
# shellcheck source=scripts/sample-data.sh
. scripts/sample-data.sh
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}
# fresh_db NAME [CREATE DATABASE options]: drops and creates a database.
fresh_db() {
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres \
        -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 ${2:-}"
}
