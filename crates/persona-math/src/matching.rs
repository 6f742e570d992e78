//! One-to-one matching of two sets of centroids at minimum total distance.
//!
//! When personas are retrained, each new centroid should keep the id and name of the old one
//! it replaces. That is the assignment problem; the Hungarian method solves it exactly in
//! O(n²m) for n ≤ m, which is instant for persona counts.

/// Matches rows to columns of a row-major `rows × cols` cost matrix, one to one, at minimum
/// total cost. Returns, for each row, its column (`None` for rows left over when there are
/// more rows than columns).
pub fn min_cost_matching(cost: &[f64], rows: usize, cols: usize) -> Vec<Option<usize>> {
    assert_eq!(cost.len(), rows * cols);
    if rows == 0 || cols == 0 {
        return vec![None; rows];
    }
    if rows <= cols {
        hungarian(cost, rows, cols).into_iter().map(Some).collect()
    } else {
        let transposed: Vec<f64> = (0..cols)
            .flat_map(|c| (0..rows).map(move |r| cost[r * cols + c]))
            .collect();
        let col_to_row = hungarian(&transposed, cols, rows);
        let mut out = vec![None; rows];
        for (c, r) in col_to_row.into_iter().enumerate() {
            out[r] = Some(c);
        }
        out
    }
}

/// Hungarian method with potentials for `n ≤ m`; returns the column of each row.
fn hungarian(cost: &[f64], n: usize, m: usize) -> Vec<usize> {
    let a = |i: usize, j: usize| cost[(i - 1) * m + (j - 1)];
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; m + 1]);
    // p[j]: the row matched to column j (1-based; 0 = none); way[j]: previous column on the
    // shortest augmenting path.
    let (mut p, mut way) = (vec![0usize; m + 1], vec![0usize; m + 1]);
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            for j in 1..=m {
                if !used[j] {
                    let cur = a(i0, j) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut row_to_col = vec![0; n];
    for j in 1..=m {
        if p[j] != 0 {
            row_to_col[p[j] - 1] = j - 1;
        }
    }
    row_to_col
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(cost: &[f64], cols: usize, m: &[Option<usize>]) -> f64 {
        m.iter()
            .enumerate()
            .filter_map(|(r, c)| c.map(|c| cost[r * cols + c]))
            .sum()
    }

    #[test]
    fn square_matching_finds_the_minimum() {
        // Greedy (row by row) would take 1 then 8: total 9. The optimum is 2 + 3 = 5.
        let cost = [1.0, 2.0, 3.0, 8.0];
        let m = min_cost_matching(&cost, 2, 2);
        assert_eq!(m, vec![Some(1), Some(0)]);
        assert_eq!(total(&cost, 2, &m), 5.0);
    }

    #[test]
    fn matches_a_permutation_of_centroids_back() {
        let cost = [
            9.0, 0.1, 7.0, //
            0.2, 8.0, 9.0, //
            6.0, 9.0, 0.3,
        ];
        assert_eq!(
            min_cost_matching(&cost, 3, 3),
            vec![Some(1), Some(0), Some(2)]
        );
    }

    #[test]
    fn more_columns_than_rows_leaves_columns_out() {
        let cost = [5.0, 1.0, 9.0, 2.0, 8.0, 0.5];
        let m = min_cost_matching(&cost, 2, 3);
        assert_eq!(m, vec![Some(1), Some(2)]);
    }

    #[test]
    fn more_rows_than_columns_leaves_rows_unmatched() {
        let cost = [5.0, 1.0, 0.5, 9.0, 2.0, 2.5];
        let m = min_cost_matching(&cost, 3, 2);
        assert_eq!(m, vec![Some(1), Some(0), None]);
        assert_eq!(total(&cost, 2, &m), 1.5);
    }

    #[test]
    fn brute_force_agrees_on_small_random_matrices() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for _ in 0..200 {
            let cost: Vec<f64> = (0..16).map(|_| next()).collect();
            let best = permutations(4)
                .into_iter()
                .map(|p| {
                    p.iter()
                        .enumerate()
                        .map(|(r, &c)| cost[r * 4 + c])
                        .sum::<f64>()
                })
                .fold(f64::INFINITY, f64::min);
            let m = min_cost_matching(&cost, 4, 4);
            assert!((total(&cost, 4, &m) - best).abs() < 1e-12);
        }
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 1 {
            return vec![vec![0]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for i in 0..n {
                let mut q = p.clone();
                q.insert(i, n - 1);
                out.push(q);
            }
        }
        out
    }
}
