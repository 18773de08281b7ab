//! The access policy: the one place that decides whether an actor may do something.
//! Default deny. Handlers and the route table ask here; nothing else grants access.
//!
//! Two levels:
//! - [`Permission`]: what a role may do at all (checked for every route, see `web::routes`);
//! - [`decide`]: whether an actor may act on one protected record, by its owning organisation,
//!   the organisations it is shared with, and emergency ("break-glass") grants.

use chrono::{DateTime, Utc};

/// A role held through a membership in an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    HotlineOperator,
    OutreachOperator,
    CaseWorker,
    Mediator,
    TerritorialCoordinator,
    CapofilaEvaluator,
    RegionalAnalyst,
    Administrator,
    Auditor,
    /// The network's communication staff ("redazione"): news for the public, nothing else.
    Editor,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::HotlineOperator,
        Role::OutreachOperator,
        Role::CaseWorker,
        Role::Mediator,
        Role::TerritorialCoordinator,
        Role::CapofilaEvaluator,
        Role::RegionalAnalyst,
        Role::Administrator,
        Role::Auditor,
        Role::Editor,
    ];

    /// The stable code stored in the database and used in Fluent keys (`role-<code>`).
    pub fn code(self) -> &'static str {
        match self {
            Role::HotlineOperator => "hotline_operator",
            Role::OutreachOperator => "outreach_operator",
            Role::CaseWorker => "case_worker",
            Role::Mediator => "mediator",
            Role::TerritorialCoordinator => "territorial_coordinator",
            Role::CapofilaEvaluator => "capofila_evaluator",
            Role::RegionalAnalyst => "regional_analyst",
            Role::Administrator => "administrator",
            Role::Auditor => "auditor",
            Role::Editor => "editor",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The Fluent key of the role's name.
    pub fn label_key(self) -> String {
        format!("role-{}", self.code().replace('_', "-"))
    }
}

/// What a role may do at all, independent of any record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Create organisations and users, grant and revoke roles, disable accounts, reset MFA.
    ManageUsers,
    /// Read the audit trail.
    ReadAudit,
    /// Open emergency access to a record of another organisation, with a reason.
    BreakGlass,
    /// Review emergency accesses after the fact.
    ReviewBreakGlass,
    /// Work with case-like records of one's own organisation (people, cases, contacts…).
    WorkOnRecords,
    /// See aggregate statistics only.
    ReadAggregates,
    /// Edit the network registry: organisations, governance roles, services (territorial
    /// coordinators only within their own province, see [`may_act_in_province`]).
    EditNetwork,
    /// Record local-network meetings and training events (coordinators: own province only).
    RecordMeetings,
    /// See the secret addresses of shelters and other housing.
    SeeShelterAddresses,
    /// Read a person's identity data (names, documents, phone…) on a record one may see.
    SeeIdentity,
    /// Send a record's data to another organisation: share a case, record the consent that
    /// allows sharing or transfer, export a case document. Held only by roles that may see
    /// identities (what a role cannot read, it must not be able to send away).
    Disclose,
    /// Work the hotline desk: contacts, mediators, emergencies, shift notes, its report.
    Hotline,
    /// Write or evaluate individual projects.
    Projects,
    /// Decide on submitted projects (approve, ask for changes, reject).
    EvaluateProjects,
    /// Read project budgets in aggregate.
    ProjectBudgets,
    /// Create project editions with their budgets.
    ManageEditions,
    /// Record street-unit outings, drop-in interviews and accompaniments; keep the places list.
    Outreach,
    /// Read the outreach report of any unit or province.
    OutreachReport,
    /// Propose, receive and decide transfers of people (referrals).
    Referrals,
    /// Read every note of a case one may read (others read only the notes they wrote).
    ReadCaseNotes,
    /// Keep one's own desk of mediation requests assigned to one's account and record their
    /// outcome.
    Mediate,
    /// See everything due in one's organisation, for whomever it is, and what was done with it
    /// (the team view of the to-do inbox).
    TeamInbox,
    /// Subscribe one's own organisation's systems to webhooks, see their deliveries and send
    /// them again ([`may_manage_webhooks`]).
    ManageWebhooks,
    /// Write, review, schedule and withdraw the network's public news (`news::rules`: a
    /// second editor reviews what the first wrote).
    EditNews,
    /// Decide whether two person records of different bodies are the same person (the
    /// linkage review queue), for pairs whose identities one may read on both sides
    /// ([`decide`] with `ReadIdentity` on each): held only by roles that see identities.
    ReviewLinks,
}

