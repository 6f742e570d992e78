//! k-means clustering: greedy k-means++ seeding and Lloyd iterations, as scikit-learn's
//! `KMeans(algorithm="lloyd")` does them.
//!
//! Three properties matter more here than in a textbook version, because the extension runs
//! inside a database backend:
//!
//! * **Determinism.** The same data, parameters and seed give bit-identical centroids, labels
//!   and inertia, whatever the thread count. Rows are processed in fixed-size chunks and the
//!   per-chunk partial sums are folded in chunk order, so threads only decide who computes a
//!   chunk, never how floating-point sums are associated.
//! * **Cancellation.** `interrupt` is called regularly from the calling thread; it may unwind
//!   (a PostgreSQL query cancel). Nothing here holds state that an unwind could leave broken:
//!   worker threads are scoped, notice the unwind and stop, and all buffers are owned locals.
//! * **No degenerate models.** The result never has an empty cluster or two equal centroids,
//!   and the returned labels and inertia always belong to the returned centroids.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::distance::sq_euclidean;
use crate::scaler::column_mean_var;

/// Rows per chunk of the seeding passes; also the summation block that fixes rounding.
const SEED_CHUNK_ROWS: usize = 4096;
/// Point-centre distance evaluations allowed between two calls of `interrupt`.
const EVALS_PER_INTERRUPT: usize = 1 << 20;
/// Label of a row before its first assignment; never a valid cluster index.
const UNASSIGNED: u32 = u32::MAX;

/// Parameters of [`kmeans`].
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansParams {
    /// Number of clusters, at least 1 and at most the number of distinct rows.
    pub k: usize,
    /// Number of k-means++ restarts; the lowest inertia wins. Ignored (treated as 1) when
    /// `init` is given.
    pub n_init: usize,
    /// Upper bound on Lloyd iterations per restart, at least 1.
    pub max_iter: usize,
    /// Relative tolerance: iterations stop once the total squared centre shift is at most
    /// `tol` times the mean per-feature variance of the data. 0 means "until labels settle".
    pub tol: f64,
    pub seed: u64,
    /// Explicit initial centroids, row-major `k × d`.
    pub init: Option<Vec<f64>>,
    /// Threads for the assignment and seeding passes, at least 1. Results do not depend on it.
    pub threads: usize,
}

impl KMeansParams {
    /// scikit-learn's defaults for `k` clusters: one k-means++ run, at most 300 iterations,
    /// `tol = 1e-4`, seed 0, single-threaded.
    pub fn new(k: usize) -> KMeansParams {
        KMeansParams {
            k,
            n_init: 1,
            max_iter: 300,
            tol: 1e-4,
            seed: 0,
            init: None,
            threads: 1,
        }
    }
}

/// A fitted k-means model.
#[derive(Debug, Clone, PartialEq)]
pub struct KMeansFit {
    /// Row-major `k × d`, pairwise distinct.
    pub centroids: Vec<f64>,
    /// Index of the nearest centroid of every row (ties go to the lower index, as in
    /// [`crate::distance::nearest_index`]); every cluster has at least one row.
    pub labels: Vec<u32>,
    /// Sum of squared distances of the rows to their centroid.
    pub inertia: f64,
    /// Lloyd iterations run by the winning restart.
    pub n_iter: usize,
}

/// Why [`kmeans`] refused its input.
#[derive(Debug, Clone, PartialEq)]
pub enum KMeansError {
    EmptyInput,
    BadK {
        k: usize,
    },
    /// `data.len()` is not a multiple of `d`, or `d` is 0.
    BadShape {
        len: usize,
        d: usize,
    },
    TooFewDistinct {
        k: usize,
        distinct: usize,
    },
    BadInit {
        expected: usize,
        got: usize,
    },
    /// 0-based index of the first row holding NaN or an infinity.
    NonFiniteRow {
        row: usize,
    },
    /// 0-based index of the first initial centroid holding NaN or an infinity.
    NonFiniteInit {
        centroid: usize,
    },
    /// A parameter outside its domain; `requirement` completes "`name` must be …".
    InvalidParameter {
        name: &'static str,
        requirement: &'static str,
    },
}

impl fmt::Display for KMeansError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KMeansError::EmptyInput => write!(f, "the input has no rows"),
            KMeansError::BadK { k } => write!(f, "k = {k} is not a valid number of clusters"),
            KMeansError::BadShape { len, d } => {
                write!(f, "{len} values do not form rows of dimension {d}")
            }
            KMeansError::TooFewDistinct { k, distinct } => {
                write!(
                    f,
                    "k = {k} exceeds the number of distinct rows ({distinct})"
                )
            }
            KMeansError::BadInit { expected, got } => {
                write!(
                    f,
                    "initial centroids have {got} values, expected k * d = {expected}"
                )
            }
            KMeansError::NonFiniteRow { row } => {
                write!(f, "row {row} contains a non-finite value")
            }
            KMeansError::NonFiniteInit { centroid } => {
                write!(f, "initial centroid {centroid} contains a non-finite value")
            }
            KMeansError::InvalidParameter { name, requirement } => {
                write!(f, "{name} must be {requirement}")
            }
        }
    }
}

impl std::error::Error for KMeansError {}

/// Number of distinct rows, counting at most up to `limit` (the result is `min(distinct,
/// limit)`).
///
/// Rows are equal when all their values compare equal, so `-0.0` equals `0.0`; NaNs with the
/// same bit pattern count as equal. One pass with a hash set: it stops as soon as `limit`
/// distinct rows are seen (after about `limit` rows on varied data) and is O(n) otherwise, so
/// it never holds up a cancel the way a full sort of a large table would.
pub fn count_distinct_rows(data: &[f64], d: usize, limit: usize) -> usize {
    if d == 0 || limit == 0 {
        return 0;
    }
    let mut seen = std::collections::HashSet::new();
    for row in data.chunks_exact(d) {
        seen.insert(RowKey(row));
        if seen.len() >= limit {
            return limit;
        }
    }
    seen.len()
}

/// A row as a hash-set key, with the equality of [`cmp_rows`].
struct RowKey<'a>(&'a [f64]);

impl std::hash::Hash for RowKey<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for x in self.0 {
            (x + 0.0).to_bits().hash(state);
        }
    }
}

impl PartialEq for RowKey<'_> {
    fn eq(&self, other: &Self) -> bool {
        cmp_rows(self.0, other.0).is_eq()
    }
}

impl Eq for RowKey<'_> {}

/// Total lexicographic order on rows in which `-0.0 == 0.0`.
fn cmp_rows(a: &[f64], b: &[f64]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        // Adding +0.0 turns -0.0 into +0.0 and leaves every other value unchanged.
        let ord = (x + 0.0).total_cmp(&(y + 0.0));
        if ord.is_ne() {
            return ord;
        }
    }
    std::cmp::Ordering::Equal
}

