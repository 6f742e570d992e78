//! Stable persona ids and labels across versions.
//!
//! A retrained version should not rename "Sustainable Steve" to "persona 2" because k-means
//! happened to find the centroids in another order. So the new centroids are matched one to
//! one with the production version's at minimum total distance (measured in the new
//! version's standardized units, so no feature dominates by its scale). Matched personas come
//! first, in the order of the production ids they match, and carry their labels; unmatched
//! ones follow with default labels. When no persona disappears, every matched persona keeps
//! its id; the mapping is stored either way (`previous_ids`).

use crate::error::Result;
use crate::registry;
use persona_math::distance::sq_euclidean;
use persona_math::matching::min_cost_matching;
use persona_math::scaler::Scaler;

/// How the personas of a new version relate to the production version's.
pub struct Lineage {
    /// `order[new_id - 1]` is the index of the fitted centroid that gets that id.
    pub order: Vec<usize>,
    pub labels: Vec<String>,
    /// The production persona id each new persona was matched to.
    pub previous: Vec<Option<i32>>,
    /// The production version matched against.
    pub parent: Option<i32>,
}

impl Lineage {
    fn fresh(k: usize) -> Lineage {
        Lineage {
            order: (0..k).collect(),
            labels: (1..=k).map(|i| format!("persona {i}")).collect(),
            previous: vec![None; k],
            parent: None,
        }
    }
}

/// Matches fitted centroids (k × d, original units) to the model's production version.
pub fn carry_over(
    model: &str,
    features: &[String],
    centroids: &[f64],
    scaler: Option<&Scaler>,
) -> Result<Lineage> {
    let d = features.len();
    let k = centroids.len() / d;
    let production = match registry::production(model) {
        Ok(p) if p.features == features => p,
        _ => return Ok(Lineage::fresh(k)),
    };
    let old: Vec<f64> = production.centroids.iter().flatten().copied().collect();
    let matched = min_cost_matching(&costs(centroids, &old, d, scaler), k, old.len() / d);
    let mut order: Vec<usize> = (0..k).filter(|&i| matched[i].is_some()).collect();
    order.sort_by_key(|&i| matched[i]);
    order.extend((0..k).filter(|&i| matched[i].is_none()));
    let previous: Vec<Option<i32>> = order
        .iter()
        .map(|&i| matched[i].map(|c| c as i32 + 1))
        .collect();
    let labels = labels_for(&previous, &production.labels);
    Ok(Lineage {
        order,
        labels,
        previous,
        parent: Some(production.version),
    })
}

/// Squared distances between every new and old centroid, in standardized units if scaled.
fn costs(new: &[f64], old: &[f64], d: usize, scaler: Option<&Scaler>) -> Vec<f64> {
    let scale = |m: &[f64]| {
        let mut m = m.to_vec();
        if let Some(s) = scaler {
            s.transform_matrix(&mut m);
        }
        m
    };
    let (new, old) = (scale(new), scale(old));
    new.chunks(d)
        .flat_map(|a| old.chunks(d).map(move |b| sq_euclidean(a, b)))
        .collect()
}

/// Carried labels for matched personas; `persona N` (first N not taken) for the others.
fn labels_for(previous: &[Option<i32>], old_labels: &[String]) -> Vec<String> {
    let mut labels: Vec<Option<String>> = previous
        .iter()
        .map(|p| p.map(|id| old_labels[id as usize - 1].clone()))
        .collect();
    let mut n = 1;
    for i in 0..labels.len() {
        if labels[i].is_none() {
            n = n.max(i + 1);
            while labels
                .iter()
                .flatten()
                .any(|l| *l == format!("persona {n}"))
            {
                n += 1;
            }
            labels[i] = Some(format!("persona {n}"));
        }
    }
    labels.into_iter().flatten().collect()
}
