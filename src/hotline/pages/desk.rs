//! The desk: today's calls, follow-ups and the shift's notes; a call logged while on the phone.

use super::*;

pub struct ContactRow {
    pub id: i32,
    pub at: String,
    pub relevance: String,
    pub caller: String,
    pub province: String,
    pub follow_up: bool,
}

/// The steps of the emergency procedure, each with the local time it was done (if done).
pub type Checklist = Vec<(String, String, Option<String>)>;

/// A step's label: its translation when the network uses a standard step, else its code
/// written as words (steps are configurable, see `hotline.emergency_steps`).
pub(super) fn step_label(shell: &Shell, code: &str) -> String {
    let key = format!("step-{}", code.replace('_', "-"));
    let label = shell.t(&key);
    if label == key {
        code.replace('_', " ")
    } else {
        label
    }
}

pub struct NoteRow {
    pub at: String,
    pub author: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "hotline/templates/desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub now_local: String,
    pub contacts: Vec<ContactRow>,
    pub mediators: Vec<mediator_request::Model>,
    /// The mediators' accounts a request can be assigned to (id, username).
    pub mediator_accounts: Vec<(i32, String)>,
    pub emergencies: Vec<(emergency::Model, Checklist)>,
    pub notes: Vec<NoteRow>,
    pub error: Option<String>,
    pub saved: Option<String>,
    /// Organisations that can take a person over, and emergency shelters with free beds.
    pub organisations: Vec<(i32, String)>,
    pub shelters: Vec<(i32, String)>,
    pub interviews: Vec<interview::Model>,
    pub today: String,
    /// Contacts of the last 30 days still waiting to be called back.
    pub call_backs: Vec<ContactRow>,
    /// The work a just-saved call asked for (its outcomes), to start from the call's data.
    pub follow: Option<FollowUp>,
    /// The contact form as the operator typed it, when it was refused (empty otherwise).
    pub form: Fields,
    /// Every problem of the refused contact: (field, translated message), in the form's order.
    pub problems: Vec<(String, String)>,
}

impl DeskPage {
    /// What the operator typed in `field` (empty on a fresh form).
    pub fn v(&self, field: &str) -> String {
        self.form.get(field)
    }

    /// Whether `value` was chosen in `field` (the defaults on a fresh form).
    /// The start of the call the form offers: now (Italian time) on a fresh form, what was
    /// typed on one sent back. Shown in the summary of a closed section, so that the keyboard
    /// passes it in one step and the operator still sees, and can change, what is recorded.
    pub fn started(&self) -> String {
        if self.form.is_empty() {
            self.now_local.clone()
        } else {
            self.form.get("started_at")
        }
    }

    pub fn sel(&self, field: &str, value: &str) -> bool {
        if self.form.is_empty() {
            return field == "situation" && value.is_empty();
        }
        self.form.all(field).iter().any(|v| v.trim() == value)
            || (field == "situation" && value.is_empty() && self.form.get(field).is_empty())
    }

    /// The message of what is wrong with `field`, if anything.
    pub fn err(&self, field: &str) -> Option<&String> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m)
    }
}

/// What a call's outcomes start: the mediator request and the emergency activation forms,
/// filled in from the call (its language, its place, its time) and linked to it.
pub struct FollowUp {
    pub contact_id: i32,
    pub mediator: bool,
    pub emergency: bool,
    pub language: String,
    pub place: String,
    pub needed_local: String,
}

impl FollowUp {
    /// From a saved contact, when its outcomes ask for a mediator or an emergency activation.
    pub fn of(c: &contact::Model) -> Option<FollowUp> {
        let mediator = listed(&c.outcomes, "mediator_request");
        let emergency = listed(&c.outcomes, "emergency_activation");
        if !mediator && !emergency {
            return None;
        }
        let place = match (c.municipality.trim(), c.province.as_deref()) {
            ("", Some(p)) => p.to_owned(),
            (m, Some(p)) => format!("{m} ({p})"),
            (m, None) => m.to_owned(),
        };
        Some(FollowUp {
            contact_id: c.id,
            mediator,
            emergency,
            language: c.language.clone().unwrap_or_default().to_uppercase(),
            place,
            needed_local: crate::platform::time::rome_input(&Utc::now()),
        })
    }
}

pub(super) async fn desk_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    saved: Option<String>,
) -> Result<DeskPage, AppError> {
    desk_with(state, shell, error, saved, None).await
}

