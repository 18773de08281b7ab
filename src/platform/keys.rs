//! Key rotation: every encrypted column is listed here, so that `satis keys rotate` can
//! re-encrypt all of them under a new key. An area that adds an encrypted column adds it to
//! [`ENCRYPTED_COLUMNS`] (the canary test checks each one is really encrypted).

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

use crate::platform::crypto::{CryptoError, KeyRing};

/// One encrypted column: its table, integer primary key, column, and encryption context.
#[derive(Clone, Copy, Debug)]
pub struct EncryptedColumn {
    pub table: &'static str,
    pub key: &'static str,
    pub column: &'static str,
    pub context: &'static str,
}

pub const ENCRYPTED_COLUMNS: &[EncryptedColumn] = &[
    EncryptedColumn {
        table: "referral",
        key: "id",
        column: "package_enc",
        context: crate::referrals::store::PACKAGE,
    },
    EncryptedColumn {
        table: "outing",
        key: "id",
        column: "notes_enc",
        context: crate::outreach::store::OUTING_NOTES,
    },
    EncryptedColumn {
        table: "place_observation",
        key: "id",
        column: "note_enc",
        context: crate::outreach::store::OBSERVATION_NOTE,
    },
    EncryptedColumn {
        table: "app_user",
        key: "id",
        column: "display_name_enc",
        context: crate::identity::store::DISPLAY_NAME,
    },
    EncryptedColumn {
        table: "app_user",
        key: "id",
        column: "totp_secret_enc",
        context: crate::identity::store::TOTP_SECRET,
    },
    EncryptedColumn {
        table: "network_service",
        key: "id",
        column: "address_enc",
        context: crate::network::store::SERVICE_ADDRESS,
    },
    EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "names_enc",
        context: crate::cases::store::NAMES,
    },
    EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "aliases_enc",
        context: crate::cases::store::ALIASES,
    },
    EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "birth_date_enc",
        context: crate::cases::store::BIRTH_DATE,
    },
    EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "documents_enc",
        context: crate::cases::store::DOCUMENTS,
    },
    EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "phone_enc",
        context: crate::cases::store::PHONE,
    },
    EncryptedColumn {
        table: "person_identity",
        key: "person_id",
        column: "address_enc",
        context: crate::cases::store::ADDRESS,
    },
    EncryptedColumn {
        table: "case_event",
        key: "id",
        column: "text_enc",
        context: crate::cases::store::EVENT_TEXT,
    },
    EncryptedColumn {
        table: "hotline_contact",
        key: "id",
        column: "notes_enc",
        context: crate::hotline::store::NOTES,
    },
    EncryptedColumn {
        table: "shift_note",
        key: "id",
        column: "text_enc",
        context: crate::hotline::store::SHIFT_NOTE,
    },
    EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "what_enc",
        context: crate::reports::store::WHAT,
    },
    EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "place_enc",
        context: crate::reports::store::PLACE,
    },
    EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "since_enc",
        context: crate::reports::store::SINCE,
    },
    EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "gender_enc",
        context: crate::reports::store::GENDER,
    },
    EncryptedColumn {
        table: "public_report",
        key: "id",
        column: "contact_enc",
        context: crate::reports::store::CONTACT,
    },
    EncryptedColumn {
        table: "report_message",
        key: "id",
        column: "text_enc",
        context: crate::reports::store::MESSAGE,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("database: {0}")]
    Db(&'static str),
    #[error("{table}.{column} row {id}: {source}")]
    Value {
        table: &'static str,
        column: &'static str,
        id: i64,
        source: CryptoError,
    },
}

impl From<DbErr> for RotateError {
    fn from(e: DbErr) -> Self {
        RotateError::Db(crate::platform::db::describe(&e))
    }
}

/// Re-encrypts every value not sealed with the ring's current key, in one transaction.
/// Returns how many values were rewritten.
pub async fn reencrypt_all(db: &DatabaseConnection, ring: &KeyRing) -> Result<u64, RotateError> {
    let current = ring.current_id();
    let txn = db.begin().await?;
    let mut count = 0u64;
    for col in ENCRYPTED_COLUMNS {
        let select = Query::select()
            .column(Alias::new(col.key))
            .column(Alias::new(col.column))
            .from(Alias::new(col.table))
            .and_where(Expr::col(Alias::new(col.column)).is_not_null())
            .to_owned();
        let rows = txn.query_all(&select).await?;
        for row in rows {
            let id: i64 = row
                .try_get_by_index::<i32>(0)
                .map(i64::from)
                .or_else(|_| row.try_get_by_index::<i64>(0))?;
            let sealed: Vec<u8> = row.try_get_by_index(1)?;
            if KeyRing::key_id_of(&sealed) == Some(current) {
                continue;
            }
            let err = |source| RotateError::Value {
                table: col.table,
                column: col.column,
                id,
                source,
            };
            let plain = ring.decrypt(col.context, &sealed).map_err(err)?;
            let resealed = ring.encrypt(col.context, &plain).map_err(err)?;
            let update = Query::update()
                .table(Alias::new(col.table))
                .value(Alias::new(col.column), resealed)
                .and_where(Expr::col(Alias::new(col.key)).eq(id))
                .to_owned();
            txn.execute(&update).await?;
            count += 1;
        }
    }
    txn.commit().await?;
    Ok(count)
}
