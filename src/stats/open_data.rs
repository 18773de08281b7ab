//! Open data: microdata in the column layout of the CTDC global dataset, made k-anonymous
//! (default k = 11, as CTDC publishes) by generalisation and suppression and verified on the
//! output before anything is written; and aggregate tables with cells under 5 suppressed.
//!
//! Records come from cases (one per case: its opening year and the person's non-identifying
//! attributes) and from imported historical records. No identity field is ever read.
//!
//! Quasi-identifiers (what an outsider could know about someone): registration year, gender,
//! age band, majority status, citizenship, country of exploitation and the three main
//! exploitation flags. The means of control, sectors and recruitment are published as they
//! are, only on records whose quasi-identifiers are shared by at least k records.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, DbErr};

use crate::exchange::ctdc::{AGE_BANDS, LABOUR_TYPES, MEANS_OF_CONTROL, RECRUITER_RELATIONS};

pub const DEFAULT_K: usize = 11;

/// One published record, in CTDC terms; missing values are `-99`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub year: String,
    pub datasource: String,
    pub gender: String,
    pub age_broad: String,
    pub majority: String,
    pub citizenship: String,
    pub country: String,
    /// Forms of exploitation, three-valued: yes, no, not recorded (`None`, published `-99`).
    pub forced_labour: Option<bool>,
    pub sexual: Option<bool>,
    pub other: Option<bool>,
    pub forced_marriage: Option<bool>,
    pub means_of_control: Vec<String>,
    pub labour_types: Vec<String>,
    pub recruiter_relations: Vec<String>,
    pub abduction: Option<bool>,
}

impl Record {
    /// Every published column is a quasi-identifier: the key of a record's group is the whole
    /// row as written (a rare value in any column, the source or a list of means of control
    /// included, makes a group of its own). See docs/INDICATORS.md.
    fn quasi_identifiers(&self) -> String {
        row(self).join(",")
    }
}

const MISSING: &str = "-99";

fn or_missing(s: &str) -> String {
    if s.is_empty() {
        MISSING.to_owned()
    } else {
        s.to_owned()
    }
}

/// A CTDC age band for an age.
pub fn age_band(age: i32) -> &'static str {
    match age {
        i32::MIN..=8 => "0--8",
        9..=17 => "9--17",
        18..=20 => "18--20",
        21..=23 => "21--23",
        24..=26 => "24--26",
        27..=29 => "27--29",
        30..=38 => "30--38",
        39..=47 => "39--47",
        _ => "48+",
    }
}

/// The coarser band an age band is generalised to.
fn coarse_age(band: &str) -> String {
    match band {
        "0--8" | "9--17" => "0--17",
        "18--20" | "21--23" | "24--26" | "27--29" => "18--29",
        "30--38" | "39--47" | "48+" => "30+",
        other => other,
    }
    .to_owned()
}

/// Whether every combination of quasi-identifiers is shared by at least `k` records.
pub fn is_k_anonymous(records: &[Record], k: usize) -> bool {
    let mut groups: HashMap<_, usize> = HashMap::new();
    for r in records {
        *groups.entry(r.quasi_identifiers()).or_insert(0) += 1;
    }
    groups.values().all(|n| *n >= k)
}

/// What anonymisation did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Anonymisation {
    pub k: usize,
    pub records_in: usize,
    pub records_out: usize,
    /// Values replaced by `-99` or by a coarser value.
    pub values_generalised: usize,
    /// Records left out because no generalisation made them shared by k.
    pub records_suppressed: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenDataError {
    /// k must be at least 2 (and at most 1000).
    BadK,
    /// The output failed the k-anonymity check (never written).
    NotAnonymous,
}

impl OpenDataError {
    pub fn message_key(self) -> &'static str {
        match self {
            OpenDataError::BadK => "open-data-error-k",
            OpenDataError::NotAnonymous => "open-data-error-check",
        }
    }
}

