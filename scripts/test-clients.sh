#!/usr/bin/env bash
# Tests through the clients people use, against the running private cluster (scripts/test.sh
# starts it):
#   - JDBC: tests/jdbc/PersonaJdbc.java, through Debian's PostgreSQL JDBC driver (the driver
#     CloudBeaver and other Java GUIs use), logs in over loopback TCP with a password, runs the
#     README's getting-started statements and reads every view's columns, types and comments;
#   - the drift report: persona.drift_report_html of a real check, rendered by headless
#     Chromium to a PNG that must show the page (tests/report/PngStats.java counts pixels);
#   - the README: its reference table lists exactly the extension's functions and relations.
# Prints one "ok - ..." / "not ok - ..." line per check; exits non-zero on any failure.
# With --update-docs, the rendered report replaces docs/drift-report.png.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-lib.sh
. scripts/test-lib.sh
OUT="$(pwd)/results/clients"
JDBC_JAR=/usr/share/java/postgresql.jar
mkdir -p "$OUT"

echo "== JDBC: a login role over loopback TCP"
# A role with a password, as a GUI connects; the superuser creates the extension and grants
# what the README says other roles need.
password="$(cat /proc/sys/kernel/random/uuid)"
fresh_db persona_jdbc
psql -X -q -v ON_ERROR_STOP=1 -d persona_jdbc > /dev/null <<SQL
SET client_min_messages = warning;
DROP ROLE IF EXISTS persona_gui;
CREATE EXTENSION persona;
CREATE ROLE persona_gui LOGIN PASSWORD '$password' IN ROLE persona_admin;
GRANT CREATE ON SCHEMA public TO persona_gui;
SQL
set +e
java -cp "$JDBC_JAR" tests/jdbc/PersonaJdbc.java \
    "jdbc:postgresql://127.0.0.1:$PGPORT/persona_jdbc" persona_gui "$password" \
    > "$OUT/jdbc.log" 2>&1
jdbc_status=$?
set -e
grep -E '^(not )?ok - ' "$OUT/jdbc.log" || true
passed=$((passed + $(grep -c '^ok - ' "$OUT/jdbc.log" || true)))
failed=$((failed + $(grep -c '^not ok - ' "$OUT/jdbc.log" || true)))
if [ "$jdbc_status" -ne 0 ] && ! grep -q '^not ok - ' "$OUT/jdbc.log"; then
    not_ok "jdbc: the program failed (exit $jdbc_status): $(tail -5 "$OUT/jdbc.log" | tr '\n' ' ')"
fi
psql -X -q -d postgres -c "DROP DATABASE persona_jdbc" -c "DROP ROLE persona_gui" > /dev/null

echo "== the drift report in headless Chromium"
fresh_db persona_report
psql -X -q -v ON_ERROR_STOP=1 -d persona_report > /dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION persona;
$(sample_tables_sql)
SELECT persona.import_centroids('vendor',
    array_agg(ARRAY[x1, x2, x3, x4, x5, x6, x7, x8, x9, x10] ORDER BY persona),
    '{Sustainable Steve,Eco-Conscious Haley,Budget-Minded Ben}',
    '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}') FROM vendor_personas;
CREATE VIEW survey_2025_01 AS SELECT * FROM survey WHERE survey_date = '2025-01-01';
CREATE VIEW survey_2025_05 AS SELECT * FROM survey WHERE survey_date = '2025-05-01';
SELECT persona.set_baseline('vendor', 'survey_2025_01');
SELECT persona.check_drift('vendor', 'survey_2025_05');
SQL
psql -X -qAt -d persona_report -c "SELECT persona.drift_report_html(max(report_id))
                                     FROM persona.drift_reports" > "$OUT/drift-report.html"
html="$OUT/drift-report.html"
check "report: one HTML page" "1 1" \
    "$(grep -c '^<!DOCTYPE html>' "$html") $(grep -c '</html>' "$html")"
check "report: no script, no external asset" "0" \
    "$(grep -ciE '<script|<link|<img|<iframe|src=|href=|url\(|@import' "$html" || true)"
check "report: the verdict" "1" "$(grep -c 'Dataset drift detected' "$html" || true)"
check "report: a table row and a picture per compared column (10 features, persona_share, distance)" \
    "12 12" "$(grep -c '^<tr' "$html") $(grep -c '^<figure' "$html")"
