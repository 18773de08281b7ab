//! Historical records in the column layout of IOM's CTDC global dataset (anchors-mission.md
//! §4): header check, row parsing and validation as plain functions; planning an import (what
//! is new, what is already there, what is rejected and why) separate from applying it.

use std::collections::{BTreeMap, HashMap, HashSet};

use sha2::{Digest, Sha256};

/// Columns every file must have: those every public CTDC release carries (the k-anonymised
/// global dataset of 2017–2021 and the synthetic releases since 2021).
pub const REQUIRED: &[&str] = &[
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "CountryOfExploitation",
];

/// Single-valued optional columns (`Datasource` and `majorityStatus` are not in the synthetic
/// releases).
pub const OPTIONAL: &[&str] = &[
    "Datasource",
    "majorityStatus",
    "majorityStatusAtExploit",
    "majorityEntry",
    "isSexAndLabour",
    "isForcedMarriage",
    "isForcedMilitary",
    "isOrganRemoval",
    "isSlaveryAndPractices",
    "isAbduction",
    "RecruiterRelationship",
    "meansOfControlConcatenated",
    "typeOfLabourConcatenated",
    "typeOfSexConcatenated",
    "recruiterRelationConcatenated",
];

/// Exploitation flags and the form each stands for.
pub const FORMS: &[(&str, &str)] = &[
    ("isForcedLabour", "forced_labour"),
    ("isSexualExploit", "sexual"),
    ("isOtherExploit", "other"),
    ("isSexAndLabour", "sex_and_labour"),
    ("isForcedMarriage", "forced_marriage"),
    ("isForcedMilitary", "forced_military"),
    ("isOrganRemoval", "organ_removal"),
    ("isSlaveryAndPractices", "slavery"),
];

pub const MEANS_OF_CONTROL: &[&str] = &[
    "DebtBondage",
    "TakesEarnings",
    "RestrictsFinancialAccess",
    "Threats",
    "PsychologicalAbuse",
    "PhysicalAbuse",
    "SexualAbuse",
    "FalsePromises",
    "PsychoactiveSubstances",
    "RestrictsMovement",
    "RestrictsMedicalCare",
    "ExcessiveWorkingHours",
    "UsesChildren",
    "ThreatOfLawEnforcement",
    "WithholdsNecessities",
    "WithholdsDocuments",
    "Other",
    "NotSpecified",
    // The synthetic releases since 2022 merge some means: debt bondage or taking earnings,
    // and psychological, physical or sexual abuse.
    "DebtBondageEarnings",
    "AbusePsyPhySex",
];

pub const LABOUR_TYPES: &[&str] = &[
    "Agriculture",
    "Aquafarming",
    "Begging",
    "Construction",
    "DomesticWork",
    "Hospitality",
    "IllicitActivities",
    "Manufacturing",
    "MiningOrDrilling",
    "Peddling",
    "Transportation",
    "Other",
    "NotSpecified",
];

pub const SEX_TYPES: &[&str] = &[
    "Prostitution",
    "Pornography",
    "RemoteInteractiveServices",
    "PrivateSexualServices",
    "Other",
];

pub const RECRUITER_RELATIONS: &[&str] =
    &["IntimatePartner", "Friend", "Family", "Other", "Unknown"];

/// Age bands of the CTDC layout.
pub const AGE_BANDS: &[&str] = &[
    "0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+",
];

/// The flag families: (column prefix, suffixes).
const FAMILIES: &[(&str, &[&str])] = &[
    ("meansOfControl", MEANS_OF_CONTROL),
    ("typeOfLabour", LABOUR_TYPES),
    ("typeOfSex", SEX_TYPES),
    ("recruiterRelation", RECRUITER_RELATIONS),
];

/// A problem with the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderError {
    Missing(String),
    Unknown(String),
    Duplicate(String),
}

impl HeaderError {
    /// The Fluent key and the column it names.
    pub fn message(&self) -> (&'static str, &str) {
        match self {
            HeaderError::Missing(c) => ("import-error-column-missing", c),
            HeaderError::Unknown(c) => ("import-error-column-unknown", c),
            HeaderError::Duplicate(c) => ("import-error-column-duplicate", c),
        }
    }
}

/// The public CTDC releases, told apart by their columns (docs/INDICATORS.md, "CTDC
/// layouts").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// The k-anonymised global dataset (the 2017, 2018 and 2020 releases: `Datasource`,
    /// `majorityStatus`, the `meansOfControl*`, `typeOfLabour*`, `typeOfSex*` and
    /// `recruiterRelation*` families, 63 columns in 2020 with the `*Concatenated` texts).
    Global,
    /// The first synthetic release (2021): no `Datasource`, `traffickMonths`, column names cut
    /// to 32 characters (`meansOfControlPsychoactiveSubsta`).
    Synthetic2021,
    /// The synthetic releases since 2022: merged means (`meansThreats`,
    /// `meansDebtBondageEarnings`), sectors (`sectorOfLabour*`), `Man`/`Woman`, countries as
    /// ISO 3166 alpha-3 codes.
    Synthetic,
}

impl Release {
    /// The Fluent key of its name.
    pub fn message_key(self) -> &'static str {
        match self {
            Release::Global => "import-layout-global",
            Release::Synthetic2021 => "import-layout-synthetic-2021",
            Release::Synthetic => "import-layout-synthetic",
        }
    }
}

