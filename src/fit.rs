//! `persona.fit`: k-means personas trained on a table, with the k search and experiment
//! tracking. The algorithms live in persona-math; this module reads the rows, runs the search,
//! and writes runs and the chosen version in the caller's transaction (so a failed or
//! cancelled fit writes nothing).

use crate::arrays::{self, Float8Array};
use crate::drift;
use crate::error::{invalid, null_value, Code, OrRaise, PersonaError, Result};
use crate::lineage::{self, Lineage};
use crate::quality::{self, Rows};
use crate::registry::{self, spi_error, NewVersion};
use crate::source::{RegClass, Source};
use persona_math::kmeans::{count_distinct_rows, kmeans, KMeansError, KMeansFit, KMeansParams};
use persona_math::scaler::Scaler;
use pgrx::datum::{Array, DatumWithOid};
use pgrx::prelude::*;
use serde_json::{json, Value};
use std::ops::RangeInclusive;
use std::time::Instant;

/// Trains personas on `source` and registers the best run as a new version of `model`.
#[allow(clippy::too_many_arguments)]
#[pg_extern(schema = "persona", volatile, parallel_unsafe)]
fn fit(
    model: Option<&str>,
    source: Option<RegClass>,
    features: default!(Option<Vec<Option<String>>>, "NULL"),
    k: default!(Option<i32>, "NULL"),
    k_min: default!(Option<i32>, "2"),
    k_max: default!(Option<i32>, "10"),
    standardize: default!(Option<bool>, "true"),
    n_init: default!(Option<i32>, "10"),
    max_iter: default!(Option<i32>, "300"),
    tol: default!(Option<f64>, "1e-4"),
    seed: default!(Option<i64>, "0"),
    select_by: default!(Option<&str>, "'silhouette'"),
    promote: default!(Option<bool>, "false"),
    init: default!(Option<Array<'_, f64>>, "NULL"),
) -> i32 {
    let model = registry::new_model_name(model).or_raise();
    let source = source
        .ok_or_else(|| null_value("source must not be null"))
        .or_raise();
    let args = Args {
        k,
        k_min,
        k_max,
        standardize,
        n_init,
        max_iter,
        tol,
        seed,
        select_by,
    };
    let plan = Plan::new(&model, source, features, args, init).or_raise();
    let promote = promote
        .ok_or_else(|| null_value("promote must not be null"))
        .or_raise();
    run(&model, &plan, promote).or_raise()
}

/// The raw optional arguments, before checking.
struct Args<'a> {
    k: Option<i32>,
    k_min: Option<i32>,
    k_max: Option<i32>,
    standardize: Option<bool>,
    n_init: Option<i32>,
    max_iter: Option<i32>,
    tol: Option<f64>,
    seed: Option<i64>,
    select_by: Option<&'a str>,
}

/// A checked fit: where the rows come from and how to search.
struct Plan {
    source: Source,
    /// The k values to try, as a range so that an absurd k_max costs nothing before the rows
    /// are counted and the range is refused.
    ks: RangeInclusive<usize>,
    standardize: bool,
    n_init: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    select_by: Metric,
    init: Option<Vec<f64>>,
    params: Value,
}

impl Plan {
    fn new(
        model: &str,
        relation: RegClass,
        features: Option<Vec<Option<String>>>,
        a: Args,
        init: Option<Array<'_, f64>>,
    ) -> Result<Plan> {
        let features = feature_names(model, features)?;
        let source = Source::new(relation.0, &features)?;
        let init = init
            .map(|i| arrays::matrix(&Float8Array::new(i), "init"))
            .transpose()?;
        if let Some(m) = &init {
            if m.d != features.len() {
                return Err(invalid(format!(
                    "init has {} columns, expected one per feature ({})",
                    m.d,
                    features.len()
                )));
            }
        }
        let ks = k_range(a.k, a.k_min, a.k_max, init.as_ref().map(|m| m.k))?;
        let n_init = positive(a.n_init, "n_init")?;
        let max_iter = positive(a.max_iter, "max_iter")?;
        let tol = a.tol.ok_or_else(|| null_value("tol must not be null"))?;
        if !(tol.is_finite() && tol >= 0.0) {
            return Err(invalid(format!(
                "tol must be a finite number >= 0, got {tol}"
            )));
        }
        let seed = a.seed.ok_or_else(|| null_value("seed must not be null"))? as u64;
        let select_by = a
            .select_by
            .ok_or_else(|| null_value("select_by must not be null"))?;
        let select_by = Metric::from_name(select_by)?;
        let standardize = a
            .standardize
            .ok_or_else(|| null_value("standardize must not be null"))?;
        let params = json!({
            "source": source.relation, "features": features, "k_min": ks.start(),
            "k_max": ks.end(), "standardize": standardize, "n_init": n_init,
            "max_iter": max_iter, "tol": tol, "seed": a.seed, "select_by": select_by.name(),
            "init": init.is_some(),
        });
        let init = init.map(|m| m.values);
        Ok(Plan {
            source,
            ks,
            standardize,
            n_init,
            max_iter,
            tol,
            seed,
            select_by,
            init,
            params,
        })
    }
}

