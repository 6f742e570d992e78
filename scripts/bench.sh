#!/usr/bin/env bash
# The benchmark of issue 6 (make bench): persona against the floors of PostgreSQL itself, the
# pure-SQL and PL/pgSQL ways of scoring, and the export-then-scikit-learn/scipy way, in one run.
#
#   ROWS=1000000 REPS=3 SCALE_ROWS=4000000 SCALE_REPS=2 bash scripts/bench.sh
#
# It runs against the private cluster (scripts/cluster.sh; make bench starts it), in a database
# persona_bench that it recreates. The data are seeded and survey-like: ROWS rows of ten
# features drawn around the three vendor personas of data/seed_personas.csv (standard
# deviation 2, even mix), as data/make_survey.py draws the survey. Every measurement is timed
# with psql's \timing (client round trip included, which is negligible next to these
# statements) or, on the Python side, time.perf_counter; each is repeated REPS times and the
# median is reported. Python comes from a virtualenv in .bench/venv made from PyPI with
# pinned versions. The results go to stdout and into the generated part of BENCHMARKS.md
# (between its bench markers; the hand-written analysis around them is kept).
#
# Knobs (environment): ROWS, REPS, SCALE_ROWS (0 skips the scaling runs), SCALE_REPS,
# BASELINE_REPS (repetitions of the slow pure-SQL and PL/pgSQL baselines, default REPS),
# WORKERS (parallel workers for the parallel runs, default 2), BENCH_OUT (default
# BENCHMARKS.md), PERSONA_PG_BIN (PostgreSQL's bin folder, default Debian's), PERSONA_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$(pwd)"

BIN="${PERSONA_PG_BIN:-/usr/lib/postgresql/15/bin}"
ROWS="${ROWS:-1000000}"
REPS="${REPS:-3}"
SCALE_ROWS="${SCALE_ROWS:-4000000}"
SCALE_REPS="${SCALE_REPS:-2}"
BASELINE_REPS="${BASELINE_REPS:-$REPS}"
WORKERS="${WORKERS:-2}"
BENCH_OUT="${BENCH_OUT:-BENCHMARKS.md}"
BUILD_PROFILE="${BUILD_PROFILE:-release}"
WORK="$REPO/results/bench"
VENV="$REPO/.bench/venv"
PY="$VENV/bin/python"
# Pinned, with their dependencies, so that a rerun months later measures the same code.
REQUIREMENTS="$REPO/scripts/bench-requirements.txt"
FEATURES="x1, x2, x3, x4, x5, x6, x7, x8, x9, x10"
ARRAY="ARRAY[$FEATURES]"

eval "export $(bash scripts/cluster.sh env)"
export PGDATABASE=persona_bench
mkdir -p "$WORK"
: > "$WORK/results.tsv"

log() { echo "bench: $*" >&2; }

psql_run() { "$BIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# The virtualenv: made once, reused while its pins match.
ensure_venv() {
    local stamp="$VENV/.requirements"
    if [ -x "$PY" ] && cmp -s "$stamp" "$REQUIREMENTS"; then
        return
    fi
    if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
        if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
            log "apt-get install python3-venv"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                python3-venv > /tmp/persona-apt.log || { cat /tmp/persona-apt.log; exit 1; }
        else
            log "python3 cannot make a virtualenv; install python3-venv"
            exit 1
        fi
    fi
    log "virtualenv $VENV from PyPI: scripts/bench-requirements.txt"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"
    cp "$REQUIREMENTS" "$stamp"
}

# record KEY VALUE... : one line of results.tsv (the renderer reads it).
record() { printf '%s\t%s\n' "$1" "${*:2}" >> "$WORK/results.tsv"; }

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) exit 1; m = int((NR + 1) / 2);
    if (NR % 2) printf "%.1f\n", v[m]; else printf "%.1f\n", (v[m] + v[m + 1]) / 2 }'; }

# time_sql KEY REPS SETUP STATEMENT: runs STATEMENT REPS times in one session after SETUP and
# records the median and every repetition, in milliseconds.
time_sql() {
    local key=$1 reps=$2 setup=$3 statement=$4 out times
    out="$WORK/$key.log"
    {
        echo "$setup"
        echo '\timing on'
        for _ in $(seq "$reps"); do echo "$statement"; done
    } | psql_run > "$out" 2>&1 || { cat "$out" >&2; exit 1; }
    times=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out" | paste -sd' ')
    record "$key" "$(echo "$times" | median)" "$times"
    log "$key: $(echo "$times" | median) ms (runs: $times)"
}

SERIAL="SET max_parallel_workers_per_gather = 0;"
PARALLEL="SET max_parallel_workers_per_gather = $WORKERS;"

