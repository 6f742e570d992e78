#!/usr/bin/env bash
# The concurrency test, against the running private cluster: pgbench clients score
# continuously (tests/concurrency/score.sql) while one session promotes, rolls back and
# retrains the same model over and over. Passes when no client and no admin statement fails,
# and every scoring statement saw a single version (score.sql fails a client otherwise).
# Prints "concurrency: N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-lib.sh
. scripts/test-lib.sh
export PGOPTIONS="-c client_min_messages=warning"
DB=persona_concurrency
SECONDS_TO_RUN=${PERSONA_CONCURRENCY_SECONDS:-30}
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

fresh_db "$DB"
q > /dev/null <<SQL
CREATE EXTENSION persona;
$(sample_tables_sql)
CREATE TABLE fresh AS SELECT * FROM survey WHERE survey_date = '2025-01-01';
SELECT persona.fit('conc', 'fresh', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 3, n_init => 1,
                   promote => true);
SQL

/usr/lib/postgresql/15/bin/pgbench -n -c 3 -j 2 -T "$SECONDS_TO_RUN" \
    -f tests/concurrency/score.sql "$DB" > "$WORK/pgbench.log" 2>&1 &
bench=$!

# Each round shifts every feature of the newest data a little further (a dataset drift), retrains on it (auto promotion),
# promotes the newest version, then the first one, and rolls back (to the newest), while
# pgbench keeps scoring.
admin_errors=0
rounds=0
end=$((SECONDS + SECONDS_TO_RUN - 5))
while [ "$SECONDS" -lt "$end" ]; do
    rounds=$((rounds + 1))
    q > "$WORK/admin.log" 2>&1 <<SQL || { admin_errors=$((admin_errors + 1)); cat "$WORK/admin.log"; }
TRUNCATE fresh;
INSERT INTO fresh
SELECT customer_id, survey_date, x1 + $rounds, x2 + $rounds, x3 + $rounds, x4 + $rounds,
       x5 + $rounds, x6 + $rounds, x7 + $rounds, x8 + $rounds, x9 + $rounds, x10 + $rounds,
       true_persona
  FROM survey WHERE survey_date = '2025-01-01';
CALL persona.retrain_if_drifted('conc', 'fresh', 'auto');
SELECT persona.promote('conc', max(version)) FROM persona.model_versions WHERE model = 'conc';
SELECT persona.promote('conc', 1);
SELECT persona.rollback('conc');
SQL
done
wait "$bench" && bench_status=0 || bench_status=$?

check "pgbench finished cleanly" "0" "$bench_status"
check "no scoring transaction failed" "0" \
    "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.log")"
check "no client aborted" "0" "$(grep -c 'aborted' "$WORK/pgbench.log" || true)"
check "the admin session never failed" "0" "$admin_errors"
scored=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' \
    "$WORK/pgbench.log")
check "clients scored throughout" "yes" "$([ "${scored:-0}" -ge 10 ] && echo yes || echo "no ($scored)")"
check "several retrains, promotions and rollbacks ran" "yes" \
    "$(q -c "SELECT CASE WHEN count(*) FILTER (WHERE reason = 'promoted') >= 3
                        AND count(*) FILTER (WHERE reason LIKE 'rollback%') >= 3
                        AND (SELECT count(*) FROM persona.model_versions
                              WHERE model = 'conc') >= 3
                   THEN 'yes' ELSE 'no' END
             FROM persona.model_events WHERE model = 'conc'")"
check "exactly one production version at the end" "1" \
    "$(q -c "SELECT count(*) FROM persona.model_versions
              WHERE model = 'conc' AND stage = 'production'")"
[ "$failed" -eq 0 ] || cat "$WORK/pgbench.log"
[ -n "${PERSONA_KEEP_DB:-}" ] || psql -X -q -d postgres -c "DROP DATABASE $DB"

echo "concurrency: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
