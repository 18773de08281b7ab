//! Anonymous contacts: found by code, shown, and linked to a case.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/contact.html")]
pub struct ContactPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub contact: contact::Model,
    /// (outing id, when, first met)
    pub outings: Vec<(i32, String, bool)>,
    pub interviews: Vec<InterviewRow>,
    /// The linked case's person code, when linked.
    pub linked: Option<(i32, String)>,
}

pub(super) async fn own_contact(
    state: &SharedState,
    org: i32,
    id: i32,
) -> Result<contact::Model, AppError> {
    let c = store::contact(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if c.organisation_id != org {
        return Err(AppError::Forbidden);
    }
    Ok(c)
}

pub(super) async fn contact_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    error: Option<String>,
) -> Result<ContactPage, AppError> {
    let (_, org) = staff(&shell)?;
    let c = own_contact(state, org, id).await?;
    let mut outings = Vec::new();
    for e in store::encounters_of_contact(&state.db, c.id).await? {
        if let Some(o) = store::outing(&state.db, e.outing_id).await? {
            outings.push((o.id, rome_time(&o.started_at), e.new_contact));
        }
    }
    let interviews = store::interviews_of_contact(&state.db, c.id)
        .await?
        .into_iter()
        .map(|i| InterviewRow {
            on: i.held_on,
            desk: String::new(),
            code: c.code.clone(),
            outcome: shell.label("interview-outcome", &i.outcome),
        })
        .collect();
    let linked = match c.case_id {
        Some(case_id) => crate::cases::person_code_of(&state.db, case_id)
            .await?
            .map(|code| (case_id, code)),
        None => None,
    };
    Ok(ContactPage {
        shell,
        error,
        contact: c,
        outings,
        interviews,
        linked,
    })
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// `GET /outreach/contacts?code=…`: finds one of the unit's anonymous contacts by its code.
pub async fn find_contact(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<CodeQuery>,
) -> Result<Response, AppError> {
    let (_, org) = staff(&shell)?;
    let found = match rules::contact_code(&q.code) {
        Ok(code) => store::contact_by_code(&state.db, org, &code).await?,
        Err(_) => None,
    };
    match found {
        Some(c) => Ok(Redirect::to(&format!("/outreach/contacts/{}", c.id)).into_response()),
        None => invalid(&state, shell, "outreach-error-no-contact").await,
    }
}

pub async fn show_contact(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<ContactPage, AppError> {
    contact_page(&state, shell, id, None).await
}

/// `POST /outreach/contacts/{id}/link`: the person behind an anonymous code now has a case (by
/// the person's code). The case must be one the actor may write to; the link is audited.
pub async fn link_contact(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    match crate::outreach::ops::link_contact(
        &state,
        &txn,
        &me.actor,
        org,
        id,
        &f.get("person_code"),
    )
    .await
    {
        Ok(_) => txn.commit().await?,
        Err(crate::outreach::ops::OutreachOpError::Failed(e)) => return Err(e),
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                contact_page(&state, shell, id, error).await?,
            )
                .into_response());
        }
    }
    Ok(Redirect::to(&format!("/outreach/contacts/{id}")).into_response())
}
