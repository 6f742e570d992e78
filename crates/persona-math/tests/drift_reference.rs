//! Drift statistics against scipy 1.17.1 / numpy 2.4.6 reference values.
//!
//! The fixtures in `tests/fixtures/drift_*.json` are written by
//! `scripts/reference/drift_reference.py`; regenerate them with
//! `/work/pyref/bin/python scripts/reference/drift_reference.py`. Large samples are stored as
//! recipes (see the script's docstring) that this file expands bit for bit.

use std::collections::BTreeMap;

use persona_math::drift::*;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/drift_{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A float from the fixtures; non-finite values are written as strings.
fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        Value::String(s) if s == "nan" => f64::NAN,
        _ => v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")),
    }
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

fn rows<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no array {key}"))
}

fn name(row: &Value) -> &str {
    row["name"].as_str().unwrap_or("?")
}

/// Expands a sample: a list of numbers, or a `grid` / `lcg` recipe.
fn sample(v: &Value) -> Vec<f64> {
    if v.is_array() {
        return nums(v);
    }
    if let Some(g) = v.get("grid") {
        let (from, to) = (g["from"].as_u64().unwrap(), g["to"].as_u64().unwrap());
        let (div, add) = (num(&g["div"]), num(&g["add"]));
        return (from..=to).map(|k| (k as f64 / div) + add).collect();
    }
    lcg_sample(&v["lcg"])
}

fn lcg_sample(spec: &Value) -> Vec<f64> {
    let mut state = spec["seed"].as_u64().unwrap();
    let (n, terms) = (spec["n"].as_u64().unwrap(), spec["terms"].as_u64().unwrap());
    let levels = spec["levels"].as_f64();
    let (scale, add) = (num(&spec["scale"]), num(&spec["add"]));
    let mut draw = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 * 2f64.powi(-53)
    };
    (0..n)
        .map(|_| {
            let mut s = draw();
            for _ in 1..terms {
                s += draw();
            }
            let s = levels.map_or(s, |l| (s * l).floor());
            s * scale + add
        })
        .collect()
}

