//! The rules of individual projects, as plain functions: the approval workflow and the budget.

/// Project states.
pub const STATUSES: &[&str] = &[
    "draft",
    "submitted",
    "changes_requested",
    "approved",
    "rejected",
    "active",
    "variation",
    "completed",
    "interrupted",
];

/// Who moves a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The case worker of the owning organisation.
    Owner,
    /// A capofila evaluator.
    Evaluator,
}

/// Why a transition is refused (Fluent keys).
pub type Refusal = &'static str;

/// The workflow: draft → submitted → approved | changes requested | rejected (by an evaluator,
/// with a reason for the last two) → active → completed | interrupted (reason); an active
/// project asks for a variation, which is submitted and approved again.
pub fn transition(from: &str, to: &str, by: Party, reason: &str) -> Result<(), Refusal> {
    let needs_reason = matches!(to, "changes_requested" | "rejected" | "interrupted");
    let allowed = match (from, to) {
        ("draft" | "changes_requested" | "variation", "submitted") => by == Party::Owner,
        ("submitted", "approved" | "changes_requested" | "rejected") => by == Party::Evaluator,
        ("approved", "active") | ("active", "completed" | "interrupted" | "variation") => {
            by == Party::Owner
        }
        _ => false,
    };
    if !allowed {
        return Err(
            if matches!(
                (from, to),
                ("submitted", "approved" | "changes_requested" | "rejected")
            ) {
                "project-error-not-evaluator"
            } else {
                "project-error-transition"
            },
        );
    }
    if needs_reason && reason.trim().is_empty() {
        return Err("project-error-reason");
    }
    Ok(())
}

/// States in which interventions may be added or changed.
pub fn editable(status: &str) -> bool {
    matches!(status, "draft" | "changes_requested" | "variation")
}

/// States whose approved amounts are committed in the budget.
pub fn committed(status: &str) -> bool {
    matches!(
        status,
        "approved" | "active" | "variation" | "completed" | "interrupted"
    )
}

/// An intervention type of the regional catalogue: its cap (cents) and, for rent support, the
/// longest period it may cover.
#[derive(Clone, Copy, Debug)]
pub struct InterventionType {
    pub code: &'static str,
    pub cap_cents: i64,
    pub max_months: Option<i32>,
}

/// The regional catalogue (the seed's priority list). Caps are the network's current ones;
/// changing them is a code change reviewed like any rule.
pub const CATALOGUE: &[InterventionType] = &[
    InterventionType {
        code: "italian_course",
        cap_cents: 150_000,
        max_months: None,
    },
    InterventionType {
        code: "house_search",
        cap_cents: 100_000,
        max_months: None,
    },
    InterventionType {
        code: "furniture",
        cap_cents: 200_000,
        max_months: None,
    },
    InterventionType {
        code: "rent_support",
        cap_cents: 600_000,
        max_months: Some(12),
    },
    InterventionType {
        code: "childcare",
        cap_cents: 300_000,
        max_months: None,
    },
    InterventionType {
        code: "basic_necessities",
        cap_cents: 100_000,
        max_months: None,
    },
    InterventionType {
        code: "vocational_course",
        cap_cents: 250_000,
        max_months: None,
    },
    InterventionType {
        code: "certificates",
        cap_cents: 150_000,
        max_months: None,
    },
    InterventionType {
        code: "accompaniment",
        cap_cents: 200_000,
        max_months: None,
    },
];

impl InterventionType {
    /// The cap, written in euros.
    pub fn cap(&self) -> String {
        format_euros(self.cap_cents)
    }
}

pub fn intervention_type(code: &str) -> Option<InterventionType> {
    CATALOGUE.iter().copied().find(|t| t.code == code)
}

/// An amount typed in euros ("1.250,50", "1250.5", "300") as cents.
pub fn euros(raw: &str) -> Result<i64, Refusal> {
    let t = raw.trim().replace(' ', "");
    if t.is_empty() {
        return Err("project-error-amount");
    }
    let normalised = if t.contains(',') {
        t.replace('.', "").replace(',', ".")
    } else {
        t
    };
    let value: f64 = normalised.parse().map_err(|_| "project-error-amount")?;
    if !value.is_finite() || value <= 0.0 {
        return Err("project-error-amount");
    }
    let cents = (value * 100.0).round();
    if cents > 1e12 {
        return Err("project-error-amount");
    }
    Ok(cents as i64)
}