/// The features to read: given, or the model's when it already exists.
fn feature_names(model: &str, given: Option<Vec<Option<String>>>) -> Result<Vec<String>> {
    match given {
        Some(list) => {
            let names: Vec<String> = list
                .into_iter()
                .map(|f| f.ok_or_else(|| null_value("features must not contain NULL")))
                .collect::<Result<_>>()?;
            if let Some(i) = (1..names.len()).find(|&i| names[..i].contains(&names[i])) {
                return Err(invalid(format!(
                    "features must be distinct, \"{}\" appears twice",
                    names[i]
                )));
            }
            Ok(names)
        }
        None => registry::latest_features(model)?.ok_or_else(|| {
            invalid("features must be given for a new model")
                .hint(format!("Name the numeric columns, e.g. features => '{{x1,x2}}'; model \"{model}\" has no version yet."))
        }),
    }
}

/// The k values to try: one k, the rows of `init`, or k_min..=k_max.
fn k_range(
    k: Option<i32>,
    k_min: Option<i32>,
    k_max: Option<i32>,
    init_k: Option<usize>,
) -> Result<RangeInclusive<usize>> {
    match (k, init_k) {
        (Some(k), Some(rows)) if k as usize != rows || k < 1 => Err(invalid(format!(
            "k = {k} does not match the {rows} rows of init"
        ))),
        (_, Some(rows)) => Ok(rows..=rows),
        (Some(k), None) if k < 1 => Err(invalid(format!("k must be at least 1, got {k}"))),
        (Some(k), None) => Ok(k as usize..=k as usize),
        (None, None) => {
            let lo = k_min.ok_or_else(|| null_value("k_min must not be null"))?;
            let hi = k_max.ok_or_else(|| null_value("k_max must not be null"))?;
            if lo < 1 || lo > hi {
                return Err(invalid(format!(
                    "k_min and k_max must satisfy 1 <= k_min <= k_max, got {lo} and {hi}"
                )));
            }
            Ok(lo as usize..=hi as usize)
        }
    }
}

fn positive(value: Option<i32>, name: &str) -> Result<usize> {
    match value {
        None => Err(null_value(format!("{name} must not be null"))),
        Some(v) if v < 1 => Err(invalid(format!("{name} must be at least 1, got {v}"))),
        Some(v) => Ok(v as usize),
    }
}

/// A metric to choose k by, and which way is better.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Metric {
    Inertia,
    Silhouette,
    CalinskiHarabasz,
    DaviesBouldin,
    SilhouetteInertiaRatio,
}

impl Metric {
    const ALL: [Metric; 5] = [
        Metric::Silhouette,
        Metric::Inertia,
        Metric::CalinskiHarabasz,
        Metric::DaviesBouldin,
        Metric::SilhouetteInertiaRatio,
    ];

    fn name(self) -> &'static str {
        match self {
            Metric::Inertia => "inertia",
            Metric::Silhouette => "silhouette",
            Metric::CalinskiHarabasz => "calinski_harabasz",
            Metric::DaviesBouldin => "davies_bouldin",
            Metric::SilhouetteInertiaRatio => "silhouette_inertia_ratio",
        }
    }

    fn from_name(name: &str) -> Result<Metric> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
                invalid(format!("unknown select_by \"{name}\""))
                    .hint(format!("Use one of: {}.", names.join(", ")))
            })
    }

    fn higher_is_better(self) -> bool {
        !matches!(self, Metric::Inertia | Metric::DaviesBouldin)
    }
}

/// One k-means run and its metrics.
struct Run {
    k: usize,
    fit: KMeansFit,
    metrics: Value,
    score: Option<f64>,
    /// Seconds since the Unix epoch.
    started_at: f64,
    seconds: f64,
}