/// The columns of a file, by name.
#[derive(Clone, Debug)]
pub struct Layout {
    index: HashMap<String, usize>,
    /// Columns read past: a leading row index (`X`, unnamed) and columns SATIS does not use,
    /// listed in the dry run's summary.
    ignored: Vec<String>,
    release: Release,
}

/// Whether the first column is a row index written by R (`X`, `...1`) or pandas (unnamed,
/// `Unnamed: 0`): public copies of the CTDC files often carry one.
fn index_column(name: &str) -> bool {
    matches!(name, "" | "X" | "...1" | "Unnamed: 0" | "rownames")
}

fn known(column: &str) -> bool {
    REQUIRED.contains(&column)
        || OPTIONAL.contains(&column)
        || FAMILIES.iter().any(|(prefix, suffixes)| {
            column
                .strip_prefix(prefix)
                .is_some_and(|s| suffixes.contains(&s))
        })
}

/// Every column name SATIS reads, as the global dataset spells it.
fn known_names() -> impl Iterator<Item = String> {
    REQUIRED
        .iter()
        .chain(OPTIONAL)
        .map(|c| (*c).to_owned())
        .chain(
            FAMILIES.iter().flat_map(|(prefix, suffixes)| {
                suffixes.iter().map(move |s| format!("{prefix}{s}"))
            }),
        )
}

/// The means of control of the synthetic releases since 2022 and the column of the global
/// dataset each is read as. Two merge means the global dataset keeps apart; they are read
/// as means of their own, not split.
const SYNTHETIC_MEANS: &[(&str, &str)] = &[
    (
        "meansDebtBondageEarnings",
        "meansOfControlDebtBondageEarnings",
    ),
    ("meansThreats", "meansOfControlThreats"),
    ("meansAbusePsyPhySex", "meansOfControlAbusePsyPhySex"),
    ("meansFalsePromises", "meansOfControlFalsePromises"),
    ("meansDrugsAlcohol", "meansOfControlPsychoactiveSubstances"),
    ("meansDenyBasicNeeds", "meansOfControlWithholdsNecessities"),
    (
        "meansExcessiveWorkHours",
        "meansOfControlExcessiveWorkingHours",
    ),
    ("meansWithholdDocs", "meansOfControlWithholdsDocuments"),
];

/// The longest column name some releases keep (they were saved through a tool that cuts
/// names at 32 characters).
const CUT_AT: usize = 32;

/// The name SATIS reads a column by, and whether it is spelt as in a synthetic release.
fn canonical(name: &str) -> Option<(String, Option<Release>)> {
    if known(name) {
        return Some((name.to_owned(), None));
    }
    if let Some((_, to)) = SYNTHETIC_MEANS.iter().find(|(from, _)| *from == name) {
        return Some(((*to).to_owned(), Some(Release::Synthetic)));
    }
    for (from, to) in [
        ("sectorOfLabour", "typeOfLabour"),
        ("sectorOfSex", "typeOfSex"),
    ] {
        if let Some(rest) = name.strip_prefix(from) {
            let c = format!("{to}{rest}");
            if known(&c) {
                return Some((c, Some(Release::Synthetic)));
            }
        }
    }
    if name.chars().count() == CUT_AT {
        let mut matches = known_names().filter(|k| k.starts_with(name));
        if let (Some(one), None) = (matches.next(), matches.next()) {
            return Some((one, Some(Release::Synthetic2021)));
        }
    }
    None
}

/// Checks a header: every required column present, none twice. Every problem is listed, not
/// only the first. A leading row-index column and columns SATIS does not use are read past
/// (and listed in the dry run), as public CTDC releases carry them; the known columns are
/// validated strictly, under any of the names the public releases give them.
pub fn layout(header: &[&str]) -> Result<Layout, Vec<HeaderError>> {
    let mut errors = Vec::new();
    let mut index = HashMap::new();
    let mut ignored = Vec::new();
    let mut release = None;
    for (i, raw) in header.iter().enumerate() {
        let name = raw.trim().trim_start_matches('\u{feff}').trim_matches('"');
        if i == 0 && index_column(name) {
            ignored.push(if name.is_empty() {
                "(index)".to_owned()
            } else {
                name.to_owned()
            });
            continue;
        }
        if name == "traffickMonths" {
            release = release.or(Some(Release::Synthetic2021));
        }
        match canonical(name) {
            None => ignored.push(name.to_owned()),
            Some((column, spelt)) => {
                if spelt == Some(Release::Synthetic) {
                    release = Some(Release::Synthetic);
                } else if spelt.is_some() {
                    release = release.or(spelt);
                }
                if index.insert(column.clone(), i).is_some() {
                    errors.push(HeaderError::Duplicate(column));
                }
            }
        }
    }
    for r in REQUIRED {
        if !index.contains_key(*r) {
            errors.push(HeaderError::Missing((*r).to_owned()));
        }
    }
    if errors.is_empty() {
        Ok(Layout {
            index,
            ignored,
            release: release.unwrap_or(Release::Global),
        })
    } else {
        Err(errors)
    }
}

/// A file layout that historical records can be read from (CTDC, HTCDS CSV).
pub trait Format: Sized {
    /// Checks a header, listing every problem.
    fn layout(header: &[&str]) -> Result<Self, Vec<HeaderError>>;
    /// Checks one row.
    fn row(&self, record: &[&str], this_year: i32) -> Result<Row, RowError>;
    /// Columns read past (listed in the dry run).
    fn ignored(&self) -> Vec<String> {
        Vec::new()
    }
    /// The known columns with their positions, for counting values read as not recorded.
    fn known_columns(&self) -> Vec<(String, usize)> {
        Vec::new()
    }
    /// The Fluent key naming the layout recognised, if the format has several.
    fn layout_name(&self) -> Option<&'static str> {
        None
    }
}