/// An amount granted, typed in euros: like `euros`, but nothing ("0", "0,00") is a valid
/// grant (a line not funded).
pub fn granted_euros(raw: &str) -> Result<i64, Refusal> {
    let t = raw.trim();
    if !t.is_empty() && t.chars().all(|c| matches!(c, '0' | ',' | '.')) && t.contains('0') {
        return Ok(0);
    }
    euros(t)
}

/// Cents as typed in a form field ("1250,00"), to prefill an amount.
pub fn euros_field(cents: i64) -> String {
    format!("{},{:02}", cents / 100, (cents % 100).abs())
}

pub fn format_euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    let whole = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped},{:02} €", c % 100)
}

/// Checks an intervention against its type's rules.
pub fn check_intervention(kind: &str, cents: i64, months: Option<i32>) -> Result<(), Refusal> {
    let t = intervention_type(kind).ok_or("project-error-kind")?;
    if cents <= 0 {
        return Err("project-error-amount");
    }
    if cents > t.cap_cents {
        return Err("project-error-cap");
    }
    match (t.max_months, months) {
        (Some(_), None) => Err("project-error-months"),
        (Some(max), Some(m)) if m < 1 || m > max => Err("project-error-rent-months"),
        _ => Ok(()),
    }
}

/// An expense fits the approved line: a positive amount within what is left of it.
pub fn check_expense(approved: i64, spent: i64, amount: i64) -> Result<(), Refusal> {
    if approved <= 0 {
        return Err("project-error-not-approved");
    }
    if amount <= 0 {
        return Err("project-error-amount");
    }
    if spent + amount > approved {
        return Err("project-error-over-budget");
    }
    Ok(())
}

/// What the evaluator decides on one line: its id, what was asked, what is granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineDecision {
    pub line: i32,
    pub requested_cents: i64,
    pub approved_cents: i64,
}

