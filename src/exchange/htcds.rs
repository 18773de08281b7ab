//! A person's case as a JSON document aligned with IOM's Human Trafficking Case Data Standard
//! (HTCDS v2.0): its field names (`prs_`, `vic_`, `cas_`, `con_` prefixes) and code lists,
//! with a `satis` object holding the exact SATIS values where HTCDS is coarser (so that an
//! export imported again gives back the same record). The JSON Schema is generated from the
//! same lists ([`schema`]) and kept in `docs/schema/htcds-case.schema.json`.
//!
//! Import validates the whole document and reports every wrong field ([`read`]); saving is one
//! transaction (`store`), so nothing is half-imported.

use serde_json::{Map, Value, json};

use crate::cases::rules as cr;

pub const VERSION: &str = "2.0";

/// HTCDS `prs_Gender` codes.
pub const GENDERS: &[&str] = &[
    "Feminine",
    "Masculine",
    "TransgenderFeminine",
    "TransgenderMasculine",
    "NonConforming",
    "NonSpecifiedUnknown",
];

/// HTCDS `vic_TraffickingStatus` codes.
pub const TRAFFICKING_STATUSES: &[&str] = &["Possible", "Actual", "NotAVictim"];

/// HTCDS `vic_TypeOfExploitation` codes.
pub const EXPLOITATION_TYPES: &[&str] = &[
    "ForcedLabour",
    "SexualExploitation",
    "ChildLabour",
    "ForcedMarriage",
    "Servitude",
    "ForcedMilitary",
    "OrganRemoval",
    "Other",
];

pub const CASE_STATUSES: &[&str] = &["Active", "FollowUp", "Closed", "ClosedReferred"];

/// `debt_bondage` → `DebtBondage`: SATIS codes written as HTCDS writes its codes.
pub fn camel(code: &str) -> String {
    code.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn from_camel<'a>(value: &str, codes: &[&'a str]) -> Option<&'a str> {
    codes.iter().copied().find(|c| camel(c) == value)
}

fn gender_to_htcds(g: &str) -> &'static str {
    match g {
        "female" => "Feminine",
        "male" => "Masculine",
        "transgender" | "other" => "NonConforming",
        _ => "NonSpecifiedUnknown",
    }
}

fn gender_from_htcds(g: &str) -> &'static str {
    match g {
        "Feminine" => "female",
        "Masculine" => "male",
        "TransgenderFeminine" | "TransgenderMasculine" => "transgender",
        "NonConforming" => "other",
        _ => "unknown",
    }
}

fn form_to_htcds(f: &str) -> &'static str {
    match f {
        "sexual" => "SexualExploitation",
        "labour" => "ForcedLabour",
        "forced_marriage" => "ForcedMarriage",
        _ => "Other",
    }
}

fn form_from_htcds(f: &str) -> &'static str {
    match f {
        "SexualExploitation" => "sexual",
        "ForcedLabour" | "ChildLabour" | "Servitude" => "labour",
        "ForcedMarriage" => "forced_marriage",
        _ => "other",
    }
}

/// A case as SATIS holds it, in the terms the document needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseRecord {
    pub names: String,
    pub aliases: String,
    pub birth_date: String,
    pub documents: String,
    pub phone: String,
    pub address: String,
    pub gender: String,
    pub birth_year: Option<i32>,
    pub birth_year_estimated: bool,
    pub presumed_minor: bool,
    pub nationalities: Vec<String>,
    pub languages: Vec<String>,
    pub vulnerabilities: String,
    pub phase: String,
    pub closure_reason: Option<String>,
    pub trafficking_status: Option<String>,
    pub exploitation_forms: Vec<String>,
    pub labour_sector: Option<String>,
    pub means_of_control: Vec<String>,
    pub recruitment: Vec<String>,
    pub consent: bool,
}

fn opt_text(s: &str) -> Value {
    if s.is_empty() {
        Value::Null
    } else {
        Value::String(s.to_owned())
    }
}

