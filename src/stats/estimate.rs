//! The multiple-systems estimate from SATIS's own records (issue 26): each person's lists
//! come from the records themselves, people recorded by several organisations are linked by
//! their linkage keys (never their names), and the overlap table of people — not records —
//! feeds `stats::mse`. Shared by `satis estimate mse` and the analyst's page.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use serde_json::{Value, json};

use super::mse::{self, Criterion, Fit, Table};
use super::queries::{a, col, int};

/// The interval's level.
pub const LEVEL: f64 = 0.95;

/// The lists a person can be on, in the order of the table's columns.
pub const LISTS: &[&str] = &[
    "hotline",
    "street_units",
    "drop_in",
    "ngo",
    "social_services",
    "health",
    "justice",
    "territorial_commission",
    "national_hotline",
    "other_region",
];

/// The list of an organisation that holds or shares a case, by its kind.
pub fn list_of_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "ngo" | "social_cooperative" | "diocese" | "legal_association" => Some("ngo"),
        "municipality" | "sds" | "province" | "region" => Some("social_services"),
        "health_authority" => Some("health"),
        "prosecutor" | "prefecture" => Some("justice"),
        "territorial_commission" => Some("territorial_commission"),
        _ => None,
    }
}

fn bit(list: &str) -> u32 {
    LISTS
        .iter()
        .position(|l| *l == list)
        .map_or(0, |i| 1u32 << i)
}

/// How the people are split before estimating (each group estimated apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Gender,
    Age,
    Form,
    Province,
}

impl By {
    pub fn from_code(code: &str) -> Option<By> {
        match code {
            "gender" => Some(By::Gender),
            "age" => Some(By::Age),
            "form" => Some(By::Form),
            "province" => Some(By::Province),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            By::Gender => "gender",
            By::Age => "age",
            By::Form => "form",
            By::Province => "province",
        }
    }
}

/// The similarity (`platform::linkage::Encoder::similarity`) from which two people's keys are
/// taken for the same person (for statistics only: records are never merged). Chosen on the
/// synthetic generator (docs/BENCHMARKS.md) for precision first: two people taken for one
/// lower the estimate.
pub const THRESHOLD: f64 = 0.71;

/// One person as the estimate sees them: the lists they are on and what groups them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub lists: u32,
    pub gender: String,
    pub age: String,
    pub form: String,
    pub province: String,
}

/// What linking did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Linking {
    /// Person records with a case in the period.
    pub records: usize,
    /// People after linking.
    pub people: usize,
    /// Records joined to another organisation's record of the same person.
    pub linked: usize,
    /// Records without a linkage key (identity erased): each counted as one person.
    pub without_key: usize,
}

fn ids(rows: Vec<sea_orm::QueryResult>) -> Result<HashSet<i32>, DbErr> {
    let mut out = HashSet::new();
    for r in rows {
        out.insert(i32::try_from(int(&r, 0)?).unwrap_or_default());
    }
    Ok(out)
}

async fn case_ids_in(db: &impl ConnectionTrait, table: &str) -> Result<HashSet<i32>, DbErr> {
    let q = Query::select()
        .distinct()
        .expr(col(table, "case_id"))
        .from(a(table))
        .and_where(col(table, "case_id").is_not_null())
        .to_owned();
    ids(db.query_all(&q).await?)
}

struct Find(Vec<usize>);

