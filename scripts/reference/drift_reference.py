#!/usr/bin/env python3
"""Reference values for the drift statistics of persona-math (crates/persona-math/src/drift*).

Writes crates/persona-math/tests/fixtures/drift_*.json, which
crates/persona-math/tests/drift_reference.rs reads.  Run from anywhere:

    /work/pyref/bin/python scripts/reference/drift_reference.py

Pinned environment: numpy 2.4.6, scipy 1.17.1 (the script refuses other versions, because
the fixtures are only meaningful for the versions they were made with).  Output is
deterministic: no random generator of numpy or scipy is used.  Samples come from a 64-bit
linear congruential generator written out below, whose integer arithmetic and single float
conversion the Rust test repeats bit for bit, so large samples are stored as a short recipe
instead of a list of numbers.

Sample recipes (the "sample" objects in the fixtures):
  [x, ...]                         the values themselves
  {"grid": {from, to, div, add}}   (g / div) + add for g = from..=to
  {"lcg": {seed, n, terms, levels, scale, add}}
      state <- state * 6364136223846793005 + 1442695040888963407 (mod 2^64), starting at seed;
      u = (state >> 11) * 2^-53 for each draw;  s = u_1 + ... + u_terms (left to right);
      if levels is not null: s = floor(s * levels);  value = s * scale + add

Where the Rust side follows a definition from Evidently (legacy stattests: PSI's empty-bin
fill, chi-square and z test construction, thresholds) the definition is re-expressed here in
numpy, since Evidently is not part of the pinned environment.

Special floats are written as the strings "inf", "-inf", "nan" (JSON has no such numbers).
Each edge case from the design brief (C08, C10, C12, C13, C14) is checked here against the
rounded value quoted in the brief before it is written.
"""

import json
import math
import pathlib
import warnings

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

EXPECTED_VERSIONS = {"numpy": "2.4.6", "scipy": "1.17.1"}
OUT_DIR = pathlib.Path(__file__).resolve().parents[2] / "crates/persona-math/tests/fixtures"

LCG_MUL = 6364136223846793005
LCG_INC = 1442695040888963407
MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------------------------------------
# Samples


def grid(start, stop, div, add=0.0):
    return {"grid": {"from": start, "to": stop, "div": float(div), "add": float(add)}}


def lcg(seed, n, terms=1, levels=None, scale=1.0, add=0.0):
    return {"lcg": {"seed": seed, "n": n, "terms": terms, "levels": levels,
                    "scale": float(scale), "add": float(add)}}


def materialize(sample):
    """The values a sample recipe stands for, computed exactly as the Rust test does."""
    if isinstance(sample, list):
        return np.asarray(sample, dtype=float)
    if "grid" in sample:
        g = sample["grid"]
        return np.array([(k / g["div"]) + g["add"] for k in range(g["from"], g["to"] + 1)])
    spec = sample["lcg"]
    state = spec["seed"]
    out = np.empty(spec["n"])
    for i in range(spec["n"]):
        s = 0.0
        for t in range(spec["terms"]):
            state = (state * LCG_MUL + LCG_INC) & MASK64
            u = (state >> 11) * 2.0**-53
            s = u if t == 0 else s + u
        if spec["levels"] is not None:
            s = float(math.floor(s * spec["levels"]))
        out[i] = s * spec["scale"] + spec["add"]
    return out