# make_table NAME ROWS: the survey-like table, seeded, frozen and analyzed.
make_table() {
    local name=$1 rows=$2
    log "creating $name: $rows rows"
    psql_run > /dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $name;
CREATE TABLE $name (customer_id integer PRIMARY KEY, x1 float8, x2 float8, x3 float8,
    x4 float8, x5 float8, x6 float8, x7 float8, x8 float8, x9 float8, x10 float8,
    persona text);
SELECT setseed(0.25);
INSERT INTO $name (customer_id, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10)
SELECT g.i, c[p][1] + 2 * bench_normal(), c[p][2] + 2 * bench_normal(),
       c[p][3] + 2 * bench_normal(), c[p][4] + 2 * bench_normal(),
       c[p][5] + 2 * bench_normal(), c[p][6] + 2 * bench_normal(),
       c[p][7] + 2 * bench_normal(), c[p][8] + 2 * bench_normal(),
       c[p][9] + 2 * bench_normal(), c[p][10] + 2 * bench_normal()
  FROM (SELECT i, 1 + floor(random() * 3)::integer AS p FROM generate_series(1, $rows) i) g,
       (SELECT array_agg(ARRAY[$FEATURES] ORDER BY persona_id) AS c FROM bench_centroids) m;
VACUUM (FREEZE, ANALYZE) $name;
SQL
}

# ---------------------------------------------------------------------------------------------
ensure_venv
log "rows $ROWS, repetitions $REPS (baselines $BASELINE_REPS), scaling $SCALE_ROWS x $SCALE_REPS"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
# The code measured is the code at the start of the run.
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- . ':!BENCHMARKS.md' 2>/dev/null || echo '+dirty')"

PGOPTIONS="-c client_min_messages=warning" psql_run -d postgres \
    -c "DROP DATABASE IF EXISTS persona_bench" -c "CREATE DATABASE persona_bench"
psql_run > /dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION persona;
CREATE TABLE bench_centroids (persona_id integer PRIMARY KEY, label text, x1 float8,
    x2 float8, x3 float8, x4 float8, x5 float8, x6 float8, x7 float8, x8 float8, x9 float8,
    x10 float8);
CREATE TEMP TABLE seed (label text, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8,
    x6 float8, x7 float8, x8 float8, x9 float8, x10 float8);
\copy seed FROM '$REPO/data/seed_personas.csv' WITH (FORMAT csv, HEADER)
INSERT INTO bench_centroids SELECT row_number() OVER (ORDER BY label), * FROM seed;
-- The same three centroids as a persona model.
SELECT persona.import_centroids('bench',
    (SELECT array_agg(ARRAY[$FEATURES] ORDER BY persona_id) FROM bench_centroids),
    labels => (SELECT array_agg(label ORDER BY persona_id) FROM bench_centroids),
    features => '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}');
-- A standard normal from two uniforms (Box-Muller); PostgreSQL 15 has no random_normal().
CREATE FUNCTION bench_normal() RETURNS float8 LANGUAGE sql VOLATILE AS
    \$\$ SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) \$\$;
-- What a PL/pgSQL programmer writes: loop over the centroids, then over the features.
CREATE FUNCTION bench_plpgsql_nearest(f float8[], c float8[], labels text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS \$\$
DECLARE
    best integer := 1;
    best_d2 float8 := 'Infinity';
    d2 float8;
BEGIN
    FOR i IN 1 .. array_length(c, 1) LOOP
        d2 := 0;
        FOR j IN 1 .. array_length(f, 1) LOOP
            d2 := d2 + (f[j] - c[i][j]) * (f[j] - c[i][j]);
        END LOOP;
        IF d2 < best_d2 THEN
            best := i;
            best_d2 := d2;
        END IF;
    END LOOP;
    RETURN labels[best];
END
\$\$;
SQL
make_table bench_survey "$ROWS"
HALF=$((ROWS / 2))
psql_run > /dev/null <<SQL
CREATE VIEW bench_reference AS SELECT * FROM bench_survey WHERE customer_id <= $HALF;
CREATE VIEW bench_current AS SELECT * FROM bench_survey WHERE customer_id > $HALF;
SELECT count(*) FROM bench_survey;  -- warm the operating system's cache
SQL
CENTROIDS="(SELECT array_agg(ARRAY[$FEATURES] ORDER BY persona_id) FROM bench_centroids)"
LABELS="(SELECT array_agg(label ORDER BY persona_id) FROM bench_centroids)"

log "a. floors"
time_sql a_sum "$REPS" "$SERIAL" \
    "SELECT sum(x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10) FROM bench_survey;"
time_sql a_array "$REPS" "$SERIAL" "SELECT count($ARRAY) FROM bench_survey;"

log "b. pure SQL and PL/pgSQL"
time_sql b_sql "$BASELINE_REPS" "$SERIAL" \
    "SELECT count((SELECT c.label FROM bench_centroids c
        ORDER BY (s.x1 - c.x1) * (s.x1 - c.x1) + (s.x2 - c.x2) * (s.x2 - c.x2)
               + (s.x3 - c.x3) * (s.x3 - c.x3) + (s.x4 - c.x4) * (s.x4 - c.x4)
               + (s.x5 - c.x5) * (s.x5 - c.x5) + (s.x6 - c.x6) * (s.x6 - c.x6)
               + (s.x7 - c.x7) * (s.x7 - c.x7) + (s.x8 - c.x8) * (s.x8 - c.x8)
               + (s.x9 - c.x9) * (s.x9 - c.x9) + (s.x10 - c.x10) * (s.x10 - c.x10),
                 c.persona_id
        LIMIT 1)) FROM bench_survey s;"