/// Checks an approval line by line: each line is granted between nothing and what was asked;
/// something is granted (granting nothing is a rejection); a line granted less than asked
/// needs the reason, which the person who wrote the project reads. Every problem at once,
/// as `(line, message key)` (`line` 0 for the decision as a whole).
pub fn check_approval(lines: &[LineDecision], reason: &str) -> Vec<(i32, Refusal)> {
    let mut problems = Vec::new();
    for l in lines {
        if l.approved_cents < 0 || l.approved_cents > l.requested_cents {
            problems.push((l.line, "project-error-approved-range"));
        }
    }
    if problems.is_empty() && lines.iter().all(|l| l.approved_cents == 0) {
        problems.push((0, "project-error-nothing-approved"));
    }
    let reduced = lines
        .iter()
        .any(|l| l.approved_cents >= 0 && l.approved_cents < l.requested_cents);
    if reduced && reason.trim().is_empty() {
        problems.push((0, "project-error-reduced-reason"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_approval_grants_each_line_at_most_what_was_asked_and_says_why_less() {
        let line = |line, requested_cents, approved_cents| LineDecision {
            line,
            requested_cents,
            approved_cents,
        };
        let asked = [line(1, 100_000, 100_000), line(2, 50_000, 50_000)];
        assert!(
            check_approval(&asked, "").is_empty(),
            "as asked: no reason needed"
        );
        let cut = [line(1, 100_000, 80_000), line(2, 50_000, 50_000)];
        assert_eq!(
            check_approval(&cut, " "),
            [(0, "project-error-reduced-reason")]
        );
        assert!(check_approval(&cut, "Affitto già coperto per due mesi").is_empty());
        let dropped = [line(1, 100_000, 0), line(2, 50_000, 50_000)];
        assert!(check_approval(&dropped, "Non ammissibile").is_empty());
        let over = [line(1, 100_000, 100_001), line(2, 50_000, -1)];
        assert_eq!(
            check_approval(&over, "x"),
            [
                (1, "project-error-approved-range"),
                (2, "project-error-approved-range")
            ]
        );
        let nothing = [line(1, 100_000, 0)];
        assert_eq!(
            check_approval(&nothing, "x"),
            [(0, "project-error-nothing-approved")]
        );
    }

    #[test]
    fn a_grant_may_be_nothing_but_not_blank_nor_negative() {
        assert_eq!(granted_euros("0"), Ok(0));
        assert_eq!(granted_euros(" 0,00 "), Ok(0));
        assert_eq!(granted_euros("1250,50"), Ok(125_050));
        assert_eq!(granted_euros(&euros_field(125_050)), Ok(125_050));
        assert!(granted_euros("").is_err());
        assert!(granted_euros("-5").is_err());
        assert!(granted_euros(",").is_err());
    }

    #[test]
    fn every_transition_by_every_party() {
        let allowed: &[(&str, &str, Party)] = &[
            ("draft", "submitted", Party::Owner),
            ("changes_requested", "submitted", Party::Owner),
            ("variation", "submitted", Party::Owner),
            ("submitted", "approved", Party::Evaluator),
            ("submitted", "changes_requested", Party::Evaluator),
            ("submitted", "rejected", Party::Evaluator),
            ("approved", "active", Party::Owner),
            ("active", "completed", Party::Owner),
            ("active", "interrupted", Party::Owner),
            ("active", "variation", Party::Owner),
        ];
        for from in STATUSES {
            for to in STATUSES {
                for party in [Party::Owner, Party::Evaluator] {
                    let ok = allowed.contains(&(from, to, party));
                    let got = transition(from, to, party, "a reason");
                    assert_eq!(got.is_ok(), ok, "{from} → {to} by {party:?}");
                }
            }
        }
        assert_eq!(
            transition("submitted", "approved", Party::Owner, ""),
            Err("project-error-not-evaluator")
        );
        assert_eq!(
            transition("submitted", "rejected", Party::Evaluator, " "),
            Err("project-error-reason")
        );
        assert_eq!(
            transition("submitted", "changes_requested", Party::Evaluator, ""),
            Err("project-error-reason")
        );
        assert_eq!(
            transition("active", "interrupted", Party::Owner, ""),
            Err("project-error-reason")
        );
        assert_eq!(
            transition("submitted", "approved", Party::Evaluator, ""),
            Ok(())
        );
    }

    #[test]
    fn interventions_respect_caps_and_rent_months() {
        assert_eq!(check_intervention("italian_course", 80_000, None), Ok(()));
        assert_eq!(
            check_intervention("italian_course", 150_001, None),
            Err("project-error-cap")
        );
        assert_eq!(
            check_intervention("italian_course", 0, None),
            Err("project-error-amount")
        );
        assert_eq!(
            check_intervention("rent_support", 400_000, Some(12)),
            Ok(())
        );
        assert_eq!(
            check_intervention("rent_support", 400_000, Some(13)),
            Err("project-error-rent-months")
        );
        assert_eq!(
            check_intervention("rent_support", 400_000, None),
            Err("project-error-months")
        );
        assert_eq!(
            check_intervention("yacht", 1, None),
            Err("project-error-kind")
        );
    }

    #[test]
    fn expenses_stay_within_the_approved_line() {
        assert_eq!(check_expense(100_000, 60_000, 40_000), Ok(()));
        assert_eq!(
            check_expense(100_000, 60_000, 40_001),
            Err("project-error-over-budget")
        );
        assert_eq!(check_expense(0, 0, 10), Err("project-error-not-approved"));
        assert_eq!(check_expense(100_000, 0, -5), Err("project-error-amount"));
    }

    #[test]
    fn euros_are_read_and_written_the_italian_way() {
        assert_eq!(euros("1.250,50"), Ok(125_050));
        assert_eq!(euros("1250.5"), Ok(125_050));
        assert_eq!(euros("300"), Ok(30_000));
        assert_eq!(euros("-3"), Err("project-error-amount"));
        assert_eq!(euros("tanti"), Err("project-error-amount"));
        assert_eq!(format_euros(125_050), "1.250,50 €");
        assert_eq!(format_euros(5), "0,05 €");
    }
}