def num(x):
    """A float for JSON; non-finite values become strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def check(label, got, want, rel=None, abs_=None):
    """Assert that a value from scipy matches the rounded value quoted in the brief."""
    if rel is not None:
        ok = math.isclose(got, want, rel_tol=rel, abs_tol=0.0)
    else:
        ok = abs(got - want) <= abs_
    if not ok:
        raise AssertionError(f"{label}: scipy gives {got!r}, brief says {want!r}")


# ---------------------------------------------------------------------------------------------
# KS


def ks_reference(a, b):
    """scipy.stats.ks_2samp(method='auto') plus whether the exact p-value was used."""
    a, b = materialize(a), materialize(b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = stats.ks_2samp(a, b, method="auto")
    fell_back = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
    exact = max(len(a), len(b)) <= 10000 and not fell_back
    return {"statistic": num(res.statistic), "p_value": num(res.pvalue), "exact": exact}


def ks_cases():
    cases = [
        ("C08 ties a", [1, 2, 2, 2], [2, 3, 3, 3]),
        ("C08 ties b", [0, 0, 1, 1, 1, 2], [0, 1, 1, 2, 2, 2]),
        ("one point each, different", [1.0], [2.0]),
        ("one point each, same", [1.0], [1.0]),
        ("small equal n, continuous", lcg(1, 20), lcg(2, 20, add=0.3)),
        ("small equal n, identical", lcg(3, 40), lcg(3, 40)),
        ("equal n, heavy ties", lcg(4, 50, levels=4), lcg(5, 50, levels=4, add=1.0)),
        ("equal n 7, interleaved", [1, 3, 5, 7, 9, 11, 13], [2, 4, 6, 8, 10, 12, 14]),
        ("square method fails, n=5 h=1", [1, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5]),
        ("square method fails, n=30 h=1", grid(1, 30, 1.0), grid(1, 30, 1.0, 0.5)),
        ("square method fails, n=60 h=2", grid(1, 60, 1.0), grid(1, 60, 1.0, 1.5)),
        ("unequal n coprime", lcg(6, 13), lcg(7, 200, terms=2)),
        ("unequal n with gcd", lcg(8, 100), lcg(9, 250, scale=1.1)),
        ("unequal n 30 vs 45 ties", lcg(10, 30, levels=3), lcg(11, 45, levels=3)),
        ("unequal n 1000 vs 1500", lcg(12, 1000, terms=3), lcg(13, 1500, terms=3, add=0.1)),
        ("unequal n 3000 vs 10000", lcg(14, 3000, terms=2), lcg(15, 10000, terms=2, add=0.02)),
        ("unequal n 10000 vs 9999", lcg(16, 10000), lcg(17, 9999, add=0.01)),
        ("unequal tiny p", lcg(18, 400), lcg(19, 700, add=0.5)),
        ("heavy ties 400 vs 600", lcg(20, 400, levels=5), lcg(21, 600, levels=5, terms=2)),
        ("asymptotic 12000 vs 15000", lcg(22, 12000, terms=2), lcg(23, 15000, terms=2, add=0.01)),
        ("asymptotic 20000 vs 50 (en<=140)", lcg(24, 20000), lcg(25, 50, add=0.2)),
        ("asymptotic 20001 vs 7 (en=7)", lcg(26, 20001), lcg(27, 7, add=0.3)),
        ("asymptotic identical", lcg(28, 10001), lcg(28, 10001)),
        ("asymptotic tiny p", lcg(29, 30000), lcg(30, 300, scale=0.5)),
        ("asymptotic 200 vs 11000 ties", lcg(31, 200, levels=6), lcg(32, 11000, levels=6)),
        ("C10 shift 0.01, n=100000", grid(1, 100000, 100000), grid(1, 100000, 100000, 0.01)),
        ("C10 shift 0.01, n=1000", grid(1, 1000, 1000), grid(1, 1000, 1000, 0.01)),
    ]
    out = []
    for name, a, b in cases:
        out.append({"name": name, "a": a, "b": b, **ks_reference(a, b)})
    return out


def kolmogn_branch(n, x):
    """Which part of scipy's kolmogn computes the survival function (for the fixture only)."""
    t = n * x
    if x >= 1.0 or x <= 0.0:
        return "bounds"
    if t <= 1.0:
        return "ruben-gambino low"
    if t >= n - 1:
        return "ruben-gambino high"
    if x >= 0.5:
        return "smirnov (x >= 0.5)"
    nxx = t * x
    if n <= 140:
        if nxx <= 0.754693:
            return "durbin-mtw"
        if nxx <= 4:
            return "pomeranz"
        return "smirnov"
    if nxx >= 370.0:
        return "zero"
    if nxx >= 2.2:
        return "smirnov"
    if n <= 100000 and n * x**1.5 <= 1.4:
        return "durbin-mtw"
    return "pelz-good"