/// Clusters the rows of `data` (row-major, `d` columns) into `p.k` groups.
///
/// Runs `p.n_init` greedy k-means++ restarts (or one run from `p.init`) of Lloyd's algorithm
/// and keeps the lowest inertia. `interrupt` is called from this thread at least once per
/// Lloyd iteration and about every million distance evaluations; it may panic to cancel.
///
/// # Errors
///
/// Checked in this order, before any work: `k` is 0 ([`KMeansError::BadK`]); `data` is empty
/// ([`KMeansError::EmptyInput`]) or not whole rows ([`KMeansError::BadShape`]); a parameter is
/// out of range ([`KMeansError::InvalidParameter`]); a value is NaN or infinite
/// ([`KMeansError::NonFiniteRow`]); fewer than `k` distinct rows
/// ([`KMeansError::TooFewDistinct`]); `init` has the wrong length ([`KMeansError::BadInit`])
/// or a non-finite value ([`KMeansError::NonFiniteInit`]).
pub fn kmeans(
    data: &[f64],
    d: usize,
    p: &KMeansParams,
    interrupt: &mut dyn FnMut(),
) -> Result<KMeansFit, KMeansError> {
    let problem = validate(data, d, p)?;
    let tol = absolute_tol(data, d, p.tol);
    let restarts = if p.init.is_some() { 1 } else { p.n_init };
    let mut closest = Vec::new();
    let mut run_once = |restart: usize, labels: &mut Vec<u32>| {
        let init = match &p.init {
            Some(c) => c.clone(),
            None => {
                closest.resize(problem.n, 0.0);
                let mut rng = restart_rng(p.seed, restart);
                kmeans_plus_plus(&problem, &mut rng, &mut closest, interrupt)
            }
        };
        labels.resize(problem.n, UNASSIGNED);
        lloyd(&problem, init, p.max_iter, tol, labels, interrupt)
    };
    let mut best_labels = Vec::new();
    let mut best = run_once(0, &mut best_labels);
    let mut labels = Vec::new();
    for restart in 1..restarts {
        let run = run_once(restart, &mut labels);
        if run.inertia < best.inertia {
            best = run;
            std::mem::swap(&mut labels, &mut best_labels);
        }
    }
    Ok(KMeansFit {
        centroids: best.centroids,
        labels: best_labels,
        inertia: best.inertia,
        n_iter: best.n_iter,
    })
}

/// The random stream of one restart: the seed picks the key, the restart number the ChaCha
/// stream, so restarts are independent yet reproducible and adding restarts does not change
/// the earlier ones.
fn restart_rng(seed: u64, restart: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(restart as u64);
    rng
}

/// Scikit-learn's `_tolerance`: `tol` scaled by the mean per-feature variance, so that the
/// same `tol` means the same thing for data in any unit.
fn absolute_tol(data: &[f64], d: usize, tol: f64) -> f64 {
    if tol == 0.0 {
        return 0.0;
    }
    let (_, var) = column_mean_var(data, d);
    tol * var.iter().sum::<f64>() / d as f64
}

/// Validated input, shared by all passes.
struct Problem<'a> {
    data: &'a [f64],
    d: usize,
    n: usize,
    k: usize,
    threads: usize,
}

impl Problem<'_> {
    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.d..(i + 1) * self.d]
    }
}

fn validate<'a>(data: &'a [f64], d: usize, p: &KMeansParams) -> Result<Problem<'a>, KMeansError> {
    let k = p.k;
    if k == 0 || u32::try_from(k).is_err() {
        return Err(KMeansError::BadK { k });
    }
    if data.is_empty() {
        return Err(KMeansError::EmptyInput);
    }
    if d == 0 || !data.len().is_multiple_of(d) {
        return Err(KMeansError::BadShape { len: data.len(), d });
    }
    check_parameters(p)?;
    if let Some(i) = data.iter().position(|x| !x.is_finite()) {
        return Err(KMeansError::NonFiniteRow { row: i / d });
    }
    let distinct = count_distinct_rows(data, d, k);
    if distinct < k {
        return Err(KMeansError::TooFewDistinct { k, distinct });
    }
    if let Some(init) = &p.init {
        if init.len() != k * d {
            return Err(KMeansError::BadInit {
                expected: k * d,
                got: init.len(),
            });
        }
        if let Some(i) = init.iter().position(|x| !x.is_finite()) {
            return Err(KMeansError::NonFiniteInit { centroid: i / d });
        }
    }
    let n = data.len() / d;
    // More threads than cores only adds switching; the result is the same for any count.
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    Ok(Problem {
        data,
        d,
        n,
        k,
        threads: p.threads.min(cores),
    })
}

fn check_parameters(p: &KMeansParams) -> Result<(), KMeansError> {
    let invalid = |name, requirement| Err(KMeansError::InvalidParameter { name, requirement });
    if p.n_init == 0 {
        return invalid("n_init", "at least 1");
    }
    if p.max_iter == 0 {
        return invalid("max_iter", "at least 1");
    }
    if !(p.tol.is_finite() && p.tol >= 0.0) {
        return invalid("tol", "finite and non-negative");
    }
    if p.threads == 0 {
        return invalid("threads", "at least 1");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Chunked passes over the rows, optionally multi-threaded, with an order-fixed reduction.

/// One pass over the rows: `work` turns a chunk into a partial result, `fold` adds partials
/// into the accumulator. Each row owns one `State` value (a label, a distance) that only the
/// chunk holding it may touch.
pub(crate) trait ChunkJob: Sync {
    type State: Send;
    type Partial;
    type Acc: Send;
    /// A partial to reuse for every chunk a thread processes (`work` must reset it).
    fn partial(&self) -> Self::Partial;
    fn work(&self, first_row: usize, state: &mut [Self::State], part: &mut Self::Partial);
    fn fold(&self, acc: &mut Self::Acc, part: &Self::Partial);
}

/// Runs `job` over `state` in chunks of `chunk_rows` rows on up to `threads` threads.
///
/// Partials are folded strictly in chunk order, so the accumulator is bit-identical for every
/// thread count. `interrupt` runs on this thread after each chunk it computes; if it unwinds,
/// the other threads stop after their current chunk and the unwind continues once they have
/// been joined. Memory is one partial per thread.
pub(crate) fn run_chunks<J: ChunkJob>(
    job: &J,
    state: &mut [J::State],
    chunk_rows: usize,
    threads: usize,
    acc: &mut J::Acc,
    interrupt: &mut dyn FnMut(),
) {
    let chunk_rows = chunk_rows.max(1);
    let n_chunks = state.len().div_ceil(chunk_rows);
    let threads = threads.min(n_chunks);
    if threads <= 1 {
        let mut part = job.partial();
        for (i, chunk) in state.chunks_mut(chunk_rows).enumerate() {
            job.work(i * chunk_rows, chunk, &mut part);
            job.fold(acc, &part);
            interrupt();
        }
        return;
    }
    let shared = Shared {
        queue: Mutex::new(state.chunks_mut(chunk_rows).enumerate()),
        n_chunks,
        turn: Mutex::new(Turn { next: 0, acc }),
        turn_changed: Condvar::new(),
        cancelled: AtomicBool::new(false),
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(|| shared.worker(job, chunk_rows, &mut || {}));
        }
        shared.worker(job, chunk_rows, &mut *interrupt);
    });
    // Other threads may have computed every chunk; the caller still gets its call per pass.
    interrupt();
}

/// The chunk that may fold next, and the accumulator it folds into.
struct Turn<'a, A> {
    next: usize,
    acc: &'a mut A,
}

struct Shared<'a, S, A> {
    queue: Mutex<std::iter::Enumerate<std::slice::ChunksMut<'a, S>>>,
    n_chunks: usize,
    turn: Mutex<Turn<'a, A>>,
    turn_changed: Condvar,
    cancelled: AtomicBool,
}

