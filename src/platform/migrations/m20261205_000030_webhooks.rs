//! Webhooks for integrators (issue 25): an organisation's subscriptions (an HTTPS endpoint,
//! the event types it wants, its signing secret sealed) and the outbox of deliveries, one row
//! per event and subscription, written in the transaction of what caused the event.

use sea_orm_migration::prelude::*;

use super::{id, pk, ts, ts_null};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000030_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("webhook_subscription"))
                .col(pk())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("url")).string_len(500).not_null())
                .col(ColumnDef::new(id("secret_enc")).blob().not_null())
                // Event types, comma-separated codes from `platform::webhooks::EVENTS`.
                .col(ColumnDef::new(id("events")).string_len(400).not_null())
                .col(ColumnDef::new(id("active")).boolean().not_null())
                .col(ColumnDef::new(id("created_by")).integer().not_null())
                .col(ts("created_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(id("webhook_delivery"))
                .col(pk())
                // The event's id (a UUID), the same for every subscription it goes to.
                .col(ColumnDef::new(id("event_id")).string_len(36).not_null())
                .col(ColumnDef::new(id("subscription_id")).integer().not_null())
                .col(ColumnDef::new(id("organisation_id")).integer().not_null())
                .col(ColumnDef::new(id("event_type")).string_len(40).not_null())
                .col(ColumnDef::new(id("record_type")).string_len(40).not_null())
                .col(ColumnDef::new(id("record_id")).integer().not_null())
                .col(ts("occurred_at"))
                .col(ColumnDef::new(id("body")).text().not_null())
                // `pending`, `delivered`, `failed` (given up), `cancelled` (subscription ended).
                .col(ColumnDef::new(id("state")).string_len(16).not_null())
                .col(ColumnDef::new(id("attempts")).integer().not_null())
                .col(ts("next_at"))
                .col(ColumnDef::new(id("last_error")).string_len(60).null())
                .col(ts("created_at"))
                .col(ts_null("delivered_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_delivery_state_next")
                .table(id("webhook_delivery"))
                .col(id("state"))
                .col(id("next_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_delivery_record")
                .table(id("webhook_delivery"))
                .col(id("subscription_id"))
                .col(id("record_type"))
                .col(id("record_id"))
                .col(id("id"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webhook_delivery_org")
                .table(id("webhook_delivery"))
                .col(id("organisation_id"))
                .col(id("id"))
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("webhook_delivery")).to_owned())
            .await?;
        m.drop_table(Table::drop().table(id("webhook_subscription")).to_owned())
            .await
    }
}
