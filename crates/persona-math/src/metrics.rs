//! Cluster quality scores, with scikit-learn's definitions and conventions.
//!
//! They let a user pick k (elbow on inertia, silhouette, Calinski-Harabasz, Davies-Bouldin)
//! without leaving SQL. Every score follows the scikit-learn function of the same name,
//! including its edge conventions, so numbers can be checked against Python. A score is `None`
//! where scikit-learn raises: fewer than 2 clusters in use, or every row its own cluster. Labels
//! that do not fit (wrong count, a label `>= k`) also give `None`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::distance::sq_euclidean;
use crate::kmeans::{block_distances, run_chunks, ChunkJob};

/// Distance evaluations between two calls of `interrupt` in the quadratic silhouette.
const EVALS_PER_INTERRUPT: usize = 1 << 20;

/// Rows per cluster, if `labels` fits the data and at least 2 but fewer than n clusters are
/// used (scikit-learn's `check_number_of_labels`).
fn cluster_sizes(n: usize, labels: &[u32], k: usize) -> Option<Vec<usize>> {
    if labels.len() != n {
        return None;
    }
    let mut sizes = vec![0usize; k];
    for &l in labels {
        *sizes.get_mut(l as usize)? += 1;
    }
    let used = sizes.iter().filter(|&&s| s > 0).count();
    (2..n).contains(&used).then_some(sizes)
}

fn rows(data: &[f64], d: usize) -> Option<usize> {
    (d > 0 && data.len().is_multiple_of(d)).then(|| data.len() / d)
}

/// Silhouette coefficient of every row: `(b − a) / max(a, b)` with `a` the mean Euclidean
/// distance to the other rows of its cluster and `b` the lowest mean distance to another
/// cluster. A row alone in its cluster scores 0, as does a row with `a = b = 0`.
///
/// O(n²·d) time and O(n·d) extra memory; `interrupt` is called about every million distances.
pub fn silhouette_samples(
    data: &[f64],
    d: usize,
    labels: &[u32],
    k: usize,
    interrupt: &mut dyn FnMut(),
) -> Option<Vec<f64>> {
    silhouette_samples_threaded(data, d, labels, k, 1, interrupt)
}

/// [`silhouette_samples`] on up to `threads` threads; the result is bit-identical for every
/// thread count. `interrupt` runs on the calling thread only and may unwind (see
/// [`crate::kmeans::kmeans`]).
pub fn silhouette_samples_threaded(
    data: &[f64],
    d: usize,
    labels: &[u32],
    k: usize,
    threads: usize,
    interrupt: &mut dyn FnMut(),
) -> Option<Vec<f64>> {
    let n = rows(data, d)?;
    let sizes = cluster_sizes(n, labels, k)?;
    let job = Silhouette {
        data,
        d,
        n,
        labels,
        sizes: &sizes,
        blocks: feature_major_blocks(data, d),
    };
    let mut out = vec![0.0; n];
    let chunk_rows = (EVALS_PER_INTERRUPT / n).clamp(1, n);
    run_chunks(
        &job,
        &mut out,
        chunk_rows,
        threads.max(1),
        &mut (),
        interrupt,
    );
    Some(out)
}

/// Rows side by side for the quadratic loop of the silhouette: blocks of [`LANES`] rows, each
/// block feature-major (`d × LANES`), the last one padded with zeros (never read back).
///
/// The distances from one row to the `LANES` rows of a block are then `LANES` independent
/// sums that run in vector registers side by side, where one row after another would wait on
/// a single chain of dependent additions; each sum still adds its terms in feature order, so
/// every distance is bit-identical to [`sq_euclidean`] and the silhouette to the plain loop.
fn feature_major_blocks(data: &[f64], d: usize) -> Vec<f64> {
    let n = data.len() / d;
    let mut blocks = vec![0.0; n.div_ceil(LANES) * LANES * d];
    for (i, row) in data.chunks_exact(d).enumerate() {
        let (block, lane) = (i / LANES, i % LANES);
        for (f, v) in row.iter().enumerate() {
            blocks[(block * d + f) * LANES + lane] = *v;
        }
    }
    blocks
}

