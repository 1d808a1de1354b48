//! Medians, percentiles and spreads over the rounds of a run.

use serde::Serialize;

/// The `q` quantile (0..=1) of sorted `values`, nearest rank; 0 when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of `values` (any order); 0 when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What one round measured for one contender on one workload.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Point {
    /// The round's value in the workload's unit (a median time, requests/s, …).
    pub value: f64,
    /// The round's 99th percentile, where the round has a distribution.
    pub p99: Option<f64>,
    /// Peak (or idle) resident memory of the process measured, KiB.
    pub rss_kib: u64,
    /// Fuel per call.
    pub fuel: Option<u64>,
}

/// One contender on one workload, over every round.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Median over the rounds (of every sample pooled, for per-call times).
    pub median: f64,
    /// 99th percentile (of every sample pooled, else the median of the rounds' p99).
    pub p99: Option<f64>,
    /// Lowest round value.
    pub min: f64,
    /// Highest round value.
    pub max: f64,
    /// Highest resident memory seen, KiB.
    pub rss_kib: u64,
    /// Fuel per call.
    pub fuel: Option<u64>,
    /// Rounds measured.
    pub rounds: usize,
}

impl Summary {
    /// Summarises `points`, with `pooled` samples when the rounds have them.
    pub fn of(points: &[Point], pooled: &mut [f64]) -> Self {
        let values: Vec<f64> = points.iter().map(|p| p.value).collect();
        let (median, p99) = if pooled.is_empty() {
            let p99s: Vec<f64> = points.iter().filter_map(|p| p.p99).collect();
            (median(&values), (!p99s.is_empty()).then(|| median(&p99s)))
        } else {
            pooled.sort_by(f64::total_cmp);
            (quantile(pooled, 0.5), Some(quantile(pooled, 0.99)))
        };
        Self {
            median,
            p99,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            rss_kib: points.iter().map(|p| p.rss_kib).max().unwrap_or(0),
            fuel: points.iter().find_map(|p| p.fuel),
            rounds: points.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
    }

    #[test]
    fn a_summary_pools_samples_and_spans_rounds() {
        let points = [
            Point {
                value: 10.0,
                rss_kib: 5,
                ..Point::default()
            },
            Point {
                value: 30.0,
                rss_kib: 7,
                fuel: Some(4),
                ..Point::default()
            },
        ];
        let mut pooled: Vec<f64> = (1..=200).map(f64::from).collect();
        let s = Summary::of(&points, &mut pooled);
        assert_eq!((s.median, s.p99), (100.0, Some(198.0)));
        assert_eq!((s.min, s.max, s.rss_kib, s.fuel), (10.0, 30.0, 7, Some(4)));
        let s = Summary::of(&points, &mut []);
        assert_eq!((s.median, s.p99), (20.0, None));
    }
}
