#!/usr/bin/env bash
# Installs what building and testing persona needs on Debian 12, and skips whatever is already
# there: Debian's PostgreSQL 15 with its server headers and pg_cron, clang for bindgen, the
# clients the tests drive (a JDK and the PostgreSQL JDBC driver, headless Chromium),
# cargo-pgrx pinned to the pgrx version in Cargo.toml, and `cargo pgrx init` against Debian's
# pg_config (nothing is downloaded but packages and crates).
set -euo pipefail

PGRX_VERSION=0.18.1
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-15-cron libclang-dev clang pkg-config
          default-jdk-headless libpostgresql-jdbc-java chromium)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: run as root to install: ${missing[*]}" >&2
        exit 1
    fi
    # persona runs its own private cluster; do not let the package create and start a
    # system cluster on port 5432 if PostgreSQL is being installed for the first time.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    fi
    echo "install-deps: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        > /tmp/persona-apt.log || { cat /tmp/persona-apt.log; exit 1; }
fi

if ! cargo pgrx --version 2>/dev/null | grep -q " $PGRX_VERSION"; then
    echo "install-deps: cargo install cargo-pgrx $PGRX_VERSION (about 10 minutes on 2 cores)"
    cargo install cargo-pgrx --version "=$PGRX_VERSION" --locked --quiet
fi

PGRX_CONFIG="${PGRX_HOME:-$HOME/.pgrx}/config.toml"
if ! grep -qs "pg15 = \"$PG_CONFIG\"" "$PGRX_CONFIG"; then
    cargo pgrx init --pg15 "$PG_CONFIG"
fi
