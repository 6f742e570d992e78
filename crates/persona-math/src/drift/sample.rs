//! Summaries of a reference feature: a bounded uniform sample for the distribution tests, and
//! exact moments over *all* rows for normalisation and reporting.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Uniform random sample of at most `cap` values from a stream of unknown length.
///
/// Li's Algorithm L: after the reservoir fills, it draws how many values to skip before the
/// next replacement instead of one random number per value, so a long stream costs
/// O(cap · (1 + ln(N / cap))) draws. Seeded ChaCha8 makes the sample a pure function of the
/// seed and the stream order, so a baseline can be rebuilt bit for bit. NaN is not a
/// measurement: it is ignored and not counted.
#[derive(Debug, Clone)]
pub struct Reservoir {
    cap: usize,
    items: Vec<f64>,
    seen: u64,
    rng: ChaCha8Rng,
    /// Algorithm L's W: the largest of the random keys of the values kept so far.
    w: f64,
    /// 1-based stream position of the next value that enters the reservoir.
    next: u64,
}

impl Reservoir {
    /// An empty reservoir keeping at most `cap` values (0 keeps none, but still counts).
    pub fn new(cap: usize, seed: u64) -> Reservoir {
        Reservoir {
            cap,
            items: Vec::with_capacity(cap.min(1 << 20)),
            seen: 0,
            rng: ChaCha8Rng::seed_from_u64(seed),
            w: 1.0,
            next: 0,
        }
    }

    /// Offers one value to the sample.
    pub fn push(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.seen += 1;
        if self.items.len() < self.cap {
            self.items.push(x);
            if self.items.len() == self.cap {
                self.w = self.draw_w();
                self.next = self.seen + self.draw_skip() + 1;
            }
        } else if self.cap > 0 && self.seen == self.next {
            let slot = self.rng.random_range(0..self.cap);
            self.items[slot] = x;
            self.w *= self.draw_w();
            self.next = self.next.saturating_add(self.draw_skip()).saturating_add(1);
        }
    }

    /// Offers every value of `values`, in order.
    pub fn extend(&mut self, values: impl IntoIterator<Item = f64>) {
        values.into_iter().for_each(|x| self.push(x));
    }

    /// Uniform draw in (0, 1], so its logarithm is finite.
    fn unit(&mut self) -> f64 {
        1.0 - self.rng.random::<f64>()
    }

    /// exp(ln(u) / cap): the factor by which W shrinks at each replacement.
    fn draw_w(&mut self) -> f64 {
        (self.unit().ln() / self.cap as f64).exp()
    }

    /// Geometric number of values to pass over before the next replacement.
    fn draw_skip(&mut self) -> u64 {
        let skip = (self.unit().ln() / (-self.w).ln_1p()).floor();
        skip as u64 // saturating cast; NaN (W = 0 after an astronomically long stream) gives 0
    }

    /// Values offered so far (NaN excluded).
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// Maximum sample size.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Current sample size: min(seen, cap).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing has been kept yet.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The sample in reservoir order (not sorted).
    pub fn as_slice(&self) -> &[f64] {
        &self.items
    }

    /// The sample sorted ascending, ready for `ks_2samp_sorted`, `quantile_edges` and
    /// `wasserstein_1_sorted`.
    pub fn into_sorted(self) -> Vec<f64> {
        let mut items = self.items;
        items.sort_unstable_by(f64::total_cmp);
        items
    }
}

/// Exact count, mean and population variance of a stream, mergeable across partial states.
///
/// Welford's update avoids the cancellation of Σx² - n·mean²; Chan et al.'s pairwise merge
/// combines states built in parallel (e.g. one per PostgreSQL worker) as if one pass had seen
/// everything. The update runs on x - s, where s is the first value seen: a feature such as
/// an amount near 1e6 with spread 1e-3 would otherwise lose half its digits to the running
/// mean's rounding. Non-finite values are ignored: a single ±inf would poison the mean.
#[derive(Debug, Clone, Copy, Default)]
pub struct Moments {
    count: u64,
    /// Origin of the accumulation: the first value seen (or a restored mean).
    shift: f64,
    /// Mean of x - shift.
    mean: f64,
    /// Sum of squared deviations from the mean.
    m2: f64,
}

impl Moments {
    /// The empty state.
    pub fn new() -> Moments {
        Moments::default()
    }

    /// Rebuilds a state saved with [`Moments::parts`]; `None` if it cannot be one (negative or
    /// non-finite `m2`, non-finite mean, or a non-zero mean/m2 with count 0).
    pub fn from_parts(count: u64, mean: f64, m2: f64) -> Option<Moments> {
        let valid = mean.is_finite() && m2.is_finite() && m2 >= 0.0;
        let empty_ok = count > 0 || (mean == 0.0 && m2 == 0.0);
        (valid && empty_ok).then_some(Moments {
            count,
            shift: mean,
            mean: 0.0,
            m2,
        })
    }