impl Find {
    fn root(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn join(&mut self, i: usize, j: usize) -> bool {
        let (ri, rj) = (self.root(i), self.root(j));
        if ri == rj {
            return false;
        }
        self.0[ri.max(rj)] = ri.min(rj);
        true
    }
}

/// The people with a case open at some time in the period (Italian days), each with their
/// lists, linked across organisations by their keys at `threshold`.
pub async fn people(
    db: &impl ConnectionTrait,
    keys: &crate::platform::crypto::KeyRing,
    from: NaiveDate,
    to: NaiveDate,
    threshold: f64,
) -> Result<(Vec<Seen>, Linking), DbErr> {
    use crate::platform::time::rome_date;
    let orgs: HashMap<i32, crate::network::Organisation> = crate::network::organisations(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let hotline = case_ids_in(db, "hotline_contact").await?;
    let mut street = case_ids_in(db, "outreach_contact").await?;
    street.extend(case_ids_in(db, "accompaniment").await?);
    let drop_in = case_ids_in(db, "drop_in_interview").await?;
    let mut shares: HashMap<i32, Vec<i32>> = HashMap::new();
    let q = Query::select()
        .expr(col("case_share", "case_id"))
        .expr(col("case_share", "organisation_id"))
        .from(a("case_share"))
        .to_owned();
    for r in db.query_all(&q).await? {
        shares
            .entry(i32::try_from(int(&r, 0)?).unwrap_or_default())
            .or_default()
            .push(i32::try_from(int(&r, 1)?).unwrap_or_default());
    }
    let mut inbound: HashMap<i32, String> = HashMap::new();
    let q = Query::select()
        .expr(col("referral", "opened_case_id"))
        .expr(col("referral", "counterpart_kind"))
        .from(a("referral"))
        .and_where(col("referral", "direction").eq("inbound"))
        .and_where(col("referral", "opened_case_id").is_not_null())
        .to_owned();
    for r in db.query_all(&q).await? {
        let kind: String = r.try_get_by_index(1)?;
        inbound.insert(i32::try_from(int(&r, 0)?).unwrap_or_default(), kind);
    }
    // Each case's days, as entered: its first phase's effective day, and the day it was
    // closed (the effective day of its last change to `closed`), not the moments typed.
    let mut days: HashMap<i32, (Option<NaiveDate>, Option<NaiveDate>)> = HashMap::new();
    let q = Query::select()
        .expr(col("case_phase", "case_id"))
        .expr(col("case_phase", "to_phase"))
        .expr(col("case_phase", "effective_on"))
        .expr(col("case_phase", "at"))
        .from(a("case_phase"))
        .order_by(a("id"), sea_orm::sea_query::Order::Asc)
        .to_owned();
    for r in db.query_all(&q).await? {
        let case = i32::try_from(int(&r, 0)?).unwrap_or_default();
        let to_phase: String = r.try_get_by_index(1)?;
        let effective: Option<NaiveDate> = r.try_get_by_index(2)?;
        let at: chrono::DateTime<chrono::Utc> = r.try_get_by_index(3)?;
        let day = effective.unwrap_or_else(|| rome_date(at));
        let e = days.entry(case).or_default();
        e.0 = Some(e.0.map_or(day, |d| Ord::min(d, day)));
        e.1 = (to_phase == "closed").then_some(day);
    }
    // Each person record: its lists over its cases in the period, and its groups (from its
    // earliest such case).
    let mut records: BTreeMap<i32, Seen> = BTreeMap::new();
    let mut recorded_by: HashMap<i32, i32> = HashMap::new();
    for c in crate::cases::counted_cases(db).await? {
        let Some(owner) = orgs.get(&c.case.owner_org) else {
            continue;
        };
        if owner.excluded_from_stats {
            continue;
        }
        let (first, closed_on) = days.get(&c.case.id).copied().unwrap_or_default();
        let opened = first.unwrap_or_else(|| rome_date(c.case.opened_at));
        let closed = if c.case.phase == "closed" {
            closed_on.or(c.case.closed_at.map(rome_date))
        } else {
            None
        };
        if opened > to || closed.is_some_and(|d| d < from) {
            continue;
        }
        let mut lists = list_of_kind(&owner.kind).map_or(0, bit);
        for o in shares.get(&c.case.id).into_iter().flatten() {
            if let Some(l) = orgs.get(o).and_then(|o| list_of_kind(&o.kind)) {
                lists |= bit(l);
            }
        }
        if hotline.contains(&c.case.id) {
            lists |= bit("hotline");
        }
        if street.contains(&c.case.id) {
            lists |= bit("street_units");
        }
        if drop_in.contains(&c.case.id) {
            lists |= bit("drop_in");
        }
        match inbound.get(&c.case.id).map(String::as_str) {
            Some("national_hotline") => lists |= bit("national_hotline"),
            Some("other_region") => lists |= bit("other_region"),
            _ => {}
        }
        let age = match c.person.birth_year {
            _ if c.person.presumed_minor => "minor",
            Some(y) if to.year() - y < 18 => "minor",
            Some(_) => "adult",
            None => "unknown",
        };
        recorded_by.insert(c.person.id, c.person.created_by_org);
        let form = crate::platform::codes::first(&c.case.exploitation_forms);
        let seen = records.entry(c.person.id).or_insert_with(|| Seen {
            lists: 0,
            gender: if c.person.gender.is_empty() {
                "unknown".into()
            } else {
                c.person.gender.clone()
            },
            age: age.into(),
            form: if form.is_empty() {
                "unknown".into()
            } else {
                form.to_owned()
            },
            province: owner.province.clone().unwrap_or_else(|| "unknown".into()),
        });
        seen.lists |= lists;
    }
    let person_ids: Vec<i32> = records.keys().copied().collect();
    let encoder = keys.linkage_encoder();
    let keys = crate::cases::linkage_keys_of(db, &person_ids).await?;
    let mut linking = Linking {
        records: records.len(),
        without_key: records.len() - keys.len(),
        ..Linking::default()
    };
    let position: HashMap<i32, usize> = person_ids
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i))
        .collect();
    let mut find = Find((0..person_ids.len()).collect());
    // The bodies each group of linked records comes from, by its root.
    let mut bodies: Vec<Vec<i32>> = person_ids
        .iter()
        .map(|p| recorded_by.get(p).copied().into_iter().collect())
        .collect();
    let only: Vec<crate::platform::linkage::Key> = keys.iter().map(|(_, k)| k.clone()).collect();
    // The most alike pairs first, so that a record joins its best match before a namesake.
    // Reviewed pairs (cases::link_review) come first and override the threshold: decided the
    // same, joined whatever their similarity; decided different, never joined.
    let reviewed = crate::cases::link_decisions(db).await?;
    let mut apart: HashSet<(usize, usize)> = HashSet::new();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    let key_index: HashMap<i32, usize> =
        keys.iter().enumerate().map(|(i, (p, _))| (*p, i)).collect();
    for (a, b, same) in reviewed {
        let (Some(&i), Some(&j)) = (key_index.get(&a), key_index.get(&b)) else {
            continue;
        };
        if same {
            pairs.push((f64::INFINITY, i.min(j), i.max(j)));
        } else {
            apart.insert((
                position[&a].min(position[&b]),
                position[&a].max(position[&b]),
            ));
        }
    }
    let mut members: Vec<Vec<usize>> = (0..person_ids.len()).map(|i| vec![i]).collect();
    // Compared as the holder of the secret compares: names, then birth year, gender and
    // nationality read back from each key (platform::linkage::Encoder::similarity).
    let decoded: Vec<crate::platform::linkage::Decoded> =
        only.iter().map(|k| encoder.decode(k)).collect();
    pairs.extend(
        crate::platform::linkage::pairs_to_compare(&only, &decoded)
            .map(|(i, j)| {
                (
                    crate::platform::linkage::compare(&decoded[i], &decoded[j]),
                    i,
                    j,
                )
            })
            .filter(|(d, _, _)| *d >= threshold),
    );
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    for (_, i, j) in pairs {
        let (ri, rj) = (
            find.root(position[&keys[i].0]),
            find.root(position[&keys[j].0]),
        );
        // Across bodies only, and never two records of one body in one person: a body finds
        // its own people again by their blind indexes at intake, so two of its records are
        // two people (this also stops a chain of namesakes from growing through it).
        if ri == rj || bodies[ri].iter().any(|b| bodies[rj].contains(b)) {
            continue;
        }
        // Nor two records a reviewer decided are different people.
        if !apart.is_empty()
            && members[ri].iter().any(|x| {
                members[rj]
                    .iter()
                    .any(|y| apart.contains(&((*x).min(*y), (*x).max(*y))))
            })
        {
            continue;
        }
        if find.join(ri, rj) {
            let (keep, gone) = (ri.min(rj), ri.max(rj));
            let moved = std::mem::take(&mut bodies[gone]);
            bodies[keep].extend(moved);
            let moved = std::mem::take(&mut members[gone]);
            members[keep].extend(moved);
            linking.linked += 1;
        }
    }
    let mut people: BTreeMap<usize, Seen> = BTreeMap::new();
    for (i, p) in person_ids.iter().enumerate() {
        let root = find.root(i);
        let seen = &records[p];
        people
            .entry(root)
            .and_modify(|s| s.lists |= seen.lists)
            .or_insert_with(|| seen.clone());
    }
    linking.people = people.len();
    Ok((people.into_values().collect(), linking))
}