pub(super) async fn desk_with(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    saved: Option<String>,
    follow: Option<FollowUp>,
) -> Result<DeskPage, AppError> {
    let (_, org) = staff(&shell)?;
    let since = Utc::now() - Duration::hours(24);
    let contacts = store::recent(&state.db, org, since)
        .await?
        .into_iter()
        .map(|c| ContactRow {
            id: c.id,
            at: crate::platform::time::rome_time(&c.started_at),
            relevance: shell.label("relevance", &c.relevance),
            caller: c
                .caller_kind
                .as_deref()
                .map(|k| shell.label("caller", k))
                .unwrap_or_default(),
            province: c.province.unwrap_or_default(),
            follow_up: c.previous_contact_id.is_some(),
        })
        .collect();
    let mut notes = Vec::new();
    for n in store::shift_notes(&state.db, org, 10).await? {
        let author = crate::identity::username_of(&state.db, n.author_id)
            .await?
            .unwrap_or_default();
        notes.push(NoteRow {
            at: crate::platform::time::rome_time(&n.written_at),
            author,
            text: state
                .keys
                .decrypt_str(store::SHIFT_NOTE, &n.text_enc)
                .map_err(|_| AppError::Internal("shift note cannot be decrypted"))?,
        });
    }
    let emergencies = store::open_emergencies(&state.db, org)
        .await?
        .into_iter()
        .map(|e| store::opened_emergency(&state.keys, e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| AppError::Internal("emergency cannot be decrypted"))?
        .into_iter()
        .map(|e| {
            let steps = state
                .config
                .hotline
                .emergency_steps
                .iter()
                .map(|s| (s.clone(), step_label(&shell, s), step_time(&e.steps, s)))
                .collect();
            (e, steps)
        })
        .collect();
    let registry = crate::network::registry(state, None).await?;
    // Free beds of every open emergency shelter: two queries, however many shelters.
    let open: Vec<_> = registry
        .services
        .iter()
        .filter(|s| s.kind == "emergency_shelter" && s.active)
        .collect();
    let ids: Vec<i32> = open.iter().map(|s| s.id).collect();
    let (beds, taken) = tokio::try_join!(
        crate::network::beds_of_services(&state.db, &ids),
        crate::cases::occupied_beds_of(&state.db, &ids, crate::platform::time::rome_today()),
    )?;
    let shelters = open
        .iter()
        .map(|s| {
            let capacity: i64 = beds
                .iter()
                .filter(|b| b.service_id == s.id)
                .map(|b| i64::from(b.capacity))
                .sum();
            let used: i64 = taken
                .iter()
                .filter(|(id, _, _)| *id == s.id)
                .map(|(_, _, n)| n)
                .sum();
            let free = (capacity - used).max(0);
            (
                s.id,
                shell.t1(
                    "hotline-shelter-free",
                    "name",
                    &format!("{} · {}", s.name, free),
                ),
            )
        })
        .collect();
    let call_backs = store::waiting_call_backs(&state.db, org, Utc::now() - Duration::days(30))
        .await?
        .into_iter()
        .map(|c| ContactRow {
            id: c.id,
            at: crate::platform::time::rome_time(&c.started_at),
            relevance: shell.label("relevance", &c.relevance),
            caller: c
                .caller_kind
                .as_deref()
                .map(|k| shell.label("caller", k))
                .unwrap_or_default(),
            province: c.province.unwrap_or_default(),
            follow_up: c.previous_contact_id.is_some(),
        })
        .collect();
    Ok(DeskPage {
        call_backs,
        interviews: store::open_interviews(&state.db, org)
            .await?
            .into_iter()
            .map(|i| store::opened_interview(&state.keys, i))
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::Internal("interview cannot be decrypted"))?,
        today: crate::platform::time::rome_today().to_string(),
        organisations: registry.names().into_iter().collect(),
        shelters,
        now_local: crate::platform::time::rome_input(&Utc::now()),
        form: Fields::default(),
        problems: Vec::new(),
        contacts,
        mediator_accounts: crate::identity::holders_of(
            &state.db,
            crate::platform::policy::Role::Mediator,
        )
        .await?,
        mediators: store::pending_mediators(&state.db, org)
            .await?
            .into_iter()
            .map(|m| store::opened_mediator(&state.keys, m))
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::Internal("mediation request cannot be decrypted"))?,
        emergencies,
        notes,
        shell,
        error,
        saved,
        follow,
    })
}

pub(super) fn step_time(steps: &str, code: &str) -> Option<String> {
    steps
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{code}=")))
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|d| crate::platform::time::rome_time(&d.with_timezone(&Utc)))
                .unwrap_or_default()
        })
}

#[derive(Deserialize, Default)]
pub struct DeskQuery {
    #[serde(default)]
    saved: Option<i32>,
    /// A just-saved contact whose outcomes start work (a mediator, an emergency).
    #[serde(default)]
    work: Option<i32>,
}