time_sql b_plpgsql "$BASELINE_REPS" "$SERIAL" \
    "SELECT count(bench_plpgsql_nearest($ARRAY, c, l)) FROM bench_survey,
            (SELECT $CENTROIDS AS c, $LABELS AS l) m;"

log "c. assign_persona"
time_sql c_serial "$REPS" "$SERIAL" \
    "SELECT count(assign_persona($ARRAY, 'bench')) FROM bench_survey;"
time_sql c_parallel "$REPS" "$PARALLEL" \
    "SELECT count(assign_persona($ARRAY, 'bench')) FROM bench_survey;"
psql_run -c "$PARALLEL" -c "EXPLAIN (COSTS OFF)
    SELECT count(assign_persona($ARRAY, 'bench')) FROM bench_survey" > "$WORK/c_parallel.plan"
record c_parallel_workers "$(sed -n 's/.*Workers Planned: \([0-9]*\).*/\1/p' "$WORK/c_parallel.plan")"

log "d. UPDATE of every row (on a fresh copy each time)"
for key in d_update_constant d_update; do
    value="'x'"
    [ "$key" = d_update ] && value="assign_persona($ARRAY, 'bench')"
    times=""
    for _ in $(seq "$REPS"); do
        psql_run > /dev/null <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_update;
CREATE TABLE bench_update AS SELECT * FROM bench_survey;
ALTER TABLE bench_update ADD PRIMARY KEY (customer_id);
VACUUM (FREEZE, ANALYZE) bench_update;
CHECKPOINT;
SQL
        t=$(printf '%s\n' '\timing on' "UPDATE bench_update SET persona = $value;" |
            psql_run 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
        times="$times $t"
    done
    record "$key" "$(echo "$times" | median)" "$times"
    log "$key: $(echo "$times" | median) ms (runs:$times)"
done
psql_run -c "DROP TABLE bench_update"

# fit_runs KEY TABLE REPS [AFTER]: persona.fit, each repetition in a fresh session so that its
# peak memory (VmHWM of the backend, from /proc) is the fit's alone; AFTER, a command, runs
# after each repetition (the scikit-learn side of e, so that both take turns under the same
# load).
fit_runs() {
    local key=$1 table=$2 reps=$3 after=${4:-} times="" hwm="" rss="" shmem="" iters="" out
    for i in $(seq "$reps"); do
        out="$WORK/$key.$i.log"
        psql_run > "$out" 2>&1 <<SQL || { cat "$out" >&2; exit 1; }
SELECT 'rss_before ' || (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+) kB'))[1];
\timing on
SELECT persona.fit('bench_fit', '$table', '{x1,x2,x3,x4,x5,x6,x7,x8,x9,x10}', k => 8,
                   n_init => 1, standardize => false);
\timing off
SELECT 'hwm ' || (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+) kB'))[1];
SELECT 'shmem ' || (regexp_match(pg_read_file('/proc/self/status'), 'RssShmem:\s+(\d+) kB'))[1];
SELECT 'n_iter ' || (metrics->>'n_iter') FROM persona.fit_runs ORDER BY run_id DESC LIMIT 1;
SQL
        times="$times $(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$out")"
        hwm="$hwm $(sed -n 's/^hwm //p' "$out")"
        rss="$rss $(sed -n 's/^rss_before //p' "$out")"
        shmem="$shmem $(sed -n 's/^shmem //p' "$out")"
        iters="$iters $(sed -n 's/^n_iter //p' "$out")"
        if [ -n "$after" ]; then eval "$after"; fi
    done
    record "$key" "$(echo "$times" | median)" "$times"
    record "${key}_hwm_kb" "$(echo "$hwm" | tr ' ' '\n' | sort -g | tail -1)" "$hwm"
    record "${key}_rss_before_kb" "$(echo "$rss" | median)" "$rss"
    record "${key}_n_iter" "$(echo "$iters" | median)" "$iters"
    record "${key}_shmem_kb" "$(echo "$shmem" | tr ' ' '\n' | sort -g | tail -1)" "$shmem"
    log "$key: $(echo "$times" | median) ms (runs:$times), VmHWM kB:$hwm, n_iter:$iters"
}

