//! Mediator requests, emergency reception and shift notes, asked for from the desk.

use super::*;

pub async fn request_mediator(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let Some(needed_at) = crate::platform::time::parse_rome_time(&f.get("needed_at")) else {
        return invalid(&state, shell, "network-error-date").await;
    };
    let input = crate::hotline::ops::MediatorRequest {
        contact_id: f.get("contact_id").parse().ok(),
        language: f.get("language").to_uppercase(),
        needed_at,
        place: f.get("place"),
        requester: f.get("requester"),
    };
    let txn = state.db.begin().await?;
    match crate::hotline::ops::request_mediator(&state, &txn, &me.actor, org, &input).await {
        Ok(m) => {
            txn.commit().await?;
            Ok(back_to_work(m.contact_id))
        }
        Err(crate::hotline::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(e) => invalid(&state, shell, e.message_key()).await,
    }
}

pub async fn update_mediator(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let change = crate::hotline::ops::MediatorChange {
        status: f.get("status"),
        mediator_user_id: f.get("mediator_user_id").parse().ok(),
        mediator: f.opt("mediator"),
        outcome: f.opt("outcome"),
    };
    let txn = state.db.begin().await?;
    let done =
        crate::hotline::ops::change_mediator(&state, &txn, &me.actor, org, id, &change).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}

/// Back to the desk once a desk operation is done, or the desk again with its message.
pub(super) async fn desk_outcome(
    state: &SharedState,
    shell: Shell,
    txn: sea_orm::DatabaseTransaction,
    done: Result<(), crate::hotline::ops::HotlineOpError>,
) -> Result<Response, AppError> {
    match done {
        Ok(()) => {
            txn.commit().await?;
            Ok(Redirect::to("/hotline").into_response())
        }
        Err(crate::hotline::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            invalid(state, shell, e.message_key()).await
        }
    }
}

/// Back to the desk, with what the call still asks to start when the work came from a call.
pub(super) fn back_to_work(contact_id: Option<i32>) -> Response {
    match contact_id {
        Some(id) => Redirect::to(&format!("/hotline?work={id}#follow-up")).into_response(),
        None => Redirect::to("/hotline").into_response(),
    }
}

pub async fn start_emergency(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let input = crate::hotline::ops::EmergencyStart {
        contact_id: f.get("contact_id").parse().ok(),
        danger: f.get("danger"),
    };
    let txn = state.db.begin().await?;
    match crate::hotline::ops::start_emergency(&state, &txn, &me.actor, org, &input).await {
        Ok(e) => {
            txn.commit().await?;
            Ok(back_to_work(e.contact_id))
        }
        Err(crate::hotline::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(e) => invalid(&state, shell, e.message_key()).await,
    }
}

/// `POST /hotline/emergencies/{id}`: tick a step, or close with the shelter and the body that
/// takes over.
pub async fn update_emergency(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let change = match f.opt("step") {
        Some(step) => crate::hotline::ops::EmergencyChange::Step(step),
        None => crate::hotline::ops::EmergencyChange::HandOver {
            service_id: f.get("service_id").parse().ok(),
            handed_over_to: f.get("handed_over_to").parse().ok(),
        },
    };
    let txn = state.db.begin().await?;
    let done =
        crate::hotline::ops::change_emergency(&state, &txn, &me.actor, org, id, &change).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}

pub async fn add_shift_note(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let txn = state.db.begin().await?;
    let done =
        crate::hotline::ops::add_shift_note(&state, &txn, &me.actor, org, &f.get("text")).await;
    desk_outcome(&state, shell, txn, done).await
}

// ---------- the mediator's own desk ----------

#[derive(Template, WebTemplate)]
#[template(path = "hotline/templates/mediations.html")]
pub struct MediationsPage {
    pub shell: Shell,
    pub mediations: Vec<crate::hotline::ops::Mediation>,
    pub error: Option<String>,
    /// The request whose outcome was refused, and what was typed.
    pub typed: Option<(i32, String)>,
}

async fn mediations_page(
    state: &SharedState,
    shell: Shell,
    error: Option<String>,
    typed: Option<(i32, String)>,
) -> Result<MediationsPage, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let mediations = match crate::hotline::ops::my_mediations(state, &me.actor).await {
        Ok(list) => list,
        Err(crate::hotline::ops::HotlineOpError::Failed(e)) => return Err(e),
        Err(_) => return Err(AppError::Forbidden),
    };
    Ok(MediationsPage {
        shell,
        mediations,
        error,
        typed,
    })
}

/// `GET /mediazioni`: the mediator's requests, the next one first.
pub async fn mediations(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<MediationsPage, AppError> {
    mediations_page(&state, shell, None, None).await
}

/// `POST /mediazioni/{id}`: the mediator records how it went.
pub async fn record_mediation(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let f = Fields::parse(&body);
    let outcome = f.get("outcome");
    let txn = state.db.begin().await?;
    match crate::hotline::ops::record_mediation(&state, &txn, &me.actor, id, &outcome).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(Redirect::to(&format!("/mediazioni?done={id}#mediation-{id}")).into_response())
        }
        Err(crate::hotline::ops::HotlineOpError::Failed(e)) => Err(e),
        Err(e) => {
            txn.rollback().await?;
            let error = Some(shell.t(e.message_key()));
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                mediations_page(&state, shell, error, Some((id, outcome))).await?,
            )
                .into_response())
        }
    }
}
