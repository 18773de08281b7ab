//! Queries of public reports, receipts included.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{message, report};

pub const WHAT: &str = "public_report.what";
pub const PLACE: &str = "public_report.place";
pub const SINCE: &str = "public_report.since";
pub const GENDER: &str = "public_report.gender";
pub const CONTACT: &str = "public_report.contact";
pub const MESSAGE: &str = "report_message.text";

/// Opens one sealed text of a report (`""` when it was left empty).
pub fn open_text(
    keys: &crate::platform::crypto::KeyRing,
    ctx: &str,
    sealed: &Option<Vec<u8>>,
) -> Result<String, crate::platform::web::AppError> {
    sealed.as_ref().map_or(Ok(String::new()), |b| {
        keys.decrypt_str(ctx, b)
            .map_err(|_| crate::platform::web::AppError::Internal("report cannot be decrypted"))
    })
}

const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ23456789";

/// A new receipt: five groups of four characters from a 30-symbol alphabet. The first group
/// finds the row; the other four (≈ 78.5 bits from the operating system's generator) are the
/// secret, kept only as an Argon2id hash.
pub fn new_receipt() -> String {
    let mut bytes = [0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    // Rejection-free mapping: 256 is not a multiple of 30, so use 240 = 8 × 30 and redraw.
    let mut chars = Vec::with_capacity(20);
    let mut pool = bytes.to_vec();
    while chars.len() < 20 {
        if pool.is_empty() {
            let mut more = [0u8; 20];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut more);
            pool.extend_from_slice(&more);
        }
        let b = pool.remove(0);
        if b < 240 {
            chars.push(char::from(ALPHABET[usize::from(b % 30)]));
        }
    }
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A receipt as typed: upper-case, separators and spaces ignored; `None` if malformed.
pub fn normalise_receipt(raw: &str) -> Option<String> {
    let clean: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if clean.len() != 20 || !clean.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    Some(
        clean
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-"),
    )
}

pub fn lookup_of(receipt: &str) -> &str {
    receipt.split('-').next().unwrap_or("")
}

pub async fn add(
    db: &impl ConnectionTrait,
    r: report::ActiveModel,
) -> Result<report::Model, DbErr> {
    r.insert(db).await
}

pub async fn by_submission(
    db: &impl ConnectionTrait,
    hash: &str,
) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::SubmissionHash.eq(hash))
        .one(db)
        .await
}

pub async fn candidates(
    db: &impl ConnectionTrait,
    lookup: &str,
) -> Result<Vec<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::ReceiptLookup.eq(lookup))
        .limit(20)
        .all(db)
        .await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find_by_id(id).one(db).await
}

/// How many reports wait to be triaged.
pub async fn untriaged(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    report::Entity::find()
        .filter(report::Column::Status.eq("new"))
        .count(db)
        .await
}

/// Where the untriaged queue continues: after report `id` among those saying someone is in
/// danger now (`later == false`), or among the others (`later == true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueAfter {
    pub later: bool,
    pub id: i32,
}

