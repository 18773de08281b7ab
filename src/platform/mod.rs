//! The thin platform every area builds on: configuration, database, settings, i18n, web shell.

pub mod access;
pub mod api;
pub mod audit;
pub mod backup;
pub mod cache;
pub mod codes;
pub mod config;
pub mod crypto;
pub mod db;
pub mod i18n;
pub mod jobs;
pub mod keys;
pub mod linkage;
pub mod mail;
pub mod metrics;
pub mod migrations;
pub mod policy;
pub mod settings;
pub mod throttle;
pub mod time;
pub mod web;
pub mod webhooks;
