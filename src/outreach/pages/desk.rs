//! The unit's desk and the places it visits.

use super::*;

pub struct OutingRow {
    pub id: i32,
    pub at: String,
    pub unit: String,
    pub area: String,
    pub people_met: i32,
}

pub struct InterviewRow {
    pub on: NaiveDate,
    pub desk: String,
    pub code: String,
    pub outcome: String,
}

pub struct AccompanimentRow {
    pub on: NaiveDate,
    pub service: String,
    pub outcome: String,
    pub source: String,
    pub code: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub saved: Option<String>,
    pub outings: Vec<OutingRow>,
    pub interviews: Vec<InterviewRow>,
    pub accompaniments: Vec<AccompanimentRow>,
    pub streets: Vec<crate::network::Service>,
    pub desks: Vec<crate::network::Service>,
    /// (unit name, places)
    pub places: Vec<(String, Vec<place::Model>)>,
    pub today: NaiveDate,
    pub interview_key: String,
    pub accompaniment_key: String,
    /// A refused interview: what was typed (to fill the form again, its key included so that
    /// the corrected form still saves once) and every problem as (field, message).
    pub interview_typed: Vec<(String, String)>,
    pub interview_problems: Vec<(String, String)>,
}

impl DeskPage {
    /// What the interview form shows in a field: what was typed, if it was sent back.
    pub fn typed(&self, field: &str) -> Option<&str> {
        self.interview_typed
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.as_str())
    }
    /// Whether a value of a multi-valued field (topics) was ticked.
    pub fn ticked(&self, field: &str, value: &str) -> bool {
        self.interview_typed
            .iter()
            .any(|(f, v)| f == field && v == value)
    }
    /// The message beside an interview field, if it is wrong.
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.interview_problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    pub(super) saved: String,
}

pub(super) async fn desk_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    saved: Option<String>,
) -> Result<DeskPage, AppError> {
    let (_, org) = staff(&shell)?;
    let (streets, desks) = units(state, org).await?;
    let services = crate::network::services_of(&state.db, org).await?;
    let name_of = |id: i32| {
        services
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let outings = store::recent_outings(&state.db, org, 20)
        .await?
        .into_iter()
        .map(|o| OutingRow {
            id: o.id,
            at: rome_time(&o.started_at),
            unit: name_of(o.service_id),
            area: o.area,
            people_met: o.people_met,
        })
        .collect();
    let code_of = |c: Option<contact::Model>| c.map(|c| c.code).unwrap_or_default();
    let mut interviews = Vec::new();
    for i in store::recent_interviews(&state.db, org, 20).await? {
        let c = match i.contact_id {
            Some(id) => store::contact(&state.db, id).await?,
            None => None,
        };
        interviews.push(InterviewRow {
            on: i.held_on,
            desk: name_of(i.service_id),
            code: code_of(c),
            outcome: shell.label("interview-outcome", &i.outcome),
        });
    }
    let mut accompaniments = Vec::new();
    for a in store::recent_accompaniments(&state.db, org, 20).await? {
        let c = match a.contact_id {
            Some(id) => store::contact(&state.db, id).await?,
            None => None,
        };
        accompaniments.push(AccompanimentRow {
            on: a.happened_on,
            service: shell.label("accompaniment-service", &a.service_kind),
            outcome: shell.label("accompaniment-outcome", &a.outcome),
            source: shell.label("accompaniment-source", &a.source),
            code: code_of(c),
        });
    }
    let ids: Vec<i32> = streets.iter().map(|s| s.id).collect();
    let all_places = store::places_of(&state.db, &ids).await?;
    let places = streets
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                all_places
                    .iter()
                    .filter(|p| p.service_id == s.id)
                    .cloned()
                    .collect(),
            )
        })
        .collect();
    Ok(DeskPage {
        shell,
        error,
        saved,
        outings,
        interviews,
        accompaniments,
        streets,
        desks,
        places,
        today: today(),
        interview_key: fresh_key(),
        accompaniment_key: fresh_key(),
        interview_typed: Vec::new(),
        interview_problems: Vec::new(),
    })
}

pub async fn desk(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<SavedQuery>,
) -> Result<DeskPage, AppError> {
    let saved = match q.saved.as_str() {
        "" => None,
        "duplicate" => Some(shell.t("outreach-already-saved")),
        _ => Some(shell.t("outreach-saved")),
    };
    desk_page(&state, shell, None, saved).await
}

/// The desk drawn again with a refused interview: every problem beside its field, what was
/// typed kept (422).
pub(super) async fn interview_refused(
    state: &SharedState,
    shell: Shell,
    typed: Vec<(String, String)>,
    problems: Vec<(&'static str, &'static str)>,
) -> Result<Response, AppError> {
    let problems = problems
        .into_iter()
        .map(|(field, key)| (field.to_owned(), shell.t(key)))
        .collect();
    let mut page = desk_page(state, shell, None, None).await?;
    if let Some((_, key)) = typed.iter().find(|(f, _)| f == "idempotency_key") {
        page.interview_key = key.clone();
    }
    page.interview_typed = typed;
    page.interview_problems = problems;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub(super) async fn invalid(
    state: &SharedState,
    shell: Shell,
    key: &str,
) -> Result<Response, AppError> {
    let error = Some(shell.t(key));
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        desk_page(state, shell, error, None).await?,
    )
        .into_response())
}

// ---------- places ----------

/// `POST /outreach/places`: a place a unit visits.
pub async fn add_place(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    let service = f.get("service_id").parse().ok();
    let done =
        crate::outreach::ops::add_place(&state, &txn, &me.actor, org, service, &f.get("name"))
            .await;
    place_outcome(&state, shell, txn, done.map(|_| ())).await
}

/// Back to the desk once a place is saved, or the desk with the message.
pub(super) async fn place_outcome(
    state: &SharedState,
    shell: Shell,
    txn: sea_orm::DatabaseTransaction,
    done: Result<(), crate::outreach::ops::OutreachOpError>,
) -> Result<Response, AppError> {
    match done {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to("/outreach?saved=1").into_response())
        }
        Err(crate::outreach::ops::OutreachOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            invalid(state, shell, e.message_key()).await
        }
    }
}

/// `POST /outreach/places/{id}`: rename a place or take it off the list (or back on it).
pub async fn update_place(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    let done = crate::outreach::ops::update_place(
        &state,
        &txn,
        &me.actor,
        org,
        id,
        &f.get("name"),
        f.checked("active"),
    )
    .await;
    place_outcome(&state, shell, txn, done).await
}
