//! Information materials and the monthly newsletter (issue 27): an editor uploads a leaflet (a
//! photo's location stripped; a file that is no image, one too large, a missing language
//! refused with nothing stored), a second editor publishes it and the public downloads it in
//! Arabic; a citizen subscribes (double opt-in through a real SMTP server), confirms (the link
//! used twice or expired refused), receives the month's issue with both parts and the
//! unsubscribe headers, and leaves in one click (RFC 8058).

use std::io::Cursor;

use satis::platform::policy::Role;

use crate::notify::{Smtp, deliver, free_port};
use crate::support::{TestApp, TestDb, scalar};

crate::tests![
    a_leaflet_is_uploaded_cleaned_reviewed_and_downloaded,
    a_pdf_leaflet_is_stored_without_who_wrote_it,
    a_citizen_subscribes_confirms_reads_the_issue_and_leaves_in_one_click,
];

fn version(body: &str) -> String {
    let at = body.find("name=\"version\" value=\"").unwrap() + 22;
    body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

fn id_from(location: &str) -> i32 {
    location.rsplit('/').next().unwrap().parse().unwrap()
}

async fn material_step(app: &TestApp, id: i32, step: &str) -> crate::support::TestResponse {
    let page = app.get(&format!("/redazione/materiali/{id}")).await;
    let v = version(&page.body);
    app.post_form(
        &format!("/redazione/materiali/{id}/step"),
        &[("step", step), ("version", &v)],
    )
    .await
}

/// A phone's photo: a JPEG with an EXIF segment holding where it was taken.
pub(crate) fn photo_with_location() -> Vec<u8> {
    let img = image::RgbImage::from_fn(120, 80, |x, y| image::Rgb([x as u8, y as u8, 40]));
    let mut plain = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut plain, image::ImageFormat::Jpeg)
        .unwrap();
    let plain = plain.into_inner();
    let mut payload = b"Exif\0\0MM\0*".to_vec();
    payload.extend_from_slice(b"GPSLatitude 43.7696 N GPSLongitude 11.2558 E");
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

async fn stored_file(app: &TestApp, id: i32) -> Vec<u8> {
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            format!("SELECT file FROM news_material WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<Vec<u8>>(0)
        .unwrap()
}

pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

const LEAFLET: &[(&str, &str)] = &[
    ("title", "هل أنت في خطر؟ اتصل بنا"),
    ("description", "بطاقة بأرقام الهاتف المجانية"),
    ("language", "ar"),
    ("audience", "victims"),
    ("topic", "prevention"),
];

/// A leaflet saved by an office program names its author and the file's path on her computer:
/// uploaded through the page, it is kept and downloaded without them, its page unchanged. A
/// PDF that cannot be read, or that needs a password, is refused and nothing is saved.
async fn a_pdf_leaflet_is_stored_without_who_wrote_it(db: TestDb) {
    use lopdf::{Object, dictionary};
    let app = db.app().await;
    let region = app.seed_org("Regione Toscana").await;
    let writer = app.user("grafica", Role::Editor, region).await;
    app.sign_in(&writer).await;
    let leaflet = satis::demo_materials::leaflet_pdf("Sei in pericolo?", &["Chiamaci."]);
    let mut doc = lopdf::Document::load_mem(&leaflet).unwrap();
    let info = doc.add_object(dictionary! {
        "Author" => Object::string_literal("Giulia Bianchi"),
        "Creator" => Object::string_literal("C:\\Users\\gbianchi\\Volantino.docx"),
    });
    doc.trailer.set("Info", info);
    let mut sent = Vec::new();
    doc.save_to(&mut sent).unwrap();
    assert!(contains(&sent, b"Giulia Bianchi"));

    app.post_multipart(
        "/redazione/materiali",
        LEAFLET,
        (
            "file",
            "volantino.pdf",
            "application/pdf",
            b"%PDF-1.4\n\x00\xff not a PDF at all",
        ),
    )
    .await
    .assert_status(422)
    .assert_contains("Il PDF è danneggiato o illeggibile");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM news_material").await, 0);

    let r = app
        .post_multipart(
            "/redazione/materiali",
            LEAFLET,
            ("file", "volantino.pdf", "application/pdf", &sent),
        )
        .await;
    r.assert_status(303);
    let id = id_from(r.header("location"));
    let kept = stored_file(&app, id).await;
    assert!(!contains(&kept, b"Giulia Bianchi") && !contains(&kept, b"gbianchi"));
    let page = |pdf: &[u8]| {
        let d = lopdf::Document::load_mem(pdf).unwrap();
        let pages = d.get_pages();
        d.get_page_content(*pages.values().next().unwrap())
    };
    assert_eq!(page(&kept), page(&leaflet), "the page stays");
}

async fn a_leaflet_is_uploaded_cleaned_reviewed_and_downloaded(db: TestDb) {
    let app = db.app().await;
    let region = app.seed_org("Regione Toscana").await;
    let writer = app.user("grafica", Role::Editor, region).await;
    let reviewer = app.user("revisora", Role::Editor, region).await;
    app.sign_in(&writer).await;
    app.get("/redazione/materiali")
        .await
        .assert_status(200)
        .assert_contains("Nessun materiale finora")
        .assert_contains("enctype=\"multipart/form-data\"");

    // Bad input: a text file posing as an image, a file over the limit, a missing language.
    app.post_multipart(
        "/redazione/materiali",
        LEAFLET,
        (
            "file",
            "volantino.jpg",
            "image/jpeg",
            b"<script>alert(1)</script>",
        ),
    )
    .await
    .assert_status(422)
    .assert_contains("non è un PDF né un&#39;immagine PNG o JPEG");
    let huge = vec![b'x'; 9 * 1024 * 1024];
    app.post_multipart(
        "/redazione/materiali",
        LEAFLET,
        ("file", "enorme.pdf", "application/pdf", &huge),
    )
    .await
    .assert_status(413)
    .assert_contains("al massimo di 8 MB")
    .assert_contains("Nulla è stato salvato");
    let mut no_language = LEAFLET.to_vec();
    no_language.retain(|(k, _)| *k != "language");
    app.post_multipart(
        "/redazione/materiali",
        &no_language,
        ("file", "foto.jpg", "image/jpeg", &photo_with_location()),
    )
    .await
    .assert_status(422)
    .assert_contains("Scegli la lingua del materiale")
    .assert_contains("value=\"هل أنت في خطر؟ اتصل بنا\"");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM news_material").await, 0);

    // A photo with its location: stored without it, as a draft nobody outside sees.
    let photo = photo_with_location();
    assert!(contains(&photo, b"GPSLatitude"));
    let r = app
        .post_multipart(
            "/redazione/materiali",
            LEAFLET,
            ("file", "IMG_0042.jpg", "image/jpeg", &photo),
        )
        .await;
    r.assert_status(303);
    let id = id_from(r.header("location"));
    let kept = stored_file(&app, id).await;
    assert!(!contains(&kept, b"GPSLatitude") && !contains(&kept, b"Exif"));
    assert_eq!(
        image::load_from_memory(&kept).unwrap().width(),
        120,
        "the pixels stay"
    );
    app.get(&format!("/redazione/materiali/{id}"))
        .await
        .assert_contains("Bozza");
    app.clear_cookies();
    app.get(&format!("/materiali/{id}/file"))
        .await
        .assert_status(404);
    app.get("/materiali")
        .await
        .assert_contains("Nessun materiale per questa scelta");

    // The author sends it for review; she cannot publish it; her colleague does.
    app.session_for(writer.id, Some(region)).await;
    material_step(&app, id, "submit").await.assert_status(303);
    material_step(&app, id, "publish")
        .await
        .assert_status(422)
        .assert_contains("Non puoi approvare");
    app.session_for(reviewer.id, Some(region)).await;
    material_step(&app, id, "publish").await.assert_status(303);

    // The public finds it in Arabic for potential victims, with type, size and language
    // said before the download, on a page without scripts.
    app.clear_cookies();
    let list = app.get("/materiali?lingua=ar&pubblico=victims").await;
    list.assert_status(200)
        .assert_contains("هل أنت في خطر؟ اتصل بنا")
        .assert_contains("Immagine, ")
        .assert_contains(" KB, <span lang=\"ar\">العربية</span>")
        .assert_contains(&format!("href=\"/materiali/{id}/file\""))
        .assert_contains("href=\"tel:")
        .assert_not_contains("<script");
    assert!(list.body.len() < 50_000);
    app.get("/materiali?lingua=en")
        .await
        .assert_contains("Nessun materiale per questa scelta");
    let file = app.get(&format!("/materiali/{id}/file")).await;
    file.assert_status(200);
    assert_eq!(file.header("content-type"), "image/jpeg");
    assert!(
        file.header("content-disposition")
            .starts_with("attachment; filename=\"")
    );

    // Withdrawn: gone from the page and the download.
    app.session_for(reviewer.id, Some(region)).await;
    material_step(&app, id, "withdraw").await.assert_status(303);
    app.clear_cookies();
    app.get(&format!("/materiali/{id}/file"))
        .await
        .assert_status(404);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'material.%'"
        )
        .await,
        4
    );
}