/// Rows per block of [`feature_major_blocks`].
const LANES: usize = 8;

/// The silhouette pass: each row's summed distances to every cluster, then its coefficient.
struct Silhouette<'a> {
    data: &'a [f64],
    d: usize,
    n: usize,
    labels: &'a [u32],
    sizes: &'a [usize],
    blocks: Vec<f64>,
}

impl ChunkJob for Silhouette<'_> {
    /// The coefficient of the row.
    type State = f64;
    /// Per-cluster distance sums of the current row.
    type Partial = Vec<f64>;
    type Acc = ();

    fn partial(&self) -> Vec<f64> {
        vec![0.0; self.sizes.len()]
    }

    fn work(&self, first_row: usize, out: &mut [f64], dist_sums: &mut Vec<f64>) {
        self.rows_widest(first_row, out, dist_sums);
    }

    fn fold(&self, _: &mut (), _: &Vec<f64>) {}
}

impl Silhouette<'_> {
    crate::simd::widest!(fn rows_widest => rows, rows_avx512, rows_avx2
        (first_row: usize, out: &mut [f64], dist_sums: &mut [f64]));

    #[inline(always)]
    fn rows(&self, first_row: usize, out: &mut [f64], dist_sums: &mut [f64]) {
        let d = self.d;
        let rows = self.data[first_row * d..].chunks_exact(d);
        for ((x, coefficient), &own) in rows.zip(out.iter_mut()).zip(&self.labels[first_row..]) {
            dist_sums.fill(0.0);
            for (b, block) in self.blocks.chunks_exact(LANES * d).enumerate() {
                let mut dist = block_distances::<LANES>(x, block);
                dist.iter_mut().for_each(|v| *v = v.sqrt());
                let first = b * LANES;
                let lanes = (self.n - first).min(LANES);
                for (v, &m) in dist[..lanes].iter().zip(&self.labels[first..]) {
                    dist_sums[m as usize] += v;
                }
            }
            *coefficient = silhouette_of(dist_sums, self.sizes, own as usize);
        }
    }
}

/// One row's silhouette from its summed distances to each cluster (itself contributes 0).
fn silhouette_of(dist_sums: &[f64], sizes: &[usize], own: usize) -> f64 {
    if sizes[own] <= 1 {
        return 0.0;
    }
    let a = dist_sums[own] / (sizes[own] - 1) as f64;
    let b = (0..sizes.len())
        .filter(|&c| c != own && sizes[c] > 0)
        .map(|c| dist_sums[c] / sizes[c] as f64)
        .fold(f64::INFINITY, f64::min);
    let denom = a.max(b);
    if denom > 0.0 {
        (b - a) / denom
    } else {
        0.0
    }
}

/// Mean silhouette coefficient, like scikit-learn's `silhouette_score`.
///
/// Exact over all rows when `sample_size` is `None` or at least n. Otherwise the silhouette is
/// computed within a random subset of `sample_size` rows drawn without replacement from a
/// ChaCha8 stream seeded with `seed`, trading exactness for O(sample²) time; the subset must
/// itself satisfy the label conditions.
pub fn silhouette_score(
    data: &[f64],
    d: usize,
    labels: &[u32],
    k: usize,
    sample_size: Option<usize>,
    seed: u64,
    interrupt: &mut dyn FnMut(),
) -> Option<f64> {
    silhouette_score_threaded(data, d, labels, k, sample_size, seed, 1, interrupt)
}