/// Whether `role` carries `permission`. The table every route decision comes from.
pub fn role_has(role: Role, permission: Permission) -> bool {
    use Permission as P;
    use Role as R;
    match permission {
        P::ManageUsers => role == R::Administrator,
        P::ReadAudit => role == R::Auditor,
        P::BreakGlass => role == R::HotlineOperator,
        // The DPO (auditor) reviews emergency accesses too.
        P::ReviewBreakGlass => matches!(
            role,
            R::TerritorialCoordinator | R::CapofilaEvaluator | R::Auditor
        ),
        P::WorkOnRecords => matches!(
            role,
            R::HotlineOperator
                | R::OutreachOperator
                | R::CaseWorker
                | R::Mediator
                | R::TerritorialCoordinator
        ),
        P::ReadAggregates => matches!(
            role,
            R::RegionalAnalyst | R::TerritorialCoordinator | R::CapofilaEvaluator
        ),
        P::EditNetwork | P::RecordMeetings => {
            matches!(role, R::Administrator | R::TerritorialCoordinator)
        }
        P::SeeShelterAddresses | P::SeeIdentity | P::Disclose => {
            matches!(role, R::HotlineOperator | R::CaseWorker)
        }
        P::Hotline => role == R::HotlineOperator,
        P::Projects => matches!(role, R::CaseWorker | R::CapofilaEvaluator),
        P::EvaluateProjects => role == R::CapofilaEvaluator,
        P::ProjectBudgets => matches!(role, R::CapofilaEvaluator | R::RegionalAnalyst),
        P::ManageEditions => matches!(role, R::CapofilaEvaluator | R::Administrator),
        P::Outreach => role == R::OutreachOperator,
        P::OutreachReport => matches!(role, R::OutreachOperator | R::TerritorialCoordinator),
        P::Referrals => matches!(role, R::CaseWorker | R::HotlineOperator),
        P::ReadCaseNotes => matches!(role, R::CaseWorker | R::HotlineOperator),
        P::Mediate => role == R::Mediator,
        P::TeamInbox => matches!(role, R::TerritorialCoordinator | R::Administrator),
        P::ManageWebhooks => role == R::Administrator,
        P::EditNews => role == R::Editor,
        P::ReviewLinks => matches!(role, R::CaseWorker | R::HotlineOperator),
    }
}

/// Whether `actor` may read public reports (their texts, the reporters' contacts, the
/// conversation): a hotline operator of one of the `readers` organisations — by default the
/// organisations that run the regional hotline service, or those configured in
/// `reports.readers`. Hotline operators of other organisations do not.
pub fn may_read_public_reports(actor: &Actor, readers: &[i32]) -> bool {
    actor.can(Permission::Hotline) && actor.organisation_id.is_some_and(|o| readers.contains(&o))
}

/// Whether `actor` may read and close a mediation request assigned to `assigned` (an
/// account): only the mediator it is assigned to, while she holds the mediator role.
pub fn may_record_mediation(actor: &Actor, assigned: Option<i32>) -> bool {
    actor.can(Permission::Mediate) && assigned == Some(actor.user_id)
}

/// Whether `actor`, already allowed to read a case, may read the text of one of its notes
/// written by `author`. Notes hold what a person confided: the case workers and the hotline
/// (the roles that hold the person's story) read them all; a mediator, a street-unit operator
/// or a coordinator working on the case reads the notes they wrote themselves, and sees that
/// the others exist (kind and date) without their text.
pub fn may_read_note(actor: &Actor, author: i32) -> bool {
    actor.user_id == author || actor.can(Permission::ReadCaseNotes)
}

/// Whether `actor` may manage the webhooks of `organisation`: an administrator of that very
/// organisation (an administrator of the Region does not see a partner's integrations).
pub fn may_manage_webhooks(actor: &Actor, organisation: i32) -> bool {
    actor.can(Permission::ManageWebhooks) && actor.organisation_id == Some(organisation)
}