def kstwo_grid():
    ns = [1, 2, 3, 5, 10, 37, 140, 141, 500, 1000, 4545, 20000, 50000, 100000, 100001,
          400000, 2000000]
    nxx_targets = [0.05, 0.2, 0.5, 0.75, 0.76, 1.2, 2.0, 2.19, 2.21, 3.0, 4.0, 4.5, 8.0, 20.0,
                   60.0, 200.0, 369.0, 371.0]
    out = []
    for n in ns:
        xs = {math.sqrt(v / n) for v in nxx_targets}
        xs |= {t / n for t in (0.3, 0.5, 0.75, 1.0)}
        xs |= {(n - 1) / n, (n - 0.5) / n, 0.5, 0.62, 0.93, 0.999}
        if n > 140:
            # Both sides of the Durbin / Pelz-Good switch n * x^1.5 <= 1.4.
            xs |= {(1.4 / n) ** (2 / 3) * f for f in (0.99, 1.01)}
        for x in sorted(xs):
            if not 0.0 < x < 1.0:
                continue
            sf = float(stats.kstwo.sf(x, n))
            out.append({"n": n, "x": x, "sf": num(sf), "branch": kolmogn_branch(n, x)})
    return out


def smirnov_grid():
    out = []
    for n in [2, 3, 10, 141, 1000, 50000, 999999, 1000001]:
        for x in [0.0009, 0.01, 0.05, 0.2, 0.5, 0.75]:
            out.append({"n": n, "x": x, "sf": num(special.smirnov(n, x))})
    return out


# ---------------------------------------------------------------------------------------------
# Wasserstein


def wasserstein_cases():
    cases = [
        ("C12 constant vs one 6", [5, 5, 5, 5], None, [5, 5, 5, 6], None),
        ("C12 constant vs same", [5, 5, 5, 5], None, [5, 5, 5, 5], None),
        ("C12 constant vs all 6", [5, 5, 5, 5], None, [6, 6, 6, 6], None),
        ("C12 histogram form", [0, 1, 2, 3], [0.5, 0.5, 0, 0], [0, 1, 2, 3], [0, 0, 0.5, 0.5]),
        ("scipy doc example", [0, 1, 3], None, [5, 6, 8], None),
        ("scipy doc weighted", [3.4, 3.9, 7.5, 7.8], [1.4, 0.9, 3.1, 7.2],
         [4.5, 1.4], [3.2, 3.5]),
        ("single points", [1.5], None, [-2.0], None),
        ("unsorted with ties", [3, 1, 2, 2, 5, 1], None, [2, 2, 9, 0], None),
        ("zero weights in the middle", [0, 1, 2, 3, 4], [1, 0, 0, 0, 1], [2], None),
        ("random", lcg(40, 500, terms=2), None, lcg(41, 800, terms=3, scale=0.7), None),
        ("random weighted", lcg(42, 300), [float(w) for w in materialize(lcg(43, 300))],
         lcg(44, 200, add=0.1), [float(w) for w in materialize(lcg(45, 200, levels=4, add=1))]),
        ("random ties", lcg(46, 1000, levels=7), None, lcg(47, 900, levels=7, terms=2), None),
        ("C10 shift 0.01, n=100000", grid(1, 100000, 100000), None,
         grid(1, 100000, 100000, 0.01), None),
    ]
    out = []
    for name, u, uw, v, vw in cases:
        w1 = stats.wasserstein_distance(materialize(u), materialize(v), uw, vw)
        out.append({"name": name, "u": u, "u_weights": uw, "v": v, "v_weights": vw,
                    "w1": num(w1)})
    return out


