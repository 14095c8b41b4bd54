//! W1 between raw 1D samples with `scipy.stats.wasserstein_distance` semantics: values in
//! any order, with repeats, optional non-negative weights (normalised separately), and
//! different sample sizes. The commonest W1 question ("how far apart are these two
//! samples?") without building a support first.
//!
//! Algorithm (SciPy's `_cdf_distance` with `p = 1`): sort both samples, merge all values,
//! and integrate `|U(t) - V(t)|` over each gap of the merged values, where `U`, `V` are the
//! empirical (weighted) CDFs. O(n log n) for the sorts, O(n) for the integral; each CDF is
//! a prefix sum divided by the total, as SciPy computes it, so results agree to rounding.

use crate::error::{Result, Side, SinkhornError};
use crate::problem::check_masses;

/// One sample sorted by value, with the prefix sums of its weights (`cum[0] = 0`).
struct SortedSample {
    values: Vec<f64>,
    /// `None` for equal weights (the CDF is then `count / n`).
    cum: Option<Vec<f64>>,
}

impl SortedSample {
    fn new(side: Side, values: &[f64], weights: Option<&[f64]>) -> Result<Self> {
        if values.is_empty() {
            return Err(SinkhornError::Empty {
                what: match side {
                    Side::Source => "sample `u`",
                    Side::Target => "sample `v`",
                },
            });
        }
        for (index, &value) in values.iter().enumerate() {
            if !value.is_finite() {
                return Err(SinkhornError::NonFiniteCoordinate { index, value });
            }
        }
        let Some(w) = weights else {
            let mut sorted = values.to_vec();
            sorted.sort_unstable_by(f64::total_cmp);
            return Ok(SortedSample {
                values: sorted,
                cum: None,
            });
        };
        check_masses(side, w, values.len())?;
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_unstable_by(|&i, &j| values[i].total_cmp(&values[j]));
        let mut cum = Vec::with_capacity(values.len() + 1);
        let mut acc = 0.0;
        cum.push(acc);
        for &i in &order {
            acc += w[i];
            cum.push(acc);
        }
        Ok(SortedSample {
            values: order.iter().map(|&i| values[i]).collect(),
            cum: Some(cum),
        })
    }

    /// The CDF after the first `count` sorted values.
    fn cdf(&self, count: usize) -> f64 {
        match &self.cum {
            None => count as f64 / self.values.len() as f64,
            Some(c) => c[count] / c[c.len() - 1],
        }
    }
}

/// W1 between the empirical distributions of samples `u` and `v`, optionally weighted, as
/// `scipy.stats.wasserstein_distance(u, v, u_weights, v_weights)` (and POT's
/// `wasserstein_1d` with `p = 1`). O(n log n).
///
/// ```
/// use sinkhorn::wasserstein_1d;
/// // SciPy's docstring examples.
/// assert!((wasserstein_1d(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0], None, None)? - 5.0).abs() < 1e-15);
/// assert!((wasserstein_1d(&[0.0, 1.0], &[0.0, 1.0], Some(&[3.0, 1.0]), Some(&[2.0, 2.0]))? - 0.25).abs() < 1e-15);
/// let w = wasserstein_1d(&[3.4, 3.9, 7.5, 7.8], &[4.5, 1.4], Some(&[1.4, 0.9, 3.1, 7.2]), Some(&[3.2, 3.5]))?;
/// assert!((w - 4.078133143804786).abs() < 1e-13);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// [`SinkhornError::Empty`] for an empty sample; [`SinkhornError::NonFiniteCoordinate`]
/// for a NaN or infinite value; for weights, [`SinkhornError::LengthMismatch`] (not one
/// per value), [`SinkhornError::InvalidMass`] (negative, NaN, infinite),
/// [`SinkhornError::ZeroMass`], [`SinkhornError::MassOverflow`] (`u` is
/// [`Side::Source`], `v` is [`Side::Target`]).
pub fn wasserstein_1d(
    u: &[f64],
    v: &[f64],
    u_weights: Option<&[f64]>,
    v_weights: Option<&[f64]>,
) -> Result<f64> {
    let su = SortedSample::new(Side::Source, u, u_weights)?;
    let sv = SortedSample::new(Side::Target, v, v_weights)?;
    let (xu, xv) = (&su.values, &sv.values);
    // All values merged in order (SciPy's `all_values`).
    let mut all = Vec::with_capacity(xu.len() + xv.len());
    let (mut i, mut j) = (0, 0);
    while i < xu.len() || j < xv.len() {
        if j == xv.len() || (i < xu.len() && xu[i] <= xv[j]) {
            all.push(xu[i]);
            i += 1;
        } else {
            all.push(xv[j]);
            j += 1;
        }
    }
    // Integrate |U - V| over each gap; the CDFs at all[k] count the values <= all[k]
    // (SciPy's `searchsorted(..., 'right')`).
    let (mut i, mut j) = (0, 0);
    let mut total = 0.0;
    for w in all.windows(2) {
        while i < xu.len() && xu[i] <= w[0] {
            i += 1;
        }
        while j < xv.len() && xv[j] <= w[0] {
            j += 1;
        }
        total += (su.cdf(i) - sv.cdf(j)).abs() * (w[1] - w[0]);
    }
    if !total.is_finite() {
        return Err(SinkhornError::NonFinite {
            what: "sample W1 (the values span more than f64's range)",
            iteration: 0,
        });
    }
    Ok(total)
}
