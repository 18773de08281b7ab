//! The audit trail: append-only and hash-chained. Every read and write of personal data and
//! every access decision on a protected record adds an entry: who, for which organisation, what,
//! on which record, about whom, why, when, and whether it was allowed.
//!
//! Each entry's hash covers its fields and the previous entry's hash, so changing a byte or
//! removing a row breaks the chain; `satis audit verify` walks it. Appends lock the single
//! `audit_head` row, so concurrent appends (several app instances on PostgreSQL) never fork it.
//!
//! The hash is keyed (`k1:` + HMAC-SHA-256 under a key derived from the key file, see
//! `KeyRing::audit_mac`): whoever can write the database but not read the key file cannot
//! rewrite an entry and recompute the chain. Entries written before the chain was keyed keep
//! their unkeyed SHA-256 and are accepted only as the chain's beginning; signed checkpoints
//! ([`checkpoint`], kept by the DPO outside the system) prove that nothing up to them changed.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, Verifier};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    Condition, ConnectionTrait, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::platform::crypto::KeyRing;
use crate::platform::migrations::m20261123_000002_identity::GENESIS;
use crate::platform::policy::Actor;

/// The prefix of a keyed entry hash.
const KEYED: &str = "k1:";

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_event")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub at: ChronoDateTimeUtc,
        pub actor_user_id: Option<i32>,
        pub actor_username: Option<String>,
        pub actor_organisation_id: Option<i32>,
        pub action: String,
        pub record_kind: String,
        pub record_id: Option<String>,
        pub subject: Option<String>,
        pub reason: Option<String>,
        pub outcome: String,
        pub prev_hash: String,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod head {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_head")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub seq: i64,
        pub hash: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Whether the audited access was allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
        }
    }
}

/// One thing to record.
#[derive(Clone, Debug)]
pub struct Entry {
    pub actor_user_id: Option<i32>,
    pub actor_username: Option<String>,
    pub actor_organisation_id: Option<i32>,
    /// What was done, e.g. `user.create`, `person.identity.read`, `login.failed`.
    pub action: String,
    /// The kind of record, e.g. `user`, `person`, `case`.
    pub record_kind: String,
    pub record_id: Option<String>,
    /// Whose personal data this concerns (a person code, a user id): what the auditor filters on.
    pub subject: Option<String>,
    pub reason: Option<String>,
    pub outcome: Outcome,
}

impl Entry {
    pub fn new(actor: Option<&Actor>, action: &str, record_kind: &str) -> Entry {
        Entry {
            actor_user_id: actor.map(|a| a.user_id),
            actor_username: actor.map(|a| a.username.clone()),
            actor_organisation_id: actor.and_then(|a| a.organisation_id),
            action: action.to_owned(),
            record_kind: record_kind.to_owned(),
            record_id: None,
            subject: None,
            reason: None,
            outcome: Outcome::Allowed,
        }
    }

    pub fn record(mut self, id: impl ToString) -> Entry {
        self.record_id = Some(id.to_string());
        self
    }

    pub fn subject(mut self, subject: impl ToString) -> Entry {
        self.subject = Some(subject.to_string());
        self
    }

    pub fn reason(mut self, reason: impl ToString) -> Entry {
        self.reason = Some(reason.to_string());
        self
    }

    pub fn denied(mut self) -> Entry {
        self.outcome = Outcome::Denied;
        self
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "\u{2205}".to_owned(), ToString::to_string)
}

/// What an entry's hash covers: its fields, separated by a unit separator, and the previous
/// hash. Timestamps count in whole microseconds (what both backends store).
fn hashed_text(m: &event::Model) -> String {
    let fields = [
        m.seq.to_string(),
        m.at.timestamp_micros().to_string(),
        opt(&m.actor_user_id),
        opt(&m.actor_username),
        opt(&m.actor_organisation_id),
        m.action.clone(),
        m.record_kind.clone(),
        opt(&m.record_id),
        opt(&m.subject),
        opt(&m.reason),
        m.outcome.clone(),
        m.prev_hash.clone(),
    ];
    fields.join("\u{1f}")
}

