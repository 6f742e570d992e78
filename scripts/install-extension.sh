#!/usr/bin/env bash
# Builds and installs the extension into the PostgreSQL of PG_CONFIG, with the install
# scripts of earlier releases kept in sql/ (persona--VERSION.sql), so that a database still
# on an earlier version can be created and updated with ALTER EXTENSION persona UPDATE.
#   scripts/install-extension.sh PG_CONFIG [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
PG_CONFIG=${1:?usage: $0 PG_CONFIG [--release]}
shift
shopt -s nullglob
cargo pgrx install "$@" --pg-config "$PG_CONFIG"
for script in sql/persona--*.sql; do
    case "$(basename "$script" .sql)" in
        persona--*--*) ;; # upgrade scripts: cargo pgrx install copied them
        *) install -m 644 "$script" "$("$PG_CONFIG" --sharedir)/extension/" ;;
    esac
done
