//! Multiple-systems estimation: how many people are exploited and on none of the lists that
//! know of victims (issue 26). From a table of list overlaps (which lists each person is on,
//! and how many people are on exactly each combination) it fits Poisson log-linear models to
//! the observed cells — main effects for every list and interactions between pairs of lists —
//! and estimates the one cell nobody can observe, the people on no list, as `exp(intercept)`.
//!
//! The model is chosen as Bales, Hesketh and Silverman's stepwise procedure does (the default
//! of `MSEfit` in Silverman's R packages): start from main effects only; at each step add the
//! two-list interaction that lowers AIC most; stop when none lowers it or when the term just
//! added has a Wald p-value above the threshold (0.05). The same forward search by BIC is
//! reported beside it. The 95% interval is the profile-likelihood one (the intercept fixed on a
//! grid found by bisection, every other parameter refitted); a parametric bootstrap, which
//! repeats the model choice on every simulated table, gives a second interval.
//!
//! Before a model is fitted, what makes its estimate exist and be identifiable (Chan,
//! Silverman and Vincent, 2021) is checked: every list has someone; an interaction enters only
//! between lists that share someone (otherwise its estimate is −∞); the model has no more
//! parameters than the table has cells and its design has full rank. A fit whose parameters run
//! off to infinity (a boundary the pairwise check does not catch) is refused as having no
//! estimate, never reported.
//!
//! Pure functions on a table: the command (`satis estimate mse`) reads and prints; the
//! numerics are nalgebra's (Cholesky and SVD), the distributions statrs's.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_distr::Distribution;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};
use statrs::function::gamma::ln_gamma;

/// The most lists a table may have (2^12 − 1 cells).
pub const MAX_LISTS: usize = 12;

/// Why there is no estimate, or the table cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MseError {
    #[error("line {line}: {what}")]
    Table { line: usize, what: String },
    #[error("the table needs between 2 and {MAX_LISTS} lists, it has {0}")]
    Lists(usize),
    #[error("nobody is on list {0}: the estimate does not exist with an empty list")]
    EmptyList(String),
    #[error("the table has no people")]
    Empty,
    #[error(
        "there is no estimate for the model {0}: its parameters run off to infinity (too few \
         people on some combination of lists, e.g. no one on two lists at once)"
    )]
    NoEstimate(String),
    #[error(
        "the model {0} is not identifiable from this table (more parameters than it can tell apart)"
    )]
    NotIdentifiable(String),
}

/// A table of list overlaps: the lists' names and, for every combination a person can be
/// observed on (bit `j` set = on list `j`), the number of people on exactly that combination.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub lists: Vec<String>,
    /// Indexed by combination, 1 to 2^k − 1 (index 0, on no list, is unobservable and unused).
    pub counts: Vec<f64>,
}

impl Table {
    /// A table from its lists and (combination, count) rows; rows that repeat a combination
    /// add up, combinations without a row count zero.
    pub fn new(lists: Vec<String>, rows: &[(u32, u64)]) -> Result<Table, MseError> {
        let k = lists.len();
        if !(2..=MAX_LISTS).contains(&k) {
            return Err(MseError::Lists(k));
        }
        let mut counts = vec![0.0; 1 << k];
        for (combination, n) in rows {
            let i = *combination as usize;
            if i == 0 || i >= counts.len() {
                return Err(MseError::Table {
                    line: 0,
                    what: "a combination must name at least one of the table's lists".into(),
                });
            }
            counts[i] += *n as f64;
        }
        let table = Table { lists, counts };
        if table.observed() == 0.0 {
            return Err(MseError::Empty);
        }
        for (j, name) in table.lists.iter().enumerate() {
            if table.on_list(j) == 0.0 {
                return Err(MseError::EmptyList(name.clone()));
            }
        }
        Ok(table)
    }