/// Whether the actor may use `permission` for something in `province` (`None`: regional).
/// Administrators act everywhere; territorial coordinators only in their organisation's
/// province; nobody else.
pub fn may_act_in_province(actor: &Actor, permission: Permission, province: Option<&str>) -> bool {
    actor.roles.iter().any(|role| {
        role_has(*role, permission)
            && match role {
                Role::Administrator => true,
                Role::TerritorialCoordinator => {
                    province.is_some() && actor.province.as_deref() == province
                }
                _ => false,
            }
    })
}

/// Who is acting: a signed-in user working for one organisation with its roles there.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i32,
    pub username: String,
    pub organisation_id: Option<i32>,
    /// The province of the actor's organisation, if it has one.
    pub province: Option<String>,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        self.roles.iter().any(|r| role_has(*r, permission))
    }
}

/// What is being done to a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Write,
    /// Reading the identity data (names, documents…) of a person.
    ReadIdentity,
}

/// A case-like record as the policy sees it.
#[derive(Clone, Debug)]
pub struct Resource {
    pub owner_organisation_id: i32,
    /// Organisations it has been explicitly shared with (for example by an accepted referral).
    pub shared_with: Vec<i32>,
}

/// An emergency grant held by the actor on this record.
#[derive(Clone, Copy, Debug)]
pub struct EmergencyGrant {
    pub expires_at: DateTime<Utc>,
}

/// The verdict, with the basis that is written to the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow(Basis),
    Deny,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    Owner,
    Shared,
    Emergency,
}