/// [`silhouette_score`] on up to `threads` threads, with the same result for every count.
#[allow(clippy::too_many_arguments)]
pub fn silhouette_score_threaded(
    data: &[f64],
    d: usize,
    labels: &[u32],
    k: usize,
    sample_size: Option<usize>,
    seed: u64,
    threads: usize,
    interrupt: &mut dyn FnMut(),
) -> Option<f64> {
    let n = rows(data, d)?;
    let samples = match sample_size {
        Some(s) if s < n => {
            if labels.len() != n {
                return None;
            }
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let picked = rand::seq::index::sample(&mut rng, n, s);
            let sub_data: Vec<f64> = picked
                .iter()
                .flat_map(|i| data[i * d..(i + 1) * d].iter().copied())
                .collect();
            let sub_labels: Vec<u32> = picked.iter().map(|i| labels[i]).collect();
            silhouette_samples_threaded(&sub_data, d, &sub_labels, k, threads, interrupt)?
        }
        _ => silhouette_samples_threaded(data, d, labels, k, threads, interrupt)?,
    };
    Some(samples.iter().sum::<f64>() / samples.len() as f64)
}

/// Per-cluster means of the rows, row-major `k × d` (zeros for an unused cluster).
fn cluster_means(data: &[f64], d: usize, labels: &[u32], sizes: &[usize]) -> Vec<f64> {
    let mut means = vec![0.0; sizes.len() * d];
    for (x, &l) in data.chunks_exact(d).zip(labels) {
        let l = l as usize;
        means[l * d..(l + 1) * d]
            .iter_mut()
            .zip(x)
            .for_each(|(m, v)| *m += v);
    }
    for (m, &s) in means.chunks_exact_mut(d).zip(sizes) {
        if s > 0 {
            m.iter_mut().for_each(|v| *v /= s as f64);
        }
    }
    means
}

