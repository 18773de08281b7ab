//! The `satis` binary as an operator runs it: exit codes and messages.

use std::process::{Command, Output};

use libtest_mimic::{Failed, Trial};

fn satis(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    satis_in(dir.path(), args, env)
}

/// Runs the binary in a given working directory, as an operator in that folder would.
fn satis_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_satis"));
    cmd.args(args).current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("SATIS_") || k == "DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn check(cond: bool, what: &str, o: &Output) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(format!("{what}; exit {:?}; output:\n{}", o.status.code(), text(o)).into())
    }
}

fn sqlite_exec(data: &std::path::Path, sql: &str) {
    let url = format!("sqlite://{}", data.join("satis.sqlite").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
    });
}

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test(
            "cli::first_administrator_audit_verify_and_key_rotation",
            || {
                let dir = tempfile::tempdir().unwrap();
                let data = dir.path().join("data");
                let env = [("SATIS_DATA_DIR", data.to_str().unwrap())];
                let o = satis(
                    &[
                        "user",
                        "add",
                        "--username",
                        "Admin",
                        "--name",
                        "Prima Amministratrice",
                        "--organisation",
                        "Regione Toscana",
                        "--role",
                        "administrator",
                    ],
                    &env,
                );
                check(o.status.success(), "user add succeeds", &o)?;
                check(
                    text(&o).contains("one-time password: "),
                    "prints the one-time password",
                    &o,
                )?;
                let o = satis(
                    &[
                        "user",
                        "add",
                        "--username",
                        "admin",
                        "--name",
                        "X",
                        "--organisation",
                        "R",
                        "--role",
                        "administrator",
                    ],
                    &env,
                );
                check(
                    o.status.code() == Some(2) && text(&o).contains("taken"),
                    "a taken username exits 2",
                    &o,
                )?;
                let o = satis(
                    &[
                        "user",
                        "add",
                        "--username",
                        "altro",
                        "--name",
                        "X",
                        "--organisation",
                        "R",
                        "--role",
                        "root",
                    ],
                    &env,
                );
                check(
                    o.status.code() == Some(2) && text(&o).contains("--role"),
                    "a bad role exits 2 naming --role",
                    &o,
                )?;
                let o = satis(&["user", "reset-mfa", "admin"], &env);
                check(o.status.success(), "reset-mfa succeeds", &o)?;
                let o = satis(&["user", "disable", "nobody"], &env);
                check(
                    o.status.code() == Some(1) && text(&o).contains("no user"),
                    "unknown user is a clear error",
                    &o,
                )?;
                let o = satis(
                    &[
                        "token",
                        "create",
                        "--organisation",
                        "Regione Toscana",
                        "--user",
                        "admin",
                        "--name",
                        "analytics",
                        "--scope",
                        "stats:read",
                    ],
                    &env,
                );
                check(
                    o.status.success() && text(&o).contains("satis_"),
                    "token create prints the token once",
                    &o,
                )?;
                let o = satis(
                    &[
                        "token",
                        "create",
                        "--organisation",
                        "Regione Toscana",
                        "--user",
                        "admin",
                        "--name",
                        "x",
                        "--scope",
                        "everything",
                    ],
                    &env,
                );
                check(o.status.code() == Some(2), "an unknown scope exits 2", &o)?;
                let o = satis(
                    &[
                        "token",
                        "create",
                        "--organisation",
                        "Regione Toscana",
                        "--user",
                        "admin",
                        "--name",
                        "for ever",
                        "--scope",
                        "stats:read",
                        "--expires",
                        "9999",
                    ],
                    &env,
                );
                check(
                    o.status.code() == Some(2) && text(&o).contains("--expires"),
                    "a lifetime over 730 days exits 2 naming --expires",
                    &o,
                )?;
                let o = satis(&["token", "list"], &env);
                check(
                    o.status.success()
                        && text(&o).contains("analytics")
                        && text(&o).contains("never")
                        && text(&o).contains("\tlive"),
                    "token list shows the token, its last use and its state",
                    &o,
                )?;
                let o = satis(&["token", "revoke", "1"], &env);
                check(o.status.success(), "token revoke succeeds", &o)?;
                let o = satis(&["token", "list"], &env);
                check(
                    text(&o).contains("\trevoked"),
                    "a revoked token is listed as revoked",
                    &o,
                )?;

                // Key rotation keeps everything readable under the new key.
                let o = satis(&["keys", "rotate"], &env);
                check(
                    o.status.success() && text(&o).contains("new key 2"),
                    "keys rotate",
                    &o,
                )?;
                let keys = std::fs::read_to_string(data.join("satis.keys")).unwrap();
                check(
                    keys.contains("key 1 ") && keys.contains("key 2 "),
                    "old and new keys kept",
                    &o,
                )?;

                let o = satis(&["audit", "verify"], &env);
                check(
                    o.status.success() && text(&o).contains("intact"),
                    "audit verify on an intact chain",
                    &o,
                )?;
                // A signed checkpoint, kept outside: later entries do not disturb it, a
                // changed checkpoint is refused.
                let checkpoint = dir.path().join("checkpoint.json");
                let o = satis(
                    &["audit", "checkpoint", "--out", checkpoint.to_str().unwrap()],
                    &env,
                );
                check(o.status.success(), "audit checkpoint writes a file", &o)?;
                let o = satis(&["keys", "rotate"], &env);
                check(o.status.success(), "an entry after the checkpoint", &o)?;
                let cp_arg = [
                    "audit",
                    "verify",
                    "--checkpoint",
                    checkpoint.to_str().unwrap(),
                ];
                let o = satis(&cp_arg, &env);
                check(
                    o.status.success() && text(&o).contains("nothing up to it changed"),
                    "audit verify against the checkpoint",
                    &o,
                )?;
                let original = std::fs::read_to_string(&checkpoint).unwrap();
                let forged = original.replacen("\"seq\": ", "\"seq\": 1", 1);
                let forged_file = dir.path().join("forged.json");
                std::fs::write(&forged_file, forged).unwrap();
                let o = satis(
                    &[
                        "audit",
                        "verify",
                        "--checkpoint",
                        forged_file.to_str().unwrap(),
                    ],
                    &env,
                );
                check(
                    o.status.code() == Some(1) && text(&o).contains("not signed"),
                    "a changed checkpoint is refused",
                    &o,
                )?;
                let period = [
                    "report",
                    "activity",
                    "--from",
                    "2026-01-01",
                    "--to",
                    "2026-06-30",
                ];
                let mut csv = period.to_vec();
                csv.extend(["--format", "csv"]);
                let o = satis(&csv, &env);
                check(
                    o.status.success() && text(&o).contains("hotline_cases,total,,0"),
                    "report activity as CSV",
                    &o,
                )?;
                let o = satis(&period, &env);
                check(
                    text(&o).contains("\"figure\": \"protection_programmes\""),
                    "report activity as JSON",
                    &o,
                )?;
                let o = satis(
                    &[
                        "report",
                        "activity",
                        "--from",
                        "2026-13-01",
                        "--to",
                        "2026-06-30",
                    ],
                    &env,
                );
                check(
                    o.status.code() == Some(2) && text(&o).contains("--from"),
                    "a bad date exits 2 naming the flag",
                    &o,
                )?;
                sqlite_exec(
                    &data,
                    "UPDATE audit_event SET action = 'nothing.happened' WHERE seq = 2",
                );
                let o = satis(&["audit", "verify"], &env);
                check(
                    o.status.code() == Some(1),
                    "audit verify fails on a changed byte",
                    &o,
                )?;
                check(
                    text(&o).contains("entry 2"),
                    "names the first broken entry",
                    &o,
                )?;
                let o = satis(&cp_arg, &env);
                check(
                    o.status.code() == Some(1),
                    "the checkpoint's verification fails too",
                    &o,
                )?;
                Ok(())
            },
        ),
        Trial::test("cli::import_ctdc_dry_run_refusal_and_reimport", || {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("data");
            let env = [
                ("SATIS_DATA_DIR", data.to_str().unwrap()),
                ("SATIS_DEFAULT_LOCALE", "en"),
            ];
            let (csv, _) = satis::exchange::ctdc::synthetic(120, 3);
            let good = dir.path().join("ctdc.csv");
            std::fs::write(&good, &csv).unwrap();
            let mut lines: Vec<&str> = csv.lines().collect();
            // The registration year (the first column) of the fifth row made impossible.
            let broken_line = format!("1800{}", &lines[5][4..]);
            lines[5] = &broken_line;
            let bad = dir.path().join("bad.csv");
            std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
            let g = good.to_str().unwrap();
            let o = satis(&["import", "ctdc", "--dry-run", g], &env);
            check(
                o.status.success()
                    && text(&o).contains("Dry run, nothing saved: 120 records to import"),
                "a dry run reports what it would import",
                &o,
            )?;
            let o = satis(&["import", "ctdc", bad.to_str().unwrap()], &env);
            check(
                o.status.code() == Some(2)
                    && text(&o).contains("line 6, column")
                    && text(&o).contains("No record imported"),
                "a file with a wrong row is refused, naming it",
                &o,
            )?;
            let o = satis(&["import", "ctdc", g], &env);
            check(
                o.status.success() && text(&o).contains("Imported 120 records"),
                "the good file is imported",
                &o,
            )?;
            let o = satis(&["import", "ctdc", g], &env);
            check(
                o.status.success()
                    && text(&o).contains("Imported 0 records; 120 were already present"),
                "the same file again adds nothing",
                &o,
            )?;
            let h = dir.path().join("htcds.csv");
            std::fs::write(
                &h,
                "cas_IncomingDate,prs_Gender,prs_Citizenship,vic_TypeOfExploitation\n\
                 2021-03-04,Feminine,NG,SexualExploitation\n2022-07-01,Masculine,RO,ForcedLabour\n",
            )
            .unwrap();
            let o = satis(&["import", "htcds", h.to_str().unwrap()], &env);
            check(
                o.status.success() && text(&o).contains("Imported 2 records"),
                "an HTCDS CSV is imported",
                &o,
            )?;
            let od = dir.path().join("open-data");
            let o = satis(
                &[
                    "export",
                    "open-data",
                    "--out",
                    od.to_str().unwrap(),
                    "--k",
                    "1",
                ],
                &env,
            );
            check(
                o.status.code() == Some(2) && text(&o).contains("between 2 and 1000"),
                "k below 2 is refused",
                &o,
            )?;
            let o = satis(
                &["export", "open-data", "--out", od.to_str().unwrap()],
                &env,
            );
            check(
                o.status.success()
                    && text(&o).contains("(k = 11)")
                    && od.join("ctdc-microdata.csv").exists()
                    && od.join("aggregates.csv").exists(),
                "open data are written",
                &o,
            )?;
            Ok(())
        }),
        Trial::test(
            "cli::estimate_mse_reproduces_the_uk_2013_published_estimates",
            || {
                // The Home Office's 2013 analysis (Silverman 2014): the same model, 11,313 people
                // in all (9,889–13,063) on five lists, 11,418 (9,982–13,182) on six.
                let fixtures =
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mse");
                for (file, total, low, high, terms) in [
                    (
                        "uk-2013-5-lists.csv",
                        11_313.0,
                        9_889.0,
                        13_063.0,
                        vec!["LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"],
                    ),
                    (
                        "uk-2013-6-lists.csv",
                        11_418.0,
                        9_982.0,
                        13_182.0,
                        vec![
                            "PF:NCA", "LA:NG", "NG:GP", "LA:PF", "PF:GP", "GO:GP", "NG:GO",
                        ],
                    ),
                ] {
                    let path = fixtures.join(file);
                    let o = satis(
                        &[
                            "estimate",
                            "mse",
                            "--input",
                            path.to_str().unwrap_or_default(),
                            "--format",
                            "json",
                            "--bootstrap",
                            "20",
                        ],
                        &[],
                    );
                    check(o.status.success(), file, &o)?;
                    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
                        .map_err(|e| format!("{file}: not JSON: {e}"))?;
                    let near = |x: &serde_json::Value, want: f64, tol: f64| {
                        x.as_f64().is_some_and(|x| (x - want).abs() <= want * tol)
                    };
                    check(
                        v["observed"] == 2744,
                        &format!("{file}: 2,744 observed"),
                        &o,
                    )?;
                    check(
                        near(&v["total"], total, 0.01),
                        &format!("{file}: total {total}"),
                        &o,
                    )?;
                    check(
                        near(&v["interval"]["total_low"], low, 0.03)
                            && near(&v["interval"]["total_high"], high, 0.03),
                        &format!("{file}: interval {low}–{high}"),
                        &o,
                    )?;
                    let chosen: Vec<&str> = v["model"]["terms"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|t| t.as_str()).collect())
                        .unwrap_or_default();
                    check(chosen == terms, &format!("{file}: model {terms:?}"), &o)?;
                    check(
                        v["sensitivity"].as_array().is_some_and(|a| a.len() >= 2)
                            && v["bootstrap"]["samples"] == 20,
                        &format!("{file}: other models and the bootstrap are given"),
                        &o,
                    )?;
                }
                // CSV: the chosen model first, then the others.
                let path = fixtures.join("uk-2013-5-lists.csv");
                let o = satis(
                    &[
                        "estimate",
                        "mse",
                        "--input",
                        path.to_str().unwrap_or_default(),
                        "--format",
                        "csv",
                        "--bootstrap",
                        "0",
                    ],
                    &[],
                );
                let out = String::from_utf8_lossy(&o.stdout).into_owned();
                check(
                    o.status.success()
                        && out
                            .lines()
                            .nth(1)
                            .is_some_and(|l| l.starts_with("chosen,") && l.contains(",11313,")),
                    "CSV with the chosen model first",
                    &o,
                )?;
                Ok(())
            },
        ),
        Trial::test(
            "cli::estimate_mse_refuses_a_table_without_an_estimate",
            || {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                // Two lists, nobody on both: the Lincoln–Petersen estimate is infinite.
                for (table, says) in [
                    ("A,B,count\n1,0,40\n0,1,30\n", "no estimate"),
                    ("A,B,count\n1,0,40\n", "nobody is on list B"),
                    ("A,B,count\n1,x,40\n", "line 2"),
                ] {
                    let file = dir.path().join("table.csv");
                    std::fs::write(&file, table).map_err(|e| e.to_string())?;
                    let o = satis(
                        &[
                            "estimate",
                            "mse",
                            "--input",
                            file.to_str().unwrap_or_default(),
                        ],
                        &[],
                    );
                    check(
                        !o.status.success() && o.stdout.is_empty(),
                        "refused, nothing printed",
                        &o,
                    )?;
                    check(text(&o).contains(says), says, &o)?;
                }
                let o = satis(&["estimate", "mse"], &[]);
                check(
                    o.status.code() == Some(2) && text(&o).contains("--input"),
                    "asks for --input",
                    &o,
                )?;
                Ok(())
            },
        ),
        Trial::test("cli::help_is_in_english_and_lists_commands", || {
            let o = satis(&["--help"], &[]);
            let t = text(&o);
            check(o.status.success(), "--help succeeds", &o)?;
            for word in ["serve", "migrate", "check-config", "demo", "Usage"] {
                check(t.contains(word), &format!("--help mentions {word}"), &o)?;
            }
            Ok(())
        }),
        Trial::test("cli::unknown_flag_exits_2_naming_it", || {
            let o = satis(&["--frobnicate"], &[]);
            check(o.status.code() == Some(2), "exit code 2", &o)?;
            check(text(&o).contains("--frobnicate"), "names the flag", &o)
        }),
        Trial::test(
            "cli::reminder_thresholds_are_checked_by_check_config",
            || {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                let file = dir.path().join("satis.toml");
                for (toml, says) in [
                    (
                        "[reminders]\npermit_days = 20\npermit_urgent_days = 30\n",
                        "reminders.permit_urgent_days",
                    ),
                    ("[reminders]\nconsent_days = 0\n", "reminders.consent_days"),
                    ("[reminders]\nreferral_days = 5\n", "referral_days"),
                ] {
                    std::fs::write(&file, toml).map_err(|e| e.to_string())?;
                    let o = satis(
                        &[
                            "--config",
                            file.to_str().unwrap_or_default(),
                            "check-config",
                        ],
                        &[],
                    );
                    check(
                        o.status.code() == Some(2) && text(&o).contains(says),
                        says,
                        &o,
                    )?;
                }
                let o = satis(
                    &["check-config"],
                    &[("SATIS_REMINDERS_INACTIVE_DAYS", "90")],
                );
                check(
                    o.status.success(),
                    "a threshold from the environment is accepted",
                    &o,
                )?;
                Ok(())
            },
        ),
        Trial::test("cli::bad_config_exits_2_naming_the_key", || {
            let o = satis(&["check-config"], &[("SATIS_LISTEN", "not-an-address")]);
            check(o.status.code() == Some(2), "exit code 2", &o)?;
            check(text(&o).contains("SATIS_LISTEN"), "names SATIS_LISTEN", &o)?;
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("bad.toml");
            std::fs::write(&file, "max_body_bytes = \"lots\"\n").unwrap();
            let o = satis(&["--config", file.to_str().unwrap(), "check-config"], &[]);
            check(o.status.code() == Some(2), "exit code 2 for a bad file", &o)?;
            check(
                text(&o).contains("max_body_bytes"),
                "names max_body_bytes",
                &o,
            )?;
            let o = satis(
                &["--config", "/nonexistent/satis.toml", "check-config"],
                &[],
            );
            check(
                o.status.code() == Some(2),
                "exit code 2 for a missing file",
                &o,
            )
        }),
        Trial::test(
            "cli::check_config_warns_on_unknown_keys_and_hides_secrets",
            || {
                let o = satis(
                    &["check-config"],
                    &[
                        ("SATIS_LISTN", "x"),
                        ("DATABASE_URL", "postgres://u:topsecret@127.0.0.1:1/db"),
                    ],
                );
                check(o.status.success(), "valid config succeeds", &o)?;
                check(
                    text(&o).contains("SATIS_LISTN"),
                    "warns about SATIS_LISTN",
                    &o,
                )?;
                check(!text(&o).contains("topsecret"), "password is not shown", &o)
            },
        ),
        Trial::test("cli::example_config_is_valid_and_complete", || {
            let example = concat!(env!("CARGO_MANIFEST_DIR"), "/satis.example.toml");
            let o = satis(&["--config", example, "check-config"], &[]);
            check(o.status.success(), "the example config is valid", &o)?;
            check(
                !text(&o).contains("warning"),
                "the example has no unknown key",
                &o,
            )
        }),
        Trial::test("cli::unwritable_data_dir_is_a_clear_error", || {
            let o = satis(
                &["migrate"],
                &[("SATIS_DATA_DIR", "/proc/satis-cannot-exist")],
            );
            check(o.status.code() == Some(1), "exit code 1", &o)?;
            check(
                text(&o).contains("data directory"),
                "says data directory",
                &o,
            )?;
            check(!text(&o).contains("panicked"), "no panic", &o)
        }),
        Trial::test("cli::unreachable_database_is_a_clear_error", || {
            let o = satis(
                &["migrate"],
                &[("DATABASE_URL", "postgres://satis@127.0.0.1:9/none")],
            );
            check(o.status.code() == Some(1), "exit code 1", &o)?;
            check(
                text(&o).contains("cannot open the database"),
                "clear message",
                &o,
            )?;
            check(!text(&o).contains("panicked"), "no panic", &o)
        }),
        Trial::test("cli::migrate_creates_the_sqlite_file", || {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("fresh");
            let o = satis(&["migrate"], &[("SATIS_DATA_DIR", data.to_str().unwrap())]);
            check(o.status.success(), "migrate succeeds", &o)?;
            check(
                data.join("satis.sqlite").exists(),
                "the SQLite file exists",
                &o,
            )
        }),
        Trial::test(
            "cli::the_demo_keeps_its_keys_beside_its_own_database",
            || {
                // Run from a folder as the README says: the demonstration must not create (or
                // use) the production key path ./data/satis.keys.
                let dir = tempfile::tempdir().unwrap();
                let o = satis_in(dir.path(), &["demo", "--no-serve"], &[]);
                check(o.status.success(), "demo succeeds", &o)?;
                check(
                    dir.path().join("data-demo").join("satis.keys").exists(),
                    "the demo key file is in data-demo/",
                    &o,
                )?;
                check(
                    !dir.path().join("data").exists(),
                    "nothing is written at the production path ./data",
                    &o,
                )?;
                // The banner's token command works as printed, on the demonstration's data.
                let out = text(&o);
                let line = out
                    .lines()
                    .find(|l| l.contains(" token create "))
                    .ok_or("the banner shows how to create a token")?;
                let (env, rest) = line
                    .trim()
                    .split_once(' ')
                    .ok_or("the command names its data directory")?;
                let (key, value) = env.split_once('=').ok_or("an environment variable")?;
                check(
                    key == "SATIS_DATA_DIR",
                    "the demo's data directory is named",
                    &o,
                )?;
                let args: Vec<String> = rest
                    .split(" --")
                    .skip(1)
                    .flat_map(|a| {
                        let (flag, v) = a.split_once(' ').unwrap_or((a, ""));
                        [format!("--{flag}"), v.trim_matches('"').to_owned()]
                    })
                    .collect();
                let mut argv = vec!["token", "create"];
                argv.extend(args.iter().map(String::as_str));
                let t = satis_in(dir.path(), &argv, &[(key, value)]);
                check(
                    t.status.success(),
                    "the printed command creates a token",
                    &t,
                )?;
                check(text(&t).contains("satis_"), "and prints it", &t)?;
                check(
                    !dir.path().join("data").exists(),
                    "still nothing at ./data",
                    &t,
                )
            },
        ),
        Trial::test("cli::demo_loads_and_explains_itself", || {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("demo");
            let o = satis(
                &["demo", "--no-serve"],
                &[("SATIS_DATA_DIR", data.to_str().unwrap())],
            );
            check(o.status.success(), "demo succeeds", &o)?;
            check(
                text(&o).contains("DEMONSTRATION"),
                "demo mode is announced",
                &o,
            )?;
            check(
                data.join("satis.sqlite").exists(),
                "demo database created",
                &o,
            )?;
            // A real database is refused.
            let real = dir.path().join("real");
            let o = satis(&["migrate"], &[("SATIS_DATA_DIR", real.to_str().unwrap())]);
            check(o.status.success(), "migrate a real database", &o)?;
            let o = satis(
                &["demo", "--no-serve"],
                &[("SATIS_DATA_DIR", real.to_str().unwrap())],
            );
            check(
                o.status.code() == Some(1),
                "demo refuses a real database",
                &o,
            )?;
            check(text(&o).contains("real data"), "says why", &o)
        }),
        Trial::test(
            "cli::stats_check_finds_a_wrong_summary_and_rebuild_puts_it_right",
            || {
                let dir = tempfile::tempdir().unwrap();
                let data = dir.path().join("demo");
                let env = [("SATIS_DATA_DIR", data.to_str().unwrap())];
                let o = satis(&["demo", "--no-serve"], &env);
                check(o.status.success(), "demo succeeds", &o)?;
                let o = satis(&["stats", "check"], &env);
                check(o.status.success(), "the demo's summaries agree", &o)?;
                check(text(&o).contains("agree with the records"), "says so", &o)?;
                sqlite_exec(
                    &data,
                    "UPDATE stats_day SET n = n + 7 WHERE span = 'd' \
                     AND id = (SELECT MIN(id) FROM stats_day WHERE span = 'd')",
                );
                let o = satis(&["stats", "check"], &env);
                check(
                    o.status.code() == Some(1),
                    "a wrong summary fails the check",
                    &o,
                )?;
                check(
                    text(&o).contains("DIFFER") && text(&o).contains("days that differ: 1 ("),
                    "names the day",
                    &o,
                )?;
                let o = satis(&["stats", "rebuild"], &env);
                check(o.status.success(), "rebuild succeeds", &o)?;
                check(text(&o).contains("rebuilt"), "says what it did", &o)?;
                let o = satis(&["stats", "check"], &env);
                check(o.status.success(), "agree again after the rebuild", &o)
            },
        ),
        Trial::test(
            "cli::a_backup_taken_while_writing_restores_exactly_what_preceded_it",
            backup_restore_drill,
        ),
        Trial::test(
            "cli::on_postgresql_a_backup_taken_while_writing_restores_exactly_what_preceded_it",
            backup_restore_drill_postgres,
        ),
        Trial::test(
            "cli::serve_gives_metrics_on_their_own_address_only",
            serve_gives_metrics_on_their_own_address_only,
        ),
    ]
}