# merge_runs FILE KEY...: the lines of KEY in FILE (one per repetition) as one result line.
merge_runs() {
    local file=$1 key runs
    for key in "${@:2}"; do
        runs=$(awk -F'\t' -v k="$key" '$1 == k {sub(/^[^ ]* /, "", $2); print $2}' "$file" |
            paste -sd' ')
        record "$key" "$(echo "$runs" | median)" "$runs"
    done
}

# The machine may be shared: persona.fit and scikit-learn take turns, one repetition each, so
# that a burst of load elsewhere does not fall on one side only.
log "e. persona.fit k = 8, n_init = 1 (and g. its peak memory), in turn with COPY export and"
log "   scikit-learn KMeans"
: > "$WORK/sklearn.tsv"
fit_runs e_fit bench_survey "$REPS" \
    '"$PY" scripts/bench_python.py fit --table bench_survey --reps 1 >> "$WORK/sklearn.tsv"'
merge_runs "$WORK/sklearn.tsv" e_copy_export e_sklearn_fit e_sklearn_n_iter
grep -E '^sklearn_(threads|version)' "$WORK/sklearn.tsv" | tail -2 >> "$WORK/results.tsv"

log "f. drift: 500k-row baseline, check_drift of the other half"
time_sql f_set_baseline 1 "" "SELECT persona.set_baseline('bench', 'bench_reference');"
time_sql f_check_drift "$REPS" "" \
    "SELECT dataset_drift FROM persona.check_drift('bench', 'bench_current');"
time_sql f_check_drift_ks "$REPS" "" \
    "SELECT dataset_drift FROM persona.check_drift('bench', 'bench_current', method => 'ks');"
# The default baseline keeps a 10,000-value sample per feature, so the checks above compare
# 500k current values with 10k reference values; scipy below compares 500k with 500k. The
# like-for-like run keeps every reference value (persona.baseline_sample_size = 500k).
time_sql f_set_baseline_full 1 "SET persona.baseline_sample_size = $HALF;" \
    "SELECT persona.set_baseline('bench', 'bench_reference');"
time_sql f_check_drift_full "$REPS" "" \
    "SELECT dataset_drift FROM persona.check_drift('bench', 'bench_current');"
time_sql f_check_drift_ks_full "$REPS" "" \
    "SELECT dataset_drift FROM persona.check_drift('bench', 'bench_current', method => 'ks');"
time_sql f_check_drift_w_full "$REPS" "" \
    "SELECT dataset_drift FROM persona.check_drift('bench', 'bench_current', method => 'wasserstein');"
log "f. COPY export and scipy ks_2samp + wasserstein_distance"
"$PY" scripts/bench_python.py drift --reference bench_reference --current bench_current \
    --reps "$REPS" >> "$WORK/results.tsv"

if [ "$SCALE_ROWS" -gt 0 ]; then
    log "h. scaling: c and e at $SCALE_ROWS rows"
    make_table bench_scaled "$SCALE_ROWS"
    psql_run -c "SELECT count(*) FROM bench_scaled" > /dev/null
    time_sql h_c_serial "$SCALE_REPS" "$SERIAL" \
        "SELECT count(assign_persona($ARRAY, 'bench')) FROM bench_scaled;"
    time_sql h_c_parallel "$SCALE_REPS" "$PARALLEL" \
        "SELECT count(assign_persona($ARRAY, 'bench')) FROM bench_scaled;"
    fit_runs h_e_fit bench_scaled "$SCALE_REPS"
    psql_run -c "DROP TABLE bench_scaled"
fi

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
record rows "$ROWS"
record reps "$REPS"
record baseline_reps "$BASELINE_REPS"
record scale_rows "$SCALE_ROWS"
record scale_reps "$SCALE_REPS"
record workers "$WORKERS"
record load_before "$LOAD_BEFORE"
record load_after "$LOAD_AFTER"
record build_profile "$BUILD_PROFILE"
record cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
record cores "$(nproc)"
record memory "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
record postgres "$(psql_run -c 'SELECT version()')"
record shared_buffers "$(psql_run -c 'SHOW shared_buffers')"
record commit "$COMMIT"
record date "$(date -u '+%Y-%m-%d %H:%M UTC')"
"$PY" scripts/bench_python.py report --results "$WORK/results.tsv" --out "$BENCH_OUT"
