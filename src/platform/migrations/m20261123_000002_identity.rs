//! Identity and access: organisations (minimal until the network registry lands), users,
//! memberships with roles, sessions, recovery codes, API tokens, emergency access, and the
//! hash-chained audit trail.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_identity"
    }
}

fn fk(table: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(id(table), id(col))
        .to(id(to), id("id"))
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("organisation"))
                .col(pk())
                .col(
                    ColumnDef::new(id("name"))
                        .string_len(200)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(id("kind")).string_len(40).not_null())
                .col(ColumnDef::new(id("province")).string_len(2).null())
                .col(ColumnDef::new(id("is_public")).boolean().not_null())
                .col(ts("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("app_user"))
                .col(pk())
                .col(
                    ColumnDef::new(id("username"))
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(id("display_name_enc")).blob().not_null())
                .col(
                    ColumnDef::new(id("password_hash"))
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(id("totp_secret_enc")).blob().null())
                .col(ColumnDef::new(id("totp_last_step")).big_integer().null())
                .col(ColumnDef::new(id("disabled")).boolean().not_null())
                .col(ColumnDef::new(id("locale")).string_len(8).null())
                .col(ts("created_at"))
                .col(ts("password_changed_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("membership"))
                .col(pk())
                .col(ColumnDef::new(id("user_id")).integer().not_null())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("role")).string_len(40).not_null())
                .col(ts("granted_at"))
                .col(ColumnDef::new(id("granted_by")).integer().null())
                .foreign_key(&mut fk("membership", "user_id", "app_user"))
                .foreign_key(&mut fk("membership", "organisation_id", "organisation"))
                .index(
                    Index::create()
                        .name("ux_membership_user_org_role")
                        .col(id("user_id"))
                        .col(id("organisation_id"))
                        .col(id("role"))
                        .unique(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("user_session"))
                .col(
                    ColumnDef::new(id("id"))
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(id("user_id")).integer().not_null())
                .col(ColumnDef::new(id("organisation_id")).integer().null())
                .col(ColumnDef::new(id("csrf_token")).string_len(64).not_null())
                .col(ColumnDef::new(id("mfa_ok")).boolean().not_null())
                .col(ts("created_at"))
                .col(ts("last_seen_at"))
                .foreign_key(&mut fk("user_session", "user_id", "app_user"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_user_session_user")
                .table(id("user_session"))
                .col(id("user_id"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("recovery_code"))
                .col(pk())
                .col(ColumnDef::new(id("user_id")).integer().not_null())
                .col(ColumnDef::new(id("code_hash")).string_len(64).not_null())
                .col(ts_null("used_at"))
                .foreign_key(&mut fk("recovery_code", "user_id", "app_user"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("api_token"))
                .col(pk())
                .col(
                    ColumnDef::new(id("lookup"))
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(id("token_hash")).string_len(64).not_null())
                .col(ColumnDef::new(id("name")).string_len(100).not_null())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("scopes")).string_len(500).not_null())
                .col(ts("created_at"))
                .col(ts_null("revoked_at"))
                .col(ts_null("last_used_at"))
                .foreign_key(&mut fk("api_token", "organisation_id", "organisation"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("break_glass"))
                .col(pk())
                .col(ColumnDef::new(id("user_id")).integer().not_null())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("record_kind")).string_len(40).not_null())
                .col(ColumnDef::new(id("record_id")).string_len(64).not_null())
                .col(ColumnDef::new(id("reason")).text().not_null())
                .col(ts("started_at"))
                .col(ts("expires_at"))
                .col(ColumnDef::new(id("reviewed_by")).integer().null())
                .col(ts_null("reviewed_at"))
                .col(ColumnDef::new(id("review_note")).text().null())
                .foreign_key(&mut fk("break_glass", "user_id", "app_user"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(id("audit_event"))
                .col(
                    ColumnDef::new(id("seq"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ts("at"))
                .col(ColumnDef::new(id("actor_user_id")).integer().null())
                .col(ColumnDef::new(id("actor_username")).string_len(64).null())
                .col(ColumnDef::new(id("actor_organisation_id")).integer().null())
                .col(ColumnDef::new(id("action")).string_len(60).not_null())
                .col(ColumnDef::new(id("record_kind")).string_len(40).not_null())
                .col(ColumnDef::new(id("record_id")).string_len(64).null())
                .col(ColumnDef::new(id("subject")).string_len(64).null())
                .col(ColumnDef::new(id("reason")).text().null())
                .col(ColumnDef::new(id("outcome")).string_len(10).not_null())
                .col(ColumnDef::new(id("prev_hash")).string_len(64).not_null())
                .col(ColumnDef::new(id("hash")).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_subject")
                .table(id("audit_event"))
                .col(id("subject"))
                .to_owned(),
        )
        .await?;
        // The chain's head: one row, locked by every append so appends never fork the chain.
        m.create_table(
            Table::create()
                .table(id("audit_head"))
                .col(ColumnDef::new(id("id")).integer().not_null().primary_key())
                .col(ColumnDef::new(id("seq")).big_integer().not_null())
                .col(ColumnDef::new(id("hash")).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(id("audit_head"))
                .columns([id("id"), id("seq"), id("hash")])
                .values_panic([1.into(), 0i64.into(), GENESIS.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "audit_head",
            "audit_event",
            "break_glass",
            "api_token",
            "recovery_code",
            "user_session",
            "membership",
            "app_user",
            "organisation",
        ] {
            m.drop_table(Table::drop().table(id(t)).to_owned()).await?;
        }
        Ok(())
    }
}

/// The hash the first audit entry links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