/// A poisoned lock only means another thread panicked; the data it guards stays consistent
/// because every critical section here is a single fold or iterator step.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'a, S: Send, A: Send> Shared<'a, S, A> {
    /// Computes chunks until none are left, folding each in turn, then waits for the other
    /// threads. Every wake-up while waiting calls `interrupt` (a no-op except on the calling
    /// thread), so a cancel is noticed even when other threads compute most chunks.
    fn worker<J>(&self, job: &J, chunk_rows: usize, interrupt: &mut dyn FnMut())
    where
        J: ChunkJob<State = S, Acc = A>,
    {
        let _guard = CancelOnUnwind(self);
        let mut part = job.partial();
        loop {
            if self.cancelled.load(Ordering::SeqCst) {
                return;
            }
            let Some((i, chunk)) = lock(&self.queue).next() else {
                break;
            };
            job.work(i * chunk_rows, chunk, &mut part);
            let Some(mut turn) = self.wait_until(|t| t.next == i, interrupt) else {
                return;
            };
            job.fold(turn.acc, &part);
            turn.next += 1;
            drop(turn);
            self.turn_changed.notify_all();
            interrupt();
        }
        let _ = self.wait_until(|t| t.next == self.n_chunks, interrupt);
    }

    /// Blocks until `ready` holds for the turn state, or returns `None` once cancelled.
    /// `interrupt` runs without any lock held, so that its unwinding cannot poison or
    /// deadlock the pass.
    fn wait_until(
        &self,
        ready: impl Fn(&Turn<'a, A>) -> bool,
        interrupt: &mut dyn FnMut(),
    ) -> Option<MutexGuard<'_, Turn<'a, A>>> {
        const POLL: std::time::Duration = std::time::Duration::from_millis(10);
        loop {
            let turn = lock(&self.turn);
            if ready(&turn) {
                return Some(turn);
            }
            if self.cancelled.load(Ordering::SeqCst) {
                return None;
            }
            let waited = self.turn_changed.wait_timeout(turn, POLL);
            drop(waited.unwrap_or_else(PoisonError::into_inner));
            interrupt();
        }
    }

    fn cancel(&self) {
        // Set under the turn lock so that a waiter cannot miss the wake-up.
        let turn = lock(&self.turn);
        self.cancelled.store(true, Ordering::SeqCst);
        drop(turn);
        self.turn_changed.notify_all();
    }
}

/// Cancels the pass when its thread unwinds, so that no other thread waits forever for a
/// chunk that will never be folded.
struct CancelOnUnwind<'s, 'a, S: Send, A: Send>(&'s Shared<'a, S, A>);

impl<S: Send, A: Send> Drop for CancelOnUnwind<'_, '_, S, A> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.cancel();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Distance kernels.

/// Points laid out for computing many distances from one row at once: in blocks of `lanes`
/// points, each block feature-major (`d × lanes`), the last block padded with +∞.
///
/// Every distance still adds its terms in feature order, exactly like
/// [`crate::distance::sq_euclidean`], so each value is bit-identical to it; but the `lanes`
/// sums of a block are independent, so they run in vector registers side by side instead of
/// waiting on one long chain of dependent additions. Padding lies at distance +∞ and thus
/// never wins a strict `<` against a real point.
struct Blocked {
    d: usize,
    lanes: usize,
    values: Vec<f64>,
}

impl Blocked {
    fn new(points: &[f64], d: usize) -> Blocked {
        let m = points.len() / d;
        let lanes = if m <= 4 { 4 } else { 8 };
        let mut values = vec![f64::INFINITY; m.div_ceil(lanes) * lanes * d];
        for (j, point) in points.chunks_exact(d).enumerate() {
            let (block, lane) = (j / lanes, j % lanes);
            for (f, v) in point.iter().enumerate() {
                values[(block * d + f) * lanes + lane] = *v;
            }
        }
        Blocked { d, lanes, values }
    }

    /// Number of distances [`Blocked::distances`] writes: the point count rounded up.
    fn width(&self) -> usize {
        self.values.len() / self.d
    }

    /// Squared distances from `x` to every point (then +∞ for the padding) into `out`.
    #[inline(always)]
    fn distances(&self, x: &[f64], out: &mut [f64]) {
        match self.lanes {
            4 => self.blocks::<4>(x, out),
            _ => self.blocks::<8>(x, out),
        }
    }

    #[inline(always)]
    fn blocks<const L: usize>(&self, x: &[f64], out: &mut [f64]) {
        let blocks = self.values.chunks_exact(L * self.d);
        for (block, o) in blocks.zip(out.chunks_exact_mut(L)) {
            o.copy_from_slice(&block_distances::<L>(x, block));
        }
    }
}

/// Squared distances from `x` to the `L` points of one feature-major block. A fixed `L` keeps
/// the accumulators in registers.
#[inline(always)]
pub(crate) fn block_distances<const L: usize>(x: &[f64], block: &[f64]) -> [f64; L] {
    let mut acc = [0.0; L];
    for (xf, column) in x.iter().zip(block.chunks_exact(L)) {
        for (a, c) in acc.iter_mut().zip(column) {
            let t = xf - c;
            *a += t * t;
        }
    }
    acc
}

/// Index and value of the smallest entry, the lower index on ties; the same rule as
/// [`crate::distance::nearest_index`].
#[inline(always)]
fn nearest_of(d2: &[f64]) -> (usize, f64) {
    let mut best = 0;
    let mut best_d2 = f64::INFINITY;
    for (j, &v) in d2.iter().enumerate() {
        if v < best_d2 {
            best = j;
            best_d2 = v;
        }
    }
    (best, best_d2)
}

/// Squared distances of four rows (`4 × d`, row-major) to one point, as four independent
/// in-order sums (bit-identical to [`crate::distance::sq_euclidean`]) that overlap in time.
#[inline(always)]
fn sq_distances_4(rows: &[f64], point: &[f64]) -> [f64; 4] {
    let d = point.len();
    let (r0, rest) = rows.split_at(d);
    let (r1, rest) = rest.split_at(d);
    let (r2, r3) = rest.split_at(d);
    let mut acc = [0.0; 4];
    let lanes = r0.iter().zip(r1).zip(r2).zip(r3).zip(point);
    for ((((a, b), c), e), p) in lanes {
        let t = [a - p, b - p, c - p, e - p];
        for (s, t) in acc.iter_mut().zip(t) {
            *s += t * t;
        }
    }
    acc
}

// ---------------------------------------------------------------------------------------------
// Greedy k-means++ seeding.

/// Greedy k-means++ (Arthur and Vassilvitskii; scikit-learn's `_kmeans_plusplus`): the first
/// centre is a uniformly random row; each further centre is the best of `2 + ⌊ln k⌋`
/// candidates drawn with probability proportional to their squared distance to the nearest
/// centre so far, "best" meaning the lowest resulting potential.
///
/// `closest` (one value per row) is scratch for those squared distances. Candidates always
/// have a positive distance, so the k centres are distinct.
fn kmeans_plus_plus(
    p: &Problem,
    rng: &mut ChaCha8Rng,
    closest: &mut [f64],
    interrupt: &mut dyn FnMut(),
) -> Vec<f64> {
    let trials = 2 + (p.k as f64).ln().floor() as usize;
    let mut centres = Vec::with_capacity(p.k * p.d);
    centres.extend_from_slice(p.row(rng.random_range(0..p.n)));
    closest.fill(f64::INFINITY);
    let mut pot = update_closest(p, &centres, closest, interrupt);
    let mut candidates = Vec::with_capacity(trials * p.d);
    for c in 1..p.k {
        candidates.clear();
        for i in sample_candidates(closest, pot, trials, rng) {
            let i = i.unwrap_or_else(|| first_new_row(p, &centres));
            candidates.extend_from_slice(p.row(i));
        }
        let pots = candidate_potentials(p, &candidates, closest, interrupt);
        let best = argmin(&pots);
        let chosen = &candidates[best * p.d..(best + 1) * p.d];
        centres.extend_from_slice(chosen);
        if c + 1 < p.k {
            pot = update_closest(p, chosen, closest, interrupt);
        }
    }
    centres
}