/// The document for a case.
pub fn document(c: &CaseRecord) -> Value {
    json!({
        "htcds_version": VERSION,
        "prs_FullName": c.names,
        "prs_Alias": opt_text(&c.aliases),
        "prs_Gender": gender_to_htcds(&c.gender),
        "prs_YearOfBirth": c.birth_year,
        "prs_Birthdate": opt_text(&c.birth_date),
        "prs_Citizenship": c.nationalities,
        "prs_PrimaryLanguage": c.languages.first().map(|l| l.to_lowercase()),
        "prs_SecondaryLanguage": c.languages.get(1).map(|l| l.to_lowercase()),
        "prs_IdentityNumber": opt_text(&c.documents),
        "prs_Phone": opt_text(&c.phone),
        "prs_MailingAddress": opt_text(&c.address),
        "vic_TraffickingStatus": c.trafficking_status.as_deref().map(|s| if s == "identified" { "Actual" } else { "Possible" }),
        "vic_TypeOfExploitation": c.exploitation_forms.iter().map(|f| form_to_htcds(f)).collect::<std::collections::BTreeSet<_>>(),
        "vic_ForcedLabourIndustry": c.labour_sector.as_deref().map(camel),
        "vic_MethodsOfControl": c.means_of_control.iter().map(|m| camel(m)).collect::<Vec<_>>(),
        "vic_MethodOfRecruitment": c.recruitment.iter().map(|m| camel(m)).collect::<Vec<_>>(),
        "cas_Status": if c.phase == "closed" { "Closed" } else { "Active" },
        "cas_ReasonForClosure": c.closure_reason.as_deref().map(camel),
        "con_Consent": c.consent,
        "satis": {
            "gender": c.gender,
            "birth_year_estimated": c.birth_year_estimated,
            "presumed_minor": c.presumed_minor,
            "languages": c.languages,
            "vulnerabilities": c.vulnerabilities,
            "phase": c.phase,
            "trafficking_status": c.trafficking_status,
            "exploitation_forms": c.exploitation_forms,
        },
    })
}

/// One wrong field: its JSON path and the Fluent key of what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub key: &'static str,
}

struct Reader<'a> {
    obj: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn err(&mut self, field: &str, key: &'static str) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            key,
        });
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.obj.get(field).filter(|v| !v.is_null())
    }

    fn text(&mut self, field: &str, max: usize, required: bool) -> String {
        match self.get(field) {
            None if required => {
                self.err(field, "htcds-error-required");
                String::new()
            }
            None => String::new(),
            Some(Value::String(s)) if s.chars().count() <= max => {
                if required && s.trim().is_empty() {
                    self.err(field, "htcds-error-required");
                }
                s.trim().to_owned()
            }
            Some(Value::String(_)) => {
                self.err(field, "htcds-error-too-long");
                String::new()
            }
            Some(_) => {
                self.err(field, "htcds-error-type");
                String::new()
            }
        }
    }

    fn code(&mut self, field: &str, allowed: &[&str]) -> Option<String> {
        match self.get(field) {
            None => None,
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
            Some(_) => {
                self.err(field, "htcds-error-code");
                None
            }
        }
    }

    fn list(&mut self, field: &str) -> Vec<String> {
        match self.get(field) {
            None => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, v) in items.iter().enumerate() {
                    match v.as_str() {
                        Some(s) => out.push(s.to_owned()),
                        None => self.err(&format!("{field}[{i}]"), "htcds-error-type"),
                    }
                }
                out
            }
            Some(_) => {
                self.err(field, "htcds-error-type");
                Vec::new()
            }
        }
    }

    fn codes(&mut self, field: &str, satis_codes: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for (i, v) in self.list(field).iter().enumerate() {
            match from_camel(v, satis_codes) {
                Some(c) => out.push(c.to_owned()),
                None => self.err(&format!("{field}[{i}]"), "htcds-error-code"),
            }
        }
        out
    }
}