/// A page of the untriaged queue in the order the hotline works it: reports saying someone is
/// in danger now first, then the others, the one waiting longest first in each group. Keyset
/// pages (never OFFSET): however long the queue, every report is reached and none twice.
pub async fn untriaged_page(
    db: &impl ConnectionTrait,
    limit: u64,
    after: Option<QueueAfter>,
) -> Result<Vec<report::Model>, DbErr> {
    let mut rows = Vec::new();
    if !after.is_some_and(|a| a.later) {
        let mut q = report::Entity::find()
            .filter(report::Column::Status.eq("new"))
            .filter(report::Column::Urgency.eq("now"));
        if let Some(a) = after {
            q = q.filter(report::Column::Id.gt(a.id));
        }
        rows = q
            .order_by_asc(report::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
    }
    let taken = rows.len() as u64;
    if taken < limit {
        let mut q = report::Entity::find()
            .filter(report::Column::Status.eq("new"))
            .filter(report::Column::Urgency.ne("now"));
        if let Some(a) = after.filter(|a| a.later) {
            q = q.filter(report::Column::Id.gt(a.id));
        }
        rows.extend(
            q.order_by_asc(report::Column::Id)
                .limit(limit - taken)
                .all(db)
                .await?,
        );
    }
    Ok(rows)
}

/// A page of reports, newest first, continuing below the id `after`, only those in `status`
/// when one is given (the API's list; the status index serves the filtered one).
pub async fn page(
    db: &impl ConnectionTrait,
    status: Option<&str>,
    limit: u64,
    after: Option<i32>,
) -> Result<Vec<report::Model>, DbErr> {
    let mut q = report::Entity::find();
    if let Some(status) = status {
        q = q.filter(report::Column::Status.eq(status));
    }
    if let Some(after) = after {
        q = q.filter(report::Column::Id.lt(after));
    }
    q.order_by_desc(report::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn messages(
    db: &impl ConnectionTrait,
    report_id: i32,
) -> Result<Vec<message::Model>, DbErr> {
    message::Entity::find()
        .filter(message::Column::ReportId.eq(report_id))
        .order_by_asc(message::Column::Id)
        .all(db)
        .await
}

pub async fn add_message(db: &impl ConnectionTrait, m: message::ActiveModel) -> Result<(), DbErr> {
    m.insert(db).await?;
    Ok(())
}

/// Records a report's triage if it is still new; `false` when it was triaged already.
pub async fn triage(
    db: &impl ConnectionTrait,
    id: i32,
    status: &str,
    contact: Option<i32>,
    duplicate_of: Option<i32>,
) -> Result<bool, DbErr> {
    let done = report::Entity::update_many()
        .col_expr(report::Column::Status, Expr::value(status))
        .col_expr(report::Column::TriageContactId, Expr::value(contact))
        .col_expr(report::Column::DuplicateOf, Expr::value(duplicate_of))
        .col_expr(report::Column::TriagedAt, Expr::value(Utc::now()))
        .filter(report::Column::Id.eq(id))
        .filter(report::Column::Status.eq("new"))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Deletes the text of reports triaged before `cutoff`, and of their messages; the counts stay.
pub async fn erase_triaged_before(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let old: Vec<i32> = report::Entity::find()
        .filter(report::Column::TriagedAt.lt(cutoff))
        .filter(report::Column::WhatEnc.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if old.is_empty() {
        return Ok(0);
    }
    let none = || Expr::value(Option::<Vec<u8>>::None);
    report::Entity::update_many()
        .col_expr(report::Column::WhatEnc, none())
        .col_expr(report::Column::PlaceEnc, none())
        .col_expr(report::Column::SinceEnc, none())
        .col_expr(report::Column::GenderEnc, none())
        .col_expr(report::Column::ContactEnc, none())
        .filter(report::Column::Id.is_in(old.clone()))
        .exec(db)
        .await?;
    message::Entity::update_many()
        .col_expr(message::Column::TextEnc, none())
        .filter(message::Column::ReportId.is_in(old.clone()))
        .exec(db)
        .await?;
    Ok(u64::try_from(old.len()).unwrap_or(u64::MAX))
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "what_enc",
        context: WHAT,
    },
    crate::platform::keys::EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "place_enc",
        context: PLACE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "since_enc",
        context: SINCE,
    },
    crate::platform::keys::EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "gender_enc",
        context: GENDER,
    },
    crate::platform::keys::EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "contact_enc",
        context: CONTACT,
    },
    crate::platform::keys::EncryptedColumn {
        table: "report_message",
        key: "id",
        column: "text_enc",
        context: MESSAGE,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_long_random_and_typable() {
        let r = new_receipt();
        assert_eq!(r.len(), 24);
        assert_eq!(
            normalise_receipt(&r.to_lowercase().replace('-', " ")),
            Some(r.clone())
        );
        assert_ne!(new_receipt(), r);
        assert_eq!(normalise_receipt("short"), None);
        assert_eq!(
            normalise_receipt("AAAA-AAAA-AAAA-AAAA-AAA1"),
            None,
            "1 is not in the alphabet"
        );
        // 16 secret characters of 30 symbols: at least 64 bits.
        assert!(16.0 * 30f64.log2() >= 64.0);
        // Every symbol appears over many draws (no bias to a few).
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            seen.extend(new_receipt().chars().filter(|c| *c != '-'));
        }
        assert_eq!(seen.len(), 30);
    }
}