/// Index of the first smallest value (the earliest candidate wins a tie, as `np.argmin`).
fn argmin(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v < values[best] {
            best = i;
        }
    }
    best
}

/// Draws `trials` row indices with probability proportional to `closest`, in draw order.
///
/// A draw lands on the first row whose running sum exceeds it, so rows at distance 0 (the
/// centres themselves) are never drawn. `None` only when no row has a positive distance, which
/// distinct rows make possible only through underflow.
fn sample_candidates(
    closest: &[f64],
    pot: f64,
    trials: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Option<usize>> {
    let mut targets: Vec<(f64, usize)> = (0..trials)
        .map(|t| (rng.random::<f64>() * pot, t))
        .collect();
    targets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut picked = vec![None; trials];
    let (mut cum, mut next, mut last_positive) = (0.0, 0, None);
    for (i, &c) in closest.iter().enumerate() {
        if c > 0.0 {
            last_positive = Some(i);
        }
        cum += c;
        while next < trials && cum > targets[next].0 {
            picked[targets[next].1] = Some(i);
            next += 1;
        }
        if next == trials {
            return picked;
        }
    }
    // Rounding can leave the running sum just below `pot`; fall back to the last drawable row.
    for (_, t) in &targets[next..] {
        picked[*t] = last_positive;
    }
    picked
}

/// The first row equal to none of `centres`; the seeding fallback when squared distances
/// underflow to 0.
fn first_new_row(p: &Problem, centres: &[f64]) -> usize {
    (0..p.n)
        .find(|&i| {
            centres
                .chunks_exact(p.d)
                .all(|c| cmp_rows(c, p.row(i)).is_ne())
        })
        .unwrap_or(0)
}

/// Lowers `closest` to the squared distance to `centre` where that is closer; returns the new
/// potential (sum of `closest`).
fn update_closest(
    p: &Problem,
    centre: &[f64],
    closest: &mut [f64],
    interrupt: &mut dyn FnMut(),
) -> f64 {
    let job = UpdateClosest {
        data: p.data,
        d: p.d,
        centre,
    };
    let mut pot = 0.0;
    run_chunks(
        &job,
        closest,
        SEED_CHUNK_ROWS,
        p.threads,
        &mut pot,
        interrupt,
    );
    pot
}

struct UpdateClosest<'a> {
    data: &'a [f64],
    d: usize,
    centre: &'a [f64],
}

impl ChunkJob for UpdateClosest<'_> {
    type State = f64;
    type Partial = f64;
    type Acc = f64;

    fn partial(&self) -> f64 {
        0.0
    }

    fn work(&self, first_row: usize, closest: &mut [f64], pot: &mut f64) {
        self.chunk_widest(first_row, closest, pot);
    }

    fn fold(&self, acc: &mut f64, part: &f64) {
        *acc += part;
    }
}

impl UpdateClosest<'_> {
    crate::simd::widest!(fn chunk_widest => chunk, chunk_avx512, chunk_avx2
        (first_row: usize, closest: &mut [f64], pot: &mut f64));

    /// The pass over one chunk (see [`crate::simd`] for why it is compiled more than once).
    #[inline(always)]
    fn chunk(&self, first_row: usize, closest: &mut [f64], pot: &mut f64) {
        let d = self.d;
        let rows = &self.data[first_row * d..(first_row + closest.len()) * d];
        *pot = 0.0;
        let mut lower = |c: &mut f64, d2: f64| {
            if d2 < *c {
                *c = d2;
            }
            *pot += *c;
        };
        let quads = rows.chunks_exact(4 * d).zip(closest.chunks_exact_mut(4));
        for (four, cs) in quads {
            let d2 = sq_distances_4(four, self.centre);
            cs.iter_mut().zip(d2).for_each(|(c, v)| lower(c, v));
        }
        let done = closest.len() / 4 * 4;
        for (x, c) in rows[done * d..].chunks_exact(d).zip(&mut closest[done..]) {
            lower(c, sq_euclidean(x, self.centre));
        }
    }
}

/// The potential each candidate centre would leave: `Σ min(closest, |x − candidate|²)`.
fn candidate_potentials(
    p: &Problem,
    candidates: &[f64],
    closest: &mut [f64],
    interrupt: &mut dyn FnMut(),
) -> Vec<f64> {
    let job = CandidatePotentials {
        data: p.data,
        d: p.d,
        candidates: Blocked::new(candidates, p.d),
        count: candidates.len() / p.d,
    };
    let mut pots = vec![0.0; candidates.len() / p.d];
    run_chunks(
        &job,
        closest,
        SEED_CHUNK_ROWS,
        p.threads,
        &mut pots,
        interrupt,
    );
    pots
}

struct CandidatePotentials<'a> {
    data: &'a [f64],
    d: usize,
    candidates: Blocked,
    count: usize,
}

/// Per-thread potentials and distance scratch.
struct Potentials {
    pots: Vec<f64>,
    d2: Vec<f64>,
}

impl ChunkJob for CandidatePotentials<'_> {
    type State = f64;
    type Partial = Potentials;
    type Acc = Vec<f64>;

    fn partial(&self) -> Potentials {
        Potentials {
            pots: vec![0.0; self.count],
            d2: vec![0.0; self.candidates.width()],
        }
    }

    fn work(&self, first_row: usize, closest: &mut [f64], part: &mut Potentials) {
        self.chunk_widest(first_row, closest, part);
    }

    fn fold(&self, acc: &mut Vec<f64>, part: &Potentials) {
        acc.iter_mut().zip(&part.pots).for_each(|(a, p)| *a += p);
    }
}