def normalized_cases():
    """Evidently's normed Wasserstein: W1 / max(population std of reference, 0.001)."""
    cases = [
        ("C12 constant vs one 6", [5, 5, 5, 5], [5, 5, 5, 6]),
        ("C12 constant vs same", [5, 5, 5, 5], [5, 5, 5, 5]),
        ("C12 constant vs all 6", [5, 5, 5, 5], [6, 6, 6, 6]),
        ("C10 shift 0.01, n=100000", grid(1, 100000, 100000), grid(1, 100000, 100000, 0.01)),
        ("C10 shift 0.01, n=1000", grid(1, 1000, 1000), grid(1, 1000, 1000, 0.01)),
        ("random", lcg(48, 2000, terms=2, scale=3.0), lcg(49, 1500, terms=2, scale=3.0, add=0.4)),
    ]
    out = []
    for name, r, c in cases:
        rv, cv = materialize(r), materialize(c)
        ref_std = float(np.std(rv))
        w1 = stats.wasserstein_distance(rv, cv)
        out.append({"name": name, "reference": r, "current": c, "ref_std": num(ref_std),
                    "w1": num(w1), "normalized": num(w1 / max(ref_std, 0.001))})
    return out


# ---------------------------------------------------------------------------------------------
# Binned: quantile edges, counts, PSI with Evidently's fill, Jensen-Shannon


def quantile_edges(reference, n_bins):
    """Interior quantile edges i/n_bins (numpy 'linear'), duplicates dropped."""
    if n_bins < 2 or len(reference) == 0:
        return np.array([])
    q = np.arange(1, n_bins) / n_bins
    return np.unique(np.quantile(reference, q))


def bin_counts(edges, values):
    """Bins (-inf, e1), [e1, e2), ..., [ek, inf): index = number of edges <= value."""
    idx = np.searchsorted(edges, values, side="right")
    return np.bincount(idx, minlength=len(edges) + 1)


def fill_empty(shares):
    """Evidently's get_binned_data fill: zeros -> min(nonzero)/1e6 if that min <= 1e-4,
    else 1e-4."""
    shares = np.array(shares, dtype=float)
    nonzero = shares[shares != 0]
    smallest = nonzero.min()
    shares[shares == 0] = smallest / 10**6 if smallest <= 0.0001 else 0.0001
    return shares


def psi_of(ref_shares, cur_shares):
    r, c = fill_empty(ref_shares), fill_empty(cur_shares)
    return float(np.sum((r - c) * np.log(r / c))), r, c


def quantile_cases():
    cases = [
        ("continuous 10 bins", lcg(50, 1000, terms=2), 10, lcg(51, 700, terms=2, add=0.2)),
        ("ties at the minimum", [0.0] * 90 + list(range(1, 11)), 10, [0, 0, 0.05, 0.1, 5, 11]),
        ("ties at the maximum", list(range(1, 11)) + [10.0] * 90, 10, [0, 1, 9.99, 10, 10, 12]),
        ("few levels", lcg(52, 500, levels=3), 10, lcg(53, 300, levels=4)),
        ("edges hit exactly", grid(0, 100, 1.0), 4, [0, 25, 50, 75, 100, 24.999, 75.0001]),
        ("tiny sample", [3.0, 1.0, 2.0], 10, [1, 1.5, 2, 2.5, 3, 3.5]),
        ("single value", [4.2], 10, [4.1, 4.2, 4.3]),
        ("one bin", [1.0, 2.0, 3.0], 1, [0.0, 5.0]),
        ("30 bins", lcg(54, 5000, terms=3, scale=10.0), 30, lcg(55, 4000, terms=3, scale=11.0)),
    ]
    out = []
    for name, ref, n_bins, cur in cases:
        rv, cv = np.sort(materialize(ref)), materialize(cur)
        edges = quantile_edges(rv, n_bins)
        ref_counts = bin_counts(edges, rv)
        cur_counts = bin_counts(edges, cv)
        ref_shares = ref_counts / len(rv)
        cur_shares = cur_counts / len(cv)
        psi, _, _ = psi_of(ref_shares, cur_shares)
        out.append({"name": name, "reference": ref, "n_bins": n_bins, "current": cur,
                    "edges": [num(e) for e in edges],
                    "reference_counts": [int(k) for k in ref_counts],
                    "current_counts": [int(k) for k in cur_counts],
                    "psi": num(psi)})
    return out