/// The group of a person under `by` (`all` without one).
pub fn group(s: &Seen, by: Option<By>) -> &str {
    match by {
        None => "all",
        Some(By::Gender) => &s.gender,
        Some(By::Age) => &s.age,
        Some(By::Form) => &s.form,
        Some(By::Province) => &s.province,
    }
}

/// The overlap table of `people` over the lists someone is on (lists nobody is on are left
/// out: an empty list has no estimate). `None` with fewer than two such lists.
pub fn table_of(people: &[&Seen]) -> Option<Table> {
    let used: Vec<usize> = (0..LISTS.len())
        .filter(|i| people.iter().any(|s| s.lists & (1 << i) != 0))
        .collect();
    if used.len() < 2 || used.len() > mse::MAX_LISTS {
        return None;
    }
    let mut rows: BTreeMap<u32, u64> = BTreeMap::new();
    for s in people {
        let mut m = 0u32;
        for (j, i) in used.iter().enumerate() {
            if s.lists & (1 << i) != 0 {
                m |= 1 << j;
            }
        }
        if m != 0 {
            *rows.entry(m).or_default() += 1;
        }
    }
    let rows: Vec<(u32, u64)> = rows.into_iter().collect();
    Table::new(used.iter().map(|i| LISTS[*i].to_owned()).collect(), &rows).ok()
}

