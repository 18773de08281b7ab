//! Historical records from a CSV file whose columns carry HTCDS v2.0 field names (one person per
//! row; multi-select values separated by `;`). Only what a pseudonymous historical record
//! keeps is read: the registration year (from `cas_IncomingDate`), gender, citizenship, country
//! of exploitation, forms and sectors of exploitation, means of control, recruitment, and
//! whether the person was a minor when registered (from `prs_Birthdate`, which is not kept).
//! Names, contacts and other identifying columns are refused, so that they never enter.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::ctdc::{Format, HeaderError, Row, RowError, missing};
use super::htcds;

pub const REQUIRED: &[&str] = &[
    "cas_IncomingDate",
    "prs_Gender",
    "prs_Citizenship",
    "vic_TypeOfExploitation",
];

pub const OPTIONAL: &[&str] = &[
    "prs_Birthdate",
    "vic_LocationOfExploitation",
    "vic_MethodsOfControl",
    "vic_ForcedLabourIndustry",
    "vic_TypeOfSexExploitation",
    "vic_MethodOfRecruitment",
    "cas_Datasource",
];

/// HTCDS sexual exploitation types and the CTDC column suffix each is kept as.
const SEX_TYPES: &[(&str, &str)] = &[
    ("Prostitution", "Prostitution"),
    ("Pornography", "Pornography"),
    ("RemoteInteractiveServices", "RemoteInteractiveServices"),
    ("PrivateSexualServices", "PrivateSexualServices"),
];

pub struct Layout {
    index: HashMap<String, usize>,
}