def psi_cases():
    cases = [
        ("C13 A/B vs all A", [0.5, 0.5], [1.0, 0.0]),
        ("C13 new rare category", [0.99999, 0.00001, 0.0], [0.99999, 0.0, 0.00001]),
        ("identical", [0.2, 0.3, 0.5], [0.2, 0.3, 0.5]),
        ("moderate shift", [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]),
        ("zeros on both sides", [0.0, 0.5, 0.5, 0.0], [0.3, 0.0, 0.7, 0.0]),
        ("min exactly 1e-4", [0.0001, 0.9999, 0.0], [0.5, 0.25, 0.25]),
    ]
    out = []
    for name, r, c in cases:
        psi, rf, cf = psi_of(r, c)
        out.append({"name": name, "reference": r, "current": c, "filled_reference": list(rf),
                    "filled_current": list(cf), "psi": num(psi)})
    return out


def js_cases():
    cases = [
        ("C14a", [5, 5, 5], [8, 3, 0], 2.0),
        ("C14b", [5, 5, 0], [8, 3, 5], 2.0),
        ("C14c base 2", [100, 0], [0, 100], 2.0),
        ("C14c base e", [100, 0], [0, 100], None),
        ("C14d base 2", [50, 50], [90, 10], 2.0),
        ("C14d base e", [50, 50], [90, 10], None),
        ("identical", [0.2, 0.3, 0.5], [2, 3, 5], None),
        ("base 10", [1, 2, 3, 4], [4, 3, 2, 1], 10.0),
        ("unnormalized shares", [0.1, 0.1, 0.3], [1, 0, 0], 2.0),
    ]
    out = []
    for name, p, q, base in cases:
        js = distance.jensenshannon(np.asarray(p, float), np.asarray(q, float), base)
        filled = distance.jensenshannon(fill_empty(np.asarray(p, float) / np.sum(p)),
                                        fill_empty(np.asarray(q, float) / np.sum(q)), base)
        out.append({"name": name, "p": p, "q": q, "base": base, "js": num(js),
                    "js_if_filled": num(filled)})
    return out


# ---------------------------------------------------------------------------------------------
# Categorical: Evidently's chisquare and z tests


def union_keys(ref, cur):
    return sorted(set(ref) | set(cur))


