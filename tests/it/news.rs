//! Public news (issue 27): an editor writes (bad input refused and kept, Markdown with a
//! script made harmless), a second editor approves (the author cannot), the public reads it on
//! `/notizie` with the hotline's numbers and social-card metadata, filters by topic and
//! province, a scheduled item waits for its time, withdrawal takes an item off, and the Atom
//! feed and the sitemap are well-formed XML with what is public only.

use satis::platform::policy::Role;

use crate::support::{TestApp, TestDb, scalar};

crate::tests![
    an_item_is_written_reviewed_by_another_editor_read_and_withdrawn,
    an_items_picture_loses_its_location_and_shows_in_the_article_and_its_card,
];

fn id_from(location: &str) -> i32 {
    location.rsplit('/').next().unwrap().parse().unwrap()
}

fn version(body: &str) -> String {
    let at = body.find("name=\"version\" value=\"").unwrap() + 22;
    body[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

async fn step(app: &TestApp, id: i32, step: &str) -> crate::support::TestResponse {
    let page = app.get(&format!("/redazione/notizie/{id}")).await;
    let v = version(&page.body);
    app.post_form(
        &format!("/redazione/notizie/{id}/step"),
        &[("step", step), ("version", &v)],
    )
    .await
}

/// Well-formed XML, as Python's parser reads it; the root element's tag.
fn xml_root(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, text).unwrap();
    let out = std::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().tag)",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "not well-formed XML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// What an Atom feed (RFC 4287 §4.1) or a sitemap (sitemaps.org 0.9) lacks of the elements
/// the standard requires, as Python's parser reads it; empty when valid.
fn standard_problems(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, text).unwrap();
    let check = r#"
import sys, re, datetime, xml.etree.ElementTree as E
A = "{http://www.w3.org/2005/Atom}"
S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
root = E.parse(sys.argv[1]).getroot()
bad = []
def when(v, where):
    try:
        datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except Exception:
        bad.append(f"{where}: {v!r} is not an RFC 3339 time")
if root.tag == A + "feed":
    for name in ("id", "title", "updated"):
        if len(root.findall(A + name)) != 1:
            bad.append(f"feed: needs exactly one {name}")
    for u in root.findall(A + "updated"):
        when(u.text or "", "feed updated")
    for i, e in enumerate(root.findall(A + "entry")):
        for name in ("id", "title", "updated"):
            if len(e.findall(A + name)) != 1:
                bad.append(f"entry {i}: needs exactly one {name}")
        if not root.findall(A + "author") and not e.findall(A + "author"):
            bad.append(f"entry {i}: no author")
        if not e.findall(A + "content") and not [l for l in e.findall(A + "link") if l.get("rel", "alternate") == "alternate"]:
            bad.append(f"entry {i}: neither content nor an alternate link")
        for u in e.findall(A + "updated") + e.findall(A + "published"):
            when(u.text or "", f"entry {i}")
        if not re.match(r"^[a-z]+:", e.findtext(A + "id") or ""):
            bad.append(f"entry {i}: id is not an IRI")
elif root.tag == S + "urlset":
    urls = root.findall(S + "url")
    if len(urls) > 50000:
        bad.append("more than 50,000 urls")
    for u in urls:
        loc = u.findtext(S + "loc") or ""
        if not re.match(r"^https?://[^/]+/", loc):
            bad.append(f"{loc!r} is not an absolute address")
        lm = u.findtext(S + "lastmod")
        if lm is not None and not re.match(r"^\d{4}-\d{2}-\d{2}$", lm):
            bad.append(f"{lm!r} is not a W3C date")
else:
    bad.append("unknown root " + root.tag)
print("\n".join(bad))
"#;
    let out = std::process::Command::new("/usr/bin/python3")
        .args(["-c", check])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn an_item_is_written_reviewed_by_another_editor_read_and_withdrawn(db: TestDb) {
    let app = db.app().await;
    let region = app.seed_org("Regione Toscana").await;
    let writer = app.user("redattrice", Role::Editor, region).await;
    let reviewer = app.user("revisore", Role::Editor, region).await;
    app.sign_in(&writer).await;
    app.get("/redazione")
        .await
        .assert_status(200)
        .assert_contains("Nessuna notizia finora");

    // Bad input: every problem named, what was typed kept, nothing stored.
    app.post_form(
        "/redazione/notizie",
        &[
            ("title", "Ciao"),
            ("summary", "Un sommario"),
            ("body", "Testo"),
            ("topic", "gossip"),
            ("province", "RM"),
            ("publish_at", "domani"),
        ],
    )
    .await
    .assert_status(422)
    .assert_contains("tra 5 e 200 caratteri")
    .assert_contains("Scegli un tema")
    .assert_contains("AAAA-MM-GG HH:MM")
    .assert_contains("value=\"Ciao\"");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM news_item").await, 0);

    let body = "Il **seminario** è a [Prato](https://www.comune.prato.it).\n\n\
                <script>alert('x')</script>\n\n![traccia](https://tracker.example/p.gif)";
    let r = app
        .post_form(
            "/redazione/notizie",
            &[
                ("title", "Seminario sullo sfruttamento & il lavoro"),
                ("summary", "Due giornate per operatori e operatrici."),
                ("body", body),
                ("topic", "training"),
                ("province", "PO"),
            ],
        )
        .await;
    r.assert_status(303);
    let id = id_from(r.header("location"));
    let page = app.get(&format!("/redazione/notizie/{id}")).await;
    page.assert_contains("<strong>seminario</strong>")
        .assert_contains("Bozza")
        .assert_not_contains("<script>alert")
        .assert_not_contains("tracker.example/p.gif\"");
    // Not public yet.
    app.clear_cookies();
    app.get(&format!("/notizie/{id}")).await.assert_status(404);

    // The author sends it for review and cannot approve it herself.
    app.session_for(writer.id, Some(region)).await;
    step(&app, id, "submit").await.assert_status(303);
    step(&app, id, "publish")
        .await
        .assert_status(422)
        .assert_contains("Non puoi approvare una notizia che hai scritto tu");
    // Her colleague approves it.
    app.session_for(reviewer.id, Some(region)).await;
    step(&app, id, "publish").await.assert_status(303);
    app.get(&format!("/redazione/notizie/{id}"))
        .await
        .assert_contains("Pubblicata");

    // The public reads it, with the numbers to call and the social card.
    app.clear_cookies();
    let list = app.get("/notizie").await;
    list.assert_status(200)
        .assert_contains("Seminario sullo sfruttamento &#38; il lavoro")
        .assert_contains("href=\"tel:")
        .assert_contains("055 536 56 12")
        .assert_contains("application/atom+xml")
        .assert_contains("content=\"index, follow\"");
    assert!(list.body.len() < 50_000, "a small page");
    let article = app.get(&format!("/notizie/{id}")).await;
    article
        .assert_status(200)
        .assert_contains(
            "property=\"og:title\" content=\"Seminario sullo sfruttamento &#38; il lavoro\"",
        )
        .assert_contains("property=\"og:description\"")
        .assert_contains("<strong>seminario</strong>")
        .assert_contains("rel=\"noopener noreferrer\"")
        .assert_contains("Prato")
        .assert_not_contains("alert('x')")
        .assert_not_contains("<img");
    // Filters by topic and province.
    app.get("/notizie?topic=training&provincia=PO")
        .await
        .assert_contains(&format!("href=\"/notizie/{id}\""));
    app.get("/notizie?topic=data")
        .await
        .assert_contains("Nessuna notizia per questa scelta");
    app.get("/notizie?provincia=FI")
        .await
        .assert_not_contains(&format!("href=\"/notizie/{id}\""));

    // A second item scheduled for tomorrow waits for its time after approval.
    app.session_for(reviewer.id, Some(region)).await;
    let tomorrow = satis::platform::time::rome_today() + chrono::Duration::days(1);
    let at = format!("{tomorrow}T09:00");
    let r = app
        .post_form(
            "/redazione/notizie",
            &[
                ("title", "Giornata europea contro la tratta"),
                ("summary", "Gli eventi del 18 ottobre."),
                ("body", "Programma."),
                ("topic", "events"),
                ("publish_at", at.as_str()),
            ],
        )
        .await;
    r.assert_status(303);
    let later = id_from(r.header("location"));
    step(&app, later, "submit").await.assert_status(303);
    app.session_for(writer.id, Some(region)).await;
    step(&app, later, "publish").await.assert_status(303);
    app.clear_cookies();
    app.get(&format!("/notizie/{later}"))
        .await
        .assert_status(404);
    app.get("/notizie")
        .await
        .assert_not_contains("Giornata europea");

    // The feed and the sitemap: well-formed, the public item in, the scheduled one out.
    let feed = app.get("/notizie/feed.atom").await;
    feed.assert_status(200);
    assert!(
        feed.header("content-type")
            .starts_with("application/atom+xml")
    );
    assert_eq!(xml_root(&feed.body), "{http://www.w3.org/2005/Atom}feed");
    feed.assert_contains("<title>Seminario sullo sfruttamento &amp; il lavoro</title>")
        .assert_contains(&format!("/notizie/{id}</id>"))
        .assert_contains("<updated>")
        .assert_not_contains("Giornata europea")
        .assert_not_contains("<script");
    assert_eq!(standard_problems(&feed.body), Vec::<String>::new());
    assert!(!standard_problems("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>").is_empty());
    let sitemap = app.get("/sitemap.xml").await;
    assert_eq!(standard_problems(&sitemap.body), Vec::<String>::new());
    assert_eq!(
        xml_root(&sitemap.body),
        "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    );
    sitemap
        .assert_contains(&format!("/notizie/{id}</loc>"))
        .assert_not_contains(&format!("/notizie/{later}</loc>"))
        .assert_contains("/segnala</loc>");

    // Withdrawn: off the list, the page and the feed at once.
    app.session_for(writer.id, Some(region)).await;
    step(&app, id, "withdraw").await.assert_status(303);
    app.clear_cookies();
    app.get(&format!("/notizie/{id}")).await.assert_status(404);
    app.get("/notizie/feed.atom")
        .await
        .assert_not_contains("Seminario");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action IN ('news.create', 'news.submit', 'news.publish', 'news.withdraw')"
        )
        .await,
        7
    );

    // The network's seminars, as recorded in the registry: the coming one first, then the past.
    let today = satis::platform::time::rome_today();
    satis::network::store::add_training(
        &app.state.db,
        "Seminario sul lavoro grave sfruttato",
        "Prato, Palazzo Banci Buonamici",
        today + chrono::Duration::days(10),
        "Comune di Prato",
        0,
    )
    .await
    .unwrap();
    satis::network::store::add_training(
        &app.state.db,
        "Giornata di formazione per mediatrici",
        "Firenze",
        today - chrono::Duration::days(30),
        "Regione Toscana",
        40,
    )
    .await
    .unwrap();
    let events = app.get("/eventi").await;
    events.assert_status(200).assert_contains("055 536 56 12");
    let coming = events
        .body
        .find("Seminario sul lavoro grave sfruttato")
        .unwrap();
    let past = events
        .body
        .find("Giornata di formazione per mediatrici")
        .unwrap();
    let past_heading = events.body.find("id=\"events-past\"").unwrap();
    assert!(coming < past_heading && past_heading < past);
    app.get("/sitemap.xml")
        .await
        .assert_contains("/eventi</loc>");

    // A case worker has no newsroom.
    let worker = app.user("operatrice", Role::CaseWorker, region).await;
    app.sign_in(&worker).await;
    app.get("/redazione").await.assert_status(403);
}