/// The keyed hash of an entry, as written today.
fn entry_hash(keys: &KeyRing, m: &event::Model) -> String {
    format!(
        "{KEYED}{}",
        hex::encode(keys.audit_mac(hashed_text(m).as_bytes()))
    )
}

/// The unkeyed hash entries had before the chain was keyed.
fn legacy_hash(m: &event::Model) -> String {
    hex::encode(Sha256::digest(hashed_text(m).as_bytes()))
}

fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// Appends an entry. Inside a transaction it joins it (as a savepoint), so a write and its
/// audit entry are committed together or not at all.
pub async fn append<C>(db: &C, keys: &KeyRing, entry: Entry) -> Result<(), DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    append_all(db, keys, vec![entry]).await
}

/// Appends entries in order, in one transaction (one durable commit for all of them): the
/// chain links each to the one before as if they had been appended one by one.
pub async fn append_all<C>(db: &C, keys: &KeyRing, entries: Vec<Entry>) -> Result<(), DbErr>
where
    C: ConnectionTrait + TransactionTrait,
{
    if entries.is_empty() {
        return Ok(());
    }
    let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let txn = db.begin().await?;
    // Take the head's row lock first (PostgreSQL) / the write lock (SQLite).
    head::Entity::update_many()
        .col_expr(head::Column::Seq, Expr::col(head::Column::Seq).add(n))
        .filter(head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    let current = head::Entity::find_by_id(1)
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit head".into()))?;
    let first = current.seq - n + 1;
    let mut prev = current.hash;
    let mut rows = Vec::with_capacity(entries.len());
    for (seq, entry) in (first..).zip(entries) {
        let mut model = event::Model {
            seq,
            at: now_micros(),
            actor_user_id: entry.actor_user_id,
            actor_username: entry.actor_username,
            actor_organisation_id: entry.actor_organisation_id,
            action: entry.action,
            record_kind: entry.record_kind,
            record_id: entry.record_id,
            subject: entry.subject,
            reason: entry.reason,
            outcome: entry.outcome.as_str().to_owned(),
            prev_hash: prev,
            hash: String::new(),
        };
        model.hash = entry_hash(keys, &model);
        prev = model.hash.clone();
        rows.push(event::ActiveModel::from(model));
    }
    event::Entity::insert_many(rows).exec(&txn).await?;
    head::Entity::update_many()
        .col_expr(head::Column::Hash, Expr::value(prev))
        .filter(head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    txn.commit().await
}

/// The most entries one group commit writes.
const GROUP_MAX: usize = 256;

type Waiting = (Vec<Entry>, tokio::sync::oneshot::Sender<Result<(), String>>);

/// Group commit of the audit entries written outside any other transaction (the reads and
/// the access decisions taken before an operation): concurrent requests hand their entries
/// to one writer, which appends all that are waiting in one transaction, so that they share
/// one durable commit (one fsync) instead of one each. Each request waits until its own entry
/// is committed: no page is shown before its audit entry is durable, and when the commit
/// fails every request in it fails.
#[derive(Default)]
pub struct GroupCommit {
    queue: std::sync::OnceLock<tokio::sync::mpsc::Sender<Waiting>>,
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GroupCommit")
    }
}

impl GroupCommit {
    /// Appends an entry and waits until it is durable (the writer starts with the first).
    pub async fn append(
        &self,
        db: &sea_orm::DatabaseConnection,
        keys: &KeyRing,
        entry: Entry,
    ) -> Result<(), DbErr> {
        self.append_all(db, keys, vec![entry]).await
    }

    /// Appends one request's entries, in order and in the same commit, and waits until they
    /// are durable (a page that audits two decisions waits for one commit, not two).
    pub async fn append_all(
        &self,
        db: &sea_orm::DatabaseConnection,
        keys: &KeyRing,
        entries: Vec<Entry>,
    ) -> Result<(), DbErr> {
        if entries.is_empty() {
            return Ok(());
        }
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = tokio::sync::mpsc::channel(4 * GROUP_MAX);
            tokio::spawn(group_writer(
                db.clone(),
                keys.clone(),
                rx,
                self.commits.clone(),
            ));
            tx
        });
        let (done, committed) = tokio::sync::oneshot::channel();
        if let Err(tokio::sync::mpsc::error::SendError((entries, _))) =
            queue.send((entries, done)).await
        {
            // The writer is gone (its runtime ended): append alone, as before.
            return append_all(db, keys, entries).await;
        }
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(DbErr::Custom(format!("audit group commit failed: {e}"))),
            Err(_) => Err(DbErr::Custom("audit group commit stopped".into())),
        }
    }

    /// How many group commits were made (each one durable commit for one or more entries).
    pub fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Relaxed)
    }
}

