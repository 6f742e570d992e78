#!/usr/bin/env bash
# The upgrade test, against the running private cluster: for every earlier release whose
# install script is kept in sql/ (persona--VERSION.sql), install that version, create models
# and a drift baseline, run ALTER EXTENSION persona UPDATE, and check that the models score
# exactly as before, drift still checks, a new fit works, and the upgraded catalog (every
# function, table, view, column, comment, grant and index: tests/upgrade/catalog.sql) is
# identical to a fresh installation of the current version.
# Prints "upgrade: N passed, N failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-lib.sh
. scripts/test-lib.sh
export PGOPTIONS="-c client_min_messages=warning"

current=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$db" "$@"; }

db=persona_upgrade_fresh
fresh_db "$db"
q -c "CREATE EXTENSION persona"
q -f tests/upgrade/catalog.sql > "$WORK/fresh.txt"

for script in sql/persona--*.sql; do
    old=$(basename "$script" .sql)
    old=${old#persona--}
    case "$old" in *--*) continue ;; esac
    echo "== from $old to $current"
    db=persona_upgrade_from_${old//./_}
    fresh_db "$db"
    q > /dev/null <<SQL
CREATE EXTENSION persona VERSION '$old';
$(sample_tables_sql)
CREATE VIEW survey_jan AS SELECT * FROM survey WHERE survey_date = '2025-01-01';
SELECT persona.import_centroids('vendor',
    (SELECT array_agg(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10] ORDER BY persona)
       FROM (SELECT true_persona AS persona, avg(x1) x1, avg(x2) x2, avg(x3) x3, avg(x4) x4,
                    avg(x5) x5, avg(x6) x6, avg(x7) x7, avg(x8) x8, avg(x9) x9, avg(x10) x10
               FROM survey_jan GROUP BY 1) c),
    (SELECT array_agg(DISTINCT true_persona ORDER BY true_persona) FROM survey_jan),
    '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}');
SELECT persona.fit('fitted', 'survey_jan', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 3,
                   n_init => 2, promote => true);
SELECT persona.set_baseline('vendor', 'survey_jan');
CREATE TABLE before AS
SELECT customer_id,
       assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10], 'vendor') AS vendor,
       assign_persona_id(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10], 'fitted') AS fitted
  FROM survey;
SQL
    check "$old: installed" "$old" \
        "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'persona'")"
    q -c "ALTER EXTENSION persona UPDATE"
    check "$old: updated to $current" "$current" \
        "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'persona'")"
    check "$old: every model scores as before" "2500|0" \
        "$(q -c "SELECT count(*), count(*) FILTER (WHERE
                   assign_persona(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10], 'vendor')
                     IS DISTINCT FROM b.vendor OR
                   assign_persona_id(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10], 'fitted')
                     IS DISTINCT FROM b.fitted)
                 FROM survey JOIN before b USING (customer_id)")"
    check "$old: the old baseline still checks drift" "f" \
        "$(q -c "SELECT dataset_drift FROM persona.check_drift('vendor', 'survey_jan')")"
    check "$old: a new fit registers version 2" "2" \
        "$(q -c "SELECT persona.fit('fitted', 'survey_jan', k => 3, n_init => 1)")"
    q -f tests/upgrade/catalog.sql > "$WORK/upgraded.txt"
    if diff -u "$WORK/fresh.txt" "$WORK/upgraded.txt" > "$WORK/catalog.diff"; then
        check "$old: the catalog equals a fresh install's" same same
    else
        cat "$WORK/catalog.diff"
        check "$old: the catalog equals a fresh install's" same different
    fi
    psql -X -q -d postgres -c "DROP DATABASE $db"
done
psql -X -q -d postgres -c "DROP DATABASE persona_upgrade_fresh"

echo "upgrade: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