fn small_groups(records: &[Record], k: usize) -> Vec<bool> {
    let mut groups: HashMap<_, usize> = HashMap::new();
    for r in records {
        *groups.entry(r.quasi_identifiers()).or_insert(0) += 1;
    }
    records
        .iter()
        .map(|r| groups.get(&r.quasi_identifiers()).is_some_and(|n| *n < k))
        .collect()
}

/// Makes the records k-anonymous. Step by step, only on the records still in a group smaller
/// than k: country of exploitation, then citizenship, then age band (coarser), then
/// majority, then age band, then the exploitation flags are generalised; the records still
/// alone are left out. The result is verified before it is returned.
pub fn anonymise(
    mut records: Vec<Record>,
    k: usize,
) -> Result<(Vec<Record>, Anonymisation), OpenDataError> {
    if !(2..=1000).contains(&k) {
        return Err(OpenDataError::BadK);
    }
    let mut report = Anonymisation {
        k,
        records_in: records.len(),
        ..Default::default()
    };
    type Step = fn(&mut Record) -> bool;
    let steps: [Step; 9] = [
        // Withheld values are written -99 (not recorded), never as "no".
        |r| std::mem::replace(&mut r.datasource, MISSING.into()) != MISSING,
        |r| r.abduction.take().is_some(),
        |r| {
            let mut changed = false;
            for list in [
                &mut r.means_of_control,
                &mut r.labour_types,
                &mut r.recruiter_relations,
            ] {
                if !withheld(list) {
                    *list = vec![MISSING.to_owned()];
                    changed = true;
                }
            }
            changed
        },
        |r| std::mem::replace(&mut r.country, MISSING.into()) != MISSING,
        |r| std::mem::replace(&mut r.citizenship, MISSING.into()) != MISSING,
        |r| {
            let coarse = coarse_age(&r.age_broad);
            std::mem::replace(&mut r.age_broad, coarse.clone()) != coarse
        },
        |r| std::mem::replace(&mut r.majority, MISSING.into()) != MISSING,
        |r| std::mem::replace(&mut r.age_broad, MISSING.into()) != MISSING,
        |r| {
            // Withheld, the flags say "not recorded", never "no".
            let changed = r.forced_labour.is_some() || r.sexual.is_some() || r.other.is_some();
            r.forced_labour = None;
            r.sexual = None;
            r.other = None;
            changed
        },
    ];
    for step in steps {
        let small = small_groups(&records, k);
        if !small.iter().any(|s| *s) {
            break;
        }
        for (r, is_small) in records.iter_mut().zip(small) {
            if is_small && step(r) {
                report.values_generalised += 1;
            }
        }
    }
    let small = small_groups(&records, k);
    let before = records.len();
    let mut keep = small.into_iter().map(|s| !s);
    records.retain(|_| keep.next().unwrap_or(false));
    report.records_suppressed = before - records.len();
    report.records_out = records.len();
    if !is_k_anonymous(&records, k) {
        return Err(OpenDataError::NotAnonymous);
    }
    Ok((records, report))
}

/// A three-valued flag as CTDC writes it: 1, 0 or -99 (not recorded).
fn flag3(v: Option<bool>) -> &'static str {
    v.map_or(MISSING, flag)
}

/// Both forms: yes if both are, no if either is not, else not recorded.
fn both(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), Some(true)) => Some(true),
        (Some(false), _) | (_, Some(false)) => Some(false),
        _ => None,
    }
}

/// One of several forms: yes if any is, no if all are known and none is, else not recorded.
fn any(values: &[Option<bool>]) -> Option<bool> {
    if values.contains(&Some(true)) {
        Some(true)
    } else if values.iter().all(|v| *v == Some(false)) {
        Some(false)
    } else {
        None
    }
}