    /// Reads a published table: one 0/1 column per list and a last column with the number of
    /// people; a first line of names is the lists' names (else L1, L2, …).
    pub fn from_csv(text: &str) -> Result<Table, MseError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut names: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        let mut width = None;
        for (n, record) in reader.records().enumerate() {
            let line = n + 1;
            let record = record.map_err(|e| MseError::Table {
                line,
                what: e.to_string(),
            })?;
            let cells: Vec<&str> = record.iter().collect();
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            if cells.len() < 3 {
                return Err(MseError::Table {
                    line,
                    what: "a row needs a 0/1 column per list (at least two) and a count".into(),
                });
            }
            if *width.get_or_insert(cells.len()) != cells.len() {
                return Err(MseError::Table {
                    line,
                    what: "every row must have as many columns as the first".into(),
                });
            }
            let numeric = cells.iter().all(|c| c.parse::<u64>().is_ok());
            if !numeric && line == 1 {
                names = Some(
                    cells[..cells.len() - 1]
                        .iter()
                        .map(|c| (*c).to_owned())
                        .collect(),
                );
                continue;
            }
            let mut combination = 0u32;
            for (j, c) in cells[..cells.len() - 1].iter().enumerate() {
                match *c {
                    "1" => combination |= 1 << j,
                    "0" => {}
                    other => {
                        return Err(MseError::Table {
                            line,
                            what: format!(
                                "`{other}` is not 0 or 1 (is the person on list {}?)",
                                j + 1
                            ),
                        });
                    }
                }
            }
            let count_text = cells[cells.len() - 1];
            let count = count_text.parse::<u64>().map_err(|_| MseError::Table {
                line,
                what: format!("`{count_text}` is not a number of people"),
            })?;
            if combination == 0 {
                if count > 0 {
                    return Err(MseError::Table {
                        line,
                        what: "people on no list cannot have been observed: that is the number to estimate"
                            .into(),
                    });
                }
                continue;
            }
            rows.push((combination, count));
        }
        let k = width.map_or(0, |w| w - 1);
        if k > MAX_LISTS {
            return Err(MseError::Lists(k));
        }
        let lists = names.unwrap_or_else(|| (1..=k).map(|j| format!("L{j}")).collect());
        Table::new(lists, &rows).map_err(|e| match e {
            MseError::Table { what, .. } => MseError::Table { line: 0, what },
            other => other,
        })
    }

    pub fn k(&self) -> usize {
        self.lists.len()
    }

    /// People observed on at least one list.
    pub fn observed(&self) -> f64 {
        self.counts.iter().skip(1).sum()
    }

    /// People on list `j` (with or without others).
    pub fn on_list(&self, j: usize) -> f64 {
        self.cells()
            .filter(|(c, _)| c & (1 << j) != 0)
            .map(|(_, n)| n)
            .sum()
    }

    /// People on both lists `i` and `j`.
    pub fn overlap(&self, i: usize, j: usize) -> f64 {
        let both = (1u32 << i) | (1u32 << j);
        self.cells()
            .filter(|(c, _)| c & both == both)
            .map(|(_, n)| n)
            .sum()
    }

    /// Every observable combination with its count, zeros included.
    pub fn cells(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .skip(1)
            .map(|(c, n)| (c as u32, *n))
    }

    /// The name of an interaction, `A:B`.
    pub fn term_name(&self, (i, j): (usize, usize)) -> String {
        format!("{}:{}", self.lists[i], self.lists[j])
    }

    /// A model's name: its interactions, or "main effects" when it has none.
    pub fn model_name(&self, terms: &[(usize, usize)]) -> String {
        if terms.is_empty() {
            "main effects".into()
        } else {
            terms
                .iter()
                .map(|t| self.term_name(*t))
                .collect::<Vec<_>>()
                .join(" + ")
        }
    }
}

/// A fitted model.
#[derive(Debug, Clone)]
pub struct Fit {
    /// The two-list interactions, in the order they entered.
    pub terms: Vec<(usize, usize)>,
    /// Intercept, main effects, interactions.
    pub beta: DVector<f64>,
    /// Their standard errors.
    pub se: DVector<f64>,
    pub log_likelihood: f64,
    pub deviance: f64,
    pub aic: f64,
    pub bic: f64,
}

