//! Queries of people and cases. Other areas call these functions, never the tables.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, TransactionSession,
    TransactionTrait,
};

use super::entities::{
    case, consent, event, identity, permit, permit_change, person, person_change, phase_change,
    placement, share,
};
use super::rules::Phase;
use crate::platform::crypto::{CryptoError, KeyRing};

pub const NAMES: &str = "person_identity.names";
pub const ALIASES: &str = "person_identity.aliases";
pub const BIRTH_DATE: &str = "person_identity.birth_date";
pub const DOCUMENTS: &str = "person_identity.documents";
pub const PHONE: &str = "person_identity.phone";
pub const ADDRESS: &str = "person_identity.address";
pub const EVENT_TEXT: &str = "case_event.text";
/// Free text workers fill with names, places and health facts: sealed like identity.
pub const VULNERABILITIES: &str = "person.vulnerabilities";
pub const ROUTE: &str = "case_file.route";
pub const PLACES: &str = "case_file.places";
pub const PERMIT_OFFICE: &str = "permit.office";
/// The values a correction replaced (attributes and identity), sealed as one JSON object.
pub const PERSON_PREVIOUS: &str = "person_change.previous";

/// Opens a sealed free-text field (empty when none was written).
pub fn open_text(
    keys: &KeyRing,
    ctx: &str,
    sealed: &Option<Vec<u8>>,
) -> Result<String, CryptoError> {
    match sealed {
        Some(b) => keys.decrypt_str(ctx, b),
        None => Ok(String::new()),
    }
}

/// A case with its sealed free text opened into the plain fields, for showing.
pub fn opened_case(keys: &KeyRing, mut c: case::Model) -> Result<case::Model, CryptoError> {
    c.route = open_text(keys, ROUTE, &c.route_enc)?;
    c.places = open_text(keys, PLACES, &c.places_enc)?;
    Ok(c)
}

/// A person with the vulnerabilities opened, for showing or sending with consent.
pub fn opened_person(keys: &KeyRing, mut p: person::Model) -> Result<person::Model, CryptoError> {
    p.vulnerabilities = open_text(keys, VULNERABILITIES, &p.vulnerabilities_enc)?;
    Ok(p)
}

/// A permit with its office opened.
pub fn opened_permit(keys: &KeyRing, mut p: permit::Model) -> Result<permit::Model, CryptoError> {
    p.office = open_text(keys, PERMIT_OFFICE, &p.office_enc)?;
    Ok(p)
}

/// Why a change to a case was not saved.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("the case was changed by someone else")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Identity data as typed (all optional but the names).
#[derive(Clone, Debug, Default)]
pub struct Identity {
    pub names: String,
    pub aliases: String,
    pub birth_date: String,
    pub documents: String,
    pub phone: String,
    pub address: String,
}

fn norm_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn norm_digits(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_uppercase()
}

/// The blind indexes of an identity: (name + birth date, phone, document).
pub fn indexes(keys: &KeyRing, id: &Identity) -> (Option<String>, Option<String>, Option<String>) {
    let some = |s: String, kind: &str| (!s.is_empty()).then(|| keys.blind_index(kind, &s));
    let name = norm_text(&id.names);
    let name_key = if name.is_empty() {
        String::new()
    } else {
        format!("{name}|{}", id.birth_date.trim())
    };
    (
        some(name_key, "person.name"),
        some(norm_digits(&id.phone), "person.phone"),
        some(norm_digits(&id.documents), "person.document"),
    )
}

/// People already known to the network who may be the same person: their codes and the
/// organisation that follows them, never their identity.
pub async fn possible_duplicates(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    id: &Identity,
) -> Result<Vec<(String, i32)>, DbErr> {
    let (name, phone, doc) = indexes(keys, id);
    let mut any = Condition::any();
    let mut has = false;
    for (col, v) in [
        (identity::Column::NameIndex, name),
        (identity::Column::PhoneIndex, phone),
        (identity::Column::DocumentIndex, doc),
    ] {
        if let Some(v) = v {
            any = any.add(col.eq(v));
            has = true;
        }
    }
    if !has {
        return Ok(Vec::new());
    }
    let matches = identity::Entity::find().filter(any).all(db).await?;
    let mut out = Vec::new();
    for m in matches {
        if let Some(p) = person::Entity::find_by_id(m.person_id).one(db).await? {
            let owner = case::Entity::find()
                .filter(case::Column::PersonId.eq(p.id))
                .order_by_desc(case::Column::OpenedAt)
                .one(db)
                .await?
                .map_or(p.created_by_org, |c| c.owner_org);
            out.push((p.code, owner));
        }
    }
    Ok(out)
}

/// Non-identifying attributes of a new person.
#[derive(Clone, Debug)]
pub struct NewPerson {
    pub gender: String,
    pub birth_year: Option<i32>,
    pub birth_year_estimated: bool,
    pub presumed_minor: bool,
    pub nationalities: Vec<String>,
    pub languages: Vec<String>,
    pub vulnerabilities: String,
}

