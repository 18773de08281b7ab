//! Outings: the form that works offline on a phone, its save, and one outing's page.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/outing_new.html")]
pub struct NewOutingPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub streets: Vec<crate::network::Service>,
    /// (place id, "unit — place")
    pub places: Vec<(i32, String)>,
    pub materials: Vec<(String, String)>,
    pub key: String,
    pub now_local: String,
    pub earlier_local: String,
    /// A refused outing: what was typed (its save key included, so that the corrected form
    /// still saves once) and every problem as (form element, message), in the form's order.
    pub typed: Vec<(String, String)>,
    pub problems: Vec<(String, String)>,
}

impl NewOutingPage {
    /// What a field shows: what was typed, if the form was sent back, or `default`.
    pub fn v<'a>(&'a self, field: &str, default: &'a str) -> &'a str {
        self.nth(field, 0, default)
    }
    /// The `i`-th value typed in a field that repeats (nationalities, observations).
    pub fn nth<'a>(&'a self, field: &str, i: usize, default: &'a str) -> &'a str {
        if self.typed.is_empty() {
            return default;
        }
        self.typed
            .iter()
            .filter(|(f, _)| f == field)
            .nth(i)
            .map_or("", |(_, v)| v.as_str())
    }
    /// Whether a value of a multi-valued field (places) was ticked.
    pub fn ticked(&self, field: &str, value: &str) -> bool {
        self.typed.iter().any(|(f, v)| f == field && v == value)
    }
    /// The message beside a part of the form, if it is wrong.
    pub fn problem(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

pub(super) async fn new_outing_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
) -> Result<NewOutingPage, AppError> {
    let (_, org) = staff(&shell)?;
    let (streets, _) = units(state, org).await?;
    let ids: Vec<i32> = streets.iter().map(|s| s.id).collect();
    let places = store::places_of(&state.db, &ids)
        .await?
        .into_iter()
        .filter(|p| p.active)
        .map(|p| {
            let unit = streets
                .iter()
                .find(|s| s.id == p.service_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            (p.id, format!("{unit} — {}", p.name))
        })
        .collect();
    let materials = state
        .config
        .outreach
        .materials
        .iter()
        .map(|m| (m.clone(), material_label(&shell, m)))
        .collect();
    let now = Utc::now();
    Ok(NewOutingPage {
        shell,
        error,
        streets,
        places,
        materials,
        key: fresh_key(),
        now_local: local_input(now),
        earlier_local: local_input(now - Duration::hours(3)),
        typed: Vec::new(),
        problems: Vec::new(),
    })
}

pub(super) fn local_input(t: chrono::DateTime<Utc>) -> String {
    crate::platform::time::rome_input(&t)
}

pub async fn new_outing(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<NewOutingPage, AppError> {
    new_outing_page(&state, shell, None).await
}

/// Whether the request comes from the offline outbox (which wants JSON back).
pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// A refusal for the offline outbox: the first problem as `error` and `message` (what older
/// pages read), and every problem with the form element it belongs to.
fn json_problems(shell: &Shell, problems: &[(&'static str, &'static str)]) -> Response {
    let (first, message) = problems
        .first()
        .map_or(("error-400", shell.t("error-400")), |(_, k)| {
            (*k, shell.t(k))
        });
    let all: Vec<serde_json::Value> = problems
        .iter()
        .map(|(field, key)| serde_json::json!({"field": field, "error": key, "message": shell.t(key)}))
        .collect();
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(serde_json::json!({
            "error": first,
            "message": message,
            "problems": all,
            "reference": shell.request_id,
        })),
    )
        .into_response()
}

/// Reads an outing form into the draft the area's operations check.
pub(super) fn read_outing(state: &SharedState, f: &Fields) -> crate::outreach::ops::OutingDraft {
    let mut tallies: Vec<(&'static str, String, String)> = Vec::new();
    for g in crate::cases::rules::GENDERS {
        tallies.push(("gender", (*g).to_owned(), f.get(&format!("gender_{g}"))));
    }
    for a in rules::AGE_BANDS {
        tallies.push(("age_band", (*a).to_owned(), f.get(&format!("age_{a}"))));
    }
    for s in rules::STATUSES {
        tallies.push(("status", (*s).to_owned(), f.get(&format!("status_{s}"))));
    }
    for (code, n) in f.all("nat_code").into_iter().zip(f.all("nat_count")) {
        let code = code.trim().to_uppercase();
        if code.is_empty() && n.trim().is_empty() {
            continue;
        }
        tallies.push(("nationality", code, n));
    }
    for m in &state.config.outreach.materials {
        tallies.push(("material", m.clone(), f.get(&format!("material_{m}"))));
    }
    for t in rules::TOPICS {
        tallies.push(("topic", (*t).to_owned(), f.get(&format!("topic_{t}"))));
    }
    let flagged = |flags: &str, code: &str| crate::platform::codes::contains(flags, code);
    let observations = f
        .all("obs_place")
        .into_iter()
        .zip(f.all("obs_people"))
        .zip(f.all("obs_flags"))
        .zip(f.all("obs_note"))
        .map(
            |(((place, seen), flags), note)| crate::outreach::ops::ObservationDraft {
                place,
                people_seen: seen,
                new_groups: flagged(&flags, "new_groups"),
                control_signs: flagged(&flags, "control_signs"),
                note,
            },
        )
        .collect();
    crate::outreach::ops::OutingDraft {
        service_id: f.get("service_id").parse().ok(),
        started: crate::platform::time::parse_rome_time(&f.get("started_at")),
        ended: crate::platform::time::parse_rome_time(&f.get("ended_at")),
        area: f.get("area"),
        places: f.all_ids("places"),
        team: f.get("team"),
        mediators: f.get("mediators"),
        languages: f
            .get("languages")
            .split([',', ' '])
            .map(str::to_owned)
            .collect(),
        people_met: f.get("people_met"),
        tallies,
        codes: rules::split_codes(&f.get("codes")),
        referrals_proposed: f.get("referrals_proposed"),
        accompaniments_proposed: f.get("accompaniments_proposed"),
        notes: f.get("notes"),
        observations,
        idempotency_key: f.get("idempotency_key"),
    }
}

/// `POST /outreach/outings`: an outing, from the form or from the offline outbox (JSON answer).
/// A resend with the same idempotency key is answered as already saved and changes nothing.
pub async fn create_outing(
    State(state): State<SharedState>,
    shell: Shell,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let json = wants_json(&headers);
    let f = Fields::parse(&body);
    let draft = read_outing(&state, &f);
    let new =
        match crate::outreach::ops::outing_problems(&state, org, me.actor.user_id, &draft).await {
            Ok(n) => n,
            Err(problems) if json => return Ok(json_problems(&shell, &problems)),
            Err(problems) => {
                let problems = problems
                    .into_iter()
                    .map(|(field, key)| (field.to_owned(), shell.t(key)))
                    .collect();
                let mut page = new_outing_page(&state, shell, None).await?;
                let typed = f.values();
                // The same save key, so that the corrected outing is still saved once; a fresh
                // one only when the one sent was unusable.
                if let Some((_, key)) = typed
                    .iter()
                    .find(|(f, _)| f == "idempotency_key")
                    .filter(|(_, k)| rules::idempotency_key(k).is_ok())
                {
                    page.key = key.clone();
                }
                page.typed = typed;
                page.problems = problems;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        };
    let txn = state.db.begin().await?;
    let saved = crate::outreach::ops::record_outing(&state, &txn, &me.actor, new, None).await?;
    txn.commit().await?;
    let status = match saved {
        Saved::Created(_) => "saved",
        Saved::AlreadySaved(_) => "duplicate",
    };
    if json {
        let code = match saved {
            Saved::Created(_) => StatusCode::CREATED,
            Saved::AlreadySaved(_) => StatusCode::OK,
        };
        return Ok((
            code,
            Json(serde_json::json!({"status": status, "id": saved.id()})),
        )
            .into_response());
    }
    Ok(Redirect::to(&format!("/outreach/outings/{}?saved={status}", saved.id())).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/outing.html")]
pub struct OutingPage {
    pub shell: Shell,
    pub saved: Option<String>,
    pub outing: outing::Model,
    pub unit: String,
    pub started: String,
    pub ended: String,
    pub places: Vec<String>,
    /// (dimension, [(label, count)])
    pub tallies: Vec<(&'static str, Vec<(String, i32)>)>,
    /// (contact id, code, first met on this outing)
    pub contacts: Vec<(i32, String, bool)>,
    /// (place, people seen, new groups, signs of control, note)
    pub observations: Vec<(String, i32, bool, bool, String)>,
    pub notes: String,
}

/// An outing of the actor's own organisation (others' outings are not theirs to read).
pub(super) async fn own_outing(
    state: &SharedState,
    org: i32,
    id: i32,
) -> Result<outing::Model, AppError> {
    let o = store::outing(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if o.organisation_id != org {
        return Err(AppError::Forbidden);
    }
    Ok(o)
}

pub async fn show_outing(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    Query(q): Query<SavedQuery>,
) -> Result<OutingPage, AppError> {
    let (_, org) = staff(&shell)?;
    let o = own_outing(&state, org, id).await?;
    let unit = crate::network::service(&state.db, o.service_id)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let place_ids = [o.service_id];
    let unit_places = store::places_of(&state.db, &place_ids).await?;
    let place_name = |id: i32| {
        unit_places
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let places = crate::platform::codes::iter(&o.places)
        .filter_map(|p| p.parse().ok())
        .map(place_name)
        .collect();
    let mut by_dim: BTreeMap<&'static str, Vec<(String, i32)>> = BTreeMap::new();
    for c in store::counts_of(&state.db, &[o.id]).await? {
        let Some(dim) = [
            "gender",
            "age_band",
            "status",
            "nationality",
            "material",
            "topic",
        ]
        .into_iter()
        .find(|d| *d == c.dimension) else {
            continue;
        };
        let label = match dim {
            "gender" => shell.label("gender", &c.value),
            "age_band" => shell.label("age", &c.value),
            "status" => shell.label("outreach-status", &c.value),
            "material" => material_label(&shell, &c.value),
            "topic" => shell.label("topic", &c.value),
            _ => c.value.clone(),
        };
        by_dim.entry(dim).or_default().push((label, c.count));
    }
    let tallies = [
        "gender",
        "age_band",
        "status",
        "nationality",
        "material",
        "topic",
    ]
    .into_iter()
    .map(|d| (d, by_dim.remove(d).unwrap_or_default()))
    .collect();
    let encounters = store::encounters_of_outings(&state.db, &[o.id]).await?;
    let ids: Vec<i32> = encounters.iter().map(|e| e.contact_id).collect();
    let contacts = store::contacts(&state.db, &ids)
        .await?
        .into_iter()
        .map(|c| {
            let first = encounters
                .iter()
                .any(|e| e.contact_id == c.id && e.new_contact);
            (c.id, c.code, first)
        })
        .collect();
    let mut observations = Vec::new();
    for ob in store::observations_of(&state.db, o.id).await? {
        let note = match &ob.note_enc {
            Some(n) => state
                .keys
                .decrypt_str(store::OBSERVATION_NOTE, n)
                .map_err(|_| AppError::Internal("observation note cannot be decrypted"))?,
            None => String::new(),
        };
        observations.push((
            place_name(ob.place_id),
            ob.people_seen,
            ob.new_groups,
            ob.control_signs,
            note,
        ));
    }
    let notes = match &o.notes_enc {
        Some(n) => state
            .keys
            .decrypt_str(store::OUTING_NOTES, n)
            .map_err(|_| AppError::Internal("outing notes cannot be decrypted"))?,
        None => String::new(),
    };
    let saved = match q.saved.as_str() {
        "" => None,
        "duplicate" => Some(shell.t("outreach-already-saved")),
        _ => Some(shell.t("outreach-saved")),
    };
    Ok(OutingPage {
        saved,
        unit,
        started: rome_time(&o.started_at),
        ended: rome_time(&o.ended_at),
        places,
        tallies,
        contacts,
        observations,
        notes,
        outing: o,
        shell,
    })
}