fn assert_rel(what: &str, got: f64, want: f64, rel: f64, abs: f64) {
    let ok = if want.is_nan() {
        got.is_nan()
    } else if want.is_infinite() {
        got == want
    } else {
        (got - want).abs() <= rel * want.abs() + abs
    };
    assert!(ok, "{what}: got {got:e}, want {want:e}");
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

#[test]
fn ks_matches_scipy_in_both_regimes() {
    let fx = load("ks");
    let (mut exact, mut asymptotic) = (0, 0);
    for row in rows(&fx, "cases") {
        let (a, b) = (sample(&row["a"]), sample(&row["b"]));
        let r = ks_2samp(&a, &b);
        let what = name(row);
        assert_rel(
            &format!("{what} D"),
            r.statistic,
            num(&row["statistic"]),
            0.0,
            1e-12,
        );
        assert_rel(
            &format!("{what} p"),
            r.p_value,
            num(&row["p_value"]),
            1e-6,
            1e-300,
        );
        assert_eq!(r.exact, row["exact"].as_bool().unwrap(), "{what} exact");
        assert_eq!(
            ks_2samp_sorted(&sorted(a), &sorted(b)),
            r,
            "{what} sorted entry point"
        );
        if r.exact {
            exact += 1;
        } else {
            asymptotic += 1;
        }
    }
    assert!(
        exact >= 10 && asymptotic >= 10,
        "{exact} exact, {asymptotic} asymptotic"
    );
}

#[test]
fn kstwo_sf_matches_scipy_on_every_branch() {
    let fx = load("kstwo");
    let mut branches = BTreeMap::new();
    for row in rows(&fx, "kstwo_sf") {
        let (n, x) = (row["n"].as_u64().unwrap(), num(&row["x"]));
        let branch = row["branch"].as_str().unwrap();
        *branches.entry(branch.to_string()).or_insert(0) += 1;
        let what = format!("kstwo.sf({x}, {n}) [{branch}]");
        assert_rel(&what, kstwo_sf(x, n), num(&row["sf"]), 1e-6, 1e-300);
    }
    assert_eq!(branches.len(), 8, "branches covered: {branches:?}");
}

#[test]
fn smirnov_sf_matches_scipy() {
    let fx = load("kstwo");
    for row in rows(&fx, "smirnov_sf") {
        let (n, x) = (row["n"].as_u64().unwrap(), num(&row["x"]));
        let what = format!("smirnov({n}, {x})");
        assert_rel(&what, smirnov_sf(n, x), num(&row["sf"]), 1e-6, 1e-300);
    }
}

fn weights(v: &Value) -> Option<Vec<f64>> {
    (!v.is_null()).then(|| nums(v))
}

#[test]
fn wasserstein_matches_scipy() {
    let fx = load("distances");
    for row in rows(&fx, "wasserstein") {
        let (u, v) = (sample(&row["u"]), sample(&row["v"]));
        let (uw, vw) = (weights(&row["u_weights"]), weights(&row["v_weights"]));
        let got = wasserstein_1(&u, uw.as_deref(), &v, vw.as_deref());
        let want = num(&row["w1"]);
        assert_rel(name(row), got, want, 1e-9, 1e-9);
        if uw.is_none() && vw.is_none() {
            let s = wasserstein_1_sorted(&sorted(u), &sorted(v));
            assert_rel(&format!("{} sorted", name(row)), s, want, 1e-9, 1e-9);
        }
    }
}

#[test]
fn normalized_wasserstein_matches_evidently() {
    let fx = load("distances");
    for row in rows(&fx, "normalized") {
        let (r, c) = (sample(&row["reference"]), sample(&row["current"]));
        let mut m = Moments::new();
        m.extend(r.iter().copied());
        let std = m.std().unwrap();
        assert_rel(
            &format!("{} std", name(row)),
            std,
            num(&row["ref_std"]),
            1e-12,
            1e-15,
        );
        let got = wasserstein_normalized(wasserstein_1(&r, None, &c, None), std);
        assert_rel(name(row), got, num(&row["normalized"]), 1e-9, 1e-9);
        assert!(got.is_finite());
    }
}

#[test]
fn quantile_bins_and_psi_match_numpy() {
    let fx = load("distances");
    for row in rows(&fx, "quantile_bins") {
        let what = name(row);
        let reference = sorted(sample(&row["reference"]));
        let current = sample(&row["current"]);
        let n_bins = row["n_bins"].as_u64().unwrap() as usize;
        let want_edges = nums(&row["edges"]);
        let edges = quantile_edges(&reference, n_bins);
        assert_eq!(edges.len(), want_edges.len(), "{what} edges {edges:?}");
        for (e, w) in edges.iter().zip(&want_edges) {
            assert_rel(&format!("{what} edge"), *e, *w, 1e-12, 1e-12);
        }
        let counts = |key: &str| -> Vec<u64> {
            row[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_u64().unwrap())
                .collect()
        };
        // Counting is judged on numpy's own edges, so it tests only the bin convention.
        assert_eq!(
            bin_counts(&want_edges, &reference),
            counts("reference_counts"),
            "{what}"
        );
        assert_eq!(
            bin_counts(&want_edges, &current),
            counts("current_counts"),
            "{what}"
        );
        let ref_shares = shares(&bin_counts(&edges, &reference));
        let cur_shares = shares(&bin_counts(&edges, &current));
        assert_rel(
            &format!("{what} psi"),
            psi(&ref_shares, &cur_shares),
            num(&row["psi"]),
            1e-9,
            1e-12,
        );
    }
}

#[test]
fn psi_fill_matches_evidently() {
    let fx = load("distances");
    for row in rows(&fx, "psi") {
        let what = name(row);
        let (r, c) = (nums(&row["reference"]), nums(&row["current"]));
        for (side, key) in [(&r, "filled_reference"), (&c, "filled_current")] {
            let got = fill_empty_bins(side);
            for (g, w) in got.iter().zip(&nums(&row[key])) {
                assert_rel(&format!("{what} {key}"), *g, *w, 1e-15, 0.0);
            }
        }
        assert_rel(what, psi(&r, &c), num(&row["psi"]), 1e-9, 1e-15);
    }
}

#[test]
fn jensenshannon_matches_scipy_without_the_fill() {
    let fx = load("distances");
    for row in rows(&fx, "jensenshannon") {
        let what = name(row);
        let (p, q) = (nums(&row["p"]), nums(&row["q"]));
        let base = row["base"].as_f64();
        let got = jensenshannon(&p, &q, base);
        assert_rel(what, got, num(&row["js"]), 1e-9, 1e-12);
        let filled = num(&row["js_if_filled"]);
        let has_empty_bin = p.iter().chain(&q).any(|&x| x == 0.0);
        if has_empty_bin {
            assert!(
                (got - filled).abs() > 1e-6,
                "{what}: the fill would not change JS"
            );
        }
    }
}

fn string_counts(v: &Value) -> BTreeMap<String, u64> {
    let obj = v.as_object().expect("object of counts");
    obj.iter()
        .map(|(k, c)| (k.clone(), c.as_u64().unwrap()))
        .collect()
}

#[test]
fn chisquare_matches_scipy() {
    let fx = load("categorical");
    for row in rows(&fx, "chisquare") {
        let what = name(row);
        let (statistic, p, unseen) = if row.get("reference").is_some() {
            let r = chisquare(
                &string_counts(&row["reference"]),
                &string_counts(&row["current"]),
            );
            let unseen: Vec<Value> = r.unseen.iter().map(|k| Value::from(k.as_str())).collect();
            (r.statistic, r.p_value, unseen)
        } else {
            let r = count_numeric(&nums(&row["reference_values"]));
            let c = count_numeric(&nums(&row["current_values"]));
            let r = chisquare(&r, &c);
            let unseen: Vec<Value> = r.unseen.iter().map(|k| Value::from(k.value())).collect();
            (r.statistic, r.p_value, unseen)
        };
        assert_rel(
            &format!("{what} statistic"),
            statistic,
            num(&row["statistic"]),
            1e-12,
            0.0,
        );
        assert_rel(&format!("{what} p"), p, num(&row["p_value"]), 1e-6, 1e-300);
        assert_eq!(&unseen, row["unseen"].as_array().unwrap(), "{what} unseen");
    }
}

#[test]
fn z_test_matches_evidently() {
    let fx = load("categorical");
    for row in rows(&fx, "z") {
        let what = name(row);
        let z = if row.get("reference").is_some() {
            z_test(
                &string_counts(&row["reference"]),
                &string_counts(&row["current"]),
            )
        } else {
            let r = count_numeric(&nums(&row["reference_values"]));
            z_test(&r, &count_numeric(&nums(&row["current_values"])))
        };
        assert_rel(
            &format!("{what} z"),
            z.statistic,
            num(&row["statistic"]),
            1e-12,
            0.0,
        );
        assert_rel(
            &format!("{what} p"),
            z.p_value,
            num(&row["p_value"]),
            1e-9,
            1e-300,
        );
    }
}

#[test]
fn moments_match_numpy() {
    let fx = load("categorical");
    for row in rows(&fx, "moments") {
        let what = name(row);
        let values = sample(&row["values"]);
        let split = row["split"].as_u64().unwrap() as usize;
        let (mut a, mut b) = (Moments::new(), Moments::new());
        a.extend(values[..split].iter().copied());
        b.extend(values[split..].iter().copied());
        a.merge(&b);
        assert_eq!(a.count(), row["count"].as_u64().unwrap(), "{what}");
        assert_rel(
            &format!("{what} mean"),
            a.mean().unwrap(),
            num(&row["mean"]),
            1e-14,
            0.0,
        );
        assert_rel(
            &format!("{what} std"),
            a.std().unwrap(),
            num(&row["std"]),
            1e-12,
            0.0,
        );
    }
}

/// Looks a case up by name in one of the fixture arrays.
fn case<'a>(fx: &'a Value, key: &str, case_name: &str) -> &'a Value {
    rows(fx, key)
        .iter()
        .find(|r| name(r) == case_name)
        .unwrap_or_else(|| panic!("{case_name}"))
}