impl Format for Layout {
    fn layout(header: &[&str]) -> Result<Self, Vec<HeaderError>> {
        layout(header)
    }

    fn row(&self, record: &[&str], this_year: i32) -> Result<Row, RowError> {
        Layout::row(self, record, this_year)
    }

    fn ignored(&self) -> Vec<String> {
        self.ignored.clone()
    }

    fn known_columns(&self) -> Vec<(String, usize)> {
        let mut cols: Vec<(String, usize)> =
            self.index.iter().map(|(k, v)| (k.clone(), *v)).collect();
        cols.sort_by_key(|(_, i)| *i);
        cols
    }

    fn layout_name(&self) -> Option<&'static str> {
        Some(self.release.message_key())
    }
}

/// A checked row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub year: i32,
    pub datasource: String,
    pub gender: String,
    pub age_broad: String,
    pub majority: String,
    pub majority_at_exploit: String,
    pub majority_entry: String,
    pub citizenship: String,
    pub country_of_exploitation: String,
    pub forms: Vec<&'static str>,
    /// Forms the row says "no" to; a form in neither list was not recorded.
    pub forms_no: Vec<&'static str>,
    pub labour_types: Vec<&'static str>,
    pub sex_types: Vec<&'static str>,
    pub means_of_control: Vec<&'static str>,
    pub recruiter_relations: Vec<&'static str>,
    pub abduction: Option<bool>,
}

/// Why a row is rejected: the column, the value found and the Fluent key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub column: String,
    pub value: String,
    pub key: &'static str,
}

/// Whether a cell says "not recorded": `-99` (CTDC's code), an empty cell, or the words the
/// public releases use (`Unknown` for gender, age band, citizenship and majority status,
/// `Missing` for the country of exploitation; `NA` from R).
pub(crate) fn missing(v: &str) -> bool {
    let v = v.trim();
    v.is_empty()
        || v == "-99"
        || ["unknown", "missing", "na", "n/a"]
            .iter()
            .any(|w| v.eq_ignore_ascii_case(w))
}

impl Layout {
    fn get<'a>(&self, record: &'a [&'a str], column: &str) -> &'a str {
        self.index
            .get(column)
            .and_then(|i| record.get(*i))
            .map(|v| v.trim())
            .unwrap_or("")
    }

    fn flag(&self, record: &[&str], column: &str) -> Result<Option<bool>, RowError> {
        let v = self.get(record, column);
        if missing(v) {
            return Ok(None);
        }
        // 1/0 as CTDC writes them; true/false and yes/no as some exports do.
        let lower = v.to_ascii_lowercase();
        match lower.as_str() {
            "1" | "true" | "yes" => Ok(Some(true)),
            "0" | "false" | "no" => Ok(Some(false)),
            _ => Err(RowError {
                column: column.to_owned(),
                value: v.to_owned(),
                key: "import-error-flag",
            }),
        }
    }

    fn choice(
        &self,
        record: &[&str],
        column: &str,
        allowed: &[&str],
        key: &'static str,
    ) -> Result<String, RowError> {
        let v = self.get(record, column);
        if missing(v) {
            return Ok(String::new());
        }
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(v))
            .map(|a| (*a).to_owned())
            .ok_or_else(|| RowError {
                column: column.to_owned(),
                value: v.to_owned(),
                key,
            })
    }

    fn country(&self, record: &[&str], column: &str) -> Result<String, RowError> {
        let v = self.get(record, column);
        if missing(v) {
            return Ok(String::new());
        }
        country_code(v).ok_or_else(|| RowError {
            column: column.to_owned(),
            value: v.to_owned(),
            key: "import-error-country",
        })
    }