async fn group_writer(
    db: sea_orm::DatabaseConnection,
    keys: KeyRing,
    mut rx: tokio::sync::mpsc::Receiver<Waiting>,
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    while let Some((first, done)) = rx.recv().await {
        let mut entries = first;
        let mut waiting = vec![done];
        while entries.len() < GROUP_MAX {
            match rx.try_recv() {
                Ok((more, done)) => {
                    entries.extend(more);
                    waiting.push(done);
                }
                Err(_) => break,
            }
        }
        let result = append_all(&db, &keys, entries)
            .await
            .map_err(|e| e.to_string());
        commits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for w in waiting {
            // A request that gave up waiting has nobody to tell.
            let _ = w.send(result.clone());
        }
    }
}

/// The first problem found in the chain.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    #[error("audit entry {seq}: its content does not match its hash (changed)")]
    Altered { seq: i64 },
    #[error(
        "audit entry {seq}: does not link to the entry before it (an entry was removed or changed)"
    )]
    Unlinked { seq: i64 },
    #[error("audit entry {expected} is missing (found {found} in its place)")]
    Missing { expected: i64, found: i64 },
    #[error("the last audit entries, from {expected}, are missing (the chain head says {head})")]
    Truncated { expected: i64, head: i64 },
    #[error("the audit chain head does not match the last entry")]
    HeadMismatch,
    #[error(
        "audit entry {seq}: its hash is not keyed although entries before it are (rewritten \
         by someone without the key file)"
    )]
    Unkeyed { seq: i64 },
    #[error("the checkpoint was not signed by this installation's key, or was changed")]
    CheckpointSignature,
    #[error("audit entry {seq} is not the one the checkpoint recorded (changed or removed)")]
    CheckpointDiffers { seq: i64 },
}

/// An intact chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Intact entries.
    pub entries: i64,
    /// Of which written before the chain was keyed (protected by checkpoints only).
    pub unkeyed: i64,
    /// The last entry's hash.
    pub head_hash: String,
}