impl Fit {
    /// The estimated number of people on no list, `exp(intercept)`.
    pub fn on_no_list(&self) -> f64 {
        self.beta[0].exp()
    }

    /// The two-sided Wald p-value of the last interaction that entered.
    pub fn last_term_p_value(&self) -> f64 {
        let i = self.beta.len() - 1;
        let z = (self.beta[i] / self.se[i]).abs();
        2.0 * (1.0 - Normal::standard().cdf(z))
    }
}

/// The design row of a combination: intercept (when not fixed), a column per list, a column
/// per interaction.
fn design(table: &Table, terms: &[(usize, usize)], intercept: bool) -> DMatrix<f64> {
    let k = table.k();
    let cols = usize::from(intercept) + k + terms.len();
    let cells: Vec<u32> = table.cells().map(|(c, _)| c).collect();
    DMatrix::from_fn(cells.len(), cols, |r, col| {
        let c = cells[r];
        let on = |j: usize| f64::from(u8::from(c & (1 << j) != 0));
        let col = if intercept {
            if col == 0 {
                return 1.0;
            }
            col - 1
        } else {
            col
        };
        if col < k {
            on(col)
        } else {
            let (i, j) = terms[col - k];
            on(i) * on(j)
        }
    })
}

/// The Poisson log-likelihood of counts `y` with means `mu` (zero cells contribute `-mu`).
fn log_likelihood(y: &DVector<f64>, mu: &DVector<f64>) -> f64 {
    y.iter()
        .zip(mu.iter())
        .map(|(y, m)| {
            let term = if *y > 0.0 { y * m.ln() } else { 0.0 };
            term - m - ln_gamma(y + 1.0)
        })
        .sum()
}

fn deviance(y: &DVector<f64>, mu: &DVector<f64>) -> f64 {
    2.0 * y
        .iter()
        .zip(mu.iter())
        .map(|(y, m)| {
            let term = if *y > 0.0 { y * (y / m).ln() } else { 0.0 };
            term - (y - m)
        })
        .sum::<f64>()
}

/// Parameters beyond this size mean a fitted mean is heading for zero: no finite estimate.
const DIVERGED: f64 = 25.0;

/// Fits the Poisson log-linear model by iteratively reweighted least squares (Newton's method
/// for the canonical link). With `fixed_intercept`, the intercept is held at that value (an
/// offset) and the other parameters are fitted: a point of the profile likelihood.
fn fit_counts(
    table: &Table,
    y: &DVector<f64>,
    terms: &[(usize, usize)],
    fixed_intercept: Option<f64>,
    start: Option<&DVector<f64>>,
) -> Result<(DVector<f64>, DVector<f64>, f64), MseError> {
    let x = design(table, terms, fixed_intercept.is_none());
    let offset = fixed_intercept.unwrap_or(0.0);
    let no_estimate = || MseError::NoEstimate(table.model_name(terms));
    let mut eta: DVector<f64> = match start {
        Some(b) if b.len() == x.ncols() => &x * b + DVector::from_element(x.nrows(), offset),
        _ => y.map(|v| (v + 0.1).ln()),
    };
    let mut mu = eta.map(f64::exp);
    let mut dev = deviance(y, &mu);
    let mut beta = DVector::zeros(x.ncols());
    for iteration in 0..200 {
        let z = DVector::from_fn(x.nrows(), |r, _| eta[r] - offset + (y[r] - mu[r]) / mu[r]);
        let xtw = DMatrix::from_fn(x.ncols(), x.nrows(), |c, r| x[(r, c)] * mu[r]);
        let info = &xtw * &x;
        let rhs = &xtw * &z;
        let chol = info.cholesky().ok_or_else(no_estimate)?;
        beta = chol.solve(&rhs);
        if beta.iter().any(|b| !b.is_finite()) {
            return Err(no_estimate());
        }
        eta = &x * &beta + DVector::from_element(x.nrows(), offset);
        mu = eta.map(f64::exp);
        let new_dev = deviance(y, &mu);
        let settled = (new_dev - dev).abs() / (new_dev.abs() + 0.1) < 1e-12;
        dev = new_dev;
        if settled && iteration > 0 {
            break;
        }
    }
    let boundary = beta
        .iter()
        .skip(usize::from(fixed_intercept.is_none()))
        .any(|b| b.abs() > DIVERGED);
    if boundary || mu.iter().any(|m| !m.is_finite() || *m <= 0.0) {
        return Err(no_estimate());
    }
    let xtw = DMatrix::from_fn(x.ncols(), x.nrows(), |c, r| x[(r, c)] * mu[r]);
    let covariance = (&xtw * &x).cholesky().ok_or_else(no_estimate)?.inverse();
    let se = DVector::from_fn(x.ncols(), |i, _| covariance[(i, i)].max(0.0).sqrt());
    Ok((beta, se, log_likelihood(y, &mu)))
}

