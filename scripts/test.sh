#!/usr/bin/env bash
# The whole test suite: formatting and lints, the math crate's unit tests, then the SQL
# surface against the installed extension in the private cluster (pg_regress, plain SQL with
# expected output in tests/pg_regress), then the multi-session and pg_cron tests
# (scripts/test-sessions.sh), the upgrade from every kept release (scripts/test-upgrade.sh),
# scoring under concurrent promotes and retrains (scripts/test-concurrency.sh), then the tests
# through real clients: JDBC, headless Chromium and the README's reference table
# (scripts/test-clients.sh). Prints one closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
bash scripts/install-deps.sh

echo "== format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== persona-math unit tests"
cargo test -p persona-math --quiet 2>&1 | tee /tmp/persona-unit.log
unit_passed=$(grep -Eo '[0-9]+ passed' /tmp/persona-unit.log | awk '{s+=$1} END {print s+0}')

echo "== build and install the extension"
bash scripts/install-extension.sh "$PG_CONFIG" --release > /tmp/persona-install.log 2>&1 ||
    { cat /tmp/persona-install.log; exit 1; }

echo "== SQL tests (pg_regress)"
bash scripts/cluster.sh start
trap 'bash scripts/cluster.sh stop' EXIT
eval "export $(bash scripts/cluster.sh env)"
out=results/pg_regress
mkdir -p "$out"
set +e
"$($PG_CONFIG --pkglibdir)/pgxs/src/test/regress/pg_regress" \
    --host="$PGHOST" --port="$PGPORT" --user=postgres \
    --bindir="$($PG_CONFIG --bindir)" --inputdir=tests/pg_regress --outputdir="$out" \
    --dbname=persona_regress --schedule=tests/pg_regress/schedule | tee "$out/summary.log"
regress_status=${PIPESTATUS[0]}
[ -f "$out/regression.diffs" ] && cat "$out/regression.diffs"

echo "== multi-session, pg_cron, upgrade, concurrency and client tests"
shell_status=0
for t in sessions upgrade concurrency clients; do
    bash "scripts/test-$t.sh" | tee "$out/$t.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || shell_status=1
done
set -e

sql_failed=$(grep -cE '\.\.\. FAILED|^not ok' "$out/summary.log" || true)
sql_total=$(grep -cE '\.\.\. (ok|FAILED)' "$out/summary.log" || true)
s_passed=$(cat "$out"/{sessions,upgrade,concurrency,clients}.log | grep -c '^ok - ' || true)
s_failed=$(cat "$out"/{sessions,upgrade,concurrency,clients}.log | grep -c '^not ok - ' || true)
echo "persona: $((unit_passed + sql_total - sql_failed + s_passed)) passed, $((sql_failed + s_failed)) failed"
[ "$regress_status" -eq 0 ] && [ "$shell_status" -eq 0 ]
