//! One contact: its page, changes, accompaniments and the link to a case.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "hotline/templates/contact.html")]
pub struct ContactPage {
    pub shell: Shell,
    pub c: contact::Model,
    pub at: String,
    pub notes: String,
    pub earlier: Vec<ContactRow>,
    pub error: Option<String>,
}

impl ContactPage {
    /// A fresh idempotency key for the page's accompaniment form.
    pub fn fresh_key(&self) -> String {
        crate::platform::crypto::random_token(18)
    }

    pub fn has_outcome(&self, code: &str) -> bool {
        crate::platform::codes::contains(&self.c.outcomes, code)
    }
    pub fn list(&self, prefix: &str, codes: &str) -> String {
        crate::platform::codes::iter(codes)
            .map(|c| self.shell.label(prefix, c))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(super) async fn contact_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    action: Action,
    error: Option<String>,
) -> Result<ContactPage, AppError> {
    let (me, _) = staff(&shell)?;
    let c = store::contact(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let resource = Resource {
        owner_organisation_id: c.organisation_id,
        shared_with: Vec::new(),
    };
    let rid = c.id.to_string();
    authorize(
        state,
        &me.actor,
        action,
        &resource,
        None,
        Target {
            kind: "hotline_contact",
            id: &rid,
            subject: c.caller_ref.as_deref(),
        },
    )
    .await?;
    let notes = match &c.notes_enc {
        Some(sealed) => state
            .keys
            .decrypt_str(store::NOTES, sealed)
            .map_err(|_| AppError::Internal("notes cannot be decrypted"))?,
        None => String::new(),
    };
    let earlier = store::same_caller(&state.db, &c)
        .await?
        .into_iter()
        .map(|e| ContactRow {
            id: e.id,
            at: crate::platform::time::rome_time(&e.started_at),
            relevance: shell.label("relevance", &e.relevance),
            caller: e
                .caller_kind
                .as_deref()
                .map(|k| shell.label("caller", k))
                .unwrap_or_default(),
            province: e.province.unwrap_or_default(),
            follow_up: e.previous_contact_id.is_some(),
        })
        .collect();
    Ok(ContactPage {
        at: crate::platform::time::rome_time(&c.started_at),
        shell,
        c,
        notes,
        earlier,
        error,
    })
}

pub async fn show(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<ContactPage, AppError> {
    contact_page(&state, shell, id, Action::Read, None).await
}

/// `POST /hotline/contacts/{id}`: outcomes and notes, with stale-form detection.
pub async fn update(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let page = contact_page(&state, shell, id, Action::Write, None).await?;
    let me = page.shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let change = crate::hotline::ops::ContactChange {
        outcomes: f.all("outcomes"),
        notes: f.get("notes"),
        version: f.get("version").parse().unwrap_or(-1),
    };
    let txn = state.db.begin().await?;
    match crate::hotline::ops::update_contact(&state, &txn, &me.actor, id, &change, None).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/hotline/contacts/{id}")).into_response())
        }
        Err(crate::hotline::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(crate::hotline::ops::HotlineOpError::Stale) => {
            txn.rollback().await?;
            let shell = page.shell;
            let error = Some(shell.t("case-error-conflict"));
            let fresh = contact_page(&state, shell, id, Action::Read, error).await?;
            Ok((StatusCode::CONFLICT, fresh).into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            let error = Some(page.shell.t(e.message_key()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ContactPage { error, ..page },
            )
                .into_response())
        }
    }
}

/// `POST /hotline/contacts/{id}/accompaniments`: the hotline accompanied the caller to a
/// service. The same record type as the street units' and case workers' accompaniments.
pub async fn add_accompaniment(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let page = contact_page(&state, shell, id, Action::Write, None).await?;
    let me = page.shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let on = f.required_date("happened_on");
    let input = on.map(|on| crate::hotline::ops::CallAccompaniment {
        happened_on: on,
        service_kind: f.get("service_kind"),
        outcome: f.get("outcome"),
        idempotency_key: f.get("idempotency_key"),
    });
    let txn = state.db.begin().await?;
    let saved = match &input {
        Ok(input) => crate::hotline::ops::accompany(&state, &txn, &me.actor, &page.c, input)
            .await
            .map_err(|e| match e {
                crate::hotline::ops::HotlineOpError::Failed(e) => Err(e),
                e => Ok(e.message_key()),
            }),
        Err(k) => Err(Ok(*k)),
    };
    match saved {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/hotline/contacts/{id}")).into_response())
        }
        Err(Err(e)) => Err(e),
        Err(Ok(k)) => {
            let error = Some(page.shell.t(k));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ContactPage { error, ..page },
            )
                .into_response())
        }
    }
}

/// `POST /hotline/contacts/{id}/case`: links the contact to a person's case the operator may
/// see (the case's own access rule decides, and is audited).
pub async fn link_case(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let page = contact_page(&state, shell, id, Action::Write, None).await?;
    let me = page.shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let Ok(case_id) = f.get("case_id").parse::<i32>() else {
        let error = Some(page.shell.t("hotline-error-case"));
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ContactPage { error, ..page },
        )
            .into_response());
    };
    let version: i32 = f.get("version").parse().unwrap_or(-1);
    let txn = state.db.begin().await?;
    match crate::hotline::ops::link_case(&state, &txn, &me.actor, id, version, case_id).await {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/hotline/contacts/{id}")).into_response())
        }
        Err(crate::hotline::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(crate::hotline::ops::HotlineOpError::Stale) => {
            txn.rollback().await?;
            let shell = page.shell;
            let error = Some(shell.t("case-error-conflict"));
            Ok((
                StatusCode::CONFLICT,
                contact_page(&state, shell, id, Action::Read, error).await?,
            )
                .into_response())
        }
        Err(e) => {
            txn.rollback().await?;
            let error = Some(page.shell.t(e.message_key()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ContactPage { error, ..page },
            )
                .into_response())
        }
    }
}