impl Layout {
    fn get<'a>(&self, record: &'a [&'a str], column: &str) -> &'a str {
        self.index
            .get(column)
            .and_then(|i| record.get(*i))
            .map(|v| v.trim())
            .unwrap_or("")
    }

    fn multi<'a>(&self, record: &'a [&'a str], column: &str) -> Vec<&'a str> {
        let v = self.get(record, column);
        if missing(v) {
            return Vec::new();
        }
        v.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

fn bad(column: &str, value: &str, key: &'static str) -> RowError {
    RowError {
        column: column.to_owned(),
        value: value.to_owned(),
        key,
    }
}

impl Format for Layout {
    fn layout(header: &[&str]) -> Result<Self, Vec<HeaderError>> {
        let mut errors = Vec::new();
        let mut index = HashMap::new();
        for (i, raw) in header.iter().enumerate() {
            let name = raw.trim().trim_start_matches('\u{feff}');
            if !REQUIRED.contains(&name) && !OPTIONAL.contains(&name) {
                errors.push(HeaderError::Unknown(name.to_owned()));
            } else if index.insert(name.to_owned(), i).is_some() {
                errors.push(HeaderError::Duplicate(name.to_owned()));
            }
        }
        for r in REQUIRED {
            if !index.contains_key(*r) {
                errors.push(HeaderError::Missing((*r).to_owned()));
            }
        }
        if errors.is_empty() {
            Ok(Layout { index })
        } else {
            Err(errors)
        }
    }

    fn row(&self, record: &[&str], this_year: i32) -> Result<Row, RowError> {
        let date_raw = self.get(record, "cas_IncomingDate");
        let registered = NaiveDate::parse_from_str(date_raw, "%Y-%m-%d")
            .ok()
            .filter(|d| (1990..=this_year).contains(&d.year()))
            .ok_or_else(|| bad("cas_IncomingDate", date_raw, "import-error-date"))?;
        let gender_raw = self.get(record, "prs_Gender");
        let gender = if missing(gender_raw) {
            "unknown"
        } else if htcds::GENDERS.contains(&gender_raw) {
            match gender_raw {
                "Feminine" => "female",
                "Masculine" => "male",
                "TransgenderFeminine" | "TransgenderMasculine" => "transgender",
                _ => "unknown",
            }
        } else {
            return Err(bad("prs_Gender", gender_raw, "import-error-code"));
        };
        let country = |column: &str| -> Result<String, RowError> {
            let v = self.get(record, column);
            if missing(v) {
                Ok(String::new())
            } else if v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic()) {
                Ok(v.to_uppercase())
            } else {
                Err(bad(column, v, "import-error-country"))
            }
        };
        // HTCDS citizenship is multi-select; a historical record keeps the first.
        let citizenship = match self.multi(record, "prs_Citizenship").first() {
            None => String::new(),
            Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                c.to_uppercase()
            }
            Some(c) => return Err(bad("prs_Citizenship", c, "import-error-country")),
        };
        let mut forms: Vec<&'static str> = Vec::new();
        for t in self.multi(record, "vic_TypeOfExploitation") {
            let form = match t {
                "ForcedLabour" | "ChildLabour" | "Servitude" => "forced_labour",
                "SexualExploitation" => "sexual",
                "ForcedMarriage" => "forced_marriage",
                "ForcedMilitary" => "forced_military",
                "OrganRemoval" => "organ_removal",
                "Other" => "other",
                _ => return Err(bad("vic_TypeOfExploitation", t, "import-error-code")),
            };
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        let pick =
            |column: &str, allowed: &[&'static str]| -> Result<Vec<&'static str>, RowError> {
                let mut out = Vec::new();
                for v in self.multi(record, column) {
                    match allowed.iter().find(|a| **a == v) {
                        Some(a) => out.push(*a),
                        None => return Err(bad(column, v, "import-error-code")),
                    }
                }
                Ok(out)
            };
        let sex: Vec<&'static str> = SEX_TYPES.iter().map(|(h, _)| *h).collect();
        let majority = match self.get(record, "prs_Birthdate") {
            v if missing(v) => String::new(),
            v => {
                let born = NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| bad("prs_Birthdate", v, "import-error-date"))?;
                let adult = registered.years_since(born).is_some_and(|y| y >= 18);
                if adult { "Adult" } else { "Minor" }.to_owned()
            }
        };
        let datasource = self.get(record, "cas_Datasource");
        Ok(Row {
            year: registered.year(),
            datasource: if missing(datasource) {
                String::new()
            } else {
                datasource.chars().take(60).collect()
            },
            gender: gender.to_owned(),
            majority,
            citizenship,
            country_of_exploitation: country("vic_LocationOfExploitation")?,
            forms,
            labour_types: pick("vic_ForcedLabourIndustry", super::ctdc::LABOUR_TYPES)?,
            sex_types: pick("vic_TypeOfSexExploitation", &sex)?,
            means_of_control: pick("vic_MethodsOfControl", super::ctdc::MEANS_OF_CONTROL)?,
            recruiter_relations: Vec::new(),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn an_htcds_csv_reads_into_historical_rows_and_refuses_identifying_columns() {
        let data = "cas_IncomingDate,prs_Gender,prs_Citizenship,vic_TypeOfExploitation,prs_Birthdate,vic_MethodsOfControl\n\
                    2021-03-04,Feminine,NG;GH,SexualExploitation;ForcedLabour,2005-01-01,DebtBondage;Threats\n\
                    2022-07-01,-99,,Other,,\n";
        let p =
            super::super::ctdc::plan_as::<Layout>(data.as_bytes(), &HashSet::new(), 2026, |_| {})
                .unwrap();
        assert!(p.rejected.is_empty(), "{:?}", p.rejected);
        let (_, a) = &p.new[0];
        assert_eq!(
            (
                a.year,
                a.gender.as_str(),
                a.citizenship.as_str(),
                a.majority.as_str()
            ),
            (2021, "female", "NG", "Minor")
        );
        assert_eq!(a.forms, vec!["sexual", "forced_labour"]);
        assert_eq!(a.means_of_control, vec!["DebtBondage", "Threats"]);
        let (_, b) = &p.new[1];
        assert_eq!(
            (b.gender.as_str(), b.forms.clone()),
            ("unknown", vec!["other"])
        );
        let named =
            "cas_IncomingDate,prs_Gender,prs_Citizenship,vic_TypeOfExploitation,prs_FullName\n";
        match super::super::ctdc::plan_as::<Layout>(named.as_bytes(), &HashSet::new(), 2026, |_| {})
        {
            Err(super::super::ctdc::FileError::Header(e)) => {
                assert_eq!(e, vec![HeaderError::Unknown("prs_FullName".into())]);
            }
            other => panic!("{other:?}"),
        }
        let wrong = "cas_IncomingDate,prs_Gender,prs_Citizenship,vic_TypeOfExploitation\n2021-13-01,Feminine,NG,Other\n2021-01-01,Robot,NG,Other\n";
        let p =
            super::super::ctdc::plan_as::<Layout>(wrong.as_bytes(), &HashSet::new(), 2026, |_| {})
                .unwrap();
        let keys: Vec<&str> = p.rejected.iter().map(|(_, e)| e.key).collect();
        assert_eq!(keys, vec!["import-error-date", "import-error-code"]);
    }
}