/// The confirmation link in a received message.
fn link_in(message: &str, marker: &str) -> String {
    let at = message
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in {message}"));
    message[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
        .collect()
}

async fn a_citizen_subscribes_confirms_reads_the_issue_and_leaves_in_one_click(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(free_port(), &dir.path().join("maildir"));
    let mut config = db.config();
    config.mail = Some(satis::platform::config::Mail {
        smtp_url: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "Rete antitratta <notizie@satis.test>".into(),
        site_url: "https://satis.test".into(),
        digest_hour: 0,
    });
    let app = db
        .app_with(config, satis::platform::settings::Mode::Production)
        .await;
    let now = chrono::Utc::now();

    // Bad input: no consent, a bad address; nothing stored.
    app.get("/newsletter")
        .await
        .assert_status(200)
        .assert_contains("Acconsento a ricevere")
        .assert_contains("href=\"tel:")
        .assert_not_contains("<script");
    app.post_form("/newsletter", &[("address", "lettrice@example.org")])
        .await
        .assert_status(422)
        .assert_contains("devi dare il consenso");
    app.post_form(
        "/newsletter",
        &[("address", "non-un-indirizzo"), ("consent", "yes")],
    )
    .await
    .assert_status(422)
    .assert_contains("non è valido")
    .assert_contains("value=\"non-un-indirizzo\"");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM newsletter_subscriber").await,
        0
    );

    // Subscribing twice: one subscriber, one confirmation, the same answer both times.
    for _ in 0..2 {
        app.post_form(
            "/newsletter",
            &[("address", "Lettrice@Example.org"), ("consent", "yes")],
        )
        .await
        .assert_status(200)
        .assert_contains("Se l&#39;indirizzo è corretto");
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM newsletter_subscriber").await,
        1
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM mail_outbox").await,
        1,
        "one confirmation"
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM newsletter_subscriber WHERE consent_text LIKE 'Acconsento%'"
        )
        .await,
        1,
        "the consent's wording kept"
    );
    {
        use sea_orm::ConnectionTrait;
        let row = app
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.state.db.get_database_backend(),
                "SELECT address_enc FROM newsletter_subscriber",
            ))
            .await
            .unwrap()
            .unwrap();
        let sealed: Vec<u8> = row.try_get_by_index(0).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("xample.org"));
    }
    assert_eq!(deliver(&app, chrono::Utc::now()).await.sent, 1);
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("To: Lettrice@Example.org"), "{}", got[0]);
    let confirm = link_in(&got[0], "/newsletter/conferma/");

    // Confirming: a page with a button (a mail scanner's GET confirms nothing), then done;
    // the same link again is refused with its reason.
    app.get(&confirm)
        .await
        .assert_status(200)
        .assert_contains("Confermo l&#39;iscrizione");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM newsletter_subscriber WHERE state = 'confirmed'"
        )
        .await,
        0
    );
    app.post_form(&confirm, &[])
        .await
        .assert_status(200)
        .assert_contains("Iscrizione confermata");
    app.post_form(&confirm, &[])
        .await
        .assert_status(410)
        .assert_contains("già stato usato");
    app.post_form("/newsletter/conferma/inventato", &[])
        .await
        .assert_status(410)
        .assert_contains("non è valido");

    // Another subscription whose link ran out.
    app.post_form(
        "/newsletter",
        &[("address", "tardiva@example.org"), ("consent", "yes")],
    )
    .await
    .assert_status(200);
    assert_eq!(deliver(&app, chrono::Utc::now()).await.sent, 1);
    let late = smtp
        .received()
        .into_iter()
        .find(|m| m.contains("tardiva@example.org"))
        .unwrap();
    let late_link = link_in(&late, "/newsletter/conferma/");
    {
        use satis::news::entities::newsletter_subscriber as s;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        s::Entity::update_many()
            .col_expr(
                s::Column::ConfirmUntil,
                Expr::value(now - chrono::Duration::days(1)),
            )
            .filter(s::Column::State.eq("pending"))
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    app.post_form(&late_link, &[])
        .await
        .assert_status(410)
        .assert_contains("scaduto");

    // The month's issue: a published news item, assembled, reviewed and sent once.
    let region = app.seed_org("Regione Toscana").await;
    let writer = app.user("redattrice", Role::Editor, region).await;
    let reviewer = app.user("revisore", Role::Editor, region).await;
    app.session_for(writer.id, Some(region)).await;
    let r = app
        .post_form(
            "/redazione/notizie",
            &[
                ("title", "Nuovo sportello a Prato"),
                (
                    "summary",
                    "Apre lo sportello per le persone sfruttate nel lavoro.",
                ),
                ("body", "Orari e indirizzo."),
                ("topic", "network"),
            ],
        )
        .await;
    r.assert_status(303);
    let news = id_from(r.header("location"));
    let step = |id: i32, s: &'static str| {
        let app = &app;
        async move {
            let page = app.get(&format!("/redazione/notizie/{id}")).await;
            let v = version(&page.body);
            app.post_form(
                &format!("/redazione/notizie/{id}/step"),
                &[("step", s), ("version", &v)],
            )
            .await
        }
    };
    step(news, "submit").await.assert_status(303);
    app.session_for(reviewer.id, Some(region)).await;
    step(news, "publish").await.assert_status(303);
    let today = satis::platform::time::rome_today();
    let month = today.format("%Y-%m").to_string();
    let future = (today + chrono::Duration::days(40))
        .format("%Y-%m")
        .to_string();
    app.post_form("/redazione/newsletter", &[("month", future.as_str())])
        .await
        .assert_status(422)
        .assert_contains("non futuro");
    let r = app
        .post_form("/redazione/newsletter", &[("month", month.as_str())])
        .await;
    r.assert_status(303);
    let issue = id_from(r.header("location"));
    let page = app.get(&format!("/redazione/newsletter/{issue}")).await;
    page.assert_contains("Nuovo sportello a Prato")
        .assert_contains("1 iscrizioni confermate");
    let v = version(&page.body);
    app.post_form(
        &format!("/redazione/newsletter/{issue}"),
        &[
            ("action", "save"),
            ("version", &v),
            (
                "introduction",
                "Care lettrici e cari lettori, ecco il mese.",
            ),
        ],
    )
    .await
    .assert_status(303);
    let v = version(
        &app.get(&format!("/redazione/newsletter/{issue}"))
            .await
            .body,
    );
    app.post_form(
        &format!("/redazione/newsletter/{issue}"),
        &[("action", "send"), ("version", &v)],
    )
    .await
    .assert_status(303);
    // A second press sends nothing more.
    let v2 = (v.parse::<i32>().unwrap() + 1).to_string();
    app.post_form(
        &format!("/redazione/newsletter/{issue}"),
        &[("action", "send"), ("version", &v2)],
    )
    .await
    .assert_status(422)
    .assert_contains("già stato inviato");
    app.post_form(
        &format!("/redazione/newsletter/{issue}"),
        &[("action", "send"), ("version", &v)],
    )
    .await
    .assert_status(422);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE dedupe_key LIKE '%issue%'"
        )
        .await,
        1,
        "one message for the one confirmed subscriber"
    );
    assert_eq!(deliver(&app, chrono::Utc::now()).await.sent, 1);
    let letter = smtp
        .received()
        .into_iter()
        .find(|m| m.contains("Subject: Newsletter della rete"))
        .expect("the issue arrived");
    assert!(letter.contains("To: Lettrice@Example.org"), "{letter}");
    assert!(letter.contains("multipart/alternative"), "{letter}");
    assert!(letter.contains("text/plain"), "{letter}");
    assert!(letter.contains("text/html"), "{letter}");
    assert!(letter.contains("List-Unsubscribe: <http"), "{letter}");
    assert!(
        letter.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{letter}"
    );
    assert!(letter.contains("Nuovo sportello a Prato"), "{letter}");
    assert!(letter.contains("Care lettrici"), "{letter}");
    assert!(!letter.contains("<img"), "no tracking pixel");
    let unsubscribe = link_in(&letter, "/newsletter/disiscrizione/");

    // A forged token leaves nobody out; the mail program's one-click POST (no cookie, no
    // token, no origin) does, once.
    let forged = format!(
        "{}/{}",
        unsubscribe.rsplit_once('/').unwrap().0,
        "0".repeat(64)
    );
    app.clear_cookies();
    app.post_raw(&forged, &[("List-Unsubscribe", "One-Click")], &[])
        .await
        .assert_status(404);
    app.post_raw(&unsubscribe, &[("List-Unsubscribe", "One-Click")], &[])
        .await
        .assert_status(200)
        .assert_contains("non riceverai più la newsletter");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM newsletter_subscriber WHERE state = 'confirmed'"
        )
        .await,
        0
    );
    app.get(&unsubscribe)
        .await
        .assert_status(200)
        .assert_contains("Annulla l&#39;iscrizione");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'newsletter.%'"
        )
        .await,
        // two subscriptions asked, one confirmed, assembled, introduction, sent, left
        7
    );
}