/// Reads and checks a whole document. Every wrong field is reported, not only the first.
pub fn read(doc: &Value, this_year: i32) -> Result<CaseRecord, Vec<FieldError>> {
    let Some(obj) = doc.as_object() else {
        return Err(vec![FieldError {
            field: "$".into(),
            key: "htcds-error-type",
        }]);
    };
    let mut r = Reader {
        obj,
        errors: Vec::new(),
    };
    let known = [
        "htcds_version",
        "prs_FullName",
        "prs_Alias",
        "prs_Gender",
        "prs_YearOfBirth",
        "prs_Birthdate",
        "prs_Citizenship",
        "prs_PrimaryLanguage",
        "prs_SecondaryLanguage",
        "prs_IdentityNumber",
        "prs_Phone",
        "prs_MailingAddress",
        "vic_TraffickingStatus",
        "vic_TypeOfExploitation",
        "vic_ForcedLabourIndustry",
        "vic_MethodsOfControl",
        "vic_MethodOfRecruitment",
        "cas_Status",
        "cas_ReasonForClosure",
        "con_Consent",
        "satis",
    ];
    for k in obj.keys() {
        if !known.contains(&k.as_str()) {
            r.err(k, "htcds-error-unknown-field");
        }
    }
    if r.code("htcds_version", &[VERSION]).is_none() {
        r.err("htcds_version", "htcds-error-version");
    }
    let mut c = CaseRecord {
        names: r.text("prs_FullName", 200, true),
        aliases: r.text("prs_Alias", 500, false),
        birth_date: r.text("prs_Birthdate", 40, false),
        documents: r.text("prs_IdentityNumber", 500, false),
        phone: r.text("prs_Phone", 40, false),
        address: r.text("prs_MailingAddress", 500, false),
        ..Default::default()
    };
    c.gender = match r.code("prs_Gender", GENDERS) {
        Some(g) => gender_from_htcds(&g).to_owned(),
        None => {
            if r.get("prs_Gender").is_none() {
                r.err("prs_Gender", "htcds-error-required");
            }
            "unknown".into()
        }
    };
    c.birth_year = match r.get("prs_YearOfBirth") {
        None => None,
        Some(v) => match v.as_i64().and_then(|y| i32::try_from(y).ok()) {
            Some(y) if (1900..=this_year).contains(&y) => Some(y),
            _ => {
                r.err("prs_YearOfBirth", "htcds-error-year");
                None
            }
        },
    };
    for (i, n) in r.list("prs_Citizenship").iter().enumerate() {
        if n.len() == 2 && n.chars().all(|ch| ch.is_ascii_uppercase()) {
            c.nationalities.push(n.clone());
        } else {
            r.err(&format!("prs_Citizenship[{i}]"), "htcds-error-country");
        }
    }
    for field in ["prs_PrimaryLanguage", "prs_SecondaryLanguage"] {
        match r.get(field).map(|v| v.as_str()) {
            None => {}
            Some(Some(l)) if l.len() == 2 && l.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                c.languages.push(l.to_uppercase())
            }
            Some(_) => r.err(field, "htcds-error-language"),
        }
    }
    c.trafficking_status = r
        .code("vic_TraffickingStatus", TRAFFICKING_STATUSES)
        .and_then(|s| match s.as_str() {
            "Actual" => Some("identified".to_owned()),
            "Possible" => Some("possible".to_owned()),
            _ => None,
        });
    let mut forms: Vec<String> = Vec::new();
    for (i, f) in r.list("vic_TypeOfExploitation").iter().enumerate() {
        if EXPLOITATION_TYPES.contains(&f.as_str()) {
            let code = form_from_htcds(f).to_owned();
            if !forms.contains(&code) {
                forms.push(code);
            }
        } else {
            r.err(&format!("vic_TypeOfExploitation[{i}]"), "htcds-error-code");
        }
    }
    c.exploitation_forms = forms;
    c.labour_sector = match r.get("vic_ForcedLabourIndustry") {
        None => None,
        Some(v) => match v.as_str().and_then(|s| from_camel(s, cr::LABOUR_SECTORS)) {
            Some(s) => Some(s.to_owned()),
            None => {
                r.err("vic_ForcedLabourIndustry", "htcds-error-code");
                None
            }
        },
    };
    c.means_of_control = r.codes("vic_MethodsOfControl", cr::MEANS_OF_CONTROL);
    c.recruitment = r.codes("vic_MethodOfRecruitment", cr::RECRUITMENT);
    let status = r.code("cas_Status", CASE_STATUSES);
    c.phase = match status.as_deref() {
        Some("Closed" | "ClosedReferred") => "closed".into(),
        _ => "emersion".into(),
    };
    c.closure_reason = match r.get("cas_ReasonForClosure") {
        None => None,
        Some(v) => match v.as_str().and_then(|s| from_camel(s, cr::CLOSURE_REASONS)) {
            Some(s) => Some(s.to_owned()),
            None => {
                r.err("cas_ReasonForClosure", "htcds-error-code");
                None
            }
        },
    };
    c.consent = match r.get("con_Consent") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            r.err("con_Consent", "htcds-error-type");
            false
        }
    };
    // The exact SATIS values, where present, win over the coarser HTCDS codes.
    if let Some(s) = r.get("satis") {
        match s.as_object() {
            None => r.err("satis", "htcds-error-type"),
            Some(s) => satis_extension(&mut r, s, &mut c),
        }
    }
    if c.phase == "closed" && c.closure_reason.is_none() {
        r.err("cas_ReasonForClosure", "htcds-error-required");
    }
    if r.errors.is_empty() {
        Ok(c)
    } else {
        Err(r.errors)
    }
}