impl CandidatePotentials<'_> {
    crate::simd::widest!(fn chunk_widest => chunk, chunk_avx512, chunk_avx2
        (first_row: usize, closest: &mut [f64], part: &mut Potentials));

    /// The pass over one chunk (see [`crate::simd`] for why it is compiled more than once).
    #[inline(always)]
    fn chunk(&self, first_row: usize, closest: &mut [f64], part: &mut Potentials) {
        let rows = &self.data[first_row * self.d..(first_row + closest.len()) * self.d];
        part.pots.fill(0.0);
        for (x, &c) in rows.chunks_exact(self.d).zip(closest.iter()) {
            self.candidates.distances(x, &mut part.d2);
            for (pot, d2) in part.pots.iter_mut().zip(&part.d2) {
                *pot += d2.min(c);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lloyd iterations.

/// Outcome of one restart; the labels live in the caller's buffer.
struct Run {
    centroids: Vec<f64>,
    inertia: f64,
    n_iter: usize,
}

/// Lloyd's algorithm from `centres`, with scikit-learn's stopping rules, followed by the final
/// assignment and the repair of any empty cluster.
fn lloyd(
    p: &Problem,
    mut centres: Vec<f64>,
    max_iter: usize,
    tol: f64,
    labels: &mut [u32],
    interrupt: &mut dyn FnMut(),
) -> Run {
    labels.fill(UNASSIGNED);
    let mut previous = vec![0.0; centres.len()];
    let mut acc = Assignment::new(p.k, p.d);
    let mut n_iter = 0;
    while n_iter < max_iter {
        interrupt();
        assign(p, &centres, labels, &mut acc, interrupt);
        n_iter += 1;
        let relocated = relocate_empty_clusters(p, &centres, labels, &mut acc, interrupt);
        let shift = update_centres(&acc, &centres, &mut previous, p.d);
        std::mem::swap(&mut centres, &mut previous);
        if acc.changed == 0 && !relocated {
            break; // strict convergence: the same labels give the same centres again
        }
        if shift <= tol {
            break;
        }
    }
    // `previous` now holds the centres the labels were computed with. When they differ from
    // the returned ones, assign again so that labels and inertia describe the result.
    if centres != previous {
        assign(p, &centres, labels, &mut acc, interrupt);
    }
    repair_empty_clusters(p, &mut centres, labels, &mut acc, interrupt);
    Run {
        centroids: centres,
        inertia: acc.inertia,
        n_iter,
    }
}

/// Writes the means of the assigned rows into `next` (an empty cluster keeps its centre) and
/// returns the total squared shift from `old`.
fn update_centres(acc: &Assignment, old: &[f64], next: &mut [f64], d: usize) -> f64 {
    let mut shift = 0.0;
    let clusters = next.chunks_exact_mut(d).zip(old.chunks_exact(d));
    for (j, (new, old)) in clusters.enumerate() {
        let count = acc.counts[j];
        if count == 0 {
            new.copy_from_slice(old);
            continue;
        }
        let sums = &acc.sums[j * d..(j + 1) * d];
        for (c, s) in new.iter_mut().zip(sums) {
            *c = s / count as f64;
        }
        shift += sq_euclidean(new, old);
    }
    shift
}

/// Per-cluster totals of an assignment pass.
struct Assignment {
    sums: Vec<f64>,
    counts: Vec<usize>,
    inertia: f64,
    /// Rows whose label differs from the one they had before the pass.
    changed: usize,
}

impl Assignment {
    fn new(k: usize, d: usize) -> Assignment {
        Assignment {
            sums: vec![0.0; k * d],
            counts: vec![0; k],
            inertia: 0.0,
            changed: 0,
        }
    }

    fn reset(&mut self) {
        self.sums.fill(0.0);
        self.counts.fill(0);
        self.inertia = 0.0;
        self.changed = 0;
    }

    fn add(&mut self, other: &Assignment) {
        self.sums
            .iter_mut()
            .zip(&other.sums)
            .for_each(|(a, b)| *a += b);
        self.counts
            .iter_mut()
            .zip(&other.counts)
            .for_each(|(a, b)| *a += b);
        self.inertia += other.inertia;
        self.changed += other.changed;
    }
}

/// The E-step: labels every row with its nearest centre and totals the clusters into `acc`.
fn assign(
    p: &Problem,
    centres: &[f64],
    labels: &mut [u32],
    acc: &mut Assignment,
    interrupt: &mut dyn FnMut(),
) {
    let job = Assign {
        data: p.data,
        d: p.d,
        centres: Blocked::new(centres, p.d),
        k: p.k,
    };
    // Bound the distance evaluations per chunk so that `interrupt` keeps its rhythm for any k.
    let chunk_rows = (EVALS_PER_INTERRUPT / p.k).clamp(1, SEED_CHUNK_ROWS);
    acc.reset();
    run_chunks(&job, labels, chunk_rows, p.threads, acc, interrupt);
}

struct Assign<'a> {
    data: &'a [f64],
    d: usize,
    centres: Blocked,
    k: usize,
}

/// Per-thread cluster totals and distance scratch.
struct AssignPartial {
    totals: Assignment,
    d2: Vec<f64>,
}

impl ChunkJob for Assign<'_> {
    type State = u32;
    type Partial = AssignPartial;
    type Acc = Assignment;

    fn partial(&self) -> AssignPartial {
        AssignPartial {
            totals: Assignment::new(self.k, self.d),
            d2: vec![0.0; self.centres.width()],
        }
    }

    fn work(&self, first_row: usize, labels: &mut [u32], part: &mut AssignPartial) {
        self.chunk_widest(first_row, labels, part);
    }

    fn fold(&self, acc: &mut Assignment, part: &AssignPartial) {
        acc.add(&part.totals);
    }
}

impl Assign<'_> {
    crate::simd::widest!(fn chunk_widest => chunk, chunk_avx512, chunk_avx2
        (first_row: usize, labels: &mut [u32], part: &mut AssignPartial));

    /// The pass over one chunk (see [`crate::simd`] for why it is compiled more than once).
    #[inline(always)]
    fn chunk(&self, first_row: usize, labels: &mut [u32], part: &mut AssignPartial) {
        let d = self.d;
        let rows = &self.data[first_row * d..(first_row + labels.len()) * d];
        let t = &mut part.totals;
        t.reset();
        for (x, label) in rows.chunks_exact(d).zip(labels.iter_mut()) {
            self.centres.distances(x, &mut part.d2);
            let (j, d2) = nearest_of(&part.d2);
            // j < k <= u32::MAX, checked by `validate`.
            let j32 = j as u32;
            if *label != j32 {
                *label = j32;
                t.changed += 1;
            }
            t.inertia += d2;
            t.counts[j] += 1;
            t.sums[j * d..(j + 1) * d]
                .iter_mut()
                .zip(x)
                .for_each(|(s, v)| *s += v);
        }
    }
}

/// scikit-learn's `_relocate_empty_clusters`: each empty cluster takes over the row farthest
/// from its centre, moving it out of its cluster's totals.
///
/// Unlike scikit-learn, a row is only taken from a cluster that keeps at least one other row,
/// and never equals a row already moved, so relocation cannot create a new empty cluster or
/// two equal centres. Returns whether any row moved.
fn relocate_empty_clusters(
    p: &Problem,
    centres: &[f64],
    labels: &[u32],
    acc: &mut Assignment,
    interrupt: &mut dyn FnMut(),
) -> bool {
    let d = p.d;
    let mut moved = Vec::new();
    for e in 0..p.k {
        if acc.counts[e] != 0 {
            continue;
        }
        let far = farthest_row(p, centres, labels, &moved, Some(&acc.counts), interrupt);
        let Some(i) = far else { break };
        let x = p.row(i);
        let from = labels[i] as usize;
        acc.sums[from * d..(from + 1) * d]
            .iter_mut()
            .zip(x)
            .for_each(|(s, v)| *s -= v);
        acc.counts[from] -= 1;
        acc.sums[e * d..(e + 1) * d].copy_from_slice(x);
        acc.counts[e] = 1;
        moved.push(i);
    }
    !moved.is_empty()
}