async fn an_items_picture_loses_its_location_and_shows_in_the_article_and_its_card(db: TestDb) {
    use crate::newsletter::{contains, photo_with_location};
    let app = db.app().await;
    let region = app.seed_org("Regione Toscana").await;
    let writer = app.user("fotografa", Role::Editor, region).await;
    let reviewer = app.user("revisora", Role::Editor, region).await;
    app.sign_in(&writer).await;
    let r = app
        .post_form(
            "/redazione/notizie",
            &[
                ("title", "Una nuova unità di strada a Livorno"),
                ("summary", "Il furgone della rete al porto."),
                ("body", "Dal lunedì al venerdì."),
                ("topic", "network"),
            ],
        )
        .await;
    r.assert_status(303);
    let id = id_from(r.header("location"));
    let image_path = format!("/redazione/notizie/{id}/immagine");
    let photo = photo_with_location();

    // A picture without its description, a file that is no picture: refused, nothing kept.
    let v = version(&app.get(&format!("/redazione/notizie/{id}")).await.body);
    app.post_multipart(
        &image_path,
        &[("version", &v)],
        ("image", "a.jpg", "image/jpeg", &photo),
    )
    .await
    .assert_status(422)
    .assert_contains("Descrivi che cosa mostra l&#39;immagine");
    app.post_multipart(
        &image_path,
        &[("version", &v), ("image_alt", "Un furgone")],
        ("image", "a.jpg", "image/jpeg", b"GIF89a not a picture"),
    )
    .await
    .assert_status(422)
    .assert_contains("non è un PDF né un&#39;immagine PNG o JPEG");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM news_item WHERE image IS NOT NULL"
        )
        .await,
        0
    );

    // The picture with its description: stored without the GPS position.
    app.post_multipart(
        &image_path,
        &[
            ("version", &v),
            ("image_alt", "Il furgone bianco dell'unità di strada"),
        ],
        ("image", "IMG_0001.jpg", "image/jpeg", &photo),
    )
    .await
    .assert_status(303);
    let stored = {
        use sea_orm::ConnectionTrait;
        app.state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.state.db.get_database_backend(),
                format!("SELECT image FROM news_item WHERE id = {id}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<Vec<u8>>(0)
            .unwrap()
    };
    assert!(contains(&photo, b"GPSLatitude"));
    assert!(!contains(&stored, b"GPSLatitude"));
    app.get(&format!("/redazione/notizie/{id}"))
        .await
        .assert_contains(&format!("src=\"{image_path}\""))
        .assert_contains("alt=\"Il furgone bianco dell&#39;unità di strada\"");
    app.get(&image_path).await.assert_status(200);
    // Not on the public site before publication.
    app.clear_cookies();
    app.get(&format!("/notizie/{id}/immagine"))
        .await
        .assert_status(404);

    app.session_for(writer.id, Some(region)).await;
    step(&app, id, "submit").await.assert_status(303);
    // Off the draft, the picture is no longer changed.
    let v = version(&app.get(&format!("/redazione/notizie/{id}")).await.body);
    app.post_multipart(
        &image_path,
        &[("version", &v), ("image_alt", "Altro")],
        ("image", "b.jpg", "image/jpeg", &photo),
    )
    .await
    .assert_status(422)
    .assert_contains("Si modifica solo una bozza");
    app.session_for(reviewer.id, Some(region)).await;
    step(&app, id, "publish").await.assert_status(303);

    app.clear_cookies();
    let article = app.get(&format!("/notizie/{id}")).await;
    article
        .assert_contains(&format!("<img src=\"/notizie/{id}/immagine\""))
        .assert_contains("alt=\"Il furgone bianco dell&#39;unità di strada\"")
        .assert_contains(&format!(
            "property=\"og:image\" content=\"http://satis.test/notizie/{id}/immagine\""
        ))
        .assert_contains("summary_large_image");
    let img = app.get(&format!("/notizie/{id}/immagine")).await;
    img.assert_status(200);
    assert_eq!(img.header("content-type"), "image/jpeg");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) FROM audit_event WHERE action = 'news.image'"
        )
        .await,
        1
    );
}
