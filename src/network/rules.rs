//! The network's vocabulary and validation rules, as plain functions.

use chrono::NaiveDate;

pub const PROVINCES: &[&str] = &["AR", "FI", "GR", "LI", "LU", "MS", "PI", "PT", "PO", "SI"];

/// The name of a Tuscan province from its code (the same in Italian and English).
pub fn province_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "AR" => "Arezzo",
        "FI" => "Firenze",
        "GR" => "Grosseto",
        "LI" => "Livorno",
        "LU" => "Lucca",
        "MS" => "Massa-Carrara",
        "PI" => "Pisa",
        "PT" => "Pistoia",
        "PO" => "Prato",
        "SI" => "Siena",
        _ => return None,
    })
}

pub const ROLE_KINDS: &[&str] = &[
    "capofila",
    "coordinamento_unico",
    "territorial_coordinator",
    "local_network",
    "private_network",
    "legal_advice",
];

/// Governance roles that belong to a province (the others are regional).
pub fn role_needs_province(kind: &str) -> bool {
    matches!(
        kind,
        "territorial_coordinator" | "local_network" | "private_network"
    )
}

pub const SERVICE_KINDS: &[&str] = &[
    "regional_hotline",
    "street_unit",
    "drop_in",
    "emergency_shelter",
    "shelter",
    "semi_autonomy",
    "legal_desk",
    "mediation",
];

/// Housing services have beds and a secret address.
pub fn is_housing(kind: &str) -> bool {
    matches!(kind, "emergency_shelter" | "shelter" | "semi_autonomy")
}

pub const BED_KINDS: &[&str] = &["women", "men", "women_with_children", "transgender"];

/// A validation failure, as the Fluent key of its message.
pub type Invalid = &'static str;

pub fn province(p: &str) -> Result<Option<String>, Invalid> {
    let p = p.trim().to_uppercase();
    if p.is_empty() {
        Ok(None)
    } else if PROVINCES.contains(&p.as_str()) {
        Ok(Some(p))
    } else {
        Err("network-error-province")
    }
}

pub fn governance_role(kind: &str, province_code: &str) -> Result<Option<String>, Invalid> {
    if !ROLE_KINDS.contains(&kind) {
        return Err("network-error-role-kind");
    }
    let province = province(province_code)?;
    match (role_needs_province(kind), &province) {
        (true, None) => Err("network-error-role-province"),
        (false, Some(_)) => Err("network-error-role-regional"),
        _ => Ok(province),
    }
}

/// Bed counts as typed: each a whole number from 0 to 500.
pub fn bed_count(raw: &str) -> Result<i32, Invalid> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(0);
    }
    match raw.parse::<i32>() {
        Ok(n) if (0..=500).contains(&n) => Ok(n),
        Ok(n) if n < 0 => Err("network-error-beds-negative"),
        _ => Err("network-error-beds-number"),
    }
}

/// A date from 1900 to some years ahead (meetings, training and roles may be planned).
pub fn date(raw: &str) -> Result<NaiveDate, Invalid> {
    use crate::platform::time;
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| time::date_in_range(*d, true, time::rome_today()))
        .ok_or("network-error-date")
}

pub fn required_text(raw: &str, max: usize) -> Result<String, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        Err("network-error-required")
    } else if t.chars().count() > max {
        Err("network-error-too-long")
    } else {
        Ok(t.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_are_the_ten_tuscan_ones() {
        assert_eq!(province("fi"), Ok(Some("FI".into())));
        assert_eq!(province(""), Ok(None));
        assert_eq!(province("RM"), Err("network-error-province"));
    }

    #[test]
    fn governance_roles_need_the_right_scope() {
        assert_eq!(
            governance_role("local_network", "PI"),
            Ok(Some("PI".into()))
        );
        assert_eq!(
            governance_role("local_network", ""),
            Err("network-error-role-province")
        );
        assert_eq!(
            governance_role("local_network", "XX"),
            Err("network-error-province")
        );
        assert_eq!(
            governance_role("capofila", "LU"),
            Err("network-error-role-regional")
        );
        assert_eq!(governance_role("capofila", ""), Ok(None));
        assert_eq!(governance_role("king", ""), Err("network-error-role-kind"));
    }

    #[test]
    fn beds_are_never_negative() {
        assert_eq!(bed_count("4"), Ok(4));
        assert_eq!(bed_count(""), Ok(0));
        assert_eq!(bed_count("-1"), Err("network-error-beds-negative"));
        assert_eq!(bed_count("tre"), Err("network-error-beds-number"));
        assert_eq!(bed_count("100000"), Err("network-error-beds-number"));
    }
}