# An unknown id: its SQLSTATE, message and hint, as a client sees them.
check "report: unknown report id" \
    "42704|drift report 999999 does not exist|The saved reports are listed in persona.drift_reports." \
    "$(psql -X -qAt -d persona_report 2>&1 <<'SQL' | sed -n 's/^NOTICE:  //p'
DO $$
DECLARE s text; m text; h text;
BEGIN
    PERFORM persona.drift_report_html(999999);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, h = PG_EXCEPTION_HINT;
    RAISE NOTICE '%', s || '|' || m || '|' || h;
END $$;
SQL
)"
psql -X -q -d postgres -c "DROP DATABASE persona_report" > /dev/null

png="$OUT/drift-report.png"
rm -f "$png"
# Chromium refuses to run as root with its sandbox; the page has no script and comes from a
# local file, so running it without is no risk here.
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1200,2700 --screenshot="$png" "file://$html" > "$OUT/chromium.log" 2>&1 || true
if [ -s "$png" ]; then
    read -r width height non_white reference current < <(java tests/report/PngStats.java "$png")
    check "report: Chromium rendered a 1200 x 2700 PNG" "1200x2700" "${width}x${height}"
    # A blank page is all white; this one has text, a table and 12 bar charts.
    check "report: at least 3% of the picture is not white" "yes" \
        "$([ "$non_white" -ge $((width * height * 3 / 100)) ] && echo yes || echo "no ($non_white)")"
    check "report: reference and current bars are drawn" "yes" \
        "$([ "$reference" -ge 5000 ] && [ "$current" -ge 5000 ] && echo yes ||
           echo "no (reference $reference, current $current pixels)")"
    if [ "${1:-}" = "--update-docs" ]; then mkdir -p docs && cp "$png" docs/drift-report.png; fi
else
    not_ok "report: Chromium wrote no PNG: $(tail -3 "$OUT/chromium.log" | tr '\n' ' ')"
fi

echo "== the README's reference table against the installed extension"
fresh_db persona_readme
psql -X -q -d persona_readme -c "CREATE EXTENSION persona" > /dev/null
# Functions, procedures and aggregates users call (not the internal _-prefixed ones, nor the
# functions behind a type or an aggregate), and every table and view; persona's schema shown.
psql -X -qAt -d persona_readme > "$OUT/catalog.txt" <<'SQL'
WITH ext AS (SELECT oid FROM pg_extension WHERE extname = 'persona')
SELECT DISTINCT CASE WHEN n.nspname = 'persona' THEN 'persona.' ELSE '' END || p.proname
  FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND d.refobjid = (SELECT oid FROM ext)
   AND p.proname NOT LIKE '\_%'
   AND NOT EXISTS (SELECT 1 FROM pg_type t
                    WHERE p.oid IN (t.typinput, t.typoutput, t.typreceive, t.typsend))
   AND NOT EXISTS (SELECT 1 FROM pg_aggregate a
                    WHERE p.oid IN (a.aggtransfn, a.aggfinalfn, a.aggcombinefn,
                                    a.aggserialfn, a.aggdeserialfn))
UNION
SELECT 'persona.' || c.relname
  FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND d.refobjid = (SELECT oid FROM ext)
   AND c.relkind IN ('r', 'v', 'm')
ORDER BY 1;
SQL
psql -X -q -d postgres -c "DROP DATABASE persona_readme" > /dev/null
sed -n '/<!-- reference:begin -->/,/<!-- reference:end -->/p' README.md |
    grep -E '^\| `' | sed -E 's/^\| `([^`(]*).*/\1/' | sed -E 's/ +$//' | sort -u > "$OUT/readme.txt"
check "readme: the catalog lists functions and relations" "yes" \
    "$([ "$(wc -l < "$OUT/catalog.txt")" -ge 30 ] && echo yes || echo no)"
check "readme: every function, table and view of the extension is in the reference table" "" \
    "$(comm -23 <(sort -u "$OUT/catalog.txt") "$OUT/readme.txt" | paste -sd' ' -)"
check "readme: every name in the reference table exists in the extension" "" \
    "$(comm -13 <(sort -u "$OUT/catalog.txt") "$OUT/readme.txt" | paste -sd' ' -)"

echo "clients: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