/// A list generalised away: each of its columns is published as `-99` (not recorded).
fn withheld(list: &[String]) -> bool {
    matches!(list, [only] if only == MISSING)
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// The published microdata file.
pub fn microdata_csv(records: &[Record]) -> String {
    let mut header = vec![
        "yearOfRegistration".to_owned(),
        "Datasource".into(),
        "gender".into(),
        "ageBroad".into(),
        "majorityStatus".into(),
        "citizenship".into(),
        "CountryOfExploitation".into(),
        "isForcedLabour".into(),
        "isSexualExploit".into(),
        "isOtherExploit".into(),
        "isSexAndLabour".into(),
        "isForcedMarriage".into(),
        "isAbduction".into(),
    ];
    header.extend(
        MEANS_OF_CONTROL
            .iter()
            .map(|m| format!("meansOfControl{m}")),
    );
    header.extend(LABOUR_TYPES.iter().map(|m| format!("typeOfLabour{m}")));
    header.extend(
        RECRUITER_RELATIONS
            .iter()
            .map(|m| format!("recruiterRelation{m}")),
    );
    let mut out = header.join(",");
    out.push('\n');
    for r in records {
        out.push_str(&row(r).join(","));
        out.push('\n');
    }
    out
}

/// A record's cells as published, in the order of the header.
fn row(r: &Record) -> Vec<String> {
    {
        let mut f: Vec<String> = vec![
            r.year.clone(),
            r.datasource.clone(),
            r.gender.clone(),
            r.age_broad.clone(),
            r.majority.clone(),
            r.citizenship.clone(),
            r.country.clone(),
            flag3(r.forced_labour).into(),
            flag3(r.sexual).into(),
            flag3(r.other).into(),
            flag3(both(r.sexual, r.forced_labour)).into(),
            flag3(r.forced_marriage).into(),
            r.abduction.map_or(MISSING, flag).into(),
        ];
        for (list, all) in [
            (&r.means_of_control, MEANS_OF_CONTROL),
            (&r.labour_types, LABOUR_TYPES),
            (&r.recruiter_relations, RECRUITER_RELATIONS),
        ] {
            for m in all {
                f.push(if withheld(list) {
                    MISSING.into()
                } else {
                    flag(list.iter().any(|x| x == m)).into()
                });
            }
        }
        f
    }
}

/// One cell of the aggregate tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AggregateCell {
    pub table: &'static str,
    pub year: String,
    pub value: String,
    pub count: i64,
    /// Withheld: a small count (primary) or withheld so that a small count cannot be worked
    /// out from the others (complementary).
    pub hidden: bool,
}

/// The aggregate tables, before anonymisation of the records and with suppression applied.
/// Every table is a partition of a year's records: each record falls in exactly one cell of
/// each table (gender; citizenship; each main form as 1 / 0 / -99), so a table's cells add up
/// to the year's total, the same for every table.
pub fn aggregate_cells(records: &[Record]) -> Vec<AggregateCell> {
    let mut counts: BTreeMap<(&'static str, String, String), i64> = BTreeMap::new();
    for r in records {
        let mut add = |table: &'static str, value: &str| {
            *counts
                .entry((table, r.year.clone(), value.to_owned()))
                .or_insert(0) += 1;
        };
        add("gender", &r.gender);
        add("citizenship", &r.citizenship);
        add("isForcedLabour", flag3(r.forced_labour));
        add("isSexualExploit", flag3(r.sexual));
        add("isOtherExploit", flag3(r.other));
        add("isForcedMarriage", flag3(r.forced_marriage));
    }
    let mut cells: Vec<AggregateCell> = counts
        .into_iter()
        .map(|((table, year, value), count)| AggregateCell {
            table,
            year,
            value,
            count,
            hidden: count < super::SMALL_CELL,
        })
        .collect();
    suppress_complementary(&mut cells);
    cells
}