    /// Checks one row against the layout's rules.
    pub fn row(&self, record: &[&str], this_year: i32) -> Result<Row, RowError> {
        let year_raw = self.get(record, "yearOfRegistration");
        let year = match year_raw.parse::<i32>() {
            Ok(y) if (1990..=this_year).contains(&y) => y,
            _ => {
                return Err(RowError {
                    column: "yearOfRegistration".into(),
                    value: year_raw.to_owned(),
                    key: "import-error-year",
                });
            }
        };
        let datasource = self.get(record, "Datasource");
        if datasource.chars().count() > 60 {
            return Err(RowError {
                column: "Datasource".into(),
                value: datasource.chars().take(20).collect(),
                key: "import-error-too-long",
            });
        }
        let gender = match self.get(record, "gender") {
            v if missing(v) => "unknown",
            // The global dataset writes Female/Male/Transgender, the synthetic releases since
            // 2022 Woman/Man/Trans/Transgender/NonConforming.
            v if v.eq_ignore_ascii_case("female") || v.eq_ignore_ascii_case("woman") => "female",
            v if v.eq_ignore_ascii_case("male") || v.eq_ignore_ascii_case("man") => "male",
            v if v.eq_ignore_ascii_case("transgender")
                || v.eq_ignore_ascii_case("trans")
                || v.eq_ignore_ascii_case("trans/transgender/nonconforming") =>
            {
                "transgender"
            }
            v => {
                return Err(RowError {
                    column: "gender".into(),
                    value: v.to_owned(),
                    key: "import-error-gender",
                });
            }
        };
        let majority = ["Adult", "Minor"];
        let mut forms = Vec::new();
        let mut forms_no = Vec::new();
        for (column, form) in FORMS {
            match self.flag(record, column)? {
                Some(true) => forms.push(*form),
                Some(false) => forms_no.push(*form),
                None => {}
            }
        }
        let family = |prefix: &str, suffixes: &'static [&'static str]| {
            let mut out = Vec::new();
            for s in suffixes {
                if self.flag(record, &format!("{prefix}{s}"))? == Some(true) {
                    out.push(*s);
                }
            }
            Ok::<_, RowError>(out)
        };
        let relationship = self.get(record, "RecruiterRelationship");
        if relationship.chars().count() > 200 {
            return Err(RowError {
                column: "RecruiterRelationship".into(),
                value: relationship.chars().take(20).collect(),
                key: "import-error-too-long",
            });
        }
        Ok(Row {
            year,
            datasource: if missing(datasource) {
                String::new()
            } else {
                datasource.to_owned()
            },
            gender: gender.to_owned(),
            age_broad: {
                // Some releases pad the second band: "09--17".
                let v = self.get(record, "ageBroad");
                if v == "09--17" {
                    "9--17".to_owned()
                } else {
                    self.choice(record, "ageBroad", AGE_BANDS, "import-error-age")?
                }
            },
            majority: self.choice(record, "majorityStatus", &majority, "import-error-majority")?,
            majority_at_exploit: self.choice(
                record,
                "majorityStatusAtExploit",
                &majority,
                "import-error-majority",
            )?,
            majority_entry: self.choice(
                record,
                "majorityEntry",
                &majority,
                "import-error-majority",
            )?,
            citizenship: self.country(record, "citizenship")?,
            country_of_exploitation: self.country(record, "CountryOfExploitation")?,
            forms,
            forms_no,
            labour_types: family("typeOfLabour", LABOUR_TYPES)?,
            sex_types: family("typeOfSex", SEX_TYPES)?,
            means_of_control: family("meansOfControl", MEANS_OF_CONTROL)?,
            recruiter_relations: family("recruiterRelation", RECRUITER_RELATIONS)?,
            abduction: self.flag(record, "isAbduction")?,
        })
    }
}

/// A country as ISO 3166-1 alpha-2: the global dataset writes alpha-2 codes, the synthetic
/// releases since 2022 alpha-3 codes (converted). Kosovo, which has no ISO code, is `XK`
/// (`XKX` in alpha-3), as the CTDC files write it.
pub fn country_code(v: &str) -> Option<String> {
    let v = v.trim();
    if !v.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    match v.len() {
        2 => Some(v.to_ascii_uppercase()),
        3 if v.eq_ignore_ascii_case("XKX") => Some("XK".to_owned()),
        3 => isocountry::CountryCode::for_alpha3_caseless(v)
            .ok()
            .map(|c| c.alpha2().to_owned()),
        _ => None,
    }
}

/// What an import would do.
#[derive(Debug, Default)]
pub struct Plan {
    /// (row key, row) of the rows not imported before.
    pub new: Vec<(String, Row)>,
    pub already: usize,
    /// (line number in the file, problem)
    pub rejected: Vec<(u64, RowError)>,
    /// Columns read past: a row index and columns SATIS does not use.
    pub ignored_columns: Vec<String>,
    /// For each known column, how many cells were read as "not recorded" (`-99`, empty,
    /// `Unknown`, `Missing`): an analyst checks these against the source.
    pub not_recorded: BTreeMap<String, u64>,
    /// The Fluent key naming the layout recognised (which CTDC release).
    pub layout: Option<&'static str>,
}

/// Why a file cannot be read at all.
#[derive(Debug)]
pub enum FileError {
    Header(Vec<HeaderError>),
    /// The CSV itself is broken at this line.
    Csv(u64),
    /// The text is not UTF-8 from this line on (CTDC files saved by spreadsheets are often
    /// Latin-1): nothing is guessed; `--latin1` reads it as ISO 8859-1.
    Encoding(u64),
}

/// The line where `data` stops being UTF-8, if it does.
pub fn not_utf8_at(data: &[u8]) -> Option<u64> {
    std::str::from_utf8(data).err().map(|e| {
        let valid = &data[..e.valid_up_to()];
        1 + valid.iter().filter(|b| **b == b'\n').count() as u64
    })
}

/// Reads ISO 8859-1 (Latin-1) text as UTF-8: every byte is the code point of the same
/// number, so nothing can fail or be lost.
pub fn latin1_to_utf8(data: &[u8]) -> Vec<u8> {
    data.iter()
        .map(|b| char::from(*b))
        .collect::<String>()
        .into_bytes()
}

/// Plans the import of a CSV file: checks the header, then every row; a row already imported
/// (same key) is counted, not planned again. `step` is called after each row (progress).
pub fn plan(
    data: &[u8],
    existing: &HashSet<String>,
    this_year: i32,
    step: impl FnMut(u64),
) -> Result<Plan, FileError> {
    plan_as::<Layout>(data, existing, this_year, step)
}