def chisquare_of(ref, cur):
    """Evidently: f_obs = current counts, f_exp = reference counts * (n_cur / n_ref)."""
    keys = union_keys(ref, cur)
    n_ref, n_cur = sum(ref.values()), sum(cur.values())
    k_norm = n_cur / n_ref
    f_exp = np.array([ref.get(k, 0) * k_norm for k in keys])
    f_obs = np.array([cur.get(k, 0) for k in keys], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.chisquare(f_obs, f_exp)
    unseen = [k for k in keys if ref.get(k, 0) == 0]
    return float(res.statistic), float(res.pvalue), unseen


def chi_result(statistic, p, unseen):
    """With a single category scipy's chi2.sf(0, df=0) is nan; persona-math reports p = 1
    (nothing can have drifted), so the fixture states that and keeps scipy's raw value."""
    row = {"statistic": num(statistic), "p_value": num(p), "unseen": unseen}
    if math.isnan(p):
        row.update(p_value=1.0, scipy_p_value="nan")
    return row


def z_of(ref, cur):
    """Evidently's z_stat_test: success = 'not the smallest key'; two-sided normal p."""
    keys = union_keys(ref, cur)
    if len(keys) == 1:
        return 0.0, 1.0
    n1, n2 = sum(ref.values()), sum(cur.values())
    p1 = (n1 - ref.get(keys[0], 0)) / n1
    p2 = (n2 - cur.get(keys[0], 0)) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    p = 2 * stats.norm.sf(abs(z))
    evidently_p = 2 * (1 - stats.norm.cdf(abs(z)))
    assert abs(p - evidently_p) < 1e-15, (p, evidently_p)
    return float(z), float(p)


def counts_of(values):
    vals, counts = np.unique(np.asarray(values, dtype=float), return_counts=True)
    return {float(v): int(c) for v, c in zip(vals, counts)}


def categorical_cases():
    chi = [
        ("C14a", {"a": 5, "b": 5, "c": 5}, {"a": 8, "b": 3}),
        ("C14b", {"a": 5, "b": 5}, {"a": 8, "b": 3, "c": 5}),
        ("same shares", {"x": 10, "y": 30}, {"x": 20, "y": 60}),
        ("single category", {"x": 10}, {"x": 4}),
        ("many categories", {"a": 120, "b": 80, "c": 40, "d": 10, "e": 2},
         {"a": 90, "b": 100, "c": 30, "d": 25, "e": 1}),
        ("strong shift", {"a": 500, "b": 500, "c": 500}, {"a": 900, "b": 50, "c": 10}),
    ]
    chi_numeric = [
        ("numeric levels", [0, 0, 1, 1, 1, 2, 2, 2, 2, 3], [0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
        ("numeric with negative zero", [-0.0, 0.0, 1.5, 1.5], [0.0, 1.5, 1.5, 1.5]),
    ]
    z = [
        ("balanced vs skewed", {"no": 50, "yes": 50}, {"no": 90, "yes": 10}),
        ("identical single", {"a": 40}, {"a": 7}),
        ("close", {"f": 480, "m": 520}, {"f": 505, "m": 495}),
        ("one side single category", {"a": 30}, {"a": 20, "b": 5}),
        ("extreme", {"a": 100000, "b": 1}, {"a": 1, "b": 100000}),
    ]
    z_numeric = [("binary 0/1", [0, 0, 0, 1, 1], [1, 1, 1, 1, 0, 1])]
    out = {"chisquare": [], "z": []}
    for name, r, c in chi:
        s, p, unseen = chisquare_of(r, c)
        out["chisquare"].append({"name": name, "reference": r, "current": c,
                                 **chi_result(s, p, unseen)})
    for name, rv, cv in chi_numeric:
        s, p, unseen = chisquare_of(counts_of(rv), counts_of(cv))
        out["chisquare"].append({"name": name, "reference_values": rv, "current_values": cv,
                                 **chi_result(s, p, [num(u) for u in unseen])})
    for name, r, c in z:
        s, p = z_of(r, c)
        out["z"].append({"name": name, "reference": r, "current": c, "statistic": num(s),
                         "p_value": num(p)})
    for name, rv, cv in z_numeric:
        s, p = z_of(counts_of(rv), counts_of(cv))
        out["z"].append({"name": name, "reference_values": rv, "current_values": cv,
                         "statistic": num(s), "p_value": num(p)})
    return out


# ---------------------------------------------------------------------------------------------
# Moments


def moments_cases():
    cases = [("random", lcg(60, 1000, terms=2, scale=4.0, add=-1.0), 377),
             ("offset", lcg(61, 500, scale=1e-3, add=1e6), 250),
             ("tiny", [2.5], 1)]
    out = []
    for name, s, split in cases:
        v = materialize(s)
        out.append({"name": name, "values": s, "split": split, "count": len(v),
                    "mean": num(np.mean(v)), "std": num(np.std(v))})
    return out


# ---------------------------------------------------------------------------------------------
# The brief's edge cases, checked against the values quoted there


def edge_cases(ks, wass, norm, psi, js, cat):
    by = lambda rows, name: next(r for r in rows if r["name"] == name)  # noqa: E731
    c08a, c08b = by(ks, "C08 ties a"), by(ks, "C08 ties b")
    check("C08a D", c08a["statistic"], 0.75, abs_=1e-12)
    check("C08a p", c08a["p_value"], 0.228571, abs_=5e-7)
    check("C08b D", c08b["statistic"], 0.333333, abs_=5e-7)
    check("C08b p", c08b["p_value"], 0.930736, abs_=5e-7)
    assert c08a["exact"] and c08b["exact"]

    big, small = by(ks, "C10 shift 0.01, n=100000"), by(ks, "C10 shift 0.01, n=1000")
    check("C10 D", big["statistic"], 0.01001, abs_=5e-6)
    check("C10 p", big["p_value"], 8.84e-5, rel=1e-3)
    assert not big["exact"]
    check("C10 n=1000 p", small["p_value"], 1.0, abs_=5e-3)
    nbig = by(norm, "C10 shift 0.01, n=100000")
    check("C10 normalized W1", nbig["normalized"], 0.034641, abs_=5e-7)

    for name, w1, nw in [("C12 constant vs one 6", 0.25, 250.0),
                         ("C12 constant vs same", 0.0, 0.0),
                         ("C12 constant vs all 6", 1.0, 1000.0)]:
        check(name + " W1", by(wass, name)["w1"], w1, abs_=1e-12)
        check(name + " normalized", by(norm, name)["normalized"], nw, abs_=1e-9)
    check("C12 histogram", by(wass, "C12 histogram form")["w1"], 2.0, abs_=1e-12)

    check("C13 first", by(psi, "C13 A/B vs all A")["psi"], 4.604318, abs_=5e-7)
    check("C13 second", by(psi, "C13 new rare category")["psi"], 2.7631e-4, rel=1e-4)

    chi_a, chi_b = by(cat["chisquare"], "C14a"), by(cat["chisquare"], "C14b")
    check("C14a chi2", chi_a["statistic"], 8.909091, abs_=5e-7)
    check("C14a p", chi_a["p_value"], 0.011626, abs_=5e-7)
    assert chi_b["statistic"] == "inf" and chi_b["p_value"] == 0.0 and chi_b["unseen"] == ["c"]
    for name, want in [("C14a", 0.472140), ("C14b", 0.457614), ("C14c base 2", 1.0),
                       ("C14c base e", 0.832555), ("C14d base 2", 0.383136),
                       ("C14d base e", 0.318982)]:
        row = by(js, name)
        check(name + " JS", row["js"], want, abs_=5e-7)
        # The brief's numbers are JS *without* Evidently's empty-bin fill: where a bin is
        # empty, the filled variant differs from the quoted value.
        if name in ("C14a", "C14b", "C14c base 2"):
            assert abs(row["js_if_filled"] - want) > 1e-5, name


def write(name, payload):
    path = OUT_DIR / f"drift_{name}.json"
    text = json.dumps(payload, indent=1, allow_nan=False) + "\n"
    path.write_text(text)
    print(f"wrote {path.relative_to(OUT_DIR.parents[3])} ({len(text)} bytes)")


def main():
    for mod, want in EXPECTED_VERSIONS.items():
        got = {"numpy": np.__version__, "scipy": scipy.__version__}[mod]
        if got != want:
            raise SystemExit(f"{mod} {got} found, the fixtures are pinned to {want}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    meta = {"generator": "scripts/reference/drift_reference.py", **EXPECTED_VERSIONS}

    ks = ks_cases()
    wass, norm = wasserstein_cases(), normalized_cases()
    psi, js = psi_cases(), js_cases()
    cat = categorical_cases()
    edge_cases(ks, wass, norm, psi, js, cat)

    write("ks", {"meta": meta, "cases": ks})
    write("kstwo", {"meta": meta, "kstwo_sf": kstwo_grid(), "smirnov_sf": smirnov_grid()})
    write("distances", {"meta": meta, "wasserstein": wass, "normalized": norm,
                        "quantile_bins": quantile_cases(), "psi": psi, "jensenshannon": js})
    write("categorical", {"meta": meta, **cat, "moments": moments_cases()})


if __name__ == "__main__":
    main()
