#!/usr/bin/env python3
"""The Python side of `make bench` (scripts/bench.sh runs it from .bench/venv).

    bench_python.py fit --table T --reps N
        exports T's ten features with COPY (binary) into a numpy array, then fits
        scikit-learn's KMeans(n_clusters=8, n_init=1, random_state=0) at its default thread
        count; prints result lines (key, median ms, every run).
    bench_python.py drift --reference R --current C --reps N
        exports both relations the same way, then runs scipy's ks_2samp and
        wasserstein_distance on each of the ten features.
    bench_python.py report --results results.tsv --out BENCHMARKS.md
        prints the Markdown table of times and target ratios, and writes it between the
        bench markers of BENCHMARKS.md (the text around them is kept).

It connects with the PGHOST/PGPORT/PGUSER/PGDATABASE that bench.sh exports. Each timing is
time.perf_counter around exactly the work named, repeated, and the median reported.
"""

import argparse
import os
import statistics
import sys
import time

FEATURES = [f"x{i}" for i in range(1, 11)]
BEGIN = "<!-- bench:begin (written by make bench; edit outside these markers) -->"
END = "<!-- bench:end -->"


def line(key, runs_ms, value=None):
    """One result line as bench.sh records them: key, median (or value), every run."""
    runs = " ".join(f"{r:.1f}" for r in runs_ms)
    shown = value if value is not None else f"{statistics.median(runs_ms):.1f}"
    print(f"{key}\t{shown} {runs}".rstrip())


def export(conn, relation):
    """The features of `relation` as an n x 10 float64 array, through COPY ... (FORMAT binary).

    Binary COPY is the fastest export PostgreSQL offers (no float-to-text conversion), and the
    row layout is fixed here (10 non-null float8 fields), so numpy reads it in one view.
    """
    import numpy as np

    columns = ", ".join(f"{c}::float8" for c in FEATURES)
    chunks = []
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT {columns} FROM {relation}) TO STDOUT (FORMAT binary)") as cp:
            for block in cp:
                chunks.append(bytes(block))
    data = b"".join(chunks)
    header = 11 + 4 + 4 + int.from_bytes(data[15:19], "big")
    fields = [("n", ">i2")]
    for c in FEATURES:
        fields += [(f"len_{c}", ">i4"), (c, ">f8")]
    rows = np.frombuffer(data, dtype=np.dtype(fields), count=(len(data) - header - 2) // 122,
                         offset=header)
    if (rows["n"] != 10).any() or any((rows[f"len_{c}"] != 8).any() for c in FEATURES):
        sys.exit("bench_python: unexpected NULL or layout in the COPY stream")
    out = np.empty((len(rows), len(FEATURES)), dtype=np.float64)
    for j, c in enumerate(FEATURES):
        out[:, j] = rows[c]
    return out


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000.0, result


def connect():
    import psycopg

    return psycopg.connect(autocommit=True)


def bench_fit(args):
    import sklearn
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_info

    conn = connect()
    exports, fits, iters = [], [], []
    x = None
    for _ in range(args.reps):
        ms, x = timed(lambda: export(conn, args.table))
        exports.append(ms)
    for _ in range(args.reps):
        km = KMeans(n_clusters=8, n_init=1, random_state=0)
        ms, _ = timed(lambda: km.fit(x))
        fits.append(ms)
        iters.append(km.n_iter_)
    threads = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"})
    line("e_copy_export", exports)
    line("e_sklearn_fit", fits)
    print(f"e_sklearn_n_iter\t{statistics.median(iters)} {' '.join(map(str, iters))}")
    print(f"sklearn_threads\t{','.join(map(str, threads)) or 'unknown'}")
    print(f"sklearn_version\t{sklearn.__version__}")


def bench_drift(args):
    import numpy
    import scipy
    from scipy.stats import ks_2samp, wasserstein_distance

    conn = connect()
    exports, both, ks_only, w_only = [], [], [], []
    ref = cur = None
    for _ in range(args.reps):
        start = time.perf_counter()
        ref = export(conn, args.reference)
        cur = export(conn, args.current)
        exports.append((time.perf_counter() - start) * 1000.0)

    def ks():
        return [ks_2samp(ref[:, j], cur[:, j]) for j in range(ref.shape[1])]

    def wasserstein():
        return [wasserstein_distance(ref[:, j], cur[:, j]) for j in range(ref.shape[1])]

    for _ in range(args.reps):
        ms_ks, _ = timed(ks)
        ms_w, _ = timed(wasserstein)
        ks_only.append(ms_ks)
        w_only.append(ms_w)
        both.append(ms_ks + ms_w)
    line("f_copy_export", exports)
    line("f_scipy", both)
    line("f_scipy_ks", ks_only)
    line("f_scipy_wasserstein", w_only)
    print(f"f_rows\t{len(ref)} {len(cur)}")
    print(f"scipy_version\t{scipy.__version__} (numpy {numpy.__version__})")


# ---------------------------------------------------------------------------------------------
# The report.


