//! The export for the national anti-trafficking database (SIRIT, domain.md §2.1): one row per
//! person in charge during a period, in the categories SIRIT collects (taking in charge,
//! exploitation profile, accommodation, permit route, closure), pseudonymous (the person's
//! code, never a name) and written through a mapping from SATIS codes to the national codes.
//!
//! SIRIT's code lists are not public (domain.md §2.1), so the mapping is configurable: the
//! built-in one writes SATIS's own codes; a TOML file given with `--mapping` replaces, field by
//! field, any code with the national one (`[gender] female = "F"`). A mapping naming a field or
//! a SATIS code that does not exist is refused, naming it.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use sea_orm::{ConnectionTrait, DbErr};

use crate::cases::rules as cr;

/// The fields whose values are mapped, with every SATIS code each can hold.
pub fn mapped_fields() -> Vec<(&'static str, Vec<&'static str>)> {
    let phases: Vec<&'static str> = cr::Phase::ALL.iter().map(|p| p.code()).collect();
    vec![
        ("gender", cr::GENDERS.to_vec()),
        ("phase", phases),
        ("exploitation", cr::EXPLOITATION_FORMS.to_vec()),
        ("sector", cr::LABOUR_SECTORS.to_vec()),
        (
            "accommodation",
            vec!["emergency_shelter", "shelter", "semi_autonomy", "none"],
        ),
        ("permit", cr::PERMIT_KINDS.to_vec()),
        ("closure", cr::CLOSURE_REASONS.to_vec()),
        ("trafficking_status", cr::TRAFFICKING_STATUSES.to_vec()),
    ]
}

/// SATIS code → national code, per field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping(BTreeMap<String, BTreeMap<String, String>>);

impl Mapping {
    /// Reads a TOML mapping; every problem is listed.
    pub fn from_toml(text: &str) -> Result<Mapping, Vec<String>> {
        let table: BTreeMap<String, BTreeMap<String, String>> =
            toml::from_str(text).map_err(|e| vec![format!("not a mapping: {}", e.message())])?;
        let fields = mapped_fields();
        let mut errors = Vec::new();
        for (field, codes) in &table {
            match fields.iter().find(|(f, _)| f == field) {
                None => errors.push(format!(
                    "[{field}] is not a mapped field (use {})",
                    fields
                        .iter()
                        .map(|(f, _)| *f)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
                Some((_, known)) => {
                    for code in codes.keys() {
                        if !known.contains(&code.as_str()) {
                            errors.push(format!(
                                "[{field}] {code}: not a SATIS code (use {})",
                                known.join(", ")
                            ));
                        }
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(Mapping(table))
        } else {
            Err(errors)
        }
    }

    pub fn map(&self, field: &str, code: &str) -> String {
        self.0
            .get(field)
            .and_then(|m| m.get(code))
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    fn map_list(&self, field: &str, codes: &str) -> String {
        crate::platform::codes::iter(codes)
            .map(|c| self.map(field, c))
            .collect::<Vec<_>>()
            .join(";")
    }
}

pub const COLUMNS: &[&str] = &[
    "person_code",
    "organisation",
    "province",
    "gender",
    "birth_year",
    "minor_at_start",
    "nationality",
    "taken_in_charge_on",
    "phase",
    "trafficking_status",
    "exploitation",
    "sector",
    "accommodation",
    "permit",
    "closed_on",
    "closure",
];

fn cell(v: &str) -> String {
    if v.contains([',', '"', '\n', ';']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// The file: one row per case open at some time in `[from, to]`.
pub async fn export(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    mapping: &Mapping,
) -> Result<String, DbErr> {
    let orgs: HashMap<i32, crate::network::Organisation> = crate::network::organisations(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let services: HashMap<i32, String> = crate::network::services(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.kind))
        .collect();
    let mut out = COLUMNS.join(",");
    out.push('\n');
    for counted in crate::cases::counted_cases(db).await? {
        let (c, p) = (&counted.case, &counted.person);
        let opened = crate::platform::time::rome_date(c.opened_at);
        let closed = c.closed_at.map(crate::platform::time::rome_date);
        if opened > to || closed.is_some_and(|d| d < from) {
            continue;
        }
        let org = orgs.get(&c.owner_org);
        let minor = p.presumed_minor || p.birth_year.is_some_and(|y| opened.year() - y < 18);
        let accommodation = counted
            .placements
            .iter()
            .max_by_key(|p| p.since)
            .and_then(|p| services.get(&p.service_id).cloned())
            .filter(|k| crate::network::rules::is_housing(k))
            .unwrap_or_else(|| "none".into());
        let permit = counted
            .permits
            .iter()
            .max_by_key(|p| p.id)
            .map(|p| mapping.map("permit", &p.kind))
            .unwrap_or_default();
        let row = [
            p.code.clone(),
            org.map(|o| o.name.clone()).unwrap_or_default(),
            org.and_then(|o| o.province.clone()).unwrap_or_default(),
            mapping.map("gender", &p.gender),
            p.birth_year.map(|y| y.to_string()).unwrap_or_default(),
            if minor { "1" } else { "0" }.to_owned(),
            crate::platform::codes::first(&p.nationalities).to_owned(),
            opened.to_string(),
            mapping.map("phase", &c.phase),
            c.trafficking_status
                .as_deref()
                .map(|s| mapping.map("trafficking_status", s))
                .unwrap_or_default(),
            mapping.map_list("exploitation", &c.exploitation_forms),
            c.labour_sector
                .as_deref()
                .map(|s| mapping.map("sector", s))
                .unwrap_or_default(),
            mapping.map("accommodation", &accommodation),
            permit,
            closed.map(|d| d.to_string()).unwrap_or_default(),
            c.closure_reason
                .as_deref()
                .map(|r| mapping.map("closure", r))
                .unwrap_or_default(),
        ];
        out.push_str(&row.iter().map(|v| cell(v)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapping_replaces_codes_field_by_field() {
        let m = Mapping::from_toml(
            "[gender]\nfemale = \"F\"\nmale = \"M\"\n[closure]\ntransfer = \"MESSA_IN_RETE\"\n",
        )
        .unwrap();
        assert_eq!(m.map("gender", "female"), "F");
        assert_eq!(
            m.map("gender", "transgender"),
            "transgender",
            "unmapped codes stay"
        );
        assert_eq!(m.map("closure", "transfer"), "MESSA_IN_RETE");
        assert_eq!(m.map_list("exploitation", "sexual,labour"), "sexual;labour");
    }

    #[test]
    fn a_mapping_naming_unknown_fields_or_codes_is_refused_with_every_problem() {
        let errors =
            Mapping::from_toml("[religion]\nx = \"y\"\n[gender]\nrobot = \"R\"\n").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("[gender] robot"));
        assert!(errors[1].contains("[religion]"));
        assert!(Mapping::from_toml("gender = 3").is_err());
    }
}