    /// `(count, mean, m2)`, enough to persist and later [`Moments::merge`] the state.
    pub fn parts(&self) -> (u64, f64, f64) {
        (self.count, self.shift + self.mean, self.m2)
    }

    /// Adds one value (Welford).
    pub fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        if self.count == 0 {
            self.shift = x;
        }
        self.count += 1;
        let d = x - self.shift;
        let delta = d - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (d - self.mean);
    }

    /// Adds every value of `values`.
    pub fn extend(&mut self, values: impl IntoIterator<Item = f64>) {
        values.into_iter().for_each(|x| self.push(x));
    }

    /// Combines another partial state into this one (Chan, Golub & LeVeque).
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        // The other mean on this state's origin; the shift difference is exact when close.
        let other_mean = (other.shift - self.shift) + other.mean;
        let delta = other_mean - self.mean;
        self.mean += delta * (nb / n);
        self.m2 += other.m2 + delta * delta * (na * nb / n);
        self.count = self.count.saturating_add(other.count);
    }

    /// Number of values seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean, `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.shift + self.mean)
    }

    /// Population variance (divisor n, numpy's default `ddof=0`, as Evidently's normalisation
    /// uses), `None` when empty.
    pub fn variance(&self) -> Option<f64> {
        (self.count > 0).then(|| self.m2 / self.count as f64)
    }

    /// Population standard deviation, `None` when empty.
    pub fn std(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservoir_keeps_everything_below_cap() {
        let mut r = Reservoir::new(10, 1);
        r.extend([3.0, f64::NAN, 1.0, 2.0]);
        assert_eq!((r.seen(), r.len(), r.cap()), (3, 3, 10));
        assert_eq!(r.into_sorted(), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn reservoir_is_deterministic_per_seed() {
        let run = |seed| {
            let mut r = Reservoir::new(50, seed);
            r.extend((0..10_000).map(f64::from));
            r.into_sorted()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        assert_eq!(run(7).len(), 50);
    }

    #[test]
    fn reservoir_zero_cap_counts_only() {
        let mut r = Reservoir::new(0, 1);
        r.extend([1.0, 2.0]);
        assert_eq!((r.seen(), r.len()), (2, 0));
        assert!(r.is_empty());
    }

    #[test]
    fn reservoir_is_uniform_over_the_stream() {
        // 2000 runs of a 10-of-100 sample: each position is kept with probability 1/10, so
        // each of 10 blocks of 10 positions expects 2000 hits. Chi-square, 9 df, p > 0.001.
        let mut per_block = [0u64; 10];
        for seed in 0..2000 {
            let mut r = Reservoir::new(10, seed);
            r.extend((0..100).map(f64::from));
            for &x in r.as_slice() {
                per_block[x as usize / 10] += 1;
            }
        }
        let chi2: f64 = per_block
            .iter()
            .map(|&c| (c as f64 - 2000.0).powi(2) / 2000.0)
            .sum();
        assert!(chi2 < 27.88, "chi2 = {chi2}, blocks {per_block:?}");
        // The late end of the stream must be represented as well as the start.
        assert!(per_block[9] > 1800 && per_block[0] > 1800, "{per_block:?}");
    }

    #[test]
    fn moments_match_two_pass_formulas() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut m = Moments::new();
        m.extend(xs);
        assert_eq!(m.mean(), Some(5.0));
        assert_eq!(m.std(), Some(2.0));
        assert_eq!(Moments::new().mean(), None);
        assert_eq!(Moments::new().std(), None);
    }

    #[test]
    fn moments_merge_equals_one_pass() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| 1e6 + ((i * 7919) % 1000) as f64 / 7.0)
            .collect();
        let mut whole = Moments::new();
        whole.extend(xs.iter().copied());
        for split in [0, 1, 333, 999, 1000] {
            let (mut a, mut b) = (Moments::new(), Moments::new());
            a.extend(xs[..split].iter().copied());
            b.extend(xs[split..].iter().copied());
            a.merge(&b);
            assert_eq!(a.count(), whole.count());
            assert!((a.mean().unwrap() - whole.mean().unwrap()).abs() < 1e-9);
            assert!((a.std().unwrap() / whole.std().unwrap() - 1.0).abs() < 1e-10);
        }
    }

    #[test]
    fn moments_ignore_non_finite_and_round_trip_parts() {
        let mut m = Moments::new();
        m.extend([1.0, f64::INFINITY, f64::NAN, 3.0]);
        assert_eq!(m.parts(), (2, 2.0, 2.0));
        let (n, mean, m2) = m.parts();
        let mut restored = Moments::from_parts(n, mean, m2).unwrap();
        assert_eq!(restored.parts(), m.parts());
        restored.push(5.0);
        m.push(5.0);
        assert_eq!(restored.parts(), m.parts());
        assert!(Moments::from_parts(0, 1.0, 0.0).is_none());
        assert!(Moments::from_parts(3, 1.0, -1.0).is_none());
    }
}