/// Complementary suppression. A table's cells add up to the year's total, which any table
/// with nothing hidden gives away; so in every table of a year, the hidden cells must be none
/// or at least two, and their sum must not force their values (every cell of a table is at
/// least 1: two hidden cells adding up to 2 are both 1). Until both hold, the smallest cell
/// still shown in an offending table is hidden too. With two or more hidden cells per table,
/// the tables' equations (one per table, disjoint cells, one unknown total) never isolate a
/// cell: the test `no_hidden_cell_can_be_derived_from_what_is_published` checks it by linear
/// algebra.
pub fn suppress_complementary(cells: &mut [AggregateCell]) {
    loop {
        let mut groups: BTreeMap<(&'static str, String), Vec<usize>> = BTreeMap::new();
        for (i, c) in cells.iter().enumerate() {
            groups.entry((c.table, c.year.clone())).or_default().push(i);
        }
        let mut changed = false;
        let smallest_shown = |cells: &[AggregateCell], members: &[usize]| {
            members
                .iter()
                .copied()
                .filter(|i| !cells[*i].hidden)
                .min_by_key(|i| cells[*i].count)
        };
        for ((_, year), members) in &groups {
            let hidden: Vec<usize> = members
                .iter()
                .copied()
                .filter(|i| cells[*i].hidden)
                .collect();
            let sum: i64 = hidden.iter().map(|i| cells[*i].count).sum();
            let forced = hidden.len() >= 2 && sum == hidden.len() as i64;
            if hidden.len() != 1 && !forced {
                continue;
            }
            if let Some(i) = smallest_shown(cells, members) {
                cells[i].hidden = true;
                changed = true;
            } else {
                // Nothing left to hide here: hide the year's total instead, by withholding a
                // cell in every table of the year that shows all of its cells.
                for ((_, other_year), others) in &groups {
                    if other_year == year
                        && others.iter().all(|i| !cells[*i].hidden)
                        && let Some(i) = smallest_shown(cells, others)
                    {
                        cells[i].hidden = true;
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// The aggregates file: (table, year, value) → count; a hidden cell is left empty with
/// `suppressed` = 1.
pub fn aggregates_csv(records: &[Record]) -> String {
    let mut out = String::from("table,yearOfRegistration,value,count,suppressed\n");
    for c in aggregate_cells(records) {
        if c.hidden {
            out.push_str(&format!("{},{},{},,1\n", c.table, c.year, c.value));
        } else {
            out.push_str(&format!(
                "{},{},{},{},0\n",
                c.table, c.year, c.value, c.count
            ));
        }
    }
    out
}

fn ctdc_gender(g: &str) -> &'static str {
    match g {
        "female" => "Female",
        "male" => "Male",
        "transgender" => "Transgender",
        _ => MISSING,
    }
}

fn camel(code: &str) -> String {
    crate::exchange::htcds::camel(code)
}

/// Every record to publish: cases (non-identifying attributes only) and historical records.
pub async fn records(db: &impl ConnectionTrait) -> Result<Vec<Record>, DbErr> {
    use chrono::Datelike;
    // Test or training organisations' cases are published by no figure.
    let excluded: std::collections::HashSet<i32> = crate::network::organisations(db)
        .await?
        .into_iter()
        .filter(|o| o.excluded_from_stats)
        .map(|o| o.id)
        .collect();
    let mut out = Vec::new();
    for counted in crate::cases::counted_cases(db).await? {
        let (c, p) = (&counted.case, &counted.person);
        if excluded.contains(&c.owner_org) {
            continue;
        }
        let year = crate::platform::time::rome_date(c.opened_at).year();
        let age = p.birth_year.map(|b| year - b);
        let forms: Vec<&str> = crate::platform::codes::iter(&c.exploitation_forms).collect();
        // A case whose forms were never assessed says nothing about any of them.
        let assessed = !forms.is_empty();
        let has = |f: &str| assessed.then(|| forms.contains(&f));
        let recruitment: Vec<&str> = crate::platform::codes::iter(&c.recruitment).collect();
        out.push(Record {
            year: year.to_string(),
            datasource: "Case Management".into(),
            gender: ctdc_gender(&p.gender).into(),
            age_broad: age.map_or(MISSING.to_owned(), |a| age_band(a).to_owned()),
            majority: match (age, p.presumed_minor) {
                (Some(a), _) if a < 18 => "Minor".into(),
                (_, true) => "Minor".into(),
                (Some(_), false) => "Adult".into(),
                (None, false) => MISSING.into(),
            },
            citizenship: or_missing(crate::platform::codes::first(&p.nationalities)),
            country: MISSING.into(),
            forced_labour: has("labour"),
            sexual: has("sexual"),
            other: any(&[has("begging"), has("forced_criminality"), has("other")]),
            forced_marriage: has("forced_marriage"),
            means_of_control: crate::platform::codes::iter(&c.means_of_control)
                .map(camel)
                .filter(|m| MEANS_OF_CONTROL.contains(&m.as_str()))
                .collect(),
            labour_types: c
                .labour_sector
                .iter()
                .map(|s| {
                    if s == "mining" {
                        "MiningOrDrilling".to_owned()
                    } else {
                        camel(s)
                    }
                })
                .filter(|m| LABOUR_TYPES.contains(&m.as_str()))
                .collect(),
            recruiter_relations: recruitment
                .iter()
                .filter(|r| !r.is_empty() && **r != "abduction")
                .map(|r| camel(r))
                .filter(|m| RECRUITER_RELATIONS.contains(&m.as_str()))
                .collect(),
            abduction: (!c.recruitment.is_empty()).then(|| recruitment.contains(&"abduction")),
        });
    }
    for h in crate::exchange::historical_records(db).await? {
        let list = |s: &str| -> Vec<String> { crate::platform::codes::to_vec(s) };
        let forms = list(&h.forms);
        let forms_no = list(&h.forms_no);
        // Yes, no (the source wrote 0), or not recorded.
        let has = |f: &str| {
            if forms.iter().any(|x| x == f) {
                Some(true)
            } else if forms_no.iter().any(|x| x == f) {
                Some(false)
            } else {
                None
            }
        };
        out.push(Record {
            year: h.year.to_string(),
            datasource: or_missing(&h.datasource),
            gender: ctdc_gender(&h.gender).into(),
            age_broad: if AGE_BANDS.contains(&h.age_broad.as_str()) {
                h.age_broad.clone()
            } else {
                MISSING.into()
            },
            majority: or_missing(&h.majority),
            citizenship: or_missing(&h.citizenship),
            country: or_missing(&h.country_of_exploitation),
            forced_labour: match has("sex_and_labour") {
                Some(true) => Some(true),
                _ => has("forced_labour"),
            },
            sexual: match has("sex_and_labour") {
                Some(true) => Some(true),
                _ => has("sexual"),
            },
            other: match any(&[has("forced_military"), has("organ_removal"), has("slavery")]) {
                Some(true) => Some(true),
                _ => has("other"),
            },
            forced_marriage: has("forced_marriage"),
            means_of_control: list(&h.means_of_control),
            labour_types: list(&h.labour_types),
            recruiter_relations: list(&h.recruiter_relations),
            abduction: h.abduction,
        });
    }
    Ok(out)
}

/// The release as a member of staff downloads it: built, and once it could be built, the
/// download (its k and which file) audited. The inner error is the release's refusal.
pub async fn export_for(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
    k: usize,
    micro: bool,
) -> Result<Result<String, OpenDataError>, crate::platform::web::AppError> {
    let (m, a, _) = match export(&state.db, k).await? {
        Ok(files) => files,
        Err(e) => return Ok(Err(e)),
    };
    crate::platform::audit::append(
        &state.db,
        &state.keys,
        crate::platform::audit::Entry::new(Some(actor), "stats.open_data", "export").reason(
            format!("k={k} {}", if micro { "microdata" } else { "aggregates" }),
        ),
    )
    .await?;
    Ok(Ok(if micro { m } else { a }))
}

/// Builds the open-data files: (microdata CSV, aggregates CSV, what anonymisation did).
pub async fn export(
    db: &impl ConnectionTrait,
    k: usize,
) -> Result<Result<(String, String, Anonymisation), OpenDataError>, DbErr> {
    let all = records(db).await?;
    let aggregates = aggregates_csv(&all);
    Ok(
        anonymise(all, k)
            .map(|(published, report)| (microdata_csv(&published), aggregates, report)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(year: i32, gender: &str, age: &str, citizenship: &str) -> Record {
        Record {
            year: year.to_string(),
            datasource: "Case Management".into(),
            gender: gender.into(),
            age_broad: age.into(),
            majority: "Adult".into(),
            citizenship: citizenship.into(),
            country: "IT".into(),
            forced_labour: Some(false),
            sexual: Some(true),
            other: Some(false),
            forced_marriage: Some(false),
            means_of_control: vec!["DebtBondage".into()],
            labour_types: vec![],
            recruiter_relations: vec![],
            abduction: None,
        }
    }

    #[test]
    fn k_below_2_is_refused() {
        assert_eq!(anonymise(vec![], 1).unwrap_err(), OpenDataError::BadK);
        assert!(anonymise(vec![], 2).is_ok());
    }

    #[test]
    fn a_unique_person_is_generalised_or_left_out_and_the_output_is_k_anonymous() {
        let mut rs: Vec<Record> = (0..12)
            .map(|_| rec(2020, "Female", "18--20", "NG"))
            .collect();
        // One person alone with a rare citizenship: generalised into the -99 group, which is
        // still alone, so left out.
        rs.push(rec(2020, "Female", "18--20", "MN"));
        // Twelve more who differ only by age band within the same coarse band: merged.
        rs.extend((0..6).map(|_| rec(2021, "Male", "21--23", "RO")));
        rs.extend((0..6).map(|_| rec(2021, "Male", "24--26", "RO")));
        let (out, report) = anonymise(rs, 11).unwrap();
        assert!(is_k_anonymous(&out, 11));
        assert_eq!(report.records_in, 25);
        assert_eq!(report.records_suppressed, 1);
        assert_eq!(out.len(), 24);
        assert!(
            out.iter().all(|r| r.citizenship != "MN"),
            "the rare value never appears"
        );
        assert_eq!(
            out.iter()
                .filter(|r| r.age_broad == "18--29" && r.gender == "Male")
                .count(),
            12
        );
    }

    #[test]
    fn random_data_always_comes_out_k_anonymous() {
        let mut seed = 17u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let genders = ["Female", "Male", "Transgender", "-99"];
        let cits = ["NG", "RO", "AL", "CN", "MA", "PE", "-99"];
        for k in [2, 5, 11] {
            let rs: Vec<Record> = (0..800)
                .map(|_| {
                    let mut r = rec(
                        2015 + next(8) as i32,
                        genders[next(4) as usize],
                        AGE_BANDS[next(9) as usize],
                        cits[next(7) as usize],
                    );
                    r.forced_labour = Some(next(3) == 0);
                    r.sexual = r.forced_labour.map(|l| !l);
                    r
                })
                .collect();
            let (out, report) = anonymise(rs, k).unwrap();
            assert!(is_k_anonymous(&out, k), "k = {k}");
            assert_eq!(report.records_out + report.records_suppressed, 800);
        }
    }

    #[test]
    fn not_recorded_is_published_as_not_recorded_never_as_no() {
        let mut r = rec(2020, "Female", "18--20", "NG");
        r.forced_labour = None;
        r.sexual = Some(true);
        r.other = Some(false);
        r.forced_marriage = None;
        let csv = microdata_csv(&[r]);
        let line = csv.lines().nth(1).unwrap_or_default();
        let cells: Vec<&str> = line.split(',').collect();
        // isForcedLabour, isSexualExploit, isOtherExploit, isSexAndLabour, isForcedMarriage
        assert_eq!(&cells[7..12], &["-99", "1", "0", "-99", "-99"], "{line}");
        assert_eq!(both(Some(false), None), Some(false));
        assert_eq!(any(&[Some(false), None]), None);
        assert_eq!(any(&[Some(false), Some(false)]), Some(false));
    }

    #[test]
    fn a_rare_value_in_any_published_column_is_never_published_below_k() {
        // Twenty people alike in year, gender, age, citizenship and forms, but two of them
        // from the hotline, one abducted, one controlled by threats: each of those columns
        // used to be published outside the check, in groups of 1 or 2.
        let mut records: Vec<Record> = (0..20)
            .map(|_| rec(2024, "Female", "18--20", "NG"))
            .collect();
        records[0].datasource = "Hotline".into();
        records[1].datasource = "Hotline".into();
        records[2].abduction = Some(true);
        records[3].means_of_control = vec!["Threats".into()];
        records[4].forced_marriage = Some(true);
        let k = 5;
        let (out, _) = anonymise(records, k).unwrap();
        let csv = microdata_csv(&out);
        let mut rows: HashMap<&str, usize> = HashMap::new();
        for line in csv.lines().skip(1) {
            *rows.entry(line).or_insert(0) += 1;
        }
        assert!(!rows.is_empty());
        assert!(
            rows.values().all(|n| *n >= k),
            "every published row is shared by k: {rows:?}"
        );
        assert!(
            !csv.contains("Hotline"),
            "two hotline records are a group of 2"
        );
    }

    #[test]
    fn small_aggregate_cells_are_suppressed_with_a_complement() {
        let mut rs: Vec<Record> = (0..6)
            .map(|_| rec(2020, "Female", "18--20", "NG"))
            .collect();
        rs.push(rec(2020, "Male", "18--20", "NG"));
        let csv = aggregates_csv(&rs);
        // The citizenship table gives the year's total (7): with Female shown, Male would be
        // 7 - 6. Female is withheld too.
        assert!(csv.contains("gender,2020,Male,,1"), "{csv}");
        assert!(csv.contains("gender,2020,Female,,1"), "{csv}");
        assert!(csv.contains("citizenship,2020,NG,7,0"), "{csv}");
    }

    /// Whether cell `target` is determined by the equations: true iff its unit vector lies in
    /// the row space, i.e. adding it as a row does not raise the rank.
    fn determined(equations: &[Vec<f64>], target: usize) -> bool {
        fn rank(mut m: Vec<Vec<f64>>) -> usize {
            let cols = m.first().map_or(0, Vec::len);
            let mut r = 0;
            for c in 0..cols {
                let Some(p) = (r..m.len()).max_by(|a, b| m[*a][c].abs().total_cmp(&m[*b][c].abs()))
                else {
                    break;
                };
                if m[p][c].abs() < 1e-9 {
                    continue;
                }
                m.swap(r, p);
                let pivot = m[r].clone();
                for (i, row) in m.iter_mut().enumerate() {
                    if i != r {
                        let f = row[c] / pivot[c];
                        for (x, p) in row.iter_mut().zip(&pivot).skip(c) {
                            *x -= f * p;
                        }
                    }
                }
                r += 1;
            }
            r
        }
        let n = equations.first().map_or(0, Vec::len);
        let mut with = equations.to_vec();
        let mut unit = vec![0.0; n];
        unit[target] = 1.0;
        with.push(unit);
        rank(equations.to_vec()) == rank(with)
    }

    /// What an outsider can do with a release: for each year, every table's cells add up to
    /// the same unknown total. Unknowns: the hidden cells and the total; one equation per
    /// table. No hidden cell may be determined, nor forced by its lower bound of 1.
    fn assert_nothing_derivable(cells: &[AggregateCell]) {
        let years: std::collections::BTreeSet<&str> =
            cells.iter().map(|c| c.year.as_str()).collect();
        for year in years {
            let of_year: Vec<&AggregateCell> = cells.iter().filter(|c| c.year == year).collect();
            let hidden: Vec<usize> = (0..of_year.len()).filter(|i| of_year[*i].hidden).collect();
            if hidden.is_empty() {
                continue;
            }
            let unknowns = hidden.len() + 1; // … and the total
            let tables: std::collections::BTreeSet<&str> =
                of_year.iter().map(|c| c.table).collect();
            let equations: Vec<Vec<f64>> = tables
                .iter()
                .map(|t| {
                    let mut row = vec![0.0; unknowns];
                    for (k, i) in hidden.iter().enumerate() {
                        if of_year[*i].table == *t {
                            row[k] = 1.0;
                        }
                    }
                    row[unknowns - 1] = -1.0;
                    row
                })
                .collect();
            for (k, i) in hidden.iter().enumerate() {
                assert!(
                    !determined(&equations, k),
                    "{year}: {} {} can be derived",
                    of_year[*i].table,
                    of_year[*i].value
                );
            }
            // The bound attack: with the total known (a table with nothing hidden), hidden
            // cells adding up to their number are all 1.
            let total: Option<i64> = tables.iter().find_map(|t| {
                let cs: Vec<&&AggregateCell> = of_year.iter().filter(|c| c.table == *t).collect();
                cs.iter()
                    .all(|c| !c.hidden)
                    .then(|| cs.iter().map(|c| c.count).sum())
            });
            if let Some(total) = total {
                for t in &tables {
                    let cs: Vec<&&AggregateCell> =
                        of_year.iter().filter(|c| c.table == *t).collect();
                    let shown: i64 = cs.iter().filter(|c| !c.hidden).map(|c| c.count).sum();
                    let n_hidden = cs.iter().filter(|c| c.hidden).count() as i64;
                    if n_hidden > 0 {
                        assert!(total - shown > n_hidden, "{year}: {t} forced to ones");
                    }
                }
            }
        }
    }

    #[test]
    fn no_hidden_cell_can_be_derived_from_what_is_published() {
        // The old tables, for the case above: Male = NG total − Female.
        let mut rs: Vec<Record> = (0..6)
            .map(|_| rec(2020, "Female", "18--20", "NG"))
            .collect();
        rs.push(rec(2020, "Male", "18--20", "NG"));
        let mut primary_only = aggregate_cells(&rs);
        for c in &mut primary_only {
            c.hidden = c.count < crate::stats::SMALL_CELL;
        }
        let caught = std::panic::catch_unwind(|| assert_nothing_derivable(&primary_only));
        assert!(
            caught.is_err(),
            "the check finds the leak of primary suppression alone"
        );
        assert_nothing_derivable(&aggregate_cells(&rs));

        // Random releases of every size, with rare values everywhere.
        let mut seed = 99u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let genders = ["Female", "Male", "Transgender", "-99"];
        let cits = ["NG", "RO", "AL", "CN", "MA", "PE", "MN", "-99"];
        for size in [3, 8, 20, 60, 300] {
            for _ in 0..20 {
                let rs: Vec<Record> = (0..size)
                    .map(|_| {
                        let mut r = rec(
                            2018 + next(3) as i32,
                            genders[next(4) as usize],
                            "18--20",
                            cits[next(8) as usize],
                        );
                        r.forced_labour = [Some(true), Some(false), None][next(3) as usize];
                        r.sexual = [Some(true), Some(false), None][next(3) as usize];
                        r.forced_marriage = if next(20) == 0 { Some(true) } else { None };
                        r
                    })
                    .collect();
                let cells = aggregate_cells(&rs);
                assert_nothing_derivable(&cells);
                // Nothing is lost: the shown and hidden cells together are every record.
                for table in ["gender", "isForcedLabour"] {
                    let sum: i64 = cells
                        .iter()
                        .filter(|c| c.table == table)
                        .map(|c| c.count)
                        .sum();
                    assert_eq!(sum, size as i64);
                }
            }
        }
    }

    #[test]
    fn the_microdata_header_is_the_ctdc_layout() {
        let csv = microdata_csv(&[rec(2020, "Female", "18--20", "NG")]);
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        assert!(crate::exchange::ctdc::layout(&header).is_ok());
    }
}
