//! Drift methods by name, their default thresholds and decision rules, and the automatic
//! choice of method, all as in Evidently's legacy stattests so that a threshold tuned there
//! means the same here.

use std::fmt;

/// A drift test or distance. Names are Evidently's stattest names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Two-sample Kolmogorov-Smirnov p-value (`ks`).
    Ks,
    /// Wasserstein distance normalised by the reference std (`wasserstein`).
    Wasserstein,
    /// Population Stability Index (`psi`).
    Psi,
    /// Jensen-Shannon distance (`jensenshannon`).
    JensenShannon,
    /// Chi-square goodness-of-fit p-value (`chisquare`).
    ChiSquare,
    /// Two-proportion z-test p-value (`z`).
    Z,
}

impl Method {
    /// Every method, in declaration order.
    pub const ALL: [Method; 6] = [
        Method::Ks,
        Method::Wasserstein,
        Method::Psi,
        Method::JensenShannon,
        Method::ChiSquare,
        Method::Z,
    ];

    /// The method called `name` (Evidently's spelling, ASCII case and surrounding blanks
    /// ignored), or `None`.
    pub fn from_name(name: &str) -> Option<Method> {
        let name = name.trim();
        Method::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Evidently's stattest name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Ks => "ks",
            Method::Wasserstein => "wasserstein",
            Method::Psi => "psi",
            Method::JensenShannon => "jensenshannon",
            Method::ChiSquare => "chisquare",
            Method::Z => "z",
        }
    }

    /// Whether the score is a p-value (small means drift) rather than a distance (large means
    /// drift).
    pub fn is_p_value(self) -> bool {
        matches!(self, Method::Ks | Method::ChiSquare | Method::Z)
    }

    /// Evidently's default threshold: 0.05 for p-values, 0.1 for distances.
    pub fn default_threshold(self) -> f64 {
        if self.is_p_value() {
            0.05
        } else {
            0.1
        }
    }

    /// Whether `value` signals drift at `threshold`, with Evidently's exact comparisons:
    /// `ks` drifts when p <= threshold, `chisquare` and `z` when p < threshold, and the
    /// distances when value >= threshold. The asymmetry between `ks` and the other p-value
    /// tests is Evidently's; keeping it means a p-value exactly at the threshold is judged the
    /// same way in both places. NaN never signals drift.
    pub fn drifted(self, value: f64, threshold: f64) -> bool {
        match self {
            Method::Ks => value <= threshold,
            Method::ChiSquare | Method::Z => value < threshold,
            Method::Wasserstein | Method::Psi | Method::JensenShannon => value >= threshold,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Evidently's default choice of method from the reference size and the number of distinct
/// values.
///
/// Small references get tests (their p-values are meaningful there); large ones get distances,
/// because with thousands of rows every test rejects on differences too small to matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoRule {
    /// References with at most this many rows count as small (Evidently: 1000).
    pub small_reference_max: usize,
    /// Numeric features with at most this many distinct values are treated as discrete
    /// (Evidently: 5).
    pub discrete_max_distinct: usize,
}

impl Default for AutoRule {
    fn default() -> Self {
        AutoRule {
            small_reference_max: 1000,
            discrete_max_distinct: 5,
        }
    }
}

impl AutoRule {
    /// Method for a numeric feature. `n_distinct` is the number of distinct values in reference
    /// and current together (Evidently counts the union).
    ///
    /// Small reference: `ks` above the discrete limit, else `chisquare`, or `z` for at most two
    /// values. Large reference: `wasserstein` above the discrete limit, else `jensenshannon`.
    pub fn choose(&self, n_reference: usize, n_distinct: usize) -> Method {
        let discrete = n_distinct <= self.discrete_max_distinct;
        match (n_reference <= self.small_reference_max, discrete) {
            (true, false) => Method::Ks,
            (true, true) => Self::small_categorical(n_distinct),
            (false, false) => Method::Wasserstein,
            (false, true) => Method::JensenShannon,
        }
    }

    /// Method for a categorical feature: `chisquare` (or `z` for at most two categories) for a
    /// small reference, `jensenshannon` for a large one.
    pub fn choose_categorical(&self, n_reference: usize, n_distinct: usize) -> Method {
        if n_reference <= self.small_reference_max {
            Self::small_categorical(n_distinct)
        } else {
            Method::JensenShannon
        }
    }

    /// Evidently: `chi_stat_test if n_values > 2 else z_stat_test`, so one value also gets `z`.
    fn small_categorical(n_distinct: usize) -> Method {
        if n_distinct > 2 {
            Method::ChiSquare
        } else {
            Method::Z
        }
    }
}

/// [`AutoRule::choose`] with Evidently's defaults, for a numeric feature.
pub fn choose_method(n_reference: usize, n_distinct: usize) -> Method {
    AutoRule::default().choose(n_reference, n_distinct)
}

/// [`AutoRule::choose_categorical`] with Evidently's defaults.
pub fn choose_method_categorical(n_reference: usize, n_distinct: usize) -> Method {
    AutoRule::default().choose_categorical(n_reference, n_distinct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Method::ALL {
            assert_eq!(Method::from_name(m.name()), Some(m));
            assert_eq!(m.to_string(), m.name());
        }
        assert_eq!(
            Method::from_name(" JensenShannon "),
            Some(Method::JensenShannon)
        );
        assert_eq!(Method::from_name("kl_div"), None);
        assert_eq!(Method::from_name(""), None);
    }

    #[test]
    fn thresholds_and_kinds() {
        let p_values: Vec<_> = Method::ALL.into_iter().filter(|m| m.is_p_value()).collect();
        assert_eq!(p_values, vec![Method::Ks, Method::ChiSquare, Method::Z]);
        assert_eq!(Method::Ks.default_threshold(), 0.05);
        assert_eq!(Method::Psi.default_threshold(), 0.1);
    }

    #[test]
    fn comparisons_at_the_threshold() {
        assert!(Method::Ks.drifted(0.05, 0.05));
        assert!(!Method::ChiSquare.drifted(0.05, 0.05));
        assert!(!Method::Z.drifted(0.05, 0.05));
        assert!(Method::Z.drifted(0.049, 0.05));
        for m in [Method::Wasserstein, Method::Psi, Method::JensenShannon] {
            assert!(m.drifted(0.1, 0.1) && !m.drifted(0.0999, 0.1));
        }
        assert!(Method::ALL.into_iter().all(|m| !m.drifted(f64::NAN, 0.05)));
    }

    #[test]
    fn auto_rule_matches_evidently() {
        assert_eq!(choose_method(1000, 6), Method::Ks);
        assert_eq!(choose_method(1000, 5), Method::ChiSquare);
        assert_eq!(choose_method(1000, 3), Method::ChiSquare);
        assert_eq!(choose_method(1000, 2), Method::Z);
        assert_eq!(choose_method(10, 1), Method::Z);
        assert_eq!(choose_method(1001, 6), Method::Wasserstein);
        assert_eq!(choose_method(1001, 5), Method::JensenShannon);
        assert_eq!(choose_method(1001, 2), Method::JensenShannon);
        assert_eq!(choose_method_categorical(1000, 40), Method::ChiSquare);
        assert_eq!(choose_method_categorical(1000, 2), Method::Z);
        assert_eq!(choose_method_categorical(5000, 2), Method::JensenShannon);
        let strict = AutoRule {
            small_reference_max: 100,
            discrete_max_distinct: 2,
        };
        assert_eq!(strict.choose(500, 3), Method::Wasserstein);
    }
}