fn satis_extension(r: &mut Reader<'_>, s: &Map<String, Value>, c: &mut CaseRecord) {
    let mut sub = Reader {
        obj: s,
        errors: Vec::new(),
    };
    if let Some(g) = sub.code("gender", cr::GENDERS) {
        c.gender = g;
    }
    if let Some(p) = sub.code("phase", &cr::Phase::ALL.map(|p| p.code())) {
        c.phase = p;
    }
    if let Some(t) = sub.code("trafficking_status", cr::TRAFFICKING_STATUSES) {
        c.trafficking_status = Some(t);
    }
    if sub.get("exploitation_forms").is_some() {
        let forms = sub.list("exploitation_forms");
        match cr::codes(&forms, cr::EXPLOITATION_FORMS) {
            Ok(f) => c.exploitation_forms = f,
            Err(_) => sub.err("exploitation_forms", "htcds-error-code"),
        }
    }
    if sub.get("languages").is_some() {
        let mut langs = Vec::new();
        for (i, l) in sub.list("languages").iter().enumerate() {
            if l.len() == 2 && l.chars().all(|ch| ch.is_ascii_alphabetic()) {
                langs.push(l.to_uppercase());
            } else {
                sub.err(&format!("languages[{i}]"), "htcds-error-language");
            }
        }
        c.languages = langs;
    }
    c.vulnerabilities = sub.text("vulnerabilities", 2000, false);
    for (field, target) in [
        ("birth_year_estimated", &mut c.birth_year_estimated),
        ("presumed_minor", &mut c.presumed_minor),
    ] {
        match sub.get(field) {
            None => {}
            Some(Value::Bool(b)) => *target = *b,
            Some(_) => sub.err(field, "htcds-error-type"),
        }
    }
    for e in sub.errors {
        r.errors.push(FieldError {
            field: format!("satis.{}", e.field),
            key: e.key,
        });
    }
}