#[test]
fn brief_c08_ks_ties() {
    let fx = load("ks");
    for (a, b, d, p, fixture) in [
        (
            &[1.0, 2.0, 2.0, 2.0][..],
            &[2.0, 3.0, 3.0, 3.0][..],
            0.75,
            0.228571,
            "C08 ties a",
        ),
        (
            &[0., 0., 1., 1., 1., 2.],
            &[0., 1., 1., 2., 2., 2.],
            0.333333,
            0.930736,
            "C08 ties b",
        ),
    ] {
        let r = ks_2samp(a, b);
        assert!(
            (r.statistic - d).abs() < 5e-7 && (r.p_value - p).abs() < 5e-7,
            "{r:?}"
        );
        assert!(r.exact);
        let row = case(&fx, "cases", fixture);
        assert_rel(fixture, r.p_value, num(&row["p_value"]), 1e-12, 0.0);
    }
}

#[test]
fn brief_c10_large_samples() {
    let reference: Vec<f64> = (1..=100_000).map(|g| g as f64 / 100_000.0).collect();
    let current: Vec<f64> = reference.iter().map(|x| x + 0.01).collect();
    let ks = ks_2samp_sorted(&reference, &current);
    assert!((ks.statistic - 0.01001).abs() < 5e-6 && !ks.exact, "{ks:?}");
    assert_rel("C10 p", ks.p_value, 8.84e-5, 1e-3, 0.0);
    assert!(Method::Ks.drifted(ks.p_value, Method::Ks.default_threshold()));
    let fx = load("ks");
    let row = case(&fx, "cases", "C10 shift 0.01, n=100000");
    assert_rel(
        "C10 p vs fixture",
        ks.p_value,
        num(&row["p_value"]),
        1e-6,
        0.0,
    );

    let mut m = Moments::new();
    m.extend(reference.iter().copied());
    let w = wasserstein_normalized(wasserstein_1_sorted(&reference, &current), m.std().unwrap());
    assert!((w - 0.034641).abs() < 5e-7, "{w}");
    assert!(!Method::Wasserstein.drifted(w, Method::Wasserstein.default_threshold()));
    // With 100000 reference rows Evidently's automatic choice is the distance, not the test.
    assert_eq!(choose_method(reference.len(), 100_000), Method::Wasserstein);

    let small: Vec<f64> = (1..=1000).map(|g| g as f64 / 1000.0).collect();
    let shifted: Vec<f64> = small.iter().map(|x| x + 0.01).collect();
    let ks = ks_2samp(&small, &shifted);
    assert!(ks.p_value > 0.995 && ks.exact, "{ks:?}");
    let row = case(&fx, "cases", "C10 shift 0.01, n=1000");
    assert_rel("C10 n=1000 p", ks.p_value, num(&row["p_value"]), 1e-6, 0.0);
}