fn run(model: &str, plan: &Plan, promote: bool) -> Result<i32> {
    let d = plan.source.d();
    let mut rows = Rows::read(&plan.source)?;
    let n = rows.n(d);
    check_rows(plan, n, rows.skipped)?;
    check_magnitude(&plan.source.features, &rows.data, n)?;
    check_distinct(&rows.data, d, *plan.ks.end())?;
    let scaler = plan.standardize.then(|| Scaler::fit(&rows.data, d));
    if let Some(s) = &scaler {
        notice_constant(s, &plan.source.features);
        s.transform_matrix(&mut rows.data);
    }
    let init = plan.init.clone().map(|mut m| {
        if let Some(s) = &scaler {
            s.transform_matrix(&mut m);
        }
        m
    });
    let runs = search(plan, &rows, d, init)?;
    let best = choose(&runs, plan.select_by)?;
    if let Some(s) = &scaler {
        s.inverse_matrix(&mut rows.data);
    }
    let version = save(model, plan, &runs, best, scaler.as_ref(), promote)?;
    drift::store_baseline_from_rows(model, version, &rows.data, d, rows.skipped)?;
    Ok(version)
}

fn check_rows(plan: &Plan, n: usize, skipped: u64) -> Result<()> {
    if n == 0 {
        return Err(invalid(format!(
            "{} has no row with every feature present and finite",
            plan.source.relation
        ))
        .hint(format!(
            "{skipped} rows were skipped for NULL, NaN or infinite features."
        )));
    }
    Ok(())
}

/// Squared distances, variances and inertia sum squares of the values over every row; past
/// this bound they overflow f64 and k-means would return garbage instead of failing.
fn check_magnitude(features: &[String], data: &[f64], n: usize) -> Result<()> {
    let d = features.len();
    let limit = (f64::MAX / (4.0 * (n * d) as f64)).sqrt();
    let Some(i) = data.iter().position(|v| v.abs() > limit) else {
        return Ok(());
    };
    Err(PersonaError::new(
        Code::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
        format!(
            "feature \"{}\" has a value too large for k-means ({:e}; at most {limit:.1e} for {n} rows)",
            features[i % d],
            data[i]
        ),
    )
    .hint("Rescale the column, e.g. divide it by a power of ten in a view."))
}

fn check_distinct(data: &[f64], d: usize, k_max: usize) -> Result<()> {
    let distinct = count_distinct_rows(data, d, k_max);
    if distinct < k_max {
        return Err(invalid(format!(
            "k = {k_max} exceeds the number of distinct rows ({distinct})"
        ))
        .hint("Lower k (or k_max): k-means cannot place more personas than distinct rows."));
    }
    Ok(())
}

fn notice_constant(scaler: &Scaler, features: &[String]) {
    for (j, constant) in scaler.constant.iter().enumerate() {
        if *constant {
            pgrx::notice!(
                "feature \"{}\" is constant ({}); it is centred and left unscaled",
                features[j],
                (scaler.mean[j] * 1e9).round() / 1e9
            );
        }
    }
}

/// Runs k-means for every k of the plan.
fn search(plan: &Plan, rows: &Rows, d: usize, init: Option<Vec<f64>>) -> Result<Vec<Run>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut runs = Vec::new();
    for k in plan.ks.clone() {
        let params = KMeansParams {
            k,
            n_init: if init.is_some() { 1 } else { plan.n_init },
            max_iter: plan.max_iter,
            tol: plan.tol,
            seed: plan.seed,
            init: init.clone(),
            threads,
        };
        let run = one_run(&params, rows, d, plan)?;
        if plan.ks.start() != plan.ks.end() {
            pgrx::notice!(
                "persona.fit: k = {k}: {} = {}",
                plan.select_by.name(),
                run.score
                    .map_or("undefined".to_string(), |s| format!("{s:.6}"))
            );
        }
        runs.push(run);
    }
    Ok(runs)
}