/// [`plan`] for any [`Format`].
pub fn plan_as<F: Format>(
    data: &[u8],
    existing: &HashSet<String>,
    this_year: i32,
    mut step: impl FnMut(u64),
) -> Result<Plan, FileError> {
    if let Some(line) = not_utf8_at(data) {
        return Err(FileError::Encoding(line));
    }
    // Rows with too few or too many cells are rejected one by one (naming the line and the
    // first column out of place), not a refusal of the whole file: `--skip-invalid` applies.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data);
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| FileError::Csv(1))?
        .iter()
        .map(str::to_owned)
        .collect();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let layout = F::layout(&names).map_err(FileError::Header)?;
    let mut plan = Plan {
        ignored_columns: layout.ignored(),
        layout: layout.layout_name(),
        ..Plan::default()
    };
    let known = layout.known_columns();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(FileError::Csv(
                    e.position().map(|p| p.line()).unwrap_or(line + 1),
                ));
            }
        }
        line = record.position().map(|p| p.line()).unwrap_or(line + 1);
        let fields: Vec<&str> = record.iter().collect();
        if fields.len() != header.len() {
            // The first column with no cell, or the first cell with no column.
            let column = header
                .get(fields.len())
                .cloned()
                .unwrap_or_else(|| format!("({})", header.len() + 1));
            plan.rejected.push((
                line,
                RowError {
                    column,
                    value: format!("{}/{}", fields.len(), header.len()),
                    key: "import-error-cells",
                },
            ));
            step(line);
            continue;
        }
        for (name, i) in &known {
            if fields.get(*i).is_some_and(|v| missing(v)) {
                *plan.not_recorded.entry(name.clone()).or_insert(0) += 1;
            }
        }
        match layout.row(&fields, this_year) {
            Ok(row) => {
                let content = fields.join("\u{1f}");
                let n = seen.entry(content.clone()).or_insert(0);
                *n += 1;
                let key = hex::encode(Sha256::digest(format!("{content}\u{1e}{n}").as_bytes()));
                if existing.contains(&key) {
                    plan.already += 1;
                } else {
                    plan.new.push((key, row));
                }
            }
            Err(e) => plan.rejected.push((line, e)),
        }
        step(line);
    }
    Ok(plan)
}

/// Counts by gender, form of exploitation and citizenship (a record with two forms counts
/// under each; missing citizenship as "—").
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub total: i64,
    pub gender: BTreeMap<String, i64>,
    pub form: BTreeMap<String, i64>,
    pub citizenship: BTreeMap<String, i64>,
}

impl Summary {
    pub fn add(&mut self, gender: &str, forms: &[&str], citizenship: &str) {
        self.total += 1;
        *self.gender.entry(gender.to_owned()).or_insert(0) += 1;
        for f in forms {
            *self.form.entry((*f).to_owned()).or_insert(0) += 1;
        }
        let c = if citizenship.is_empty() {
            "—"
        } else {
            citizenship
        };
        *self.citizenship.entry(c.to_owned()).or_insert(0) += 1;
    }
}

/// The 63 columns of the 2020 release of the CTDC global dataset, in its order.
pub fn header_2020() -> Vec<String> {
    let mut h: Vec<String> = [
        "yearOfRegistration",
        "Datasource",
        "gender",
        "ageBroad",
        "majorityStatus",
        "majorityStatusAtExploit",
        "majorityEntry",
        "citizenship",
    ]
    .map(str::to_owned)
    .to_vec();
    // The 2020 release predates the two merged means of the later synthetic releases.
    h.extend(
        MEANS_OF_CONTROL[..18]
            .iter()
            .map(|m| format!("meansOfControl{m}")),
    );
    h.push("meansOfControlConcatenated".into());
    h.extend(FORMS.iter().map(|(c, _)| (*c).to_owned()));
    h.push("typeOfExploitConcatenated".into());
    h.extend(LABOUR_TYPES.iter().map(|m| format!("typeOfLabour{m}")));
    h.push("typeOfLabourConcatenated".into());
    h.extend(SEX_TYPES[..4].iter().map(|m| format!("typeOfSex{m}")));
    h.extend(
        [
            "typeOfSexConcatenated",
            "isAbduction",
            "RecruiterRelationship",
            "CountryOfExploitation",
        ]
        .map(str::to_owned),
    );
    h.extend(
        RECRUITER_RELATIONS
            .iter()
            .map(|m| format!("recruiterRelation{m}")),
    );
    h
}