/// The row farthest (strictly positive distance) from its assigned centre, lowest index on
/// ties, skipping rows equal to one in `moved` and, with `counts`, rows whose cluster has
/// only one row.
fn farthest_row(
    p: &Problem,
    centres: &[f64],
    labels: &[u32],
    moved: &[usize],
    counts: Option<&[usize]>,
    interrupt: &mut dyn FnMut(),
) -> Option<usize> {
    let mut best = None;
    let mut best_d2 = 0.0;
    for (i, (x, &label)) in p.data.chunks_exact(p.d).zip(labels).enumerate() {
        if i % EVALS_PER_INTERRUPT == EVALS_PER_INTERRUPT - 1 {
            interrupt();
        }
        let l = label as usize;
        if counts.is_some_and(|c| c[l] <= 1) {
            continue;
        }
        let d2 = sq_euclidean(x, &centres[l * p.d..(l + 1) * p.d]);
        if d2 > best_d2 && moved.iter().all(|&m| cmp_rows(p.row(m), x).is_ne()) {
            best = Some(i);
            best_d2 = d2;
        }
    }
    best
}

/// Guarantees the result has no empty cluster (hence no duplicate centre, since of two equal
/// centres the higher-indexed one never wins a row).
///
/// Each empty centre jumps onto the row farthest from its own centre, then all rows are
/// reassigned. That row's cost drops from positive to 0 and no other row's cost rises, so the
/// vector of per-row costs strictly decreases and no configuration repeats: the loop ends,
/// normally after one round. A suitable row exists whenever there are at least k distinct rows.
fn repair_empty_clusters(
    p: &Problem,
    centres: &mut [f64],
    labels: &mut [u32],
    acc: &mut Assignment,
    interrupt: &mut dyn FnMut(),
) {
    let d = p.d;
    loop {
        let mut moved = Vec::new();
        for e in 0..p.k {
            if acc.counts[e] != 0 {
                continue;
            }
            let Some(i) = farthest_row(p, centres, labels, &moved, None, interrupt) else {
                break;
            };
            centres[e * d..(e + 1) * d].copy_from_slice(p.row(i));
            moved.push(i);
        }
        if moved.is_empty() {
            return;
        }
        interrupt();
        assign(p, centres, labels, acc, interrupt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::nearest_index;
    use crate::metrics;
    use approx::assert_relative_eq;

    fn no_interrupt() -> impl FnMut() {
        || {}
    }

    fn fit(data: &[f64], d: usize, p: &KMeansParams) -> Result<KMeansFit, KMeansError> {
        kmeans(data, d, p, &mut no_interrupt())
    }

    #[test]
    fn wide_vector_code_gives_bit_identical_fits() {
        use rand::{Rng, SeedableRng};
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        // 1,001 rows: the chunks end in partial blocks of four.
        let data: Vec<f64> = (0..1001 * 7).map(|_| rng.random_range(-5.0..5.0)).collect();
        let p = KMeansParams {
            n_init: 3,
            ..KMeansParams::new(6)
        };
        let wide = fit(&data, 7, &p).unwrap();
        crate::simd::FORCE_BASELINE.with(|f| f.set(true));
        let baseline = fit(&data, 7, &p);
        crate::simd::FORCE_BASELINE.with(|f| f.set(false));
        let baseline = baseline.unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&wide.centroids), bits(&baseline.centroids));
        assert_eq!(wide.labels, baseline.labels);
        assert_eq!(wide.inertia.to_bits(), baseline.inertia.to_bits());
        assert_eq!(wide.n_iter, baseline.n_iter);
    }

    /// `per` rows around each of `centres` (2-D), deterministic jitter.
    fn blobs(centres: &[[f64; 2]], per: usize, spread: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(centres.len() * per * 2);
        for i in 0..centres.len() * per {
            let c = centres[i % centres.len()];
            out.push(c[0] + spread * (rng.random::<f64>() - 0.5));
            out.push(c[1] + spread * (rng.random::<f64>() - 0.5));
        }
        out
    }

    fn uniform(n: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n * d).map(|_| rng.random::<f64>() * 10.0).collect()
    }

    /// The invariants every fit must satisfy, whatever the input.
    fn assert_well_formed(data: &[f64], d: usize, k: usize, f: &KMeansFit) {
        assert_eq!(f.centroids.len(), k * d);
        let mut sizes = vec![0; k];
        for (x, &l) in data.chunks_exact(d).zip(&f.labels) {
            assert_eq!(
                l as usize,
                nearest_index(x, &f.centroids),
                "label is not the nearest"
            );
            sizes[l as usize] += 1;
        }
        assert!(sizes.iter().all(|&s| s > 0), "empty cluster: {sizes:?}");
        let cs: Vec<&[f64]> = f.centroids.chunks_exact(d).collect();
        for a in 0..k {
            for b in a + 1..k {
                assert_ne!(cs[a], cs[b], "centroids {a} and {b} coincide");
            }
        }
        let expected = metrics::inertia(data, d, &f.centroids, &f.labels);
        assert_relative_eq!(f.inertia, expected, max_relative = 1e-12, epsilon = 1e-12);
    }

    #[test]
    fn c01_too_few_distinct_rows() {
        let err = fit(&[10.0, 10.0, 10.0, 20.0, 20.0], 1, &KMeansParams::new(3)).unwrap_err();
        assert_eq!(err, KMeansError::TooFewDistinct { k: 3, distinct: 2 });
        assert_eq!(
            err.to_string(),
            "k = 3 exceeds the number of distinct rows (2)"
        );
    }

    #[test]
    fn c02_empty_cluster_is_relocated_without_duplicates() {
        let data = [1.0, 2.0, 3.0];
        let p = KMeansParams {
            init: Some(vec![4.0, 0.0, 1.0]),
            max_iter: 10,
            tol: 0.0,
            ..KMeansParams::new(3)
        };
        let f = fit(&data, 1, &p).unwrap();
        let mut c = f.centroids.clone();
        c.sort_by(f64::total_cmp);
        assert_eq!(c, vec![1.0, 2.0, 3.0]);
        assert_eq!(f.inertia, 0.0);
        assert_well_formed(&data, 1, 3, &f);
    }

    #[test]
    fn input_errors_come_first_and_read_well() {
        let p = KMeansParams::new(2);
        let e = |data: &[f64], d, p: &KMeansParams| fit(data, d, p).unwrap_err();
        assert_eq!(
            e(&[1.0], 1, &KMeansParams::new(0)),
            KMeansError::BadK { k: 0 }
        );
        assert_eq!(e(&[], 1, &p), KMeansError::EmptyInput);
        assert_eq!(
            e(&[1.0, 2.0, 3.0], 2, &p),
            KMeansError::BadShape { len: 3, d: 2 }
        );
        assert_eq!(
            e(&[1.0, 2.0], 0, &p),
            KMeansError::BadShape { len: 2, d: 0 }
        );
        assert_eq!(
            e(&[1.0, f64::NAN, 3.0], 1, &p),
            KMeansError::NonFiniteRow { row: 1 }
        );
        let bad_init = KMeansParams {
            init: Some(vec![1.0]),
            ..p.clone()
        };
        assert_eq!(
            e(&[1.0, 2.0], 1, &bad_init),
            KMeansError::BadInit {
                expected: 2,
                got: 1
            }
        );
        let inf_init = KMeansParams {
            init: Some(vec![1.0, f64::INFINITY]),
            ..p.clone()
        };
        assert_eq!(
            e(&[1.0, 2.0], 1, &inf_init),
            KMeansError::NonFiniteInit { centroid: 1 }
        );
        for (q, name) in [
            (
                KMeansParams {
                    n_init: 0,
                    ..p.clone()
                },
                "n_init",
            ),
            (
                KMeansParams {
                    max_iter: 0,
                    ..p.clone()
                },
                "max_iter",
            ),
            (
                KMeansParams {
                    tol: -1.0,
                    ..p.clone()
                },
                "tol",
            ),
            (
                KMeansParams {
                    tol: f64::NAN,
                    ..p.clone()
                },
                "tol",
            ),
            (
                KMeansParams {
                    threads: 0,
                    ..p.clone()
                },
                "threads",
            ),
        ] {
            let err = e(&[1.0, 2.0], 1, &q);
            assert!(matches!(err, KMeansError::InvalidParameter { name: n, .. } if n == name));
            assert!(err.to_string().starts_with(&format!("{name} must be")));
        }
        assert_eq!(KMeansError::EmptyInput.to_string(), "the input has no rows");
    }

    #[test]
    fn counts_distinct_rows_exactly_up_to_the_limit() {
        let data = [1.0, 2.0, 1.0, 2.0, -0.0, 5.0, 0.0, 5.0, 3.0, 3.0];
        assert_eq!(count_distinct_rows(&data, 2, 10), 3);
        assert_eq!(count_distinct_rows(&data, 2, 2), 2);
        assert_eq!(count_distinct_rows(&data, 2, 0), 0);
        assert_eq!(count_distinct_rows(&data, 0, 5), 0);
        assert_eq!(count_distinct_rows(&[], 3, 5), 0);
        // Both the prefix scan and the sort: many rows, few values, large and small limits.
        let many: Vec<f64> = (0..5000)
            .flat_map(|i| [(i % 7) as f64, (i % 3) as f64])
            .collect();
        assert_eq!(count_distinct_rows(&many, 2, 100), 21);
        assert_eq!(count_distinct_rows(&many, 2, 21), 21);
        assert_eq!(count_distinct_rows(&many, 2, 22), 21);
        assert_eq!(count_distinct_rows(&many, 2, 5), 5);
        let all: Vec<f64> = (0..3000).map(|i| i as f64).collect();
        assert_eq!(count_distinct_rows(&all, 1, 2000), 2000);
        assert_eq!(count_distinct_rows(&all, 1, 5000), 3000);
    }

    #[test]
    fn separated_blobs_are_recovered() {
        let centres = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]];
        let data = blobs(&centres, 50, 1.0, 1);
        let f = fit(
            &data,
            2,
            &KMeansParams {
                n_init: 3,
                ..KMeansParams::new(4)
            },
        )
        .unwrap();
        assert_well_formed(&data, 2, 4, &f);
        // Rows were generated round-robin over the blobs: row i belongs to blob i % 4.
        for (i, &l) in f.labels.iter().enumerate() {
            assert_eq!(l, f.labels[i % 4]);
        }
        for c in f.centroids.chunks_exact(2) {
            assert!(
                centres.iter().any(|t| sq_euclidean(c, t) < 0.1),
                "centroid {c:?}"
            );
        }
    }

    #[test]
    fn k_one_gives_the_mean_and_k_n_gives_the_rows() {
        let data = [1.0, 2.0, 4.0, 9.0];
        let f = fit(&data, 1, &KMeansParams::new(1)).unwrap();
        assert_eq!(f.centroids, vec![4.0]);
        assert_eq!(f.inertia, 9.0 + 4.0 + 0.0 + 25.0);
        let f = fit(&data, 1, &KMeansParams::new(4)).unwrap();
        assert_eq!(f.inertia, 0.0);
        assert_well_formed(&data, 1, 4, &f);
    }

    #[test]
    fn same_seed_same_bits_whatever_the_threads() {
        // Enough rows for several chunks, so that threads really split the work.
        let data = uniform(10_000, 3, 7);
        let p = KMeansParams {
            n_init: 2,
            max_iter: 5,
            seed: 42,
            ..KMeansParams::new(5)
        };
        let one = fit(&data, 3, &p).unwrap();
        assert_well_formed(&data, 3, 5, &one);
        assert_eq!(fit(&data, 3, &p).unwrap(), one);
        for threads in [2, 3, 8] {
            let many = fit(
                &data,
                3,
                &KMeansParams {
                    threads,
                    ..p.clone()
                },
            )
            .unwrap();
            assert_eq!(many, one, "threads = {threads}");
            assert_eq!(many.inertia.to_bits(), one.inertia.to_bits());
        }
    }

    #[test]
    fn more_restarts_never_do_worse() {
        let data = uniform(600, 2, 3);
        let p1 = KMeansParams {
            seed: 9,
            ..KMeansParams::new(6)
        };
        let p8 = KMeansParams {
            n_init: 8,
            ..p1.clone()
        };
        let one = fit(&data, 2, &p1).unwrap();
        let eight = fit(&data, 2, &p8).unwrap();
        assert!(eight.inertia <= one.inertia);
        assert_well_formed(&data, 2, 6, &eight);
    }

    #[test]
    fn explicit_init_ignores_n_init() {
        let data = uniform(300, 2, 4);
        let init = Some(data[..6].to_vec());
        let p1 = KMeansParams {
            init,
            ..KMeansParams::new(3)
        };
        let p5 = KMeansParams {
            n_init: 5,
            seed: 77,
            ..p1.clone()
        };
        assert_eq!(fit(&data, 2, &p1).unwrap(), fit(&data, 2, &p5).unwrap());
    }

    #[test]
    fn duplicate_initial_centroids_are_separated() {
        let data = blobs(&[[0.0, 0.0], [5.0, 5.0], [9.0, 0.0]], 20, 0.5, 2);
        let p = KMeansParams {
            init: Some(vec![1.0; 6]),
            ..KMeansParams::new(3)
        };
        let f = fit(&data, 2, &p).unwrap();
        assert_well_formed(&data, 2, 3, &f);
    }

    #[test]
    fn heavy_duplicates_with_k_equal_to_distinct_count() {
        let data: Vec<f64> = (0..300).map(|i| [0.0, 1.0, 5.0, 5.5][i % 4]).collect();
        for seed in 0..20 {
            let p = KMeansParams {
                seed,
                tol: 0.0,
                ..KMeansParams::new(4)
            };
            let f = fit(&data, 1, &p).unwrap();
            assert_eq!(f.inertia, 0.0, "seed {seed}");
            assert_well_formed(&data, 1, 4, &f);
        }
    }

    #[test]
    fn stopping_early_still_returns_consistent_labels() {
        let data = uniform(500, 2, 5);
        for max_iter in [1, 2, 3] {
            let p = KMeansParams {
                max_iter,
                ..KMeansParams::new(7)
            };
            let f = fit(&data, 2, &p).unwrap();
            assert_eq!(f.n_iter, max_iter);
            assert_well_formed(&data, 2, 7, &f);
        }
    }

    #[test]
    fn converges_before_max_iter_on_easy_data() {
        let data = blobs(&[[0.0, 0.0], [20.0, 20.0]], 30, 1.0, 6);
        let f = fit(
            &data,
            2,
            &KMeansParams {
                tol: 0.0,
                ..KMeansParams::new(2)
            },
        )
        .unwrap();
        assert!(f.n_iter < 10, "n_iter = {}", f.n_iter);
    }

    #[test]
    fn tolerance_is_relative_to_the_mean_variance() {
        // Column variances 1.25 and 125: mean 63.125.
        let data = [1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0];
        assert_relative_eq!(
            absolute_tol(&data, 2, 1e-4),
            63.125e-4,
            max_relative = 1e-14
        );
        assert_eq!(absolute_tol(&data, 2, 0.0), 0.0);
    }

    #[test]
    fn seeding_picks_distinct_rows_of_the_data() {
        let data: Vec<f64> = (0..400)
            .flat_map(|i| [(i % 5) as f64, (i % 2) as f64])
            .collect();
        let p = validate(&data, 2, &KMeansParams::new(10)).unwrap();
        for seed in 0..10 {
            let mut closest = vec![0.0; p.n];
            let mut rng = restart_rng(seed, 0);
            let c = kmeans_plus_plus(&p, &mut rng, &mut closest, &mut no_interrupt());
            let rows: Vec<&[f64]> = c.chunks_exact(2).collect();
            for (a, ra) in rows.iter().enumerate() {
                assert!(data.chunks_exact(2).any(|x| x == *ra));
                assert!(
                    rows[a + 1..].iter().all(|rb| rb != ra),
                    "seed {seed}: {rows:?}"
                );
            }
        }
    }

    #[test]
    fn restarts_use_independent_streams() {
        let a: u64 = restart_rng(1, 0).random();
        let b: u64 = restart_rng(1, 1).random();
        let c: u64 = restart_rng(2, 0).random();
        assert!(a != b && a != c && b != c);
        assert_eq!(a, restart_rng(1, 0).random::<u64>());
    }

    #[test]
    fn sampling_never_draws_a_zero_distance_row() {
        let closest = [0.0, 3.0, 0.0, 0.0, 1.0, 0.0];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            for i in sample_candidates(&closest, 4.0, 3, &mut rng) {
                assert!(matches!(i, Some(1) | Some(4)));
            }
        }
        // A potential slightly above the true sum (rounding) falls back to the last drawable row.
        let mut always_high = ChaCha8Rng::seed_from_u64(0);
        let picked = sample_candidates(&closest, 1e9, 4, &mut always_high);
        assert!(picked.iter().all(|&i| i == Some(1) || i == Some(4)));
    }

    #[test]
    fn interrupt_runs_every_iteration() {
        let data = uniform(1000, 2, 8);
        let mut calls = 0;
        let p = KMeansParams {
            tol: 0.0,
            ..KMeansParams::new(4)
        };
        let f = kmeans(&data, 2, &p, &mut || calls += 1).unwrap();
        assert!(
            calls >= f.n_iter + 4,
            "calls = {calls}, n_iter = {}",
            f.n_iter
        );
    }

    #[test]
    fn interrupt_can_unwind_safely_with_threads() {
        let data = uniform(30_000, 2, 9);
        let p = KMeansParams {
            threads: 3,
            max_iter: 8,
            ..KMeansParams::new(4)
        };
        for stop_after in [1, 5, 40] {
            let mut calls = 0;
            let cancelled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                kmeans(&data, 2, &p, &mut || {
                    calls += 1;
                    if calls == stop_after {
                        std::panic::panic_any("cancel");
                    }
                })
            }));
            let payload = cancelled.unwrap_err();
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"cancel"));
        }
        // Nothing global was left behind: a normal fit still works and is reproducible.
        let f = fit(&data, 2, &p).unwrap();
        assert_eq!(
            f,
            fit(
                &data,
                2,
                &KMeansParams {
                    threads: 1,
                    ..p.clone()
                }
            )
            .unwrap()
        );
    }

    #[test]
    fn kernels_are_bit_identical_to_sq_euclidean() {
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        for (d, m) in [(1, 1), (3, 8), (10, 5), (17, 3), (4, 4), (6, 9), (2, 50)] {
            let pts: Vec<f64> = (0..m * d)
                .map(|_| rng.random::<f64>() * 1e3 - 5e2)
                .collect();
            let rows: Vec<f64> = (0..4 * d)
                .map(|_| rng.random::<f64>() * 1e3 - 5e2)
                .collect();
            let blocked = Blocked::new(&pts, d);
            let mut out = vec![f64::NAN; blocked.width()];
            for x in rows.chunks_exact(d) {
                blocked.distances(x, &mut out);
                for (o, p) in out.iter().zip(pts.chunks_exact(d)) {
                    assert_eq!(o.to_bits(), sq_euclidean(x, p).to_bits());
                }
                assert!(out[m..].iter().all(|v| *v == f64::INFINITY));
                let (j, _) = nearest_of(&out);
                assert_eq!(j, nearest_index(x, &pts));
            }
            let four = sq_distances_4(&rows, &pts[..d]);
            for (v, x) in four.iter().zip(rows.chunks_exact(d)) {
                assert_eq!(v.to_bits(), sq_euclidean(x, &pts[..d]).to_bits());
            }
        }
    }

    #[test]
    fn update_closest_handles_every_remainder() {
        for n in [1, 4, 7, 4097, 8195] {
            let data = uniform(n, 3, n as u64);
            let p = Problem {
                data: &data,
                d: 3,
                n,
                k: 2,
                threads: 2,
            };
            let centre = [5.0, 5.0, 5.0];
            let mut closest = vec![f64::INFINITY; n];
            closest[0] = 0.5;
            let pot = update_closest(&p, &centre, &mut closest, &mut no_interrupt());
            let want: Vec<f64> = data
                .chunks_exact(3)
                .enumerate()
                .map(|(i, x)| {
                    if i == 0 {
                        0.5f64.min(sq_euclidean(x, &centre))
                    } else {
                        sq_euclidean(x, &centre)
                    }
                })
                .collect();
            assert_eq!(closest, want, "n = {n}");
            assert_relative_eq!(pot, want.iter().sum::<f64>(), max_relative = 1e-12);
        }
    }

    /// Sums values of very different magnitudes, where association order shows in the bits.
    struct SumJob<'a>(&'a [f64]);

    impl ChunkJob for SumJob<'_> {
        type State = u32;
        type Partial = f64;
        type Acc = Vec<f64>;
        fn partial(&self) -> f64 {
            0.0
        }
        fn work(&self, first_row: usize, state: &mut [u32], part: &mut f64) {
            *part = self.0[first_row..first_row + state.len()].iter().sum();
            state.iter_mut().for_each(|s| *s = first_row as u32);
        }
        fn fold(&self, acc: &mut Vec<f64>, part: &f64) {
            let last = acc.last().copied().unwrap_or(0.0);
            acc.push(last + part);
        }
    }

    #[test]
    fn chunk_runner_folds_in_chunk_order() {
        let values: Vec<f64> = (0..10_007)
            .map(|i| ((i * 7919) % 1000) as f64 * 10f64.powi(i % 9 - 4))
            .collect();
        let run = |threads| {
            let mut state = vec![0u32; values.len()];
            let mut acc = Vec::new();
            let mut calls = 0;
            run_chunks(
                &SumJob(&values),
                &mut state,
                100,
                threads,
                &mut acc,
                &mut || calls += 1,
            );
            (acc, state, calls)
        };
        let (acc1, state1, calls1) = run(1);
        assert_eq!(acc1.len(), 101);
        assert_eq!(calls1, 101);
        assert_eq!(state1[250], 200);
        for threads in [2, 4, 16] {
            let (acc, state, calls) = run(threads);
            assert_eq!(acc, acc1);
            assert_eq!(state, state1);
            assert!(
                calls >= 1,
                "the calling thread must be interrupted in every pass"
            );
        }
    }
}
