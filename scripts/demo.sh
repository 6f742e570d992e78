#!/usr/bin/env bash
# The main job on real input, in the private cluster (make demo starts it): import the
# vendor's personas, label every survey row with one UPDATE, and print what came out.
# It recreates the database persona_demo on every run, so it can be run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "export $(bash scripts/cluster.sh env)"
DATA="$(pwd)/data"

PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS persona_demo" -c "CREATE DATABASE persona_demo"
export PGDATABASE=persona_demo
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION persona;
CREATE TABLE vendor_personas (persona text, x1 float8, x2 float8, x3 float8, x4 float8,
    x5 float8, x6 float8, x7 float8, x8 float8, x9 float8, x10 float8);
\copy vendor_personas FROM '$DATA/seed_personas.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE survey (customer_id integer PRIMARY KEY, survey_date date,
    x1 float8, x2 float8, x3 float8, x4 float8, x5 float8,
    x6 float8, x7 float8, x8 float8, x9 float8, x10 float8, true_persona text);
\copy survey FROM '$DATA/survey_2025.csv' WITH (FORMAT csv, HEADER)
SQL
psql -X -v ON_ERROR_STOP=1 -f demo/label_survey.sql
psql -X -v ON_ERROR_STOP=1 -f demo/fit_personas.sql
psql -X -v ON_ERROR_STOP=1 -f demo/drift_and_retrain.sql