def read_results(path):
    results = {}
    with open(path) as f:
        for raw in f:
            key, _, rest = raw.rstrip("\n").partition("\t")
            results[key] = rest
    return results


def num(results, key):
    value = results.get(key, "").split(" ")[0]
    try:
        return float(value)
    except ValueError:
        return None


def runs(results, key):
    return results.get(key, "").split(" ")[1:]


def seconds(ms):
    return "n/a" if ms is None else f"{ms / 1000:.2f} s"


def render(r):
    rows = int(num(r, "rows"))
    scale = int(num(r, "scale_rows") or 0)
    workers = r.get("workers", "?")
    half = rows // 2
    out = []
    w = out.append
    w(f"Run of {r.get('date', '?')} at commit `{r.get('commit', '?')}`: {rows:,} rows x 10 "
      f"features, median of {r.get('reps')} runs (baselines b: {r.get('baseline_reps')}, "
      f"scaling: {r.get('scale_reps')}).")
    w("")
    w(f"Machine: {r.get('cpu', '?')}, {r.get('cores', '?')} cores, {r.get('memory', '?')}; "
      f"{r.get('postgres', '?').split(' on ')[0]} (shared_buffers {r.get('shared_buffers', '?')}); "
      f"persona built `{r.get('build_profile')}`; scikit-learn {r.get('sklearn_version', '?')} "
      f"({r.get('sklearn_threads', '?')} OpenMP threads), scipy {r.get('scipy_version', '?')}. "
      f"Load average before / after: {r.get('load_before', '?')} / {r.get('load_after', '?')}.")
    w("")
    w("| | measurement | time | runs (ms) |")
    w("|---|---|---:|---|")

    def row(label, what, key):
        w(f"| {label} | {what} | {seconds(num(r, key))} | {' '.join(runs(r, key))} |")

    row("a", "sum over the ten columns (serial)", "a_sum")
    row("a", "building the float8[] per row (serial)", "a_array")
    row("b", "pure SQL: correlated ORDER BY ... LIMIT 1 over 3 centroids (serial)", "b_sql")
    row("b", "PL/pgSQL loop over 3 centroids (serial)", "b_plpgsql")
    row("c", "`assign_persona(ARRAY[x1..x10], 'bench')`, serial", "c_serial")
    row("c", f"`assign_persona`, parallel ({r.get('c_parallel_workers') or '?'} workers "
        "planned)", "c_parallel")
    row("d", "`UPDATE ... SET persona = 'x'` (the UPDATE alone)", "d_update_constant")
    row("d", "`UPDATE ... SET persona = assign_persona(...)`", "d_update")
    row("e", "`persona.fit(k => 8, n_init => 1)` end to end "
        f"(n_iter {r.get('e_fit_n_iter', '?').split(' ')[0]})", "e_fit")
    row("e", "COPY (binary) of the ten columns into numpy", "e_copy_export")
    row("e", "scikit-learn `KMeans(n_clusters=8, n_init=1).fit` on the array "
        f"(n_iter {r.get('e_sklearn_n_iter', '?').split(' ')[0]})", "e_sklearn_fit")
    row("f", f"`persona.set_baseline` on {half:,} rows (setup, once)", "f_set_baseline")
    row("f", f"`persona.check_drift` of {rows - half:,} rows, default method (Wasserstein)",
        "f_check_drift")
    row("f", "`persona.check_drift(method => 'ks')`", "f_check_drift_ks")
    row("f", f"`persona.set_baseline` keeping all {half:,} values (sample size {half:,})",
        "f_set_baseline_full")
    row("f", "`persona.check_drift` against that full baseline, default method",
        "f_check_drift_full")
    row("f", "`persona.check_drift(method => 'ks')` against the full baseline",
        "f_check_drift_ks_full")
    row("f", "`persona.check_drift(method => 'wasserstein')` against the full baseline",
        "f_check_drift_w_full")
    row("f", "COPY (binary) of both halves into numpy", "f_copy_export")
    row("f", "scipy `ks_2samp` + `wasserstein_distance`, 10 features", "f_scipy")
    row("f", "of which `ks_2samp`", "f_scipy_ks")
    row("f", "of which `wasserstein_distance`", "f_scipy_wasserstein")
    hwm = num(r, "e_fit_hwm_kb")
    before = num(r, "e_fit_rss_before_kb")
    shmem = num(r, "e_fit_shmem_kb")
    w(f"| g | backend peak memory (VmHWM) during e | {hwm / 1024:.0f} MiB | "
      f"{' '.join(runs(r, 'e_fit_hwm_kb'))} kB (RSS before the fit: {before / 1024:.0f} MiB; "
      f"shared memory in the RSS after it: {(shmem or 0) / 1024:.0f} MiB) |"
      if hwm else "| g | backend peak memory | n/a | |")
    if scale:
        row("h", f"c serial at {scale:,} rows", "h_c_serial")
        row("h", f"c parallel at {scale:,} rows", "h_c_parallel")
        row("h", f"e at {scale:,} rows (n_iter {r.get('h_e_fit_n_iter', '?').split(' ')[0]})",
            "h_e_fit")
        shwm = num(r, "h_e_fit_hwm_kb")
        if shwm:
            w(f"| h | peak memory of e at {scale:,} rows | {shwm / 1024:.0f} MiB | |")
    w("")

    def ratio(a, b):
        x, y = num(r, a), num(r, b)
        return None if x is None or y is None or y == 0 else x / y

    limit_g = (1.5 * rows * 10 * 8 + 64 * 2**20) / 2**20
    targets = [
        ("c serial / float8[] floor", ratio("c_serial", "a_array"), "<=", 1.5),
        ("pure SQL / c serial", ratio("b_sql", "c_serial"), ">=", 25.0),
        ("c serial / c parallel", ratio("c_serial", "c_parallel"), ">=", 1.6),
        ("persona.fit end to end / scikit-learn fit alone", ratio("e_fit", "e_sklearn_fit"),
         "<=", 1.0),
        ("check_drift (default) / scipy ks + wasserstein", ratio("f_check_drift", "f_scipy"), "<=", 0.5),
        ("check_drift (ks) / scipy ks_2samp alone", ratio("f_check_drift_ks", "f_scipy_ks"),
         "<=", 0.5),
        (f"check_drift, full {half:,}-row baseline / scipy ks + wasserstein", ratio("f_check_drift_full", "f_scipy"),
         "<=", 0.5),
        ("check_drift (ks), full baseline / scipy ks_2samp alone",
         ratio("f_check_drift_ks_full", "f_scipy_ks"), "<=", 0.5),
        ("check_drift (wasserstein), full baseline / scipy wasserstein_distance alone",
         ratio("f_check_drift_w_full", "f_scipy_wasserstein"), "<=", 0.5),
        ("peak memory during e (MiB)", hwm / 1024 if hwm else None, "<=", limit_g),
    ]
    if scale:
        targets += [
            (f"c serial {scale // 10**6}M / {rows // 10**6}M", ratio("h_c_serial", "c_serial"),
             "<=", 4.4),
            (f"e {scale // 10**6}M / {rows // 10**6}M", ratio("h_e_fit", "e_fit"), "<=", 4.4),
        ]
    w("| target | measured | limit | |")
    w("|---|---:|---:|---|")
    for name, value, op, limit in targets:
        if value is None:
            w(f"| {name} | n/a | {op} {limit:g} | not measured |")
            continue
        met = value <= limit if op == "<=" else value >= limit
        if met:
            verdict = "met"
        elif op == "<=":
            verdict = f"missed by {value / limit:.2f}x"
        else:
            verdict = f"missed by {limit / value:.2f}x"
        shown = f"{value:.0f}" if limit > 100 else f"{value:.2f}"
        w(f"| {name} | {shown} | {op} {limit:.0f} |  {verdict} |" if limit > 100
          else f"| {name} | {shown} | {op} {limit:g} | {verdict} |")
    w("")
    w(f"Also: pure SQL / float8[] floor = {ratio('b_sql', 'a_array') or 0:.0f}x; PL/pgSQL / c "
      f"serial = {ratio('b_plpgsql', 'c_serial') or 0:.0f}x; persona.fit / (COPY export + "
      f"scikit-learn) = "
      f"{(num(r, 'e_fit') or 0) / ((num(r, 'e_copy_export') or 0) + (num(r, 'e_sklearn_fit') or 1)):.2f}; "
      f"check_drift / (COPY export + scipy) = "
      f"{(num(r, 'f_check_drift') or 0) / ((num(r, 'f_copy_export') or 0) + (num(r, 'f_scipy') or 1)):.2f}.")
    fit_iter, sk_iter = num(r, "e_fit_n_iter"), num(r, "e_sklearn_n_iter")
    if fit_iter and sk_iter:
        w("")
        w(f"The two k-means runs start from different seeds and stop after different numbers of "
          f"Lloyd iterations ({fit_iter:g} vs {sk_iter:g}); per iteration, end to end, "
          f"persona.fit takes {(num(r, 'e_fit') or 0) / fit_iter:.0f} ms and scikit-learn's fit "
          f"{(num(r, 'e_sklearn_fit') or 0) / sk_iter:.0f} ms.")
    return "\n".join(out)


def report(args):
    text = render(read_results(args.results))
    print(text)
    block = f"{BEGIN}\n{text}\n{END}"
    try:
        with open(args.out) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = ""
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        doc = head + block + tail
    else:
        doc = f"# Benchmarks\n\nWritten by `make bench` (scripts/bench.sh).\n\n{block}\n" + (
            f"\n{doc}" if doc else "")
    with open(args.out, "w") as f:
        f.write(doc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fit")
    p.add_argument("--table", required=True)
    p.add_argument("--reps", type=int, default=3)
    p = sub.add_parser("drift")
    p.add_argument("--reference", required=True)
    p.add_argument("--current", required=True)
    p.add_argument("--reps", type=int, default=3)
    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--out", required=True)
    args = parser.parse_args()
    {"fit": bench_fit, "drift": bench_drift, "report": report}[args.command](args)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