/// A number of people, to the whole person.
pub fn whole(x: f64) -> i64 {
    // Estimates are far below i64's range; a non-finite one never reaches here.
    #[allow(clippy::cast_possible_truncation)]
    let n = x.round() as i64;
    n
}

fn three(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// One model as the sensitivity table shows it.
fn model_row(table: &Table, f: &Fit) -> Value {
    let interval = mse::profile_interval(table, f, LEVEL).ok();
    json!({
        "model": table.model_name(&f.terms),
        "terms": f.terms.iter().map(|t| table.term_name(*t)).collect::<Vec<_>>(),
        "parameters": f.beta.len(),
        "aic": three(f.aic),
        "bic": three(f.bic),
        "deviance": three(f.deviance),
        "on_no_list": whole(f.on_no_list()),
        "total": whole(table.observed() + f.on_no_list()),
        "total_low": interval.map(|i| whole(i.low)),
        "total_high": interval.map(|i| whole(i.high)),
    })
}

/// The estimate as JSON: observed, on no list, total, its interval(s), the model and the
/// other models considered.
pub fn estimate(
    table: &Table,
    criterion: Criterion,
    samples: usize,
    seed: u64,
) -> Result<Value, mse::MseError> {
    let path = mse::select(table, criterion)?;
    let chosen = path.last().ok_or(mse::MseError::Empty)?;
    let interval = mse::profile_interval(table, chosen, LEVEL)?;
    let observed = table.observed();
    let bootstrap = (samples > 0)
        .then(|| mse::bootstrap(table, chosen, criterion, samples, LEVEL, seed))
        .flatten()
        .map(|(i, failed)| {
            json!({
                "samples": samples,
                "seed": seed,
                "total_low": whole(i.low),
                "total_high": whole(i.high),
                "left_out": failed,
                "left_out_why": "draws that left a list empty or had no estimate",
            })
        });
    // Other models: every step of the chosen path, and the other criterion's choice.
    let other = match criterion {
        Criterion::Bic => Criterion::StepwiseAic { p_threshold: 0.05 },
        Criterion::StepwiseAic { .. } => Criterion::Bic,
    };
    let mut considered: Vec<&Fit> = path.iter().collect();
    let other_path = mse::select(table, other).unwrap_or_default();
    for f in &other_path {
        if !considered.iter().any(|c| {
            let mut a = c.terms.clone();
            let mut b = f.terms.clone();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        }) {
            considered.push(f);
        }
    }
    let other_choice = other_path.last().map(|f| {
        json!({
            "selection": other.describe(),
            "model": table.model_name(&f.terms),
            "total": whole(observed + f.on_no_list()),
        })
    });
    let sensitivity: Vec<Value> = considered
        .iter()
        .map(|f| {
            let mut row = model_row(table, f);
            if let Value::Object(m) = &mut row {
                let how = if path.iter().any(|p| std::ptr::eq(p, *f)) {
                    if std::ptr::eq(*f, chosen) {
                        "chosen"
                    } else {
                        "a step of the chosen search"
                    }
                } else {
                    "chosen by the other criterion"
                };
                m.insert("role".into(), json!(how));
            }
            row
        })
        .collect();
    Ok(json!({
        "what": "a research estimate of the people on no list (multiple-systems estimation), not a count",
        "lists": table.lists,
        "observed": whole(observed),
        "on_no_list": whole(chosen.on_no_list()),
        "total": whole(observed + chosen.on_no_list()),
        "point_estimate": "observed + exp(intercept) of the chosen Poisson log-linear model",
        "interval": {
            "level": LEVEL,
            "method": "profile likelihood",
            "total_low": whole(interval.low),
            "total_high": whole(interval.high),
            "on_no_list_low": whole(interval.low - observed),
            "on_no_list_high": whole(interval.high - observed),
        },
        "bootstrap": bootstrap,
        "model": {
            "selection": criterion.describe(),
            "terms": chosen.terms.iter().map(|t| table.term_name(*t)).collect::<Vec<_>>(),
            "interactions": chosen.terms.iter().map(|(i, j)| [table.lists[*i].clone(), table.lists[*j].clone()]).collect::<Vec<_>>(),
            "parameters": chosen.beta.len(),
            "aic": three(chosen.aic),
            "bic": three(chosen.bic),
            "deviance": three(chosen.deviance),
        },
        "other_criterion": other_choice,
        "sensitivity": sensitivity,
        "caveats": [
            "closed population: the same people over the period of every list",
            "the same definition of victim on every list",
            "linkage errors: a person counted twice or two people taken for one move the estimate",
            "model dependence: the sensitivity table shows how much the choice of model matters",
        ],
    }))
}

/// The overlap table as rows: the lists a combination is on and its number of people.
pub fn overlap_rows(t: &Table) -> Vec<Value> {
    t.cells()
        .filter(|(_, n)| *n > 0.0)
        .map(|(m, n)| {
            let on: Vec<&str> = t
                .lists
                .iter()
                .enumerate()
                .filter(|(j, _)| m & (1 << j) != 0)
                .map(|(_, l)| l.as_str())
                .collect();
            json!({ "lists": on, "people": whole(n) })
        })
        .collect()
}

/// The estimate from the records of a period, as JSON: the linking, then for every group
/// (one, `all`, without `by`) its overlap table and its estimate — or why there is none.
pub async fn from_records(
    db: &impl ConnectionTrait,
    keys: &crate::platform::crypto::KeyRing,
    (from, to): (NaiveDate, NaiveDate),
    by: Option<By>,
    criterion: Criterion,
    samples: usize,
    seed: u64,
) -> Result<Value, DbErr> {
    let (people, linking) = people(db, keys, from, to, THRESHOLD).await?;
    let mut groups: BTreeMap<String, Vec<&Seen>> = BTreeMap::new();
    for s in &people {
        groups.entry(group(s, by).to_owned()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (name, members) in groups {
        let mut g = json!({ "group": name, "observed": members.len() });
        match table_of(&members) {
            None => {
                g["no_estimate"] = json!("fewer than two lists have anyone on them");
            }
            Some(t) => {
                g["overlap"] = json!(overlap_rows(&t));
                match estimate(&t, criterion, samples, seed) {
                    Ok(e) => g["estimate"] = e,
                    Err(e) => g["no_estimate"] = json!(e.to_string()),
                }
            }
        }
        out.push(g);
    }
    Ok(json!({
        "source": "records",
        "from": from.to_string(),
        "to": to.to_string(),
        "by": by.map(By::code),
        "linking": {
            "records": linking.records,
            "people": linking.people,
            "linked": linking.linked,
            "without_key": linking.without_key,
            "threshold": THRESHOLD,
            "method": "linkage keys (balanced Bloom filters under the network's linkage secret), names compared word by word (Dice similarity) with birth year, gender and nationality, bit-sample blocking; linked for statistics only, never merged",
        },
        "lists": LISTS,
        "groups": out,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(lists: &[&str]) -> Seen {
        Seen {
            lists: lists.iter().fold(0, |m, l| m | bit(l)),
            gender: "female".into(),
            age: "adult".into(),
            form: "sexual".into(),
            province: "FI".into(),
        }
    }

    #[test]
    fn organisations_give_lists_by_kind_and_others_none() {
        assert_eq!(list_of_kind("social_cooperative"), Some("ngo"));
        assert_eq!(list_of_kind("sds"), Some("social_services"));
        assert_eq!(list_of_kind("prosecutor"), Some("justice"));
        assert_eq!(
            list_of_kind("territorial_commission"),
            Some("territorial_commission")
        );
        assert_eq!(list_of_kind("other"), None);
    }

    #[test]
    fn a_table_counts_people_on_exactly_each_combination_and_leaves_empty_lists_out() {
        let people = [
            seen(&["hotline"]),
            seen(&["hotline", "ngo"]),
            seen(&["ngo"]),
            seen(&["ngo"]),
        ];
        let refs: Vec<&Seen> = people.iter().collect();
        let t = table_of(&refs).unwrap_or_else(|| Table {
            lists: vec![],
            counts: vec![],
        });
        assert_eq!(t.lists, vec!["hotline".to_owned(), "ngo".to_owned()]);
        assert_eq!(t.counts[1], 1.0, "hotline only");
        assert_eq!(t.counts[2], 2.0, "ngo only");
        assert_eq!(t.counts[3], 1.0, "both");
        // Lincoln–Petersen: 2 × 3 / 1 = 6 people, 2 on neither list.
        let fit = mse::fit(&t, &[]).map(|f| f.on_no_list()).unwrap_or(0.0);
        assert!((fit - 2.0).abs() < 1e-6, "{fit}");
        let one_list = [seen(&["ngo"])];
        assert!(table_of(&one_list.iter().collect::<Vec<_>>()).is_none());
    }
}