fn seal(keys: &KeyRing, ctx: &str, v: &str) -> Result<Option<Vec<u8>>, CryptoError> {
    let v = v.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        keys.encrypt_str(ctx, v).map(Some)
    }
}

/// Creates a person, their encrypted identity and a case in the emersion phase, in one
/// transaction. Returns (person, case).
pub async fn open_case<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &KeyRing,
    p: &NewPerson,
    id: &Identity,
    owner_org: i32,
    by_user: i32,
    opened_on: NaiveDate,
) -> Result<(person::Model, case::Model), CaseError> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let provisional = format!("NEW-{}", crate::platform::crypto::random_token(9));
    let row = person::ActiveModel {
        code: Set(provisional),
        gender: Set(p.gender.clone()),
        birth_year: Set(p.birth_year),
        birth_year_estimated: Set(p.birth_year_estimated),
        presumed_minor: Set(p.presumed_minor),
        nationalities: Set(crate::platform::codes::join(&p.nationalities)),
        languages: Set(crate::platform::codes::join(&p.languages)),
        vulnerabilities: Set(String::new()),
        vulnerabilities_enc: Set(seal(keys, VULNERABILITIES, &p.vulnerabilities)?),
        created_by_org: Set(owner_org),
        created_at: Set(now),
        identity_erased_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let person_id = row.id;
    let mut am = row.into_active_model();
    am.code = Set(format!("TOS-{}-{person_id:05}", now.format("%Y")));
    let person = am.update(&txn).await?;
    let (name_index, phone_index, document_index) = indexes(keys, id);
    identity::ActiveModel {
        person_id: Set(person.id),
        names_enc: Set(keys.encrypt_str(NAMES, id.names.trim())?),
        aliases_enc: Set(seal(keys, ALIASES, &id.aliases)?),
        birth_date_enc: Set(seal(keys, BIRTH_DATE, &id.birth_date)?),
        documents_enc: Set(seal(keys, DOCUMENTS, &id.documents)?),
        phone_enc: Set(seal(keys, PHONE, &id.phone)?),
        address_enc: Set(seal(keys, ADDRESS, &id.address)?),
        name_index: Set(name_index),
        phone_index: Set(phone_index),
        document_index: Set(document_index),
    }
    .insert(&txn)
    .await?;
    super::linkage::write(&txn, keys, &person, id.names.trim()).await?;
    let case = case::ActiveModel {
        person_id: Set(person.id),
        owner_org: Set(owner_org),
        phase: Set(Phase::Emersion.code().to_owned()),
        closure_reason: Set(None),
        trafficking_status: Set(None),
        status_assessed_by: Set(None),
        exploitation_forms: Set(String::new()),
        labour_sector: Set(None),
        means_of_control: Set(String::new()),
        recruitment: Set(String::new()),
        route: Set(String::new()),
        transit_countries: Set(String::new()),
        places: Set(String::new()),
        legal_path: Set(None),
        route_enc: Set(None),
        places_enc: Set(None),
        opened_at: Set(now),
        closed_at: Set(None),
        follow_up_due: Set(None),
        last_activity_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    phase_change::ActiveModel {
        case_id: Set(case.id),
        from_phase: Set(None),
        to_phase: Set(Phase::Emersion.code().to_owned()),
        reason: Set(None),
        at: Set(now),
        effective_on: Set(Some(opened_on)),
        by_user: Set(by_user),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((person, case))
}

pub async fn case(db: &impl ConnectionTrait, id: i32) -> Result<Option<case::Model>, DbErr> {
    case::Entity::find_by_id(id).one(db).await
}

/// A case with its person, in one query (`None` when either is missing).
pub async fn case_with_person(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<(case::Model, person::Model)>, DbErr> {
    let to_person: sea_orm::RelationDef = case::Entity::belongs_to(person::Entity)
        .from(case::Column::PersonId)
        .to(person::Column::Id)
        .into();
    Ok(case::Entity::find_by_id(id)
        .join(sea_orm::JoinType::InnerJoin, to_person)
        .select_also(person::Entity)
        .one(db)
        .await?
        .and_then(|(c, p)| p.map(|p| (c, p))))
}

/// The sealed identity of the person a case is about, found by the case (so that it can be
/// read at the same time as the case itself).
pub async fn identity_of_case(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Option<identity::Model>, DbErr> {
    let person_of_case = sea_orm::sea_query::Query::select()
        .column(case::Column::PersonId)
        .from(case::Entity)
        .and_where(case::Column::Id.eq(case_id))
        .to_owned();
    identity::Entity::find()
        .filter(identity::Column::PersonId.in_subquery(person_of_case))
        .one(db)
        .await
}

pub async fn person(db: &impl ConnectionTrait, id: i32) -> Result<Option<person::Model>, DbErr> {
    person::Entity::find_by_id(id).one(db).await
}

pub async fn identity(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Option<identity::Model>, DbErr> {
    identity::Entity::find_by_id(person_id).one(db).await
}

/// The identity in clear (for roles allowed to read it; the caller audits the reading).
pub fn open_identity(keys: &KeyRing, m: &identity::Model) -> Result<Identity, CryptoError> {
    let open = |ctx: &str, v: &Option<Vec<u8>>| -> Result<String, CryptoError> {
        v.as_ref()
            .map_or(Ok(String::new()), |b| keys.decrypt_str(ctx, b))
    };
    Ok(Identity {
        names: keys.decrypt_str(NAMES, &m.names_enc)?,
        aliases: open(ALIASES, &m.aliases_enc)?,
        birth_date: open(BIRTH_DATE, &m.birth_date_enc)?,
        documents: open(DOCUMENTS, &m.documents_enc)?,
        phone: open(PHONE, &m.phone_enc)?,
        address: open(ADDRESS, &m.address_enc)?,
    })
}

pub async fn shared_with(db: &impl ConnectionTrait, case_id: i32) -> Result<Vec<i32>, DbErr> {
    Ok(share::Entity::find()
        .filter(share::Column::CaseId.eq(case_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.organisation_id)
        .collect())
}

/// Cases an organisation owns or that are shared with it, most recently active first.
/// A page of the cases an organisation owns or is shared, newest opened first (by id), after
/// the case `after`, with their people: two queries, whatever the page's size.
pub async fn page_for_org(
    db: &impl ConnectionTrait,
    org: i32,
    limit: u64,
    after: Option<i32>,
) -> Result<Vec<(case::Model, person::Model)>, DbErr> {
    use sea_orm::QueryTrait;
    let shared = share::Entity::find()
        .select_only()
        .column(share::Column::CaseId)
        .filter(share::Column::OrganisationId.eq(org))
        .into_query();
    let mut q = case::Entity::find().filter(
        Condition::any()
            .add(case::Column::OwnerOrg.eq(org))
            .add(case::Column::Id.in_subquery(shared)),
    );
    if let Some(after) = after {
        q = q.filter(case::Column::Id.lt(after));
    }
    let cases = q
        .order_by_desc(case::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let people: std::collections::HashMap<i32, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(cases.iter().map(|c| c.person_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(cases
        .into_iter()
        .filter_map(|c| people.get(&c.person_id).cloned().map(|p| (c, p)))
        .collect())
}

pub async fn cases_for_org(db: &impl ConnectionTrait, org: i32) -> Result<Vec<case::Model>, DbErr> {
    let shared: Vec<i32> = share::Entity::find()
        .filter(share::Column::OrganisationId.eq(org))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.case_id)
        .collect();
    case::Entity::find()
        .filter(
            Condition::any()
                .add(case::Column::OwnerOrg.eq(org))
                .add(case::Column::Id.is_in(shared)),
        )
        .order_by_desc(case::Column::LastActivityAt)
        .all(db)
        .await
}

/// Claims the next version of a case inside `txn`; `Conflict` when the form was stale.
/// Moves a case read at `expected` to its next version (a conflict if someone changed it since).
pub async fn bump(
    txn: &impl ConnectionTrait,
    case_id: i32,
    expected: i32,
) -> Result<(), CaseError> {
    let r = case::Entity::update_many()
        .col_expr(
            case::Column::Version,
            Expr::col(case::Column::Version).add(1),
        )
        .col_expr(case::Column::LastActivityAt, Expr::value(Utc::now()))
        .filter(case::Column::Id.eq(case_id))
        .filter(case::Column::Version.eq(expected))
        .exec(txn)
        .await?;
    if r.rows_affected == 1 {
        Ok(())
    } else {
        Err(CaseError::Conflict)
    }
}

/// Moves a case to another phase (the caller has checked the state machine).
pub async fn change_phase<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    current: &case::Model,
    to: Phase,
    reason: Option<&str>,
    effective_on: NaiveDate,
    by_user: i32,
    version: i32,
) -> Result<(), CaseError> {
    let txn = db.begin().await?;
    bump(&txn, current.id, version).await?;
    let now = Utc::now();
    let mut update = case::Entity::update_many()
        .col_expr(case::Column::Phase, Expr::value(to.code()))
        .filter(case::Column::Id.eq(current.id));
    if to == Phase::Closed {
        update = update
            .col_expr(
                case::Column::ClosureReason,
                Expr::value(reason.map(str::to_owned)),
            )
            .col_expr(case::Column::ClosedAt, Expr::value(now))
            .col_expr(
                case::Column::FollowUpDue,
                Expr::value(effective_on + Duration::days(90)),
            );
    }
    update.exec(&txn).await?;
    phase_change::ActiveModel {
        case_id: Set(current.id),
        from_phase: Set(Some(current.phase.clone())),
        to_phase: Set(to.code().to_owned()),
        reason: Set(reason.map(str::to_owned)),
        at: Set(now),
        effective_on: Set(Some(effective_on)),
        by_user: Set(by_user),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if to == Phase::Protection {
        crate::stats::refresh_people(&txn, [current.person_id]).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The assessment part of a case.
#[derive(Clone, Debug, Default)]
pub struct Assessment {
    pub trafficking_status: Option<String>,
    pub exploitation_forms: Vec<String>,
    pub labour_sector: Option<String>,
    pub means_of_control: String,
    pub recruitment: String,
    pub route: String,
    pub transit_countries: Vec<String>,
    pub places: String,
    pub legal_path: Option<String>,
}

pub async fn update_assessment<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &KeyRing,
    case_id: i32,
    a: &Assessment,
    by_user: i32,
    version: i32,
) -> Result<(), CaseError> {
    let txn = db.begin().await?;
    bump(&txn, case_id, version).await?;
    case::Entity::update_many()
        .col_expr(
            case::Column::TraffickingStatus,
            Expr::value(a.trafficking_status.clone()),
        )
        .col_expr(
            case::Column::StatusAssessedBy,
            Expr::value(a.trafficking_status.as_ref().map(|_| by_user)),
        )
        .col_expr(
            case::Column::ExploitationForms,
            Expr::value(crate::platform::codes::join(&a.exploitation_forms)),
        )
        .col_expr(
            case::Column::LabourSector,
            Expr::value(a.labour_sector.clone()),
        )
        .col_expr(
            case::Column::MeansOfControl,
            Expr::value(a.means_of_control.clone()),
        )
        .col_expr(
            case::Column::Recruitment,
            Expr::value(a.recruitment.clone()),
        )
        .col_expr(
            case::Column::RouteEnc,
            Expr::value(seal(keys, ROUTE, &a.route)?),
        )
        .col_expr(
            case::Column::TransitCountries,
            Expr::value(crate::platform::codes::join(&a.transit_countries)),
        )
        .col_expr(
            case::Column::PlacesEnc,
            Expr::value(seal(keys, PLACES, &a.places)?),
        )
        .col_expr(case::Column::LegalPath, Expr::value(a.legal_path.clone()))
        .filter(case::Column::Id.eq(case_id))
        .exec(&txn)
        .await?;
    // The statistics break people in protection down by their case's forms and sector.
    if let Some(c) = case(&txn, case_id).await? {
        crate::stats::refresh_people(&txn, [c.person_id]).await?;
    }
    txn.commit().await?;
    Ok(())
}

pub async fn phases(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<phase_change::Model>, DbErr> {
    phase_change::Entity::find()
        .filter(phase_change::Column::CaseId.eq(case_id))
        .order_by_asc(phase_change::Column::Id)
        .all(db)
        .await
}

// ---------- consents and sharing ----------

pub async fn consents(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<consent::Model>, DbErr> {
    consent::Entity::find()
        .filter(consent::Column::CaseId.eq(case_id))
        .order_by_desc(consent::Column::GivenOn)
        .all(db)
        .await
}

pub async fn consent_by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<consent::Model>, DbErr> {
    consent::Entity::find_by_id(id).one(db).await
}

pub async fn add_consent(
    db: &impl ConnectionTrait,
    case_id: i32,
    purpose: &str,
    organisation_id: Option<i32>,
    given_on: NaiveDate,
    expires_on: Option<NaiveDate>,
) -> Result<consent::Model, DbErr> {
    consent::ActiveModel {
        case_id: Set(case_id),
        purpose: Set(purpose.to_owned()),
        organisation_id: Set(organisation_id),
        given_on: Set(given_on),
        expires_on: Set(expires_on),
        withdrawn_on: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Withdraws a consent still in force; `false` when it had already been withdrawn.
pub async fn withdraw_consent(
    db: &impl ConnectionTrait,
    id: i32,
    on: NaiveDate,
) -> Result<bool, DbErr> {
    let done = consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnOn, Expr::value(on))
        .filter(consent::Column::Id.eq(id))
        .filter(consent::Column::WithdrawnOn.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Whether a consent for `purpose` (naming `organisation` when given) is in force on `day`.
pub fn consent_in_force(
    all: &[consent::Model],
    purpose: &str,
    organisation: Option<i32>,
    day: NaiveDate,
) -> bool {
    all.iter().any(|c| {
        c.purpose == purpose
            && (organisation.is_none() || c.organisation_id == organisation)
            && c.given_on <= day
            && c.withdrawn_on.is_none_or(|w| w > day)
            && c.expires_on.is_none_or(|e| e >= day)
    })
}

pub async fn share(
    db: &impl ConnectionTrait,
    case_id: i32,
    organisation_id: i32,
) -> Result<(), DbErr> {
    if shared_with(db, case_id).await?.contains(&organisation_id) {
        return Ok(());
    }
    share::ActiveModel {
        case_id: Set(case_id),
        organisation_id: Set(organisation_id),
        since: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

// ---------- corrections of a person ----------

/// What a person is recorded as, attributes and identity: what a correction replaces.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PersonFacts {
    pub gender: String,
    pub birth_year: Option<i32>,
    pub birth_year_estimated: bool,
    pub presumed_minor: bool,
    pub nationalities: String,
    pub languages: String,
    /// `None` when the identity is not changed (or cannot be: erased, or not readable).
    pub identity: Option<IdentityFacts>,
}

/// The identity fields, in the order a correction lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IdentityFacts {
    pub names: String,
    pub aliases: String,
    pub birth_date: String,
    pub documents: String,
    pub phone: String,
    pub address: String,
}

impl From<&Identity> for IdentityFacts {
    fn from(i: &Identity) -> Self {
        IdentityFacts {
            names: i.names.trim().to_owned(),
            aliases: i.aliases.trim().to_owned(),
            birth_date: i.birth_date.trim().to_owned(),
            documents: i.documents.trim().to_owned(),
            phone: i.phone.trim().to_owned(),
            address: i.address.trim().to_owned(),
        }
    }
}

/// The names of the fields that differ between two versions of a person, in form order.
pub fn changed_fields(before: &PersonFacts, after: &PersonFacts) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, differs: bool| {
        if differs {
            out.push(name);
        }
    };
    check("gender", before.gender != after.gender);
    check("birth_year", before.birth_year != after.birth_year);
    check(
        "birth_year_estimated",
        before.birth_year_estimated != after.birth_year_estimated,
    );
    check(
        "presumed_minor",
        before.presumed_minor != after.presumed_minor,
    );
    check("nationalities", before.nationalities != after.nationalities);
    check("languages", before.languages != after.languages);
    if let (Some(b), Some(a)) = (&before.identity, &after.identity) {
        check("names", b.names != a.names);
        check("aliases", b.aliases != a.aliases);
        check("birth_date", b.birth_date != a.birth_date);
        check("documents", b.documents != a.documents);
        check("phone", b.phone != a.phone);
        check("address", b.address != a.address);
    }
    out
}

/// Writes a correction: the person's attributes, their identity (sealed, blind indexes
/// recomputed) when given, and the history row with the fields changed and the previous
/// values sealed.
pub async fn correct_person(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    p: person::Model,
    before: &PersonFacts,
    after: &PersonFacts,
    fields: &[&str],
    by_user: i32,
) -> Result<person::Model, CaseError> {
    let person_id = p.id;
    let mut am = p.into_active_model();
    am.gender = Set(after.gender.clone());
    am.birth_year = Set(after.birth_year);
    am.birth_year_estimated = Set(after.birth_year_estimated);
    am.presumed_minor = Set(after.presumed_minor);
    am.nationalities = Set(after.nationalities.clone());
    am.languages = Set(after.languages.clone());
    let person = am.update(db).await?;
    if let Some(i) = &after.identity {
        let id = Identity {
            names: i.names.clone(),
            aliases: i.aliases.clone(),
            birth_date: i.birth_date.clone(),
            documents: i.documents.clone(),
            phone: i.phone.clone(),
            address: i.address.clone(),
        };
        let (name_index, phone_index, document_index) = indexes(keys, &id);
        identity::ActiveModel {
            person_id: sea_orm::ActiveValue::Unchanged(person_id),
            names_enc: Set(keys.encrypt_str(NAMES, &id.names)?),
            aliases_enc: Set(seal(keys, ALIASES, &id.aliases)?),
            birth_date_enc: Set(seal(keys, BIRTH_DATE, &id.birth_date)?),
            documents_enc: Set(seal(keys, DOCUMENTS, &id.documents)?),
            phone_enc: Set(seal(keys, PHONE, &id.phone)?),
            address_enc: Set(seal(keys, ADDRESS, &id.address)?),
            name_index: Set(name_index),
            phone_index: Set(phone_index),
            document_index: Set(document_index),
        }
        .update(db)
        .await?;
    }
    // The linkage key follows the names, birth year, gender and nationality.
    let names = match &after.identity {
        Some(i) => Some(i.names.clone()),
        None => identity::Entity::find_by_id(person_id)
            .one(db)
            .await?
            .and_then(|i| keys.decrypt_str(NAMES, &i.names_enc).ok()),
    };
    if let Some(names) = names {
        super::linkage::write(db, keys, &person, names.trim()).await?;
    }
    let previous = serde_json::to_string(before).map_err(|_| CryptoError::Seal)?;
    person_change::ActiveModel {
        person_id: Set(person_id),
        fields: Set(fields.join(",")),
        previous_enc: Set(Some(keys.encrypt_str(PERSON_PREVIOUS, &previous)?)),
        by_user: Set(by_user),
        at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // The statistics break people in protection down by gender, nationality and age.
    crate::stats::refresh_people(db, [person_id]).await?;
    Ok(person)
}

/// The corrections of a person, newest first.
pub async fn person_changes(
    db: &impl ConnectionTrait,
    person_id: i32,
) -> Result<Vec<person_change::Model>, DbErr> {
    person_change::Entity::find()
        .filter(person_change::Column::PersonId.eq(person_id))
        .order_by_desc(person_change::Column::Id)
        .all(db)
        .await
}

// ---------- permits, placements, events ----------

pub async fn permit_by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<permit::Model>, DbErr> {
    permit::Entity::find_by_id(id).one(db).await
}

/// Records a decision on a permit: its history row, and the permit's status and expiry as
/// they are from then on.
pub async fn decide_permit(
    db: &impl ConnectionTrait,
    p: permit::Model,
    change: permit_change::ActiveModel,
) -> Result<permit::Model, DbErr> {
    let change = change.insert(db).await?;
    let mut am = p.into_active_model();
    am.status = Set(change.status.clone());
    if change.expires_on.is_some() {
        am.expires_on = Set(change.expires_on);
    }
    am.update(db).await
}

/// The decisions on the given permits, oldest first.
pub async fn permit_changes(
    db: &impl ConnectionTrait,
    permit_ids: Vec<i32>,
) -> Result<Vec<permit_change::Model>, DbErr> {
    permit_changes_where(db, permit_change::Column::PermitId.is_in(permit_ids)).await
}

/// The decisions on every permit of a case, oldest first.
pub async fn permit_changes_of_case(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<permit_change::Model>, DbErr> {
    let permits_of_case = sea_orm::sea_query::Query::select()
        .column(permit::Column::Id)
        .from(permit::Entity)
        .and_where(permit::Column::CaseId.eq(case_id))
        .to_owned();
    permit_changes_where(
        db,
        permit_change::Column::PermitId.in_subquery(permits_of_case),
    )
    .await
}

async fn permit_changes_where(
    db: &impl ConnectionTrait,
    which: Expr,
) -> Result<Vec<permit_change::Model>, DbErr> {
    permit_change::Entity::find()
        .filter(which)
        .order_by_asc(permit_change::Column::DecidedOn)
        .order_by_asc(permit_change::Column::Id)
        .all(db)
        .await
}

/// Ids per query when a list of records is read by id (well under either backend's limit of
/// bound parameters).
const IDS_PER_QUERY: usize = 1_000;

/// The people of many cases, by id, a thousand per query.
pub async fn people_by_id(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, person::Model>, DbErr> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        for p in person::Entity::find()
            .filter(person::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(p.id, p);
        }
    }
    Ok(out)
}

/// The permits of many cases that expire between two days (both included).
pub async fn permits_expiring(
    db: &impl ConnectionTrait,
    case_ids: &[i32],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<permit::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in case_ids.chunks(IDS_PER_QUERY) {
        out.extend(
            permit::Entity::find()
                .filter(permit::Column::CaseId.is_in(chunk.iter().copied()))
                .filter(permit::Column::ExpiresOn.between(from, to))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The consents of many cases, not withdrawn, that expire between two days (both included).
pub async fn consents_expiring(
    db: &impl ConnectionTrait,
    case_ids: &[i32],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<consent::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in case_ids.chunks(IDS_PER_QUERY) {
        out.extend(
            consent::Entity::find()
                .filter(consent::Column::CaseId.is_in(chunk.iter().copied()))
                .filter(consent::Column::WithdrawnOn.is_null())
                .filter(consent::Column::ExpiresOn.between(from, to))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub async fn permits(db: &impl ConnectionTrait, case_id: i32) -> Result<Vec<permit::Model>, DbErr> {
    permit::Entity::find()
        .filter(permit::Column::CaseId.eq(case_id))
        .order_by_desc(permit::Column::Id)
        .all(db)
        .await
}

/// Adds a permit; its office is sealed.
pub async fn add_permit(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    mut p: permit::ActiveModel,
    office: &str,
) -> Result<permit::Model, CaseError> {
    p.office = Set(String::new());
    p.office_enc = Set(seal(keys, PERMIT_OFFICE, office)?);
    Ok(p.insert(db).await?)
}

pub async fn placements(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<placement::Model>, DbErr> {
    placement::Entity::find()
        .filter(placement::Column::CaseId.eq(case_id))
        .order_by_desc(placement::Column::Since)
        .all(db)
        .await
}

pub async fn placement_by_id(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<placement::Model>, DbErr> {
    placement::Entity::find_by_id(id).one(db).await
}

/// Beds of one service taken on `day`, by bed kind (the placement check, the hand-over).
pub async fn occupied_beds(
    db: &impl ConnectionTrait,
    service_id: i32,
    day: NaiveDate,
) -> Result<Vec<(String, i32)>, DbErr> {
    Ok(occupied_beds_of(db, &[service_id], day)
        .await?
        .into_iter()
        .map(|(_, kind, n)| (kind, i32::try_from(n).unwrap_or(i32::MAX)))
        .collect())
}

/// The beds taken on `day` in several services at once (one query, whatever their number):
/// (service, bed kind, placements), the placements counted by the database.
pub async fn occupied_beds_of(
    db: &impl ConnectionTrait,
    service_ids: &[i32],
    day: NaiveDate,
) -> Result<Vec<(i32, String, i64)>, DbErr> {
    if service_ids.is_empty() {
        return Ok(Vec::new());
    }
    placement::Entity::find()
        .select_only()
        .column(placement::Column::ServiceId)
        .column(placement::Column::BedKind)
        .column_as(placement::Column::Id.count(), "taken")
        .filter(placement::Column::ServiceId.is_in(service_ids.iter().copied()))
        .filter(placement::Column::Since.lte(day))
        .filter(
            Condition::any()
                .add(placement::Column::Until.is_null())
                .add(placement::Column::Until.gt(day)),
        )
        .group_by(placement::Column::ServiceId)
        .group_by(placement::Column::BedKind)
        .into_tuple::<(i32, String, i64)>()
        .all(db)
        .await
}

pub async fn add_placement(
    db: &impl ConnectionTrait,
    p: placement::ActiveModel,
) -> Result<placement::Model, DbErr> {
    p.insert(db).await
}

/// Ends a stay that has not ended yet; `false` when it had already ended (nothing changed).
pub async fn end_placement(
    db: &impl ConnectionTrait,
    id: i32,
    on: NaiveDate,
) -> Result<bool, DbErr> {
    let done = placement::Entity::update_many()
        .col_expr(placement::Column::Until, Expr::value(on))
        .filter(placement::Column::Id.eq(id))
        .filter(placement::Column::Until.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

pub async fn events(db: &impl ConnectionTrait, case_id: i32) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::CaseId.eq(case_id))
        .order_by_desc(event::Column::HappenedOn)
        .order_by_desc(event::Column::Id)
        .all(db)
        .await
}

pub async fn add_event(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    case_id: i32,
    kind: &str,
    on: NaiveDate,
    text: &str,
    by_user: i32,
) -> Result<event::Model, CaseError> {
    Ok(event::ActiveModel {
        case_id: Set(case_id),
        kind: Set(kind.to_owned()),
        happened_on: Set(on),
        text_enc: Set(seal(keys, EVENT_TEXT, text)?),
        by_user: Set(by_user),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Marks activity on a case (for the "no activity for 60 days" list).
pub async fn touch(db: &impl ConnectionTrait, case_id: i32) -> Result<(), DbErr> {
    case::Entity::update_many()
        .col_expr(case::Column::LastActivityAt, Expr::value(Utc::now()))
        .filter(case::Column::Id.eq(case_id))
        .exec(db)
        .await?;
    Ok(())
}

// ---------- retention ----------

/// What a retention run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub identities_erased: u64,
    pub notes_erased: u64,
}

/// Erases identity data and free text of people whose every case closed before `cutoff`,
/// keeping the pseudonymous records for statistics.
pub async fn run_retention<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cutoff: DateTime<Utc>,
) -> Result<RetentionReport, DbErr> {
    use sea_orm::QueryTrait;
    // A person with a case still open, or closed since the cutoff, keeps everything.
    let kept = case::Entity::find()
        .select_only()
        .column(case::Column::PersonId)
        .filter(
            Condition::any()
                .add(case::Column::ClosedAt.is_null())
                .add(case::Column::ClosedAt.gte(cutoff)),
        )
        .into_query();
    let with_identity = identity::Entity::find()
        .select_only()
        .column(identity::Column::PersonId)
        .into_query();
    let with_notes = event::Entity::find()
        .select_only()
        .column(event::Column::CaseId)
        .filter(event::Column::TextEnc.is_not_null())
        .into_query();
    // Only cases with something left to erase: a sweep already done costs one query, however
    // many years of closed cases the database holds.
    let due: Vec<(i32, i32)> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .column(case::Column::PersonId)
        .filter(case::Column::ClosedAt.lt(cutoff))
        .filter(case::Column::PersonId.not_in_subquery(kept))
        .filter(
            Condition::any()
                .add(case::Column::PersonId.in_subquery(with_identity))
                .add(case::Column::Id.in_subquery(with_notes))
                .add(case::Column::RouteEnc.is_not_null())
                .add(case::Column::PlacesEnc.is_not_null()),
        )
        .order_by_asc(case::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut report = RetentionReport::default();
    // A batch per transaction: each commits what it erased, none holds the tables for long.
    for batch in due.chunks(RETENTION_BATCH) {
        let cases: Vec<i32> = batch.iter().map(|(c, _)| *c).collect();
        let mut people: Vec<i32> = batch.iter().map(|(_, p)| *p).collect();
        people.sort_unstable();
        people.dedup();
        let txn = db.begin().await?;
        let erased: Vec<i32> = identity::Entity::find()
            .select_only()
            .column(identity::Column::PersonId)
            .filter(identity::Column::PersonId.is_in(people.clone()))
            .into_tuple()
            .all(&txn)
            .await?;
        let gone = identity::Entity::delete_many()
            .filter(identity::Column::PersonId.is_in(erased.clone()))
            .exec(&txn)
            .await?
            .rows_affected;
        super::linkage::forget(&txn, &erased).await?;
        if !erased.is_empty() {
            // The values a correction replaced are identity too.
            person_change::Entity::update_many()
                .col_expr(
                    person_change::Column::PreviousEnc,
                    Expr::value(Option::<Vec<u8>>::None),
                )
                .filter(person_change::Column::PersonId.is_in(erased.clone()))
                .exec(&txn)
                .await?;
            person::Entity::update_many()
                .col_expr(person::Column::IdentityErasedAt, Expr::value(Utc::now()))
                .col_expr(
                    person::Column::VulnerabilitiesEnc,
                    Expr::value(Option::<Vec<u8>>::None),
                )
                .filter(person::Column::Id.is_in(erased))
                .exec(&txn)
                .await?;
        }
        // The sealed free text of the case goes with the identity.
        case::Entity::update_many()
            .col_expr(case::Column::RouteEnc, Expr::value(Option::<Vec<u8>>::None))
            .col_expr(
                case::Column::PlacesEnc,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .filter(case::Column::Id.is_in(cases.clone()))
            .exec(&txn)
            .await?;
        let notes = event::Entity::update_many()
            .col_expr(event::Column::TextEnc, Expr::value(Option::<Vec<u8>>::None))
            .filter(event::Column::CaseId.is_in(cases))
            .filter(event::Column::TextEnc.is_not_null())
            .exec(&txn)
            .await?
            .rows_affected;
        txn.commit().await?;
        report.identities_erased += gone;
        report.notes_erased += notes;
    }
    Ok(report)
}

/// Closed cases erased per transaction by the retention sweep (a few thousand statements'
/// worth of parameters at most, within SQLite's and PostgreSQL's limits).
const RETENTION_BATCH: usize = 500;

// ---------- figures for regional statistics (no identity data) ----------

/// Placements that started in `[from, to]`.
pub async fn placements_started(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<placement::Model>, DbErr> {
    placement::Entity::find()
        .filter(placement::Column::Since.gte(from))
        .filter(placement::Column::Since.lte(to))
        .all(db)
        .await
}

/// A person by their pseudonymous code (`TOS-YYYY-NNNNN`).
pub async fn person_by_code(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<person::Model>, DbErr> {
    person::Entity::find()
        .filter(person::Column::Code.eq(code))
        .one(db)
        .await
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "person",
        key: "id",
        column: "vulnerabilities_enc",
        context: VULNERABILITIES,
    },
    crate::platform::keys::EncryptedColumn {
        table: "case_file",
        key: "id",
        column: "route_enc",
        context: ROUTE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "case_file",
        key: "id",
        column: "places_enc",
        context: PLACES,
    },
    crate::platform::keys::EncryptedColumn {
        table: "permit",
        key: "id",
        column: "office_enc",
        context: PERMIT_OFFICE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "person_change",
        key: "id",
        column: "previous_enc",
        context: PERSON_PREVIOUS,
    },
    crate::platform::keys::EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "names_enc",
        context: NAMES,
    },
    crate::platform::keys::EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "aliases_enc",
        context: ALIASES,
    },
    crate::platform::keys::EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "birth_date_enc",
        context: BIRTH_DATE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "documents_enc",
        context: DOCUMENTS,
    },
    crate::platform::keys::EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "phone_enc",
        context: PHONE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "address_enc",
        context: ADDRESS,
    },
    crate::platform::keys::EncryptedColumn {
        table: "case_event",
        key: "id",
        column: "text_enc",
        context: EVENT_TEXT,
    },
];

/// Plain columns older versions wrote in clear, with the sealed column replacing each (migration
/// 0016 added the sealed ones; migrations have no keys, so they are sealed at start-up).
pub const SEALED_FROM_PLAIN: &[crate::platform::keys::LegacyPlain] = &[
    crate::platform::keys::LegacyPlain {
        table: "person",
        plain: "vulnerabilities",
        sealed: "vulnerabilities_enc",
        context: VULNERABILITIES,
    },
    crate::platform::keys::LegacyPlain {
        table: "case_file",
        plain: "route",
        sealed: "route_enc",
        context: ROUTE,
    },
    crate::platform::keys::LegacyPlain {
        table: "case_file",
        plain: "places",
        sealed: "places_enc",
        context: PLACES,
    },
    crate::platform::keys::LegacyPlain {
        table: "permit",
        plain: "office",
        sealed: "office_enc",
        context: PERMIT_OFFICE,
    },
];