/// The JSON Schema (draft 2020-12) of the document, from the same code lists.
pub fn schema() -> Value {
    let camels = |codes: &[&str]| codes.iter().map(|c| camel(c)).collect::<Vec<_>>();
    let nullable = |t: &str| json!([t, "null"]);
    let or_null = |codes: Vec<String>| {
        let mut v: Vec<Value> = codes.into_iter().map(Value::String).collect();
        v.push(Value::Null);
        Value::Array(v)
    };
    let owned = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    let trafficking = or_null(owned(TRAFFICKING_STATUSES));
    let industry = or_null(camels(cr::LABOUR_SECTORS));
    let closure = or_null(camels(cr::CLOSURE_REASONS));
    let satis_trafficking = or_null(owned(cr::TRAFFICKING_STATUSES));
    let phases = cr::Phase::ALL.map(|p| p.code());
    let satis = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "gender": {"enum": cr::GENDERS},
            "birth_year_estimated": {"type": "boolean"},
            "presumed_minor": {"type": "boolean"},
            "languages": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z]{2}$"}},
            "vulnerabilities": {"type": "string", "maxLength": 2000},
            "phase": {"enum": phases},
            "trafficking_status": {"enum": satis_trafficking},
            "exploitation_forms": {"type": "array", "items": {"enum": cr::EXPLOITATION_FORMS}},
        }
    });
    let mut properties = json!({
            "htcds_version": {"const": VERSION},
            "prs_FullName": {"type": "string", "minLength": 1, "maxLength": 200},
            "prs_Alias": {"type": nullable("string"), "maxLength": 500},
            "prs_Gender": {"enum": GENDERS},
            "prs_YearOfBirth": {"type": nullable("integer"), "minimum": 1900},
            "prs_Birthdate": {"type": nullable("string"), "maxLength": 40},
            "prs_Citizenship": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z]{2}$"}},
            "prs_PrimaryLanguage": {"type": nullable("string"), "pattern": "^[A-Za-z]{2}$"},
            "prs_SecondaryLanguage": {"type": nullable("string"), "pattern": "^[A-Za-z]{2}$"},
            "prs_IdentityNumber": {"type": nullable("string"), "maxLength": 500},
            "prs_Phone": {"type": nullable("string"), "maxLength": 40},
            "prs_MailingAddress": {"type": nullable("string"), "maxLength": 500},
            "vic_TraffickingStatus": {"enum": trafficking},
            "vic_TypeOfExploitation": {"type": "array", "items": {"enum": EXPLOITATION_TYPES}},
            "vic_ForcedLabourIndustry": {"enum": industry},
            "vic_MethodsOfControl": {"type": "array", "items": {"enum": camels(cr::MEANS_OF_CONTROL)}},
            "vic_MethodOfRecruitment": {"type": "array", "items": {"enum": camels(cr::RECRUITMENT)}},
            "cas_Status": {"enum": CASE_STATUSES},
            "cas_ReasonForClosure": {"enum": closure},
            "con_Consent": {"type": "boolean"}
    });
    if let Some(p) = properties.as_object_mut() {
        p.insert("satis".into(), satis);
    }
    let mut out = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://satis.example/schema/htcds-case.schema.json",
        "title": "SATIS case, HTCDS v2.0 aligned",
        "description": "A person's case as exchanged by SATIS: field names and code lists of IOM's Human Trafficking Case Data Standard v2.0 (prs_ person, vic_ victim context, cas_ case, con_ consent). SATIS keeps one full name (prs_FullName) rather than name parts, a year of birth (prs_YearOfBirth) beside the HTCDS birthdate, and ISO 639-1 language codes. The optional `satis` object carries the exact SATIS values where HTCDS codes are coarser; an importer that does not know it may ignore it.",
        "type": "object",
        "additionalProperties": false,
        "required": ["htcds_version", "prs_FullName", "prs_Gender"],
    });
    if let Some(o) = out.as_object_mut() {
        o.insert("properties".into(), properties);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CaseRecord {
        CaseRecord {
            names: "Prova Riservata".into(),
            gender: "transgender".into(),
            birth_year: Some(1998),
            birth_year_estimated: true,
            nationalities: vec!["NG".into(), "GH".into()],
            languages: vec!["EN".into(), "IT".into(), "FR".into()],
            vulnerabilities: "gravidanza".into(),
            phase: "protection".into(),
            trafficking_status: Some("presumed".into()),
            exploitation_forms: vec!["sexual".into(), "forced_criminality".into()],
            labour_sector: Some("domestic_work".into()),
            means_of_control: vec!["debt_bondage".into(), "withholds_documents".into()],
            recruitment: vec!["job_offer".into()],
            consent: true,
            ..Default::default()
        }
    }

    #[test]
    fn a_document_reads_back_to_the_same_record() {
        let c = sample();
        let doc = document(&c);
        assert_eq!(doc["prs_Gender"], "NonConforming");
        assert_eq!(doc["vic_MethodsOfControl"][0], "DebtBondage");
        assert_eq!(read(&doc, 2026), Ok(c));
    }

    #[test]
    fn a_plain_htcds_document_without_the_satis_object_is_understood() {
        let doc = json!({
            "htcds_version": "2.0",
            "prs_FullName": "Altra Persona",
            "prs_Gender": "TransgenderMasculine",
            "prs_Citizenship": ["RO"],
            "prs_PrimaryLanguage": "ro",
            "vic_TraffickingStatus": "Actual",
            "vic_TypeOfExploitation": ["ForcedLabour", "ChildLabour"],
            "cas_Status": "Active",
        });
        let c = read(&doc, 2026).unwrap();
        assert_eq!(c.gender, "transgender");
        assert_eq!(c.trafficking_status.as_deref(), Some("identified"));
        assert_eq!(c.exploitation_forms, vec!["labour"]);
        assert_eq!(c.languages, vec!["RO"]);
        assert_eq!(c.phase, "emersion");
    }

    #[test]
    fn every_wrong_field_is_listed() {
        let doc = json!({
            "htcds_version": "1.0",
            "prs_Gender": "Robot",
            "prs_YearOfBirth": 3000,
            "prs_Citizenship": ["Nigeria", "NG"],
            "vic_TypeOfExploitation": ["Piracy"],
            "vic_MethodsOfControl": ["DebtBondage", "MindControl"],
            "cas_Status": "Closed",
            "con_Consent": "yes",
            "favourite_colour": "blue",
            "satis": {"phase": "limbo"},
        });
        let errors = read(&doc, 2026).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "htcds_version",
            "prs_FullName",
            "prs_Gender",
            "prs_YearOfBirth",
            "prs_Citizenship[0]",
            "vic_TypeOfExploitation[0]",
            "vic_MethodsOfControl[1]",
            "cas_ReasonForClosure",
            "con_Consent",
            "favourite_colour",
            "satis.phase",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(!fields.contains(&"vic_MethodsOfControl[0]"));
    }

    #[test]
    fn the_schema_in_the_repository_is_the_one_the_code_generates() {
        let file: Value =
            serde_json::from_str(include_str!("../../docs/schema/htcds-case.schema.json")).unwrap();
        assert_eq!(
            file,
            schema(),
            "regenerate with: cargo run -- export htcds-schema > docs/schema/htcds-case.schema.json"
        );
        // Every field a document has is described.
        let doc = document(&sample());
        let props = schema()["properties"].as_object().unwrap().clone();
        for k in doc.as_object().unwrap().keys() {
            assert!(props.contains_key(k), "{k}");
        }
    }
}