pub async fn desk(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<DeskQuery>,
) -> Result<DeskPage, AppError> {
    let saved = q
        .saved
        .map(|id| shell.t1("hotline-saved", "id", &id.to_string()));
    let (_, org) = staff(&shell)?;
    // Only the organisation's own contact starts its work here.
    let mut follow = match q.work {
        Some(id) => store::contact(&state.db, id)
            .await?
            .filter(|c| c.organisation_id == org)
            .as_ref()
            .and_then(FollowUp::of),
        None => None,
    };
    // Work already started from the call is not offered twice.
    if let Some(w) = follow.as_mut() {
        let (mediator, emergency) = store::work_started(&state.db, w.contact_id).await?;
        w.mediator &= !mediator;
        w.emergency &= !emergency;
    }
    let follow = follow.filter(|w| w.mediator || w.emergency);
    desk_with(&state, shell, None, saved, follow).await
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

/// `POST /hotline/quick`: a nuisance, silent or not pertinent call in one action.
pub async fn quick(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let relevance = f.get("relevance");
    if relevance != "nuisance" && relevance != "not_pertinent" {
        return invalid(&state, shell, "error-400").await;
    }
    let txn = state.db.begin().await?;
    let c = crate::hotline::ops::record_contact(
        &state,
        &txn,
        &me.actor,
        crate::hotline::ops::new_contact(org, me.actor.user_id, &relevance),
        rules::Situation::Unsaid,
        None,
    )
    .await
    .map_err(|_| AppError::Internal("saving a contact"))?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/hotline?saved={}", c.id)).into_response())
}

/// Reads the desk's contact form into the draft the operations check, with the fields that
/// cannot be read at all (a time, a duration) as problems of their own.
pub(super) fn contact_draft(
    f: &Fields,
) -> (
    crate::hotline::ops::ContactDraft,
    Vec<crate::hotline::ops::Problem>,
) {
    let mut problems = Vec::new();
    let mut time = |name: &'static str| match f.opt(name) {
        Some(s) => {
            let t = crate::platform::time::parse_rome_time(&s);
            if t.is_none() {
                problems.push((name, "network-error-date"));
            }
            t
        }
        None => None,
    };
    let started_at = time("started_at");
    let ended_at = time("ended_at");
    let duration_minutes = match f.opt("duration") {
        Some(m) => match m.parse::<i64>() {
            Ok(m) => Some(m),
            Err(_) => {
                problems.push(("duration", "hotline-error-duration"));
                None
            }
        },
        None => None,
    };
    let draft = crate::hotline::ops::ContactDraft {
        channel: f.get("channel"),
        relevance: f.get("relevance"),
        caller_kind: f.opt("caller_kind"),
        started_at,
        ended_at,
        duration_minutes,
        language: f.opt("language"),
        mediator_used: f.checked("mediator_used"),
        caller_ref: f.opt("caller_ref"),
        phone: f.get("phone"),
        situation: f.opt("situation"),
        follows_contact_id: f.get("follows_contact_id").parse().ok(),
        reasons: f.all("reasons"),
        exploitation_forms: f.all("exploitation_forms"),
        labour_sector: f.opt("labour_sector"),
        province: f.get("province"),
        municipality: f.get("municipality"),
        outcomes: f.all("outcomes"),
        notes: f.get("notes"),
    };
    (draft, problems)
}

/// The desk drawn again after a refused contact: what was typed kept, every problem named
/// next to its field and listed on top.
async fn refused(
    state: &SharedState,
    shell: Shell,
    form: Fields,
    problems: Vec<crate::hotline::ops::Problem>,
) -> Result<Response, AppError> {
    let problems = problems
        .into_iter()
        .map(|(field, key)| (field.to_owned(), shell.t(key)))
        .collect();
    let mut page = desk_page(state, shell, None, None).await?;
    page.form = form;
    page.problems = problems;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /hotline/contacts`: a full call, logged from the keyboard while on the phone.
pub async fn create(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let (draft, unreadable) = contact_draft(&f);
    let checked = crate::hotline::ops::check_contact(
        &state,
        &draft,
        unreadable,
        crate::hotline::ops::Recorder::Desk,
        org,
        me.actor.user_id,
    );
    let (model, situation) = match checked {
        Ok(m) => m,
        Err(p) if p.iter().any(|(_, key)| *key == "error-500") => {
            return Err(AppError::Internal("saving a contact"));
        }
        Err(p) => return refused(&state, shell, f, p).await,
    };
    let txn = state.db.begin().await?;
    let c =
        match crate::hotline::ops::record_contact(&state, &txn, &me.actor, model, situation, None)
            .await
        {
            Ok(c) => c,
            Err(crate::hotline::ops::HotlineOpError::Failed(e)) => return Err(e),
            Err(e) => {
                // Undone before the desk is drawn again.
                txn.rollback().await?;
                let problem = match &e {
                    crate::hotline::ops::HotlineOpError::Invalid { key, field } => (*field, *key),
                    _ => ("situation", e.message_key()),
                };
                return refused(&state, shell, f, vec![problem]).await;
            }
        };
    txn.commit().await?;
    // A call whose outcomes start work opens that work, filled in from the call.
    let next = if FollowUp::of(&c).is_some() {
        format!("/hotline?saved={id}&work={id}#follow-up", id = c.id)
    } else {
        format!("/hotline?saved={}", c.id)
    };
    Ok(Redirect::to(&next).into_response())
}