/// The observed counts as a vector, in [`Table::cells`] order.
fn observed_vector(table: &Table) -> DVector<f64> {
    DVector::from_iterator(table.counts.len() - 1, table.cells().map(|(_, n)| n))
}

/// Checks a model can have an estimate on this table (see the module's notes), then fits it.
pub fn fit(table: &Table, terms: &[(usize, usize)]) -> Result<Fit, MseError> {
    let cells = table.counts.len() - 1;
    let parameters = 1 + table.k() + terms.len();
    if parameters > cells || design(table, terms, true).rank(1e-9) < parameters {
        return Err(MseError::NotIdentifiable(table.model_name(terms)));
    }
    if let Some(t) = terms.iter().find(|(i, j)| table.overlap(*i, *j) == 0.0) {
        return Err(MseError::NoEstimate(format!(
            "{} (nobody is on both {} and {})",
            table.model_name(terms),
            table.lists[t.0],
            table.lists[t.1]
        )));
    }
    let y = observed_vector(table);
    let (beta, se, ll) = fit_counts(table, &y, terms, None, None)?;
    let p = parameters as f64;
    Ok(Fit {
        terms: terms.to_vec(),
        deviance: deviance(&y, &beta_mu(table, terms, &beta)),
        aic: -2.0 * ll + 2.0 * p,
        bic: -2.0 * ll + p * (cells as f64).ln(),
        beta,
        se,
        log_likelihood: ll,
    })
}

fn beta_mu(table: &Table, terms: &[(usize, usize)], beta: &DVector<f64>) -> DVector<f64> {
    (design(table, terms, true) * beta).map(f64::exp)
}

/// How a model is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Criterion {
    /// Silverman's stepwise rule: AIC, and the new term's p-value at most the threshold.
    StepwiseAic { p_threshold: f64 },
    /// Forward search by BIC alone.
    Bic,
}

impl Criterion {
    pub fn describe(&self) -> String {
        match self {
            Criterion::StepwiseAic { p_threshold } => format!(
                "stepwise by AIC from main effects, a term kept only with p ≤ {p_threshold} (Bales, Hesketh and Silverman)"
            ),
            Criterion::Bic => "forward by BIC from main effects".into(),
        }
    }
}

/// Chooses a model by `criterion`: every fit on the way, the chosen one last.
pub fn select(table: &Table, criterion: Criterion) -> Result<Vec<Fit>, MseError> {
    let mut path = vec![fit(table, &[])?];
    let score = |f: &Fit| match criterion {
        Criterion::StepwiseAic { .. } => f.aic,
        Criterion::Bic => f.bic,
    };
    while let Some(current) = path.last() {
        let mut best: Option<Fit> = None;
        for i in 0..table.k() {
            for j in i + 1..table.k() {
                if current.terms.contains(&(i, j)) {
                    continue;
                }
                let mut terms = current.terms.clone();
                terms.push((i, j));
                // A term without an estimate (no overlap, a boundary) is not a candidate.
                let Ok(candidate) = fit(table, &terms) else {
                    continue;
                };
                if best.as_ref().is_none_or(|b| score(&candidate) < score(b)) {
                    best = Some(candidate);
                }
            }
        }
        let Some(best) = best else {
            break;
        };
        if score(&best) >= score(current) {
            break;
        }
        if let Criterion::StepwiseAic { p_threshold } = criterion
            && best.last_term_p_value() > p_threshold
        {
            break;
        }
        path.push(best);
    }
    Ok(path)
}

