//! Identification interviews requested and recorded.

use super::*;

/// `POST /hotline/interviews`: an interview requested by a Commission or a CAS.
pub async fn request_interview(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let day = match f.required_date("scheduled_on") {
        Ok(d) => d,
        Err(key) => return invalid(&state, shell, key).await,
    };
    let input = crate::hotline::ops::InterviewRequest {
        requester: f.get("requester"),
        person_code: f.get("person_code"),
        scheduled_on: day,
        mediator: f.get("mediator"),
    };
    let txn = state.db.begin().await?;
    let done = crate::hotline::ops::request_interview(&state, &txn, &me.actor, org, &input).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}

/// `POST /hotline/interviews/{id}`: consent, indicators found, outcome, report sent. An outcome
/// or a report needs the person's consent to the interview.
pub async fn record_interview(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let sent = match f.past_date("report_sent_on") {
        Ok(d) => d,
        Err(key) => return invalid(&state, shell, key).await,
    };
    let input = crate::hotline::ops::InterviewRecord {
        consent: f.checked("consent"),
        indicators: f.all("indicators"),
        outcome: f.get("outcome"),
        report_sent_on: sent,
    };
    let txn = state.db.begin().await?;
    let done =
        crate::hotline::ops::record_interview(&state, &txn, &me.actor, org, id, &input).await;
    desk_outcome(&state, shell, txn, done.map(|_| ())).await
}