#[test]
fn brief_c12_constant_reference() {
    let reference = [5.0; 4];
    for (current, w1, normalized) in [
        ([5.0, 5.0, 5.0, 6.0], 0.25, 250.0),
        ([5.0; 4], 0.0, 0.0),
        ([6.0; 4], 1.0, 1000.0),
    ] {
        let w = wasserstein_1(&reference, None, &current, None);
        assert_eq!(w, w1);
        let n = wasserstein_normalized(w, 0.0);
        assert!(n.is_finite() && (n - normalized).abs() < 1e-9, "{n}");
    }
    let pos = [0.0, 1.0, 2.0, 3.0];
    let hist = wasserstein_1(
        &pos,
        Some(&[0.5, 0.5, 0.0, 0.0]),
        &pos,
        Some(&[0.0, 0.0, 0.5, 0.5]),
    );
    assert_eq!(hist, 2.0);
}

#[test]
fn brief_c13_psi_empty_bins() {
    let counts = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
        pairs.iter().map(|&(k, c)| (k.to_string(), c)).collect()
    };
    let first = psi_categorical(&counts(&[("A", 50), ("B", 50)]), &counts(&[("A", 100)]));
    assert!((first - 4.604318).abs() < 5e-7, "{first}");
    let second = psi_categorical(
        &counts(&[("a", 99_999), ("b", 1)]),
        &counts(&[("a", 99_999), ("c", 1)]),
    );
    assert!((second - 2.7631e-4).abs() < 5e-9, "{second}");
    let fx = load("distances");
    assert_rel(
        "C13 first",
        first,
        num(&case(&fx, "psi", "C13 A/B vs all A")["psi"]),
        1e-12,
        0.0,
    );
    let want = num(&case(&fx, "psi", "C13 new rare category")["psi"]);
    assert_rel("C13 second", second, want, 1e-9, 0.0);
}

#[test]
fn brief_c14_categorical() {
    let counts = |pairs: &[(&str, u64)]| -> BTreeMap<String, u64> {
        pairs.iter().map(|&(k, c)| (k.to_string(), c)).collect()
    };
    let a_ref = counts(&[("a", 5), ("b", 5), ("c", 5)]);
    let a_cur = counts(&[("a", 8), ("b", 3)]);
    let chi = chisquare(&a_ref, &a_cur);
    assert!((chi.statistic - 8.909091).abs() < 5e-7 && (chi.p_value - 0.011626).abs() < 5e-7);
    assert!(chi.unseen.is_empty());
    let b_ref = counts(&[("a", 5), ("b", 5)]);
    let b_cur = counts(&[("a", 8), ("b", 3), ("c", 5)]);
    let chi = chisquare(&b_ref, &b_cur);
    assert_eq!((chi.statistic, chi.p_value), (f64::INFINITY, 0.0));
    assert_eq!(chi.unseen, vec!["c".to_string()]);
    assert!(Method::ChiSquare.drifted(chi.p_value, 0.05));

    let js2 = |r: &BTreeMap<String, u64>, c: &BTreeMap<String, u64>| {
        jensenshannon_categorical(r, c, Some(2.0))
    };
    assert!((js2(&a_ref, &a_cur) - 0.472140).abs() < 5e-7);
    assert!((js2(&b_ref, &b_cur) - 0.457614).abs() < 5e-7);
    let (all_a, all_b) = (counts(&[("A", 100)]), counts(&[("B", 100)]));
    assert_eq!(js2(&all_a, &all_b), 1.0);
    let e = jensenshannon_categorical(&all_a, &all_b, None);
    assert!((e - 0.832555).abs() < 5e-7);
    let (even, skew) = (
        counts(&[("x", 50), ("y", 50)]),
        counts(&[("x", 90), ("y", 10)]),
    );
    assert!((js2(&even, &skew) - 0.383136).abs() < 5e-7);
    let e = jensenshannon_categorical(&even, &skew, None);
    assert!((e - 0.318982).abs() < 5e-7);
}