/// A reproducible synthetic file in the 63-column layout of the 2020 CTDC release (for tests
/// and benchmarks), as untidy as the published one (not recorded as `-99`, empty cells,
/// `Unknown` and `Missing`; quoted `*Concatenated` texts with commas), with the counts a
/// correct import must find: invented rows, nobody real.
pub fn synthetic(rows: usize, seed: u64) -> (String, Summary) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let genders = ["Female", "Male", "Transgender", "-99", "Unknown"];
    let citizenships = [
        "NG", "RO", "AL", "CN", "MA", "PK", "BR", "IT", "-99", "", "Unknown",
    ];
    let countries = ["IT", "IT", "ES", "-99", "Missing"];
    let header = header_2020();
    let mut out = header.join(",");
    out.push('\n');
    let mut summary = Summary::default();
    let means_columns: Vec<String> = MEANS_OF_CONTROL[..18]
        .iter()
        .map(|m| format!("meansOfControl{m}"))
        .collect();
    let mut cells: HashMap<&str, String> = HashMap::new();
    for _ in 0..rows {
        cells.clear();
        let year = 2002 + next(19) as i32;
        let gender = genders[next(genders.len() as u64) as usize];
        let citizenship = citizenships[next(citizenships.len() as u64) as usize];
        let labour = next(3) == 0;
        let sexual = !labour && next(4) != 0;
        let other = !labour && !sexual;
        // One record in eight left every form blank: not recorded, not "no".
        let recorded = next(8) != 0;
        let marriage = recorded && next(50) == 0;
        let (age, majority) = if next(10) == 0 {
            ("Unknown", "Unknown")
        } else {
            let age = AGE_BANDS[next(AGE_BANDS.len() as u64) as usize];
            (
                age,
                if age == "0--8" || age == "9--17" {
                    "Minor"
                } else {
                    "Adult"
                },
            )
        };
        let flag = |b: bool| if b { "1" } else { "0" };
        let form = |b: bool| if recorded { flag(b) } else { "-99" }.to_owned();
        cells.insert("yearOfRegistration", year.to_string());
        cells.insert(
            "Datasource",
            if next(3) == 0 {
                "Hotline"
            } else {
                "Case Management"
            }
            .into(),
        );
        cells.insert("gender", gender.into());
        cells.insert("ageBroad", age.into());
        for c in ["majorityStatus", "majorityStatusAtExploit", "majorityEntry"] {
            cells.insert(c, majority.into());
        }
        cells.insert("citizenship", citizenship.into());
        cells.insert("isForcedLabour", form(labour));
        cells.insert("isSexualExploit", form(sexual));
        cells.insert("isOtherExploit", form(other));
        cells.insert("isForcedMarriage", form(marriage));
        for c in [
            "isSexAndLabour",
            "isForcedMilitary",
            "isOrganRemoval",
            "isSlaveryAndPractices",
        ] {
            cells.insert(c, form(false));
        }
        let mut means = Vec::new();
        for (m, column) in MEANS_OF_CONTROL[..18].iter().zip(&means_columns) {
            let on = next(6) == 0;
            if on {
                means.push(*m);
            }
            cells.insert(column.as_str(), flag(on).into());
        }
        cells.insert(
            "meansOfControlConcatenated",
            if means.is_empty() {
                "-99".into()
            } else {
                format!("\"{}\"", means.join(", "))
            },
        );
        cells.insert(
            "typeOfExploitConcatenated",
            if labour {
                "Forced labour"
            } else if sexual {
                "Sexual exploitation"
            } else {
                "Other"
            }
            .into(),
        );
        cells.insert(
            "isAbduction",
            if next(5) == 0 {
                "-99"
            } else {
                flag(next(10) == 0)
            }
            .into(),
        );
        cells.insert(
            "CountryOfExploitation",
            countries[next(countries.len() as u64) as usize].into(),
        );
        let line: Vec<&str> = header
            .iter()
            .map(|c| {
                if let Some(v) = cells.get(c.as_str()) {
                    v.as_str()
                } else if c.starts_with("typeOfLabour") && !c.ends_with("Concatenated") {
                    if labour { "0" } else { "-99" }
                } else {
                    "-99"
                }
            })
            .collect();
        out.push_str(&line.join(","));
        out.push('\n');
        let mut forms = Vec::new();
        for (on, form) in [
            (labour, "forced_labour"),
            (sexual, "sexual"),
            (other, "other"),
            (marriage, "forced_marriage"),
        ] {
            if on && recorded {
                forms.push(form);
            }
        }
        let gender = match gender {
            "Female" => "female",
            "Male" => "male",
            "Transgender" => "transgender",
            _ => "unknown",
        };
        let citizenship = if missing(citizenship) {
            ""
        } else {
            citizenship
        };
        summary.add(gender, &forms, citizenship);
    }
    (out, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "yearOfRegistration,Datasource,gender,ageBroad,majorityStatus,citizenship,isForcedLabour,isSexualExploit,isOtherExploit,CountryOfExploitation,meansOfControlDebtBondage,typeOfLabourAgriculture,isAbduction";

    #[test]
    fn a_header_lists_every_problem() {
        let errs =
            layout(&["yearOfRegistration", "gender", "gender", "favouriteColour"]).unwrap_err();
        assert!(errs.contains(&HeaderError::Duplicate("gender".into())));
        // A column SATIS does not use is read past, not a refusal.
        assert!(!errs.contains(&HeaderError::Unknown("favouriteColour".into())));
        assert!(errs.contains(&HeaderError::Missing("citizenship".into())));
        assert!(errs.contains(&HeaderError::Missing("ageBroad".into())));
        let ok: Vec<&str> = HEADER.split(',').collect();
        assert!(layout(&ok).is_ok());
    }

    /// As public copies of the CTDC releases are: a row index written by R or pandas first,
    /// columns SATIS does not use, "Unknown" and "Missing" for not recorded, flags as words.
    #[test]
    fn a_public_release_is_read_as_published() {
        let data = format!(
            "\"\",{HEADER},typeOfExploitConcatenated\n\
             1,2019,Case Management,Female,18--20,Adult,NG,0,1,0,IT,1,-99,,Sexual exploitation\n\
             2,2020,Hotline,Unknown,Unknown,Unknown,Unknown,true,false,false,Missing,,1,false,Forced labour\n\
             3,2020,Hotline,Male,-99,-99,RO,1,0,0,IT,0,0,0,Forced labour\n"
        );
        let plan = plan(data.as_bytes(), &HashSet::new(), 2026, |_| {}).unwrap();
        assert!(plan.rejected.is_empty(), "{:?}", plan.rejected);
        assert_eq!(plan.new.len(), 3);
        assert_eq!(
            plan.ignored_columns,
            vec!["(index)".to_owned(), "typeOfExploitConcatenated".to_owned()]
        );
        let second = &plan.new[1].1;
        assert_eq!(second.gender, "unknown");
        assert_eq!(second.citizenship, "");
        assert_eq!(second.country_of_exploitation, "");
        assert_eq!(second.forms, vec!["forced_labour"]);
        // Counted independently from the three lines above.
        let want: BTreeMap<String, u64> = [
            ("gender", 1),
            ("ageBroad", 2),
            ("majorityStatus", 2),
            ("citizenship", 1),
            ("CountryOfExploitation", 1),
            ("meansOfControlDebtBondage", 1),
            ("typeOfLabourAgriculture", 1),
            ("isAbduction", 1),
        ]
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect();
        assert_eq!(plan.not_recorded, want);
    }

    #[test]
    fn rows_are_read_with_missing_values_as_minus_99_or_empty() {
        let data = format!(
            "{HEADER}\n2019,Case Management,Female,18--20,Adult,NG,0,1,0,IT,1,-99,\n2020,Hotline,-99,,-99,-99,1,0,0,-99,,1,0\n"
        );
        let p = plan(data.as_bytes(), &HashSet::new(), 2026, |_| {}).unwrap();
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let (_, a) = &p.new[0];
        assert_eq!(
            (a.year, a.gender.as_str(), a.citizenship.as_str()),
            (2019, "female", "NG")
        );
        assert_eq!(a.forms, vec!["sexual"]);
        assert_eq!(a.means_of_control, vec!["DebtBondage"]);
        assert_eq!(a.abduction, None);
        let (_, b) = &p.new[1];
        assert_eq!(
            (
                b.gender.as_str(),
                b.citizenship.as_str(),
                b.majority.as_str()
            ),
            ("unknown", "", "")
        );
        assert_eq!(b.forms, vec!["forced_labour"]);
        assert_eq!(b.labour_types, vec!["Agriculture"]);
        assert_eq!(b.abduction, Some(false));
    }

    #[test]
    fn wrong_values_are_rejected_with_line_column_and_value() {
        let data = format!(
            "{HEADER}\n1800,X,Female,18--20,Adult,NG,0,1,0,IT,0,0,0\n2019,X,Robot,18--20,Adult,NG,0,1,0,IT,0,0,0\n2019,X,Male,18--20,Adult,Nigeria,0,1,0,IT,0,0,0\n2019,X,Male,18--20,Adult,NG,2,1,0,IT,0,0,0\n2019,X,Male,17,Adult,NG,0,1,0,IT,0,0,0\n"
        );
        let p = plan(data.as_bytes(), &HashSet::new(), 2026, |_| {}).unwrap();
        let got: Vec<(u64, &str, &str)> = p
            .rejected
            .iter()
            .map(|(l, e)| (*l, e.column.as_str(), e.key))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "yearOfRegistration", "import-error-year"),
                (3, "gender", "import-error-gender"),
                (4, "citizenship", "import-error-country"),
                (5, "isForcedLabour", "import-error-flag"),
                (6, "ageBroad", "import-error-age"),
            ]
        );
        assert!(p.new.is_empty());
    }

    #[test]
    fn the_same_file_twice_plans_nothing_new_but_identical_rows_are_all_kept() {
        let data = format!(
            "{HEADER}\n2019,X,Female,18--20,Adult,NG,0,1,0,IT,0,0,0\n2019,X,Female,18--20,Adult,NG,0,1,0,IT,0,0,0\n"
        );
        let first = plan(data.as_bytes(), &HashSet::new(), 2026, |_| {}).unwrap();
        assert_eq!(first.new.len(), 2, "two identical people are two records");
        let keys: HashSet<String> = first.new.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(keys.len(), 2);
        let again = plan(data.as_bytes(), &keys, 2026, |_| {}).unwrap();
        assert_eq!((again.new.len(), again.already), (0, 2));
    }

    #[test]
    fn the_synthetic_file_plans_to_its_own_counts() {
        let (data, want) = synthetic(500, 7);
        let p = plan(data.as_bytes(), &HashSet::new(), 2026, |_| {}).unwrap();
        assert!(p.rejected.is_empty(), "{:?}", p.rejected.first());
        let mut got = Summary::default();
        for (_, r) in &p.new {
            got.add(&r.gender, &r.forms, &r.citizenship);
        }
        assert_eq!(got, want);
        assert_eq!(synthetic(500, 7).0, data, "reproducible");
        assert_eq!(header_2020().len(), 63);
        assert_eq!(data.lines().next(), Some(header_2020().join(",").as_str()));
    }

    #[test]
    fn a_row_with_missing_or_extra_cells_is_rejected_naming_line_and_column() {
        // A truncated last line (no newline, cut mid-row) and a row with a cell too many.
        let data = format!(
            "{HEADER}\n2019,X,Female,18--20,Adult,NG,0,1,0,IT,0,0,0,extra\n2019,X,Female,18--20,Adult,NG,0,1,0,IT,0,0,0\n2019,X,Female"
        );
        let p = plan(data.as_bytes(), &HashSet::new(), 2026, |_| {}).unwrap();
        let got: Vec<(u64, &str, &str, &str)> = p
            .rejected
            .iter()
            .map(|(l, e)| (*l, e.column.as_str(), e.value.as_str(), e.key))
            .collect();
        assert_eq!(
            got,
            vec![
                (2, "(14)", "14/13", "import-error-cells"),
                (4, "ageBroad", "3/13", "import-error-cells"),
            ]
        );
        assert_eq!(p.new.len(), 1, "the good row is still planned");
    }

    fn fixture(name: &str) -> Plan {
        let path = format!("{}/tests/fixtures/ctdc/{name}", env!("CARGO_MANIFEST_DIR"));
        let data = std::fs::read(&path).unwrap();
        let p = plan(&data, &HashSet::new(), 2026, |_| {}).unwrap();
        assert!(p.rejected.is_empty(), "{name}: {:?}", p.rejected);
        p
    }

    #[test]
    fn the_2020_release_reads_all_63_columns() {
        let p = fixture("global-2020.csv");
        assert_eq!(p.layout, Some("import-layout-global"));
        assert_eq!(p.new.len(), 8);
        // Of the 63 columns only the forms' text is read past (the other *Concatenated texts
        // are optional columns, repeating their flags).
        assert_eq!(p.ignored_columns, vec!["typeOfExploitConcatenated"]);
        let first = &p.new[0].1;
        assert_eq!(first.datasource, "Case Management");
        assert_eq!(first.means_of_control, vec!["DebtBondage", "Threats"]);
        assert_eq!(first.sex_types, vec!["Prostitution"]);
        assert_eq!(first.recruiter_relations, vec!["Friend"]);
        assert_eq!(first.forms_no.len(), 7, "every other form said no");
        let unknown = &p.new[3].1;
        assert_eq!(
            (unknown.age_broad.as_str(), unknown.majority.as_str()),
            ("", "")
        );
        assert_eq!(unknown.citizenship, "");
        assert_eq!(unknown.country_of_exploitation, "");
        // Row 5 recorded none of the forms: none is "no".
        assert!(p.new[4].1.forms.is_empty() && p.new[4].1.forms_no.is_empty());
    }

    #[test]
    fn the_2017_and_2018_releases_as_re_saved_by_r_and_pandas() {
        let p = fixture("global-2017.csv");
        assert_eq!(p.new.len(), 6);
        assert_eq!(p.ignored_columns[0], "X");
        assert_eq!(p.not_recorded.get("isAbduction"), Some(&5));
        let p = fixture("global-2018.csv");
        assert_eq!(p.new.len(), 6);
        assert_eq!(p.ignored_columns[0], "(index)");
        assert_eq!(p.layout, Some("import-layout-global"));
    }

    #[test]
    fn the_2021_synthetic_release_with_names_cut_at_32_characters() {
        let p = fixture("synthetic-2021.csv");
        assert_eq!(p.layout, Some("import-layout-synthetic-2021"));
        assert_eq!(p.ignored_columns, vec!["traffickMonths"]);
        assert_eq!(p.new.len(), 6);
        assert_eq!(p.new[0].1.means_of_control, vec!["PsychoactiveSubstances"]);
        assert_eq!(p.new[1].1.sex_types, vec!["Other"]);
        assert_eq!(
            p.new[3].1.means_of_control,
            vec!["ThreatOfLawEnforcement", "WithholdsNecessities"]
        );
        assert_eq!(p.new[0].1.datasource, "", "no data source in this release");
        let blank = &p.new[4].1;
        assert!(blank.forms.is_empty() && blank.forms_no.is_empty());
    }

    #[test]
    fn the_current_synthetic_release_with_merged_means_and_alpha_3_countries() {
        let p = fixture("synthetic-2024.csv");
        assert_eq!(p.layout, Some("import-layout-synthetic"));
        assert_eq!(p.new.len(), 7);
        let first = &p.new[0].1;
        assert_eq!(
            (first.gender.as_str(), first.citizenship.as_str()),
            ("female", "NG")
        );
        assert_eq!(first.country_of_exploitation, "IT");
        assert_eq!(
            first.means_of_control,
            vec!["DebtBondageEarnings", "AbusePsyPhySex"]
        );
        assert_eq!(first.sex_types, vec!["Prostitution"]);
        // Blank flags are not recorded, not "no".
        assert_eq!(first.forms, vec!["sexual"]);
        assert!(first.forms_no.is_empty());
        assert_eq!(p.new[2].1.labour_types, vec!["Agriculture"]);
        assert_eq!(p.new[3].1.gender, "transgender");
        assert_eq!(p.new[3].1.means_of_control, vec!["PsychoactiveSubstances"]);
        assert_eq!(p.new[4].1.gender, "unknown");
        let last = &p.new[6].1;
        assert_eq!(
            (last.citizenship.as_str(), last.age_broad.as_str()),
            ("XK", "9--17")
        );
    }

    #[test]
    fn countries_are_read_as_alpha_2_whatever_the_release_wrote() {
        assert_eq!(country_code("ng").as_deref(), Some("NG"));
        assert_eq!(country_code("NGA").as_deref(), Some("NG"));
        assert_eq!(country_code("ita").as_deref(), Some("IT"));
        assert_eq!(country_code("XKX").as_deref(), Some("XK"));
        assert_eq!(country_code("QQQ"), None);
        assert_eq!(country_code("Nigeria"), None);
        assert_eq!(country_code("N1"), None);
    }

    #[test]
    fn a_cut_name_that_could_be_two_columns_is_not_guessed() {
        // 32 characters that start two known names would be ambiguous: read past.
        assert!(canonical("meansOfControlRestrictsFinancialAccess").is_some());
        assert_eq!(canonical("meansOfControlXXXXXXXXXXXXXXXXXX"), None);
        assert_eq!(
            canonical("meansOfControlPsychoactiveSubsta").map(|c| c.0),
            Some("meansOfControlPsychoactiveSubstances".to_owned())
        );
    }
}