/// A confidence interval for the total population.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The profile-likelihood interval at `level` for the people on no list: the intercepts whose
/// profile log-likelihood is within half the chi-square quantile of the maximum.
pub fn profile_interval(table: &Table, fit: &Fit, level: f64) -> Result<Interval, MseError> {
    let y = observed_vector(table);
    let chi = ChiSquared::new(1.0)
        .map(|c| c.inverse_cdf(level))
        .unwrap_or(3.841_458_820_694_124);
    let rest = fit.beta.rows(1, fit.beta.len() - 1).into_owned();
    let gap = |b0: f64| -> Result<f64, MseError> {
        let (_, _, ll) = fit_counts(table, &y, &fit.terms, Some(b0), Some(&rest))?;
        Ok(2.0 * (fit.log_likelihood - ll) - chi)
    };
    let b0 = fit.beta[0];
    let step = fit.se[0].max(0.01);
    let bound = |direction: f64| -> Result<f64, MseError> {
        let mut inside = b0;
        let mut outside = b0 + direction * step;
        let mut tries = 0;
        while gap(outside)? < 0.0 {
            inside = outside;
            outside = b0 + direction * step * f64::from(2u32.pow(tries + 1));
            tries += 1;
            if tries > 20 {
                return Err(MseError::NoEstimate(table.model_name(&fit.terms)));
            }
        }
        for _ in 0..100 {
            let middle = 0.5 * (inside + outside);
            if gap(middle)? < 0.0 {
                inside = middle;
            } else {
                outside = middle;
            }
            if (outside - inside).abs() < 1e-10 {
                break;
            }
        }
        Ok(0.5 * (inside + outside))
    };
    let low = bound(-1.0)?;
    let high = bound(1.0)?;
    let observed = table.observed();
    Ok(Interval {
        low: observed + low.exp(),
        high: observed + high.exp(),
    })
}