fn column_means(data: &[f64], d: usize, n: usize) -> Vec<f64> {
    let mut mean = vec![0.0; d];
    for x in data.chunks_exact(d) {
        mean.iter_mut().zip(x).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    mean
}

/// Calinski-Harabasz index: between-cluster over within-cluster dispersion, each divided by
/// its degrees of freedom. Higher is better. As in scikit-learn it is 1.0 when every cluster
/// is a single point repeated (zero within-cluster dispersion).
pub fn calinski_harabasz(data: &[f64], d: usize, labels: &[u32], k: usize) -> Option<f64> {
    let n = rows(data, d)?;
    let sizes = cluster_sizes(n, labels, k)?;
    let means = cluster_means(data, d, labels, &sizes);
    let overall = column_means(data, d, n);
    let mut extra = 0.0;
    for (m, &s) in means.chunks_exact(d).zip(&sizes) {
        extra += s as f64 * sq_euclidean(m, &overall);
    }
    let mut intra = 0.0;
    for (x, &l) in data.chunks_exact(d).zip(labels) {
        let l = l as usize;
        intra += sq_euclidean(x, &means[l * d..(l + 1) * d]);
    }
    let used = sizes.iter().filter(|&&s| s > 0).count() as f64;
    if intra == 0.0 {
        return Some(1.0);
    }
    Some(extra * (n as f64 - used) / (intra * (used - 1.0)))
}

/// Davies-Bouldin index: the mean over clusters of the worst ratio `(sᵢ + sⱼ) / |cᵢ − cⱼ|`,
/// where `s` is the mean distance of a cluster's rows to its centroid. Lower is better.
///
/// scikit-learn's conventions: 0.0 when all `s` or all centroid distances are within 1e-8 of
/// zero, and a pair of coinciding centroids contributes a ratio of 0.
pub fn davies_bouldin(data: &[f64], d: usize, labels: &[u32], k: usize) -> Option<f64> {
    let n = rows(data, d)?;
    let sizes = cluster_sizes(n, labels, k)?;
    let means = cluster_means(data, d, labels, &sizes);
    let mut spread = vec![0.0; k];
    for (x, &l) in data.chunks_exact(d).zip(labels) {
        let l = l as usize;
        spread[l] += sq_euclidean(x, &means[l * d..(l + 1) * d]).sqrt();
    }
    let used: Vec<usize> = (0..k).filter(|&c| sizes[c] > 0).collect();
    used.iter().for_each(|&c| spread[c] /= sizes[c] as f64);
    let centre = |c: usize| &means[c * d..(c + 1) * d];
    let dist = |a: usize, b: usize| sq_euclidean(centre(a), centre(b)).sqrt();
    let near_zero = |v: f64| v.abs() <= 1e-8;
    let all_centres_close = used
        .iter()
        .all(|&a| used.iter().all(|&b| near_zero(dist(a, b))));
    if used.iter().all(|&c| near_zero(spread[c])) || all_centres_close {
        return Some(0.0);
    }
    let worst_ratio = |a: usize| {
        let ratio = |b: usize| {
            let dab = dist(a, b);
            if dab == 0.0 {
                0.0
            } else {
                (spread[a] + spread[b]) / dab
            }
        };
        used.iter()
            .filter(|&&b| b != a)
            .map(|&b| ratio(b))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    Some(used.iter().map(|&a| worst_ratio(a)).sum::<f64>() / used.len() as f64)
}

/// Sum of squared distances of each row to the centroid of its label (row-major `k × d`).
///
/// NaN when a label has no centroid, so that a mismatch cannot pass for a good fit.
pub fn inertia(data: &[f64], d: usize, centroids: &[f64], labels: &[u32]) -> f64 {
    if d == 0 {
        return 0.0;
    }
    let mut total = 0.0;
    for (x, &l) in data.chunks_exact(d).zip(labels) {
        let l = l as usize;
        match centroids.get(l * d..(l + 1) * d) {
            Some(c) => total += sq_euclidean(x, c),
            None => return f64::NAN,
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use rand::Rng;

    fn no_interrupt() -> impl FnMut() {
        || {}
    }

    fn sil(data: &[f64], d: usize, labels: &[u32], k: usize) -> Option<Vec<f64>> {
        silhouette_samples(data, d, labels, k, &mut no_interrupt())
    }

    /// Textbook silhouette, written independently of the implementation above.
    fn naive_silhouette(data: &[f64], d: usize, labels: &[u32]) -> Vec<f64> {
        let x = |i: usize| &data[i * d..(i + 1) * d];
        let n = labels.len();
        let mean_dist = |i: usize, c: u32| {
            let others: Vec<usize> = (0..n).filter(|&j| j != i && labels[j] == c).collect();
            let total: f64 = others
                .iter()
                .map(|&j| sq_euclidean(x(i), x(j)).sqrt())
                .sum();
            (total / others.len() as f64, others.len())
        };
        (0..n)
            .map(|i| {
                let (a, mates) = mean_dist(i, labels[i]);
                if mates == 0 {
                    return 0.0;
                }
                let mut clusters: Vec<u32> = labels.to_vec();
                clusters.sort_unstable();
                clusters.dedup();
                let b = clusters
                    .iter()
                    .filter(|&&c| c != labels[i])
                    .map(|&c| mean_dist(i, c).0)
                    .fold(f64::INFINITY, f64::min);
                (b - a) / a.max(b)
            })
            .collect()
    }

    #[test]
    fn c07_silhouette_by_hand() {
        let data = [0.0, 0.1, 1.0];
        let s = sil(&data, 1, &[0, 0, 1], 2).unwrap();
        for (got, want) in s.iter().zip([0.9, 0.888889, 0.0]) {
            assert_abs_diff_eq!(*got, want, epsilon = 1e-6);
        }
        let mean = silhouette_score(&data, 1, &[0, 0, 1], 2, None, 0, &mut no_interrupt());
        assert_abs_diff_eq!(mean.unwrap(), 0.596296, epsilon = 1e-6);
        assert_eq!(sil(&data, 1, &[0, 0, 0], 1), None);
        assert_eq!(sil(&data, 1, &[0, 0, 0], 3), None);
        assert_eq!(sil(&data, 1, &[0, 1, 2], 3), None);
    }

    #[test]
    fn silhouette_matches_the_textbook_definition() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (n, d) = (60, 3);
        let data: Vec<f64> = (0..n * d).map(|_| rng.random::<f64>()).collect();
        // Cluster 3 is a singleton and cluster 2 unused, to exercise both conventions.
        let mut labels: Vec<u32> = (0..n).map(|i| [0, 1, 4][i % 3]).collect();
        labels[7] = 3;
        let ours = sil(&data, d, &labels, 5).unwrap();
        assert_eq!(ours[7], 0.0);
        for (a, b) in ours.iter().zip(naive_silhouette(&data, d, &labels)) {
            assert_abs_diff_eq!(*a, b, epsilon = 1e-12);
        }
    }

    #[test]
    fn coincident_points_in_different_clusters_score_zero() {
        let s = sil(&[1.0, 1.0, 1.0, 1.0], 1, &[0, 0, 1, 1], 2).unwrap();
        assert_eq!(s, vec![0.0; 4]);
    }

    #[test]
    fn sampled_silhouette_is_seeded_and_within_the_subset() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let data: Vec<f64> = (0..400)
            .map(|i| (i % 2) as f64 * 4.0 + rng.random::<f64>())
            .collect();
        let labels: Vec<u32> = (0..400).map(|i| (i % 2) as u32).collect();
        let score = |size, seed| silhouette_score(&data, 1, &labels, 2, size, seed, &mut || {});
        let exact = score(None, 0).unwrap();
        assert_eq!(score(Some(400), 3), Some(exact));
        assert_eq!(score(Some(10_000), 3), Some(exact));
        let sampled = score(Some(100), 3).unwrap();
        assert_eq!(score(Some(100), 3), Some(sampled));
        assert_ne!(score(Some(100), 4), Some(sampled));
        assert!((sampled - exact).abs() < 0.05, "{sampled} vs {exact}");
        assert_eq!(score(Some(1), 3), None);
        assert_eq!(score(Some(0), 3), None);
    }

    /// The plain per-pair loop the blocked, threaded silhouette replaced.
    fn plain_silhouette(data: &[f64], d: usize, labels: &[u32], k: usize) -> Vec<f64> {
        let sizes = cluster_sizes(labels.len(), labels, k).unwrap();
        let mut dist_sums = vec![0.0; k];
        let mut out = Vec::new();
        for (x, &l) in data.chunks_exact(d).zip(labels) {
            dist_sums.fill(0.0);
            for (y, &m) in data.chunks_exact(d).zip(labels) {
                dist_sums[m as usize] += sq_euclidean(x, y).sqrt();
            }
            out.push(silhouette_of(&dist_sums, &sizes, l as usize));
        }
        out
    }

    #[test]
    fn silhouette_is_bit_identical_to_the_plain_loop_on_any_thread_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // 1,003 rows: the last block of eight is partly padding.
        let (n, d, k) = (1003, 5, 4);
        let data: Vec<f64> = (0..n * d).map(|_| rng.random_range(-3.0..3.0)).collect();
        let labels: Vec<u32> = (0..n).map(|_| rng.random_range(0..k as u32)).collect();
        let plain = plain_silhouette(&data, d, &labels, k);
        crate::simd::FORCE_BASELINE.with(|f| f.set(true));
        let baseline = silhouette_samples(&data, d, &labels, k, &mut || {}).unwrap();
        crate::simd::FORCE_BASELINE.with(|f| f.set(false));
        assert!(baseline
            .iter()
            .zip(&plain)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        for threads in [1, 2, 3] {
            let got = silhouette_samples_threaded(&data, d, &labels, k, threads, &mut || {});
            let same = got
                .unwrap()
                .iter()
                .zip(&plain)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "threads = {threads}");
        }
    }

    #[test]
    fn silhouette_calls_interrupt_on_large_inputs() {
        let data: Vec<f64> = (0..1100).map(|i| i as f64).collect();
        let labels: Vec<u32> = (0..1100).map(|i| (i / 550) as u32).collect();
        let mut calls = 0;
        silhouette_samples(&data, 1, &labels, 2, &mut || calls += 1).unwrap();
        assert!(calls >= 1);
    }

    #[test]
    fn calinski_harabasz_by_hand() {
        // Means 0.5 and 10.5 around 5.5: between 2·25 + 2·25 = 100, within 4 · 0.25 = 1.
        let data = [0.0, 1.0, 10.0, 11.0];
        let ch = calinski_harabasz(&data, 1, &[0, 0, 1, 1], 2).unwrap();
        assert_abs_diff_eq!(ch, 100.0 * 2.0 / 1.0, epsilon = 1e-9);
        assert_eq!(
            calinski_harabasz(&[0.0, 0.0, 5.0, 5.0], 1, &[0, 0, 1, 1], 2),
            Some(1.0)
        );
    }

    #[test]
    fn davies_bouldin_by_hand() {
        // Spreads 0.5 and 0.5, centroids 10 apart: every ratio is 0.1.
        let data = [0.0, 1.0, 10.0, 11.0];
        let db = davies_bouldin(&data, 1, &[0, 0, 1, 1], 2).unwrap();
        assert_abs_diff_eq!(db, 0.1, epsilon = 1e-12);
        assert_eq!(
            davies_bouldin(&[0.0, 0.0, 5.0, 5.0], 1, &[0, 0, 1, 1], 2),
            Some(0.0)
        );
    }

    #[test]
    fn unused_cluster_indices_do_not_matter() {
        let data = [0.0, 1.0, 3.0, 10.0, 11.0, 13.0, 5.0];
        let compact = [0, 0, 0, 1, 1, 1, 2];
        let sparse = [1, 1, 1, 4, 4, 4, 0];
        // Equal up to summation order, which follows the cluster indices.
        let ch = |l: &[u32], k| calinski_harabasz(&data, 1, l, k).unwrap();
        assert_abs_diff_eq!(ch(&compact, 3), ch(&sparse, 6), epsilon = 1e-12);
        let db = |l: &[u32], k| davies_bouldin(&data, 1, l, k).unwrap();
        assert_abs_diff_eq!(db(&compact, 3), db(&sparse, 6), epsilon = 1e-12);
        let a = silhouette_score(&data, 1, &compact, 3, None, 0, &mut || {});
        let b = silhouette_score(&data, 1, &sparse, 6, None, 0, &mut || {});
        assert_eq!(a, b);
    }

    #[test]
    fn labels_that_do_not_fit_give_none() {
        let data = [0.0, 1.0, 2.0, 3.0];
        assert_eq!(calinski_harabasz(&data, 1, &[0, 0, 1, 2], 2), None);
        assert_eq!(davies_bouldin(&data, 1, &[0, 1], 2), None);
        assert_eq!(sil(&data, 0, &[0, 0, 1, 1], 2), None);
        assert_eq!(sil(&data, 3, &[0, 1], 2), None);
        assert_eq!(calinski_harabasz(&data, 1, &[1, 1, 1, 1], 2), None);
    }

    #[test]
    fn inertia_sums_squared_distances_to_own_centroid() {
        let data = [0.0, 0.0, 3.0, 4.0, 1.0, 1.0];
        let centroids = [0.0, 0.0, 3.0, 3.0];
        assert_eq!(inertia(&data, 2, &centroids, &[0, 1, 0]), 0.0 + 1.0 + 2.0);
        assert!(inertia(&data, 2, &centroids, &[0, 2, 0]).is_nan());
        assert_eq!(inertia(&[], 2, &centroids, &[]), 0.0);
    }
}