/// Walks the whole chain.
pub async fn verify<C: ConnectionTrait>(
    db: &C,
    keys: &KeyRing,
) -> Result<Result<Verified, Broken>, DbErr> {
    let mut expected_seq = 1i64;
    let mut prev = GENESIS.to_owned();
    let mut unkeyed = 0i64;
    loop {
        let batch = event::Entity::find()
            .filter(event::Column::Seq.gte(expected_seq))
            .order_by_asc(event::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for m in batch {
            if m.seq != expected_seq {
                return Ok(Err(Broken::Missing {
                    expected: expected_seq,
                    found: m.seq,
                }));
            }
            if m.prev_hash != prev {
                return Ok(Err(Broken::Unlinked { seq: m.seq }));
            }
            if m.hash.starts_with(KEYED) {
                if entry_hash(keys, &m) != m.hash {
                    return Ok(Err(Broken::Altered { seq: m.seq }));
                }
            } else if unkeyed != expected_seq - 1
                || keys.audit_legacy_until().is_some_and(|until| m.seq > until)
            {
                return Ok(Err(Broken::Unkeyed { seq: m.seq }));
            } else if legacy_hash(&m) != m.hash {
                return Ok(Err(Broken::Altered { seq: m.seq }));
            } else {
                unkeyed += 1;
            }
            prev = m.hash;
            expected_seq += 1;
        }
    }
    let head = head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit head".into()))?;
    if head.seq >= expected_seq {
        return Ok(Err(Broken::Truncated {
            expected: expected_seq,
            head: head.seq,
        }));
    }
    if head.hash != prev {
        return Ok(Err(Broken::HeadMismatch));
    }
    Ok(Ok(Verified {
        entries: expected_seq - 1,
        unkeyed,
        head_hash: prev,
    }))
}

/// For an installation whose key file predates the keyed chain: records in the key file the
/// last entry that may keep its unkeyed hash (the current head, once the chain up to it
/// verifies), so that later entries can never be passed off as old ones. Does nothing when
/// the boundary is already recorded; a read-only key file leaves it unrecorded (and says so).
pub async fn record_legacy_boundary<C: ConnectionTrait>(
    db: &C,
    keys: &mut KeyRing,
    key_file: &std::path::Path,
) -> Result<(), DbErr> {
    if keys.audit_legacy_until().is_some() {
        return Ok(());
    }
    match verify(db, keys).await? {
        Ok(v) => {
            let mut updated = keys.clone();
            updated.set_audit_legacy_until(v.entries);
            match updated.save(key_file) {
                Ok(()) => {
                    *keys = updated;
                    tracing::info!(
                        entries = v.entries,
                        "audit chain: entries up to this one keep their unkeyed hash; every \
                         later one is keyed (recorded in the key file)"
                    );
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "audit chain: could not record the keyed chain's start in the key file"
                ),
            }
        }
        Err(broken) => tracing::error!(%broken, "audit chain BROKEN: run `satis audit verify`"),
    }
    Ok(())
}

/// A signed statement of the chain's head at one moment, for the DPO to keep outside the
/// system: `satis audit verify --checkpoint FILE` then proves that nothing up to it changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: String,
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
    /// The Ed25519 public key that signed it (hex).
    pub public_key: String,
    /// The signature over format, seq, hash and time (hex).
    pub signature: String,
}

const CHECKPOINT_FORMAT: &str = "satis-audit-checkpoint-v1";

fn checkpoint_message(seq: i64, hash: &str, at: DateTime<Utc>) -> String {
    format!(
        "{CHECKPOINT_FORMAT}\u{1f}{seq}\u{1f}{hash}\u{1f}{}",
        at.timestamp_micros()
    )
}

/// Signs the current head, after checking that the chain up to it is intact.
pub async fn checkpoint<C: ConnectionTrait>(
    db: &C,
    keys: &KeyRing,
) -> Result<Result<Checkpoint, Broken>, DbErr> {
    let verified = match verify(db, keys).await? {
        Ok(v) => v,
        Err(b) => return Ok(Err(b)),
    };
    let at = now_micros();
    let key = keys.checkpoint_key();
    let signature =
        key.sign(checkpoint_message(verified.entries, &verified.head_hash, at).as_bytes());
    Ok(Ok(Checkpoint {
        format: CHECKPOINT_FORMAT.to_owned(),
        seq: verified.entries,
        hash: verified.head_hash,
        at,
        public_key: hex::encode(key.verifying_key().as_bytes()),
        signature: hex::encode(signature.to_bytes()),
    }))
}

