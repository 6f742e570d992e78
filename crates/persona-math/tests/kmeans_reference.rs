//! persona-math against scikit-learn on real data (UCI "Wholesale customers").
//!
//! The numbers in `fixtures/kmeans_wholesale.json` come from
//! `scripts/reference/kmeans_reference.py`; this test repeats the preprocessing itself
//! (log1p of the six spending columns, then standardisation) and checks the scaler, the
//! k-means inertia for k = 2..8, and the three cluster metrics on scikit-learn's labels.

use std::path::PathBuf;

use persona_math::kmeans::{kmeans, KMeansParams};
use persona_math::metrics::{calinski_harabasz, davies_bouldin, silhouette_score};
use persona_math::scaler::Scaler;
use serde_json::Value;

const SPEND_COLUMNS: [&str; 6] = [
    "Fresh",
    "Milk",
    "Grocery",
    "Frozen",
    "Detergents_Paper",
    "Delicassen",
];
const D: usize = SPEND_COLUMNS.len();

fn repo_file(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// log1p of the spending columns, row-major (the CSV has CRLF line ends and a header).
fn log_spending() -> Vec<f64> {
    let path = repo_file("data/wholesale_customers.csv");
    let text = std::fs::read_to_string(&path).expect("read wholesale_customers.csv");
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let cols: Vec<usize> = SPEND_COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h == c).expect("spending column"))
        .collect();
    let mut out = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        for &c in &cols {
            let v: f64 = fields[c].parse().expect("numeric field");
            out.push(v.ln_1p());
        }
    }
    out
}

fn fixture() -> Value {
    let path = repo_file("crates/persona-math/tests/fixtures/kmeans_wholesale.json");
    let text = std::fs::read_to_string(path).expect("read fixture");
    serde_json::from_str(&text).expect("parse fixture")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number"))
}

/// The standardised data and the fitted scaler.
fn standardised() -> (Vec<f64>, Scaler) {
    let mut data = log_spending();
    assert_eq!(data.len(), 440 * D);
    let scaler = Scaler::fit(&data, D);
    scaler.transform_matrix(&mut data);
    (data, scaler)
}

fn clusterings(fx: &Value) -> &Vec<Value> {
    fx["kmeans"]["clusterings"].as_array().expect("clusterings")
}

#[test]
fn scaler_matches_standard_scaler() {
    let fx = fixture();
    let (_, scaler) = standardised();
    let pairs = [
        (&scaler.mean, floats(&fx["scaler"]["mean"])),
        (&scaler.scale, floats(&fx["scaler"]["scale"])),
    ];
    for (ours, theirs) in pairs {
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            assert!((a - b).abs() <= 1e-12, "{a} vs {b}");
        }
    }
    assert!(scaler.constant.iter().all(|c| !c));
}

fn our_inertia(data: &[f64], k: usize, seed: u64) -> f64 {
    let p = KMeansParams {
        n_init: 10,
        seed,
        ..KMeansParams::new(k)
    };
    kmeans(data, D, &p, &mut || {}).expect("fit").inertia
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

/// One seed is one draw from a distribution: with n_init = 10 at k = 8, scikit-learn's own
/// random_states 0..9 range from 1022.9 to 1041.7. So the strict 1 % bound compares equal
/// restart budgets (best of seeds 0..9 against best of random_states 0..9, each n_init = 10),
/// and seed 0 alone must be within 1 % of a typical (median) scikit-learn run.
#[test]
fn kmeans_inertia_within_one_percent_of_scikit_learn() {
    let fx = fixture();
    let (data, _) = standardised();
    for c in clusterings(&fx) {
        let k = c["k"].as_u64().expect("k") as usize;
        let sk = floats(&c["inertia_by_random_state"]);
        let sk_best = sk.iter().copied().fold(f64::INFINITY, f64::min);
        // Seeds are independent fits; run them side by side to keep the debug test quick.
        let data = &data;
        let ours: Vec<f64> = std::thread::scope(|s| {
            let fits: Vec<_> = (0..sk.len() as u64)
                .map(|seed| s.spawn(move || our_inertia(data, k, seed)))
                .collect();
            fits.into_iter()
                .map(|f| f.join().expect("fit thread"))
                .collect()
        });
        let ours_best = ours.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            ours_best <= 1.01 * sk_best,
            "k = {k}: best {ours_best} vs {sk_best}"
        );
        assert!(
            ours[0] <= 1.01 * median(&sk),
            "k = {k}: seed 0 gives {}, scikit-learn's median is {}",
            ours[0],
            median(&sk)
        );
    }
}

#[test]
fn metrics_match_scikit_learn_on_its_labels() {
    let fx = fixture();
    let (data, _) = standardised();
    for c in clusterings(&fx) {
        let k = c["k"].as_u64().expect("k") as usize;
        let labels: Vec<u32> = c["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .map(|l| l.as_u64().expect("label") as u32)
            .collect();
        let sil = silhouette_score(&data, D, &labels, k, None, 0, &mut || {}).expect("silhouette");
        let ch = calinski_harabasz(&data, D, &labels, k).expect("calinski-harabasz");
        let db = davies_bouldin(&data, D, &labels, k).expect("davies-bouldin");
        let (sk_sil, sk_ch, sk_db) = (
            num(c, "silhouette"),
            num(c, "calinski_harabasz"),
            num(c, "davies_bouldin"),
        );
        assert!(
            (sil - sk_sil).abs() <= 1e-9,
            "k = {k}: silhouette {sil} vs {sk_sil}"
        );
        assert!(
            (ch - sk_ch).abs() <= 1e-9 * sk_ch,
            "k = {k}: calinski {ch} vs {sk_ch}"
        );
        assert!(
            (db - sk_db).abs() <= 1e-9,
            "k = {k}: davies-bouldin {db} vs {sk_db}"
        );
    }
}