impl Decision {
    pub fn allowed(self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

/// Decides whether `actor` may do `action` on `resource` at `now`.
///
/// A record is visible to its owning organisation and to organisations it is shared with, for
/// roles that work on records; an unexpired emergency grant opens it to its holder (read only).
/// Analysts, administrators and auditors see no record through this path.
pub fn decide(
    actor: &Actor,
    action: Action,
    resource: &Resource,
    emergency: Option<EmergencyGrant>,
    now: DateTime<Utc>,
) -> Decision {
    if !actor.can(Permission::WorkOnRecords)
        || (action == Action::ReadIdentity && !actor.can(Permission::SeeIdentity))
    {
        return Decision::Deny;
    }
    let Some(org) = actor.organisation_id else {
        return Decision::Deny;
    };
    if org == resource.owner_organisation_id {
        return Decision::Allow(Basis::Owner);
    }
    if resource.shared_with.contains(&org) {
        return Decision::Allow(Basis::Shared);
    }
    if let Some(grant) = emergency
        && action != Action::Write
        && grant.expires_at > now
        && actor.can(Permission::BreakGlass)
    {
        return Decision::Allow(Basis::Emergency);
    }
    Decision::Deny
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn actor(role: Role, org: i32) -> Actor {
        Actor {
            user_id: 1,
            username: "u".into(),
            organisation_id: Some(org),
            province: Some("FI".into()),
            roles: vec![role],
        }
    }

    #[test]
    fn a_mediation_is_read_and_closed_by_the_mediator_it_is_assigned_to_only() {
        let mediator = actor(Role::Mediator, 1);
        assert!(may_record_mediation(&mediator, Some(1)));
        assert!(!may_record_mediation(&mediator, Some(2)), "a colleague's");
        assert!(!may_record_mediation(&mediator, None), "not assigned yet");
        let operator = actor(Role::HotlineOperator, 1);
        assert!(
            !may_record_mediation(&operator, Some(1)),
            "assigned to an account that no longer holds the mediator role"
        );
    }

    #[test]
    fn coordinators_act_in_their_own_province_only() {
        let coord = actor(Role::TerritorialCoordinator, 1);
        assert!(may_act_in_province(
            &coord,
            Permission::RecordMeetings,
            Some("FI")
        ));
        assert!(!may_act_in_province(
            &coord,
            Permission::RecordMeetings,
            Some("PI")
        ));
        assert!(!may_act_in_province(&coord, Permission::EditNetwork, None));
        let admin = actor(Role::Administrator, 1);
        assert!(may_act_in_province(
            &admin,
            Permission::RecordMeetings,
            Some("PI")
        ));
        assert!(may_act_in_province(&admin, Permission::EditNetwork, None));
        assert!(!may_act_in_province(
            &actor(Role::CaseWorker, 1),
            Permission::RecordMeetings,
            Some("FI")
        ));
    }

    #[test]
    fn only_roles_that_see_identities_may_send_data_away() {
        for role in Role::ALL {
            for p in [Permission::Disclose, Permission::Referrals] {
                if role_has(role, p) {
                    assert!(role_has(role, Permission::SeeIdentity), "{role:?} {p:?}");
                }
            }
        }
        assert!(!role_has(Role::Mediator, Permission::Disclose));
        assert!(!role_has(Role::OutreachOperator, Permission::Disclose));
        assert!(role_has(Role::CaseWorker, Permission::Disclose));
    }

    #[test]
    fn notes_are_read_by_their_author_and_the_roles_that_hold_the_story() {
        for role in Role::ALL {
            let me = actor(role, 1);
            assert!(may_read_note(&me, me.user_id), "{role:?} own note");
            assert_eq!(
                may_read_note(&me, me.user_id + 1),
                matches!(role, Role::CaseWorker | Role::HotlineOperator),
                "{role:?} a colleague's note"
            );
        }
    }

    #[test]
    fn public_reports_are_read_by_the_hotline_of_the_reading_organisations_only() {
        for role in Role::ALL {
            assert_eq!(
                may_read_public_reports(&actor(role, 1), &[1]),
                role == Role::HotlineOperator,
                "{role:?}"
            );
            assert!(!may_read_public_reports(&actor(role, 2), &[1]), "{role:?}");
        }
        assert!(!may_read_public_reports(
            &actor(Role::HotlineOperator, 1),
            &[]
        ));
    }

    #[test]
    fn role_codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn records_are_visible_to_owner_and_shared_organisations_only() {
        let now = Utc::now();
        let rec = Resource {
            owner_organisation_id: 1,
            shared_with: vec![2],
        };
        for role in Role::ALL {
            for action in [Action::Read, Action::Write, Action::ReadIdentity] {
                let works = role_has(role, Permission::WorkOnRecords)
                    && (action != Action::ReadIdentity || role_has(role, Permission::SeeIdentity));
                assert_eq!(
                    decide(&actor(role, 1), action, &rec, None, now).allowed(),
                    works,
                    "{role:?} owner"
                );
                assert_eq!(
                    decide(&actor(role, 2), action, &rec, None, now).allowed(),
                    works,
                    "{role:?} shared"
                );
                assert!(
                    !decide(&actor(role, 3), action, &rec, None, now).allowed(),
                    "{role:?} stranger"
                );
            }
        }
    }

    #[test]
    fn analysts_administrators_and_auditors_never_see_records() {
        let now = Utc::now();
        let rec = Resource {
            owner_organisation_id: 1,
            shared_with: vec![],
        };
        for role in [
            Role::RegionalAnalyst,
            Role::Administrator,
            Role::Auditor,
            Role::CapofilaEvaluator,
        ] {
            assert_eq!(
                decide(&actor(role, 1), Action::Read, &rec, None, now),
                Decision::Deny
            );
        }
    }

    #[test]
    fn emergency_access_is_read_only_time_limited_and_for_hotline_only() {
        let now = Utc::now();
        let rec = Resource {
            owner_organisation_id: 1,
            shared_with: vec![],
        };
        let live = Some(EmergencyGrant {
            expires_at: now + Duration::minutes(30),
        });
        let expired = Some(EmergencyGrant {
            expires_at: now - Duration::seconds(1),
        });
        let hotline = actor(Role::HotlineOperator, 9);
        assert_eq!(
            decide(&hotline, Action::Read, &rec, live, now),
            Decision::Allow(Basis::Emergency)
        );
        assert_eq!(
            decide(&hotline, Action::ReadIdentity, &rec, live, now),
            Decision::Allow(Basis::Emergency)
        );
        assert_eq!(
            decide(&hotline, Action::Write, &rec, live, now),
            Decision::Deny
        );
        assert_eq!(
            decide(&hotline, Action::Read, &rec, expired, now),
            Decision::Deny
        );
        assert_eq!(
            decide(&actor(Role::CaseWorker, 9), Action::Read, &rec, live, now),
            Decision::Deny
        );
    }

    #[test]
    fn an_actor_without_organisation_sees_nothing() {
        let mut a = actor(Role::CaseWorker, 1);
        a.organisation_id = None;
        let rec = Resource {
            owner_organisation_id: 1,
            shared_with: vec![],
        };
        assert_eq!(
            decide(&a, Action::Read, &rec, None, Utc::now()),
            Decision::Deny
        );
    }
}