/// Whether the checkpoint is genuine (signed by this installation's key) and the entry it
/// names is still the same. Combined with [`verify`], nothing up to it changed.
pub async fn check_checkpoint<C: ConnectionTrait>(
    db: &C,
    keys: &KeyRing,
    cp: &Checkpoint,
) -> Result<Result<(), Broken>, DbErr> {
    let key = keys.checkpoint_key().verifying_key();
    let signature = hex::decode(&cp.signature)
        .ok()
        .and_then(|b| ed25519_dalek::Signature::from_slice(&b).ok());
    let genuine = cp.format == CHECKPOINT_FORMAT
        && cp.public_key == hex::encode(key.as_bytes())
        && signature.is_some_and(|sig| {
            key.verify(checkpoint_message(cp.seq, &cp.hash, cp.at).as_bytes(), &sig)
                .is_ok()
        });
    if !genuine {
        return Ok(Err(Broken::CheckpointSignature));
    }
    if cp.seq == 0 {
        return Ok(if cp.hash == GENESIS {
            Ok(())
        } else {
            Err(Broken::CheckpointSignature)
        });
    }
    let entry = event::Entity::find_by_id(cp.seq).one(db).await?;
    Ok(match entry {
        Some(e) if e.hash == cp.hash => Ok(()),
        _ => Err(Broken::CheckpointDiffers { seq: cp.seq }),
    })
}

/// Filters of the auditor's page.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub subject: Option<String>,
    pub record_kind: Option<String>,
    pub record_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only entries before this sequence number: where the previous page stopped (keyset
    /// pages: the newest entries first, however long the chain, none skipped or repeated).
    pub before: Option<i64>,
}

/// Entries matching `filter`, newest first, at most `limit`.
/// The audit chain's length (its last sequence number; 0 when empty).
pub async fn chain_length<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    Ok(event::Entity::find()
        .order_by_desc(event::Column::Seq)
        .one(db)
        .await?
        .map_or(0, |e| e.seq))
}

/// When `action` last succeeded (e.g. the newest good backup), if ever.
pub async fn last_success<C: ConnectionTrait>(
    db: &C,
    action: &str,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(event::Entity::find()
        .filter(event::Column::Action.eq(action))
        .filter(event::Column::Outcome.eq(Outcome::Allowed.as_str()))
        .order_by_desc(event::Column::Seq)
        .one(db)
        .await?
        .map(|e| e.at))
}

/// The latest entry of `action`, whatever its outcome: when, and the reason it gives.
pub async fn latest<C: ConnectionTrait>(
    db: &C,
    action: &str,
) -> Result<Option<(DateTime<Utc>, Option<String>)>, DbErr> {
    Ok(event::Entity::find()
        .filter(event::Column::Action.eq(action))
        .order_by_desc(event::Column::Seq)
        .one(db)
        .await?
        .map(|e| (e.at, e.reason)))
}

pub async fn search<C: ConnectionTrait>(
    db: &C,
    filter: &Filter,
    limit: u64,
) -> Result<Vec<event::Model>, DbErr> {
    let mut cond = Condition::all();
    if let Some(s) = &filter.subject {
        cond = cond.add(event::Column::Subject.eq(s.clone()));
    }
    if let Some(k) = &filter.record_kind {
        cond = cond.add(event::Column::RecordKind.eq(k.clone()));
    }
    if let Some(r) = &filter.record_id {
        cond = cond.add(event::Column::RecordId.eq(r.clone()));
    }
    if let Some(a) = &filter.actor {
        cond = cond.add(event::Column::ActorUsername.eq(a.clone()));
    }
    if let Some(a) = &filter.action {
        cond = cond.add(event::Column::Action.starts_with(a.clone()));
    }
    if let Some(f) = filter.from {
        cond = cond.add(event::Column::At.gte(f));
    }
    if let Some(t) = filter.to {
        cond = cond.add(event::Column::At.lt(t));
    }
    if let Some(b) = filter.before {
        cond = cond.add(event::Column::Seq.lt(b));
    }
    event::Entity::find()
        .filter(cond)
        .order_by_desc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}