/// A free local port (the listener is closed at once: the server takes it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` over plain HTTP/1.1: the status and the body, or `None` if nothing answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

/// `satis serve` with `SATIS_METRICS_LISTEN` answers `/metrics` in the Prometheus text format on
/// that address, and never on the public one.
fn serve_gives_metrics_on_their_own_address_only() -> Result<(), Failed> {
    let dir = tempfile::tempdir().unwrap();
    let (public, metrics) = (free_port(), free_port());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_satis"));
    cmd.arg("serve").current_dir(dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("SATIS_") || k == "DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.env("SATIS_DATA_DIR", dir.path().join("data"))
        .env("SATIS_LISTEN", format!("127.0.0.1:{public}"))
        .env("SATIS_METRICS_LISTEN", format!("127.0.0.1:{metrics}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let outcome = (|| {
        let started = std::time::Instant::now();
        while http_get(public, "/healthz").is_none_or(|(s, _)| s != 200) {
            if started.elapsed() > std::time::Duration::from_secs(60) {
                return Err::<(), Failed>("the server did not start".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        http_get(public, "/privacy");
        let (status, body) =
            http_get(metrics, "/metrics").ok_or("no answer on the metrics address")?;
        if status != 200
            || !body.contains("# TYPE satis_database_up gauge")
            || !body.contains("satis_database_up 1")
            || !body.contains("satis_audit_chain_length")
        {
            return Err(format!("metrics: {status}\n{body}").into());
        }
        match http_get(public, "/metrics") {
            Some((200, b)) if b.contains("satis_database_up") => {
                Err("the metrics are served on the public address".into())
            }
            _ => Ok(()),
        }
    })();
    let _ = child.kill();
    let _ = child.wait();
    outcome
}

/// Usernames in the SQLite database of a data directory.
fn usernames(data: &std::path::Path) -> Vec<String> {
    let url = format!("sqlite://{}", data.join("satis.sqlite").display());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::{Connection, Row};
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        let rows = sqlx::query("SELECT username FROM app_user ORDER BY username")
            .fetch_all(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    })
}

fn add_user(env: &[(&str, &str)], username: &str) -> Output {
    satis(
        &[
            "user",
            "add",
            "--username",
            username,
            "--name",
            "Zyxcanary Quellvorname",
            "--organisation",
            "Regione Toscana",
            "--role",
            "administrator",
        ],
        env,
    )
}

fn new_backup_identity(env: &[(&str, &str)], path: &std::path::Path) -> Output {
    satis(
        &["keys", "backup-identity", "--to", path.to_str().unwrap()],
        env,
    )
}

/// The restore drill, short form: a writer keeps adding accounts while a backup is taken; the
/// backup restored into a fresh place holds every account acknowledged before the backup
/// began, none begun after it ended, each once, and its audit trail verifies. The backup is
/// never readable in clear, and a restore refuses what it must refuse.
fn backup_restore_drill() -> Result<(), Failed> {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap().to_owned();
    let env = [("SATIS_DATA_DIR", data_s.as_str())];
    for u in ["prima", "seconda"] {
        let o = add_user(&env, u);
        check(o.status.success(), "an account before the backup", &o)?;
    }
    let identity = dir.path().join("backup-identity.txt");
    let o = new_backup_identity(&env, &identity);
    check(o.status.success(), "a backup identity is created", &o)?;
    let recipient = text(&o)
        .lines()
        .find(|l| l.starts_with("age1"))
        .unwrap_or_default()
        .to_owned();
    check(!recipient.is_empty(), "its public key is printed", &o)?;
    let archive = dir.path().join("satis.age");
    let o = satis(&["backup", "--to", archive.to_str().unwrap()], &env);
    check(
        o.status.code() == Some(2) && text(&o).contains("recipient"),
        "a backup without a recipient is refused (never in clear)",
        &o,
    )?;

    // The writer: (username, began, acknowledged) for each account it adds.
    type Written = Vec<(String, Instant, Option<Instant>)>;
    let log: Arc<Mutex<Written>> = Arc::default();
    let writer = {
        let log = log.clone();
        let data_s = data_s.clone();
        std::thread::spawn(move || {
            for i in 0..6 {
                let name = format!("scrittore{i}");
                let began = Instant::now();
                let o = add_user(&[("SATIS_DATA_DIR", data_s.as_str())], &name);
                let done = o.status.success().then(Instant::now);
                log.lock().unwrap().push((name, began, done));
            }
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let backup_began = Instant::now();
    let o = satis(
        &[
            "backup",
            "--to",
            archive.to_str().unwrap(),
            "--recipient",
            &recipient,
        ],
        &env,
    );
    let backup_ended = Instant::now();
    check(o.status.success(), "the backup is taken while writing", &o)?;
    check(
        text(&o).contains("NOT in it"),
        "it says the key file is kept apart",
        &o,
    )?;
    writer.join().unwrap();
    let o = add_user(&env, "dopo");
    check(o.status.success(), "an account after the backup", &o)?;

    let bytes = std::fs::read(&archive).unwrap();
    check(
        bytes.starts_with(b"age-encryption.org/v1")
            && !bytes.windows(15).any(|w| w == b"SQLite format 3")
            && !bytes.windows(8).any(|w| w == b"Zyxcanar"),
        "the backup is an age file, nothing readable in it",
        &o,
    )?;
    let leftovers: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".satis-"))
        .collect();
    check(
        leftovers.is_empty(),
        "no snapshot in clear is left behind",
        &o,
    )?;

    // Restored into a fresh place, with the installation's key file put there first.
    let fresh = dir.path().join("fresh");
    let fresh_s = fresh.to_str().unwrap().to_owned();
    let fenv = [("SATIS_DATA_DIR", fresh_s.as_str())];
    let restore = |extra: &[&str], id: &std::path::Path| {
        let mut args = vec![
            "restore",
            "--from",
            archive.to_str().unwrap(),
            "--identity",
            id.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        satis(&args, &fenv)
    };
    let o = restore(&[], &identity);
    check(
        o.status.code() == Some(2) && text(&o).contains("key file"),
        "no restore without the installation's key file",
        &o,
    )?;
    // The key file travels apart from the backup, protected by a passphrase.
    let exported = dir.path().join("satis-keys.age");
    let exported_s = exported.to_str().unwrap().to_owned();
    let pass = dir.path().join("passphrase.txt");
    std::fs::write(&pass, "una frase lunga e segreta\n").unwrap();
    let pass_s = pass.to_str().unwrap().to_owned();
    let o = satis(
        &["keys", "export", "--to", &exported_s],
        &[
            ("SATIS_DATA_DIR", data_s.as_str()),
            ("SATIS_KEYS_PASSPHRASE", "corta"),
        ],
    );
    check(
        o.status.code() == Some(2) && !exported.exists(),
        "a short passphrase is refused and nothing written",
        &o,
    )?;
    let o = satis(
        &[
            "keys",
            "export",
            "--to",
            &exported_s,
            "--passphrase-file",
            &pass_s,
        ],
        &env,
    );
    check(
        o.status.success() && text(&o).contains("APART from the backups"),
        "the key file is exported with a warning about where to keep it",
        &o,
    )?;
    let key_text = std::fs::read_to_string(data.join("satis.keys")).unwrap();
    let sealed = std::fs::read(&exported).unwrap();
    check(
        sealed.starts_with(b"age-encryption.org/v1")
            && key_text
                .lines()
                .filter_map(|l| l.split_whitespace().last())
                .filter(|secret| secret.len() > 20)
                .all(|secret| !String::from_utf8_lossy(&sealed).contains(secret)),
        "the exported key file holds no key in clear",
        &o,
    )?;
    let o = satis(
        &["keys", "import", "--from", &exported_s],
        &[
            ("SATIS_DATA_DIR", fresh_s.as_str()),
            ("SATIS_KEYS_PASSPHRASE", "un'altra frase lunga"),
        ],
    );
    check(
        o.status.code() == Some(1) && !fresh.join("satis.keys").exists(),
        "a wrong passphrase puts nothing in place",
        &o,
    )?;
    let o = satis(
        &[
            "keys",
            "import",
            "--from",
            &exported_s,
            "--passphrase-file",
            &pass_s,
        ],
        &fenv,
    );
    check(
        o.status.success(),
        "the exported key file is put in place",
        &o,
    )?;
    check(
        std::fs::read_to_string(fresh.join("satis.keys")).unwrap() == key_text,
        "the same keys",
        &o,
    )?;
    let o = satis(
        &[
            "keys",
            "import",
            "--from",
            &exported_s,
            "--passphrase-file",
            &pass_s,
        ],
        &fenv,
    );
    check(
        o.status.code() == Some(2),
        "an existing key file is never overwritten",
        &o,
    )?;
    let stranger = dir.path().join("other-identity.txt");
    let o = new_backup_identity(&env, &stranger);
    check(o.status.success(), "another identity", &o)?;
    let o = restore(&[], &stranger);
    check(
        o.status.code() == Some(1) && text(&o).contains("nothing restored"),
        "another identity opens nothing",
        &o,
    )?;
    let o = restore(&[], &identity);
    check(o.status.success(), "the backup restores", &o)?;
    let restored = usernames(&fresh);
    for u in ["prima", "seconda"] {
        check(
            restored.iter().filter(|r| *r == u).count() == 1,
            &format!("{u} is restored once: {restored:?}"),
            &o,
        )?;
    }
    for (name, began, done) in log.lock().unwrap().iter() {
        if done.is_some_and(|d| d < backup_began) {
            check(
                restored.contains(name),
                &format!("{name}, acknowledged before the backup, is restored"),
                &o,
            )?;
        }
        if *began > backup_ended {
            check(
                !restored.contains(name),
                &format!("{name}, begun after the backup, is not"),
                &o,
            )?;
        }
    }
    check(
        !restored.contains(&"dopo".to_owned()),
        "nothing after the backup",
        &o,
    )?;
    let o = satis(&["audit", "verify"], &fenv);
    check(
        o.status.success() && text(&o).contains("intact"),
        "the restored audit trail verifies",
        &o,
    )?;
    let o = restore(&[], &identity);
    check(
        o.status.code() == Some(1) && text(&o).contains("--force"),
        "a database holding data is not replaced without --force",
        &o,
    )?;
    let o = restore(&["--force"], &identity);
    check(o.status.success(), "with --force it is", &o)
}

/// Usernames in a PostgreSQL database.
fn pg_usernames(url: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::{Connection, Row};
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let rows = sqlx::query("SELECT username FROM app_user ORDER BY username")
            .fetch_all(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    })
}

fn psql(admin: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([admin, "-qAtc", sql])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The restore drill on PostgreSQL (`pg_dump` / `pg_restore`): a writer keeps adding accounts
/// while the backup is taken; restored into a fresh database, every account acknowledged
/// before the backup began is there once, none begun after it ended, and the audit trail
/// verifies with the installation's keys.
fn backup_restore_drill_postgres() -> Result<(), Failed> {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    let admin = std::env::var("SATIS_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if !psql(&admin, "SELECT 1") {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!("CI=true requires PostgreSQL at {admin}").into());
        }
        return Ok(());
    }
    let server = admin.rsplit_once('/').map_or(admin.as_str(), |(s, _)| s);
    let tag = std::process::id();
    let (src, dst) = (
        format!("satis_drill_src_{tag}"),
        format!("satis_drill_dst_{tag}"),
    );
    for db in [&src, &dst] {
        psql(&admin, &format!("DROP DATABASE IF EXISTS {db}"));
        if !psql(&admin, &format!("CREATE DATABASE {db}")) {
            return Err(format!("cannot create {db}").into());
        }
    }
    let (src_url, dst_url) = (format!("{server}/{src}"), format!("{server}/{dst}"));
    let outcome = (|| -> Result<(), Failed> {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let data_s = data.to_str().unwrap().to_owned();
        let env = [
            ("SATIS_DATA_DIR", data_s.as_str()),
            ("DATABASE_URL", src_url.as_str()),
        ];
        for u in ["prima", "seconda"] {
            let o = add_user(&env, u);
            check(o.status.success(), "an account before the backup", &o)?;
        }
        let identity = dir.path().join("backup-identity.txt");
        let o = new_backup_identity(&env, &identity);
        check(o.status.success(), "a backup identity is created", &o)?;
        let recipient = text(&o)
            .lines()
            .find(|l| l.starts_with("age1"))
            .unwrap_or_default()
            .to_owned();
        let archive = dir.path().join("satis-pg.age");
        type Written = Vec<(String, Instant, Option<Instant>)>;
        let log: Arc<Mutex<Written>> = Arc::default();
        let writer = {
            let log = log.clone();
            let (data_s, src_url) = (data_s.clone(), src_url.clone());
            std::thread::spawn(move || {
                for i in 0..6 {
                    let name = format!("scrittore{i}");
                    let began = Instant::now();
                    let o = add_user(
                        &[
                            ("SATIS_DATA_DIR", data_s.as_str()),
                            ("DATABASE_URL", src_url.as_str()),
                        ],
                        &name,
                    );
                    let done = o.status.success().then(Instant::now);
                    log.lock().unwrap().push((name, began, done));
                }
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        let backup_began = Instant::now();
        let o = satis(
            &[
                "backup",
                "--to",
                archive.to_str().unwrap(),
                "--recipient",
                &recipient,
            ],
            &env,
        );
        let backup_ended = Instant::now();
        check(o.status.success(), "the backup is taken while writing", &o)?;
        writer.join().unwrap();
        let o = add_user(&env, "dopo");
        check(o.status.success(), "an account after the backup", &o)?;
        let bytes = std::fs::read(&archive).unwrap();
        check(
            bytes.starts_with(b"age-encryption.org/v1") && !bytes.windows(5).any(|w| w == b"PGDMP"),
            "the backup is an age file, no dump readable in it",
            &o,
        )?;
        // A fresh place: the installation's key file (kept apart) and an empty database.
        let fresh = dir.path().join("fresh");
        std::fs::create_dir_all(&fresh).unwrap();
        std::fs::copy(data.join("satis.keys"), fresh.join("satis.keys")).unwrap();
        let fresh_s = fresh.to_str().unwrap().to_owned();
        let fenv = [
            ("SATIS_DATA_DIR", fresh_s.as_str()),
            ("DATABASE_URL", dst_url.as_str()),
        ];
        let o = satis(
            &[
                "restore",
                "--from",
                archive.to_str().unwrap(),
                "--identity",
                identity.to_str().unwrap(),
            ],
            &fenv,
        );
        check(
            o.status.success(),
            "the backup restores into PostgreSQL",
            &o,
        )?;
        let restored = pg_usernames(&dst_url);
        for u in ["prima", "seconda"] {
            check(
                restored.iter().filter(|r| *r == u).count() == 1,
                &format!("{u} is restored once: {restored:?}"),
                &o,
            )?;
        }
        for (name, began, done) in log.lock().unwrap().iter() {
            if done.is_some_and(|d| d < backup_began) {
                check(
                    restored.iter().filter(|r| *r == name).count() == 1,
                    &format!("{name}, acknowledged before the backup, is restored once"),
                    &o,
                )?;
            }
            if *began > backup_ended {
                check(
                    !restored.contains(name),
                    &format!("{name}, begun after the backup, is not"),
                    &o,
                )?;
            }
        }
        check(
            !restored.contains(&"dopo".to_owned()),
            "nothing after the backup",
            &o,
        )?;
        let o = satis(&["audit", "verify"], &fenv);
        check(
            o.status.success() && text(&o).contains("intact"),
            "the restored audit trail verifies",
            &o,
        )?;
        let o = satis(&["stats", "check"], &fenv);
        check(
            o.status.success(),
            "the restored statistics summaries agree with the records",
            &o,
        )
    })();
    for db in [&src, &dst] {
        psql(
            &admin,
            &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
        );
    }
    outcome
}
