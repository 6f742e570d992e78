#!/usr/bin/env bash
# The main job on real input, in the private cluster (make demo starts it): import the
# vendor's personas, label every survey row with one UPDATE, and print what came out.
# It recreates the database persona_demo on every run, so it can be run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "export $(bash scripts/cluster.sh env)"
# shellcheck source=scripts/sample-data.sh
. scripts/sample-data.sh

PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS persona_demo" -c "CREATE DATABASE persona_demo"
export PGDATABASE=persona_demo
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION persona;
$(sample_tables_sql)
SQL
psql -X -v ON_ERROR_STOP=1 -f demo/label_survey.sql
psql -X -v ON_ERROR_STOP=1 -f demo/fit_personas.sql
psql -X -v ON_ERROR_STOP=1 -f demo/drift_and_retrain.sql