fn one_run(params: &KMeansParams, rows: &Rows, d: usize, plan: &Plan) -> Result<Run> {
    let started_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |t| t.as_secs_f64());
    let clock = Instant::now();
    let mut interrupt = || {
        pgrx::check_for_interrupts!();
    };
    let fit = kmeans(&rows.data, d, params, &mut interrupt).map_err(kmeans_error)?;
    let mut metrics = quality::metrics(rows, d, &fit.labels, params.k, fit.inertia, plan.seed)?;
    metrics["n_iter"] = json!(fit.n_iter);
    let k = params.k;
    let score = metrics[plan.select_by.name()].as_f64();
    Ok(Run {
        k,
        fit,
        metrics,
        score,
        started_at,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

fn kmeans_error(e: KMeansError) -> PersonaError {
    let hint = match e {
        KMeansError::TooFewDistinct { .. } => {
            Some("Lower k: k-means cannot place more personas than distinct rows.")
        }
        _ => None,
    };
    let error = invalid(e.to_string());
    match hint {
        Some(h) => error.hint(h),
        None => error,
    }
}

/// Index of the best run by the metric; runs where it is undefined are passed over.
fn choose(runs: &[Run], metric: Metric) -> Result<usize> {
    let better = |a: f64, b: f64| {
        if metric.higher_is_better() {
            a > b
        } else {
            a < b
        }
    };
    let mut best: Option<(usize, f64)> = None;
    for (i, run) in runs.iter().enumerate() {
        if let Some(score) = run.score.filter(|s| s.is_finite()) {
            if best.is_none_or(|(_, b)| better(score, b)) {
                best = Some((i, score));
            }
        }
    }
    match (best, runs.len()) {
        (Some((i, _)), _) => Ok(i),
        (None, 1) => Ok(0),
        (None, _) => Err(invalid(format!(
            "no run has a defined {}, so none can be chosen",
            metric.name()
        ))
        .hint("Choose another select_by, or a k range with k >= 2.")),
    }
}

/// Records every run, registers the chosen one as a version, and returns its number.
fn save(
    model: &str,
    plan: &Plan,
    runs: &[Run],
    best: usize,
    scaler: Option<&Scaler>,
    promote: bool,
) -> Result<i32> {
    let ids: Vec<i64> = runs
        .iter()
        .map(|r| insert_run(model, plan, r))
        .collect::<Result<_>>()?;
    let chosen = &runs[best];
    let d = plan.source.d();
    let mut fitted = chosen.fit.centroids.clone();
    if let Some(s) = scaler {
        s.inverse_matrix(&mut fitted);
    }
    let lineage = lineage::carry_over(model, &plan.source.features, &fitted, scaler)?;
    let rows: Vec<&[f64]> = fitted.chunks(d).collect();
    let all_sizes = sizes(&chosen.fit.labels, chosen.k);
    let version = NewVersion {
        model: model.to_string(),
        labels: lineage.labels.clone(),
        features: plan.source.features.clone(),
        centroids: lineage.order.iter().map(|&i| rows[i].to_vec()).collect(),
        scaler: scaler.map(|s| (s.mean.clone(), s.scale.clone())),
    };
    let number = registry::register(&version, "fit", promote)?;
    let sizes: Vec<i64> = lineage.order.iter().map(|&i| all_sizes[i]).collect();
    link_run(model, number, ids[best], &sizes, &lineage)?;
    Ok(number)
}

fn sizes(labels: &[u32], k: usize) -> Vec<i64> {
    let mut sizes = vec![0i64; k];
    for &l in labels {
        sizes[l as usize] += 1;
    }
    sizes
}

fn insert_run(model: &str, plan: &Plan, run: &Run) -> Result<i64> {
    let mut params = plan.params.clone();
    params["k"] = json!(run.k);
    let args: Vec<DatumWithOid> = vec![
        model.into(),
        (run.k as i32).into(),
        params.to_string().into(),
        run.metrics.to_string().into(),
        run.started_at.into(),
        run.seconds.into(),
    ];
    Spi::get_one_with_args::<i64>(
        "INSERT INTO persona.fit_runs (model, k, params, metrics, started_at, duration)
         VALUES ($1, $2, $3::jsonb, $4::jsonb, to_timestamp($5), make_interval(secs => $6))
         RETURNING run_id",
        &args,
    )
    .map_err(spi_error)?
    .ok_or_else(|| spi_error("no run id returned"))
}

fn link_run(
    model: &str,
    version: i32,
    run_id: i64,
    sizes: &[i64],
    lineage: &Lineage,
) -> Result<()> {
    let args: Vec<DatumWithOid> = vec![
        model.into(),
        version.into(),
        run_id.into(),
        sizes.to_vec().into(),
        lineage.parent.into(),
        lineage.previous.clone().into(),
    ];
    Spi::run_with_args(
        "UPDATE persona.fit_runs SET version = $2 WHERE run_id = $3 AND model = $1",
        &args[..3],
    )
    .map_err(spi_error)?;
    Spi::run_with_args(
        "UPDATE persona.model_versions
            SET run_id = $3, sizes = $4, matched_version = $5, previous_ids = $6
          WHERE model = $1 AND version = $2",
        &args,
    )
    .map_err(spi_error)
}