/// A parametric bootstrap: `samples` tables drawn from the chosen model's fitted counts, the
/// model chosen again on each (as the estimate was made), and the percentiles of their totals.
/// Draws that leave a list empty or have no estimate are left out and counted.
pub fn bootstrap(
    table: &Table,
    fit: &Fit,
    criterion: Criterion,
    samples: usize,
    level: f64,
    seed: u64,
) -> Option<(Interval, usize)> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mu = beta_mu(table, &fit.terms, &fit.beta);
    let mut totals = Vec::with_capacity(samples);
    let mut failed = 0;
    for _ in 0..samples {
        let rows: Vec<(u32, u64)> = table
            .cells()
            .zip(mu.iter())
            .map(|((c, _), m)| {
                let n = rand_distr::Poisson::new(*m)
                    .map(|p| p.sample(&mut rng))
                    .unwrap_or(0.0);
                (c, n as u64)
            })
            .collect();
        let estimate = Table::new(table.lists.clone(), &rows).and_then(|t| {
            let chosen = select(&t, criterion)?;
            chosen
                .last()
                .map(|f| t.observed() + f.on_no_list())
                .ok_or(MseError::Empty)
        });
        match estimate {
            Ok(total) if total.is_finite() => totals.push(total),
            _ => failed += 1,
        }
    }
    if totals.is_empty() {
        return None;
    }
    totals.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = (q * (totals.len() - 1) as f64).round() as usize;
        totals[i.min(totals.len() - 1)]
    };
    let tail = (1.0 - level) / 2.0;
    Some((
        Interval {
            low: at(tail),
            high: at(1.0 - tail),
        },
        failed,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_lists(both: u64, only_a: u64, only_b: u64) -> Table {
        Table::new(
            vec!["A".into(), "B".into()],
            &[(0b01, only_a), (0b10, only_b), (0b11, both)],
        )
        .unwrap()
    }

    #[test]
    fn two_lists_give_the_lincoln_petersen_estimate() {
        // 100 on A, 80 on B, 20 on both: N = 100 × 80 / 20 = 400, so 400 − 160 on no list.
        let t = two_lists(20, 80, 60);
        let f = fit(&t, &[]).unwrap();
        assert!((t.observed() + f.on_no_list() - 400.0).abs() < 1e-6);
        assert!((f.on_no_list() - 240.0).abs() < 1e-6);
        // Saturated: the fitted counts are the observed ones, the deviance zero.
        assert!(f.deviance.abs() < 1e-9);
        let i = profile_interval(&t, &f, 0.95).unwrap();
        assert!(i.low < 400.0 && 400.0 < i.high, "{i:?}");
    }

    #[test]
    fn three_independent_lists_give_back_the_population_they_were_made_from() {
        // 1,000 people, each on list j with probabilities 0.5, 0.4, 0.3, independently: the
        // expected table, fitted with main effects, gives back 1,000 exactly.
        let p = [0.5, 0.4, 0.3];
        let mut t = Table::new(
            vec!["A".into(), "B".into(), "C".into()],
            &[(1, 1), (2, 1), (4, 1)],
        )
        .unwrap();
        for c in 1..8u32 {
            let prob: f64 = (0..3)
                .map(|j| if c & (1 << j) != 0 { p[j] } else { 1.0 - p[j] })
                .product();
            t.counts[c as usize] = 1000.0 * prob;
        }
        let f = fit(&t, &[]).unwrap();
        assert!((t.observed() + f.on_no_list() - 1000.0).abs() < 1e-6);
    }

    #[test]
    fn a_pair_without_overlap_cannot_enter_and_an_empty_list_has_no_estimate() {
        let t = Table::new(
            vec!["A".into(), "B".into(), "C".into()],
            &[(0b001, 10), (0b010, 12), (0b100, 9), (0b011, 3), (0b110, 2)],
        )
        .unwrap();
        assert!(matches!(fit(&t, &[(0, 2)]), Err(MseError::NoEstimate(_))));
        let chosen = select(&t, Criterion::StepwiseAic { p_threshold: 0.05 }).unwrap();
        assert!(chosen.iter().all(|f| !f.terms.contains(&(0, 2))));
        assert_eq!(
            Table::new(vec!["A".into(), "B".into()], &[(0b01, 5)]),
            Err(MseError::EmptyList("B".into()))
        );
    }

    #[test]
    fn a_two_list_model_with_its_interaction_is_not_identifiable() {
        let t = two_lists(20, 80, 60);
        assert!(matches!(
            fit(&t, &[(0, 1)]),
            Err(MseError::NotIdentifiable(_))
        ));
    }

    #[test]
    fn published_tables_are_read_with_their_names_and_bad_ones_refused() {
        let t = Table::from_csv("A,B,count\n1,0,5\n0,1,7\n1,1,2\n1,1,1\n").unwrap();
        assert_eq!(t.lists, vec!["A", "B"]);
        assert_eq!(t.counts[3], 3.0, "repeated combinations add up");
        assert_eq!(t.observed(), 15.0);
        let t = Table::from_csv("1,0,5\n0,1,7\n1,1,2\n").unwrap();
        assert_eq!(t.lists, vec!["L1", "L2"]);
        for bad in [
            "A,B,count\n1,2,5\n",
            "A,B,count\n1,0,five\n",
            "A,B,count\n0,0,4\n1,0,1\n0,1,1\n",
            "A,B,count\n1,0,5\n1,0\n",
            "A,count\n1,5\n",
        ] {
            assert!(Table::from_csv(bad).is_err(), "{bad:?}");
        }
    }
}
