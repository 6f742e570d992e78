#!/usr/bin/env python3
"""Reference numbers for the SQL drift tests (tests/pg_regress/sql/drift_reference.sql and
drift_survey.sql), computed with scipy and numpy from the same data the tests build.

    /work/pyref/bin/python scripts/reference/drift_sql_reference.py

Pinned environment: numpy 2.4.6, scipy 1.17.1 (the script refuses others).  It prints, per
test table and method, the rows persona.drift must return, rounded as the tests print them
(6 decimals), so that the expected output can be checked line by line.

What persona.drift does, re-expressed here (see src/drift/check.rs and persona-math):
  - ks: scipy.stats.ks_2samp(reference, current) (method='auto').
  - wasserstein: scipy.stats.wasserstein_distance / max(population std of reference, 0.001).
  - psi, jensenshannon, chisquare, z on a non-discrete column: counts in the reference's
    decile bins (numpy.quantile 'linear' at 0.1 .. 0.9, duplicates merged, bins closed on the
    left: searchsorted(side='right')), over the bins occupied on either side; on a discrete
    column (at most 5 distinct values on both sides together): counts of each value.
  - psi: Evidently's empty-bin fill, then sum (r - c) ln(r / c) over shares.
  - jensenshannon: scipy.spatial.distance.jensenshannon of the counts (natural log).
  - chisquare: scipy.stats.chisquare(current, reference * n_current / n_reference);
    +inf (p = 0) when a bin the reference never had occurs now.
  - z: Evidently's two-proportion z test, a "hit" being any category but the first.
  - persona_share: chisquare over nearest-centroid counts (squared Euclidean distance, ties
    to the lower persona id); distance: ks of the Euclidean distance to the nearest centroid.
  - auto: reference <= 1000 rows: ks, or chisquare for <= 5 distinct values (z for <= 2);
    larger: wasserstein, or jensenshannon for <= 5 distinct values.
"""

import csv
import math
import pathlib

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

EXPECTED_VERSIONS = {"numpy": "2.4.6", "scipy": "1.17.1"}
REPO = pathlib.Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------
# The statistics as persona.drift applies them


def edges_of(sample, n_bins=10):
    sample = np.sort(np.asarray(sample, float))
    q = np.quantile(sample, [i / n_bins for i in range(1, n_bins)], method="linear")
    return np.unique(q)


def bin_counts(edges, values):
    idx = np.searchsorted(edges, values, side="right")
    return np.bincount(idx, minlength=len(edges) + 1)


def value_counts(values):
    keys, counts = np.unique(np.asarray(values, float), return_counts=True)
    return dict(zip(keys.tolist(), counts.tolist()))


def aligned(ref, cur):
    """Reference and current counts over the keys occupied on either side, in key order."""
    keys = sorted(k for k in set(ref) | set(cur) if ref.get(k, 0) > 0 or cur.get(k, 0) > 0)
    r = np.array([ref.get(k, 0) for k in keys], float)
    c = np.array([cur.get(k, 0) for k in keys], float)
    return r, c


def fill(shares):
    positive = shares[shares > 0]
    smallest = positive.min() if positive.size else math.inf
    value = smallest / 1e6 if smallest <= 1e-4 else 1e-4
    return np.where(shares == 0, value, shares)


def psi(r, c):
    r, c = fill(r / r.sum()), fill(c / c.sum())
    return float(np.sum((r - c) * np.log(r / c))), None


def js(r, c):
    return float(distance.jensenshannon(r, c)), None


def chisq(r, c):
    if len(r) < 2 or c.sum() == 0:
        return 0.0, 1.0
    expected = r * (c.sum() / r.sum())
    if np.any((expected == 0) & (c > 0)):
        return math.inf, 0.0
    res = stats.chisquare(c, expected)
    return float(res.statistic), float(res.pvalue)


def ztest(r, c):
    n1, n2 = r.sum(), c.sum()
    p1, p2 = r[1:].sum() / n1, c[1:].sum() / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    if pooled <= 0 or pooled >= 1:
        return 0.0, 1.0
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(z), float(min(1.0, 2 * stats.norm.sf(abs(z))))


ON_COUNTS = {"psi": psi, "jensenshannon": js, "chisquare": chisq, "z": ztest}


def auto_method(n_ref, n_distinct):
    discrete = n_distinct <= 5
    if n_ref <= 1000:
        return ("chisquare" if n_distinct > 2 else "z") if discrete else "ks"
    return "jensenshannon" if discrete else "wasserstein"


def compare(ref, cur, method):
    """(method used, statistic, p_value, n_reference) for one column."""
    ref, cur = np.asarray(ref, float), np.asarray(cur, float)
    union = np.unique(np.concatenate([ref, cur]))
    discrete = len(np.unique(ref)) <= 5 and len(union) <= 5
    if method == "auto":
        method = auto_method(len(ref), len(union) if discrete else 6)
    if method == "ks":
        res = stats.ks_2samp(ref, cur)
        return method, float(res.statistic), float(res.pvalue), len(ref)
    if method == "wasserstein":
        w = stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
        return method, w, None, len(ref)
    if discrete:
        r, c = aligned(value_counts(ref), value_counts(cur))
    else:
        edges = edges_of(ref)
        rb, cb = bin_counts(edges, ref), bin_counts(edges, cur)
        r, c = aligned(dict(enumerate(rb.tolist())), dict(enumerate(cb.tolist())))
    statistic, p = ON_COUNTS[method](r, c)
    return method, statistic, p, int(r.sum())


def nearest(x, centroids):
    d2 = ((x[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    best = np.argmin(d2, axis=1)  # first minimum: ties go to the lower persona id
    return best, np.sqrt(d2[np.arange(len(x)), best])


def drift_rows(ref, cur, centroids, features, method="auto"):
    """The rows persona.drift returns: features, persona_share, distance."""
    out = []
    for j, name in enumerate(features):
        out.append((name, *compare(ref[:, j], cur[:, j], method)))
    rp, rd = nearest(ref, centroids)
    cp, cd = nearest(cur, centroids)
    share_method = method if method in ("psi", "jensenshannon", "z") else "chisquare"
    k = len(centroids)
    r, c = aligned(dict(enumerate(np.bincount(rp, minlength=k).tolist())),
                   dict(enumerate(np.bincount(cp, minlength=k).tolist())))
    out.append(("persona_share", share_method, *ON_COUNTS[share_method](r, c), int(r.sum())))
    out.append(("distance", *compare(rd, cd, method)))
    return out


# ---------------------------------------------------------------------------------------------
# Printing


def r6(x):
    if x is None:
        return ""
    if math.isinf(x):
        return "Infinity"
    return f"{round(x, 6):.6f}".rstrip("0").rstrip(".") if x != 0 else "0"


def show(title, rows, n_current):
    print(f"-- {title}")
    for feature, method, statistic, p, n_ref in rows:
        print(f"  {feature:13} | {method:13} | {r6(statistic):>12} | {r6(p):>10} | "
              f"n_reference {n_ref} | n_current {n_current}")


# ---------------------------------------------------------------------------------------------
# The test tables (built the same way in SQL)


def tiny_tables():
    ref = np.array([((i * 37) % 101) / 10 for i in range(1, 61)], float)[:, None]
    cur = np.array([((i * 53) % 97) / 8 + 1.5 for i in range(1, 46)], float)[:, None]
    big = np.array([((i * 7919) % 1000) / 100 for i in range(1, 12001)], float)[:, None]
    return ref, cur, big


def dice_tables():
    ref = np.array([[i % 3, i % 2] for i in range(1, 61)], float)
    cur = np.array([[min(i % 4, 2), (i % 5 == 0) * 1] for i in range(1, 46)], float)
    return ref, cur


def survey():
    with open(REPO / "data/survey_2025.csv") as f:
        rows = list(csv.DictReader(f))
    with open(REPO / "data/seed_personas.csv") as f:
        seeds = sorted(csv.DictReader(f), key=lambda r: r["persona"])
    cols = [f"x{i}" for i in range(1, 11)]
    centroids = np.array([[float(s[c]) for c in cols] for s in seeds])
    months = {}
    for r in rows:
        months.setdefault(r["survey_date"][:7], []).append([float(r[c]) for c in cols])
    return {m: np.array(v) for m, v in months.items()}, centroids, cols


def main():
    versions = {"numpy": np.__version__, "scipy": scipy.__version__}
    if versions != EXPECTED_VERSIONS:
        raise SystemExit(f"need {EXPECTED_VERSIONS}, have {versions}")

    ref, cur, big = tiny_tables()
    tiny = np.array([[2.0], [8.0]])
    for method in ("ks", "wasserstein", "psi", "jensenshannon", "chisquare", "z", "auto"):
        show(f"tiny, {method}", drift_rows(ref, cur, tiny, ["v"], method), len(cur))
    show("tiny, 12000 current rows (asymptotic ks)",
         drift_rows(ref, big, tiny, ["v"], "ks"), len(big))

    dref, dcur = dice_tables()
    dice = np.array([[0.0, 0.0], [2.0, 1.0]])
    for method in ("auto", "psi", "jensenshannon"):
        show(f"dice, {method}", drift_rows(dref, dcur, dice, ["k", "flag"], method), len(dcur))

    months, centroids, cols = survey()
    for month in ("2025-02", "2025-04", "2025-05"):
        show(f"survey {month} against 2025-01",
             drift_rows(months["2025-01"], months[month], centroids, cols), 500)


if __name__ == "__main__":
    main()
