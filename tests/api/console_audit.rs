//! The console's audit log in keyset pages (older and newer links, filters, no count beyond an
//! estimate), sign-in and sign-out in the log as `console`, and the token form's permission groups.

use reqwest::{header, StatusCode};

use crate::console_helpers::{
    audit_log, client, csrf, get_page as get, page_url, sign_in, sign_in_user, sign_out,
};
use crate::helpers::*;

/// The `href` of the link labelled `label`, unescaped.
fn link(html: &str, label: &str) -> Option<String> {
    let end = html.find(&format!("\">{label}</a>"))?;
    let start = html[..end].rfind("href=\"")? + 6;
    let href = html[start..end].split('"').next()?;
    Some(href.replace("&amp;", "&"))
}

#[tokio::test]
async fn the_audit_page_goes_older_and_newer_by_cursor_and_filters() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let c = client(&app).await;
        let mut zones = Vec::new();
        for _ in 0..14 {
            zones.push(app.new_zone().await);
        }
        let (email, cookie) = sign_in_user(&app, &c, "audit").await;
        let total = audit_log(&app, 100).await.len();
        let (_, first) = get(&c, page_url(&app, "/console/audit?per_page=10"), &cookie).await;
        assert!(first.contains(&format!("About {total} entries")), "{first}");
        assert!(
            first.contains("login"),
            "the sign-in is the newest entry: {first}"
        );
        assert!(link(&first, "Newer").is_none());
        let older = link(&first, "Older").expect("an older page");
        let (_, second) = get(&c, page_url(&app, &older), &cookie).await;
        // The oldest zone is on the second page only, the newest on the first only.
        let (oldest, newest) = (&zones[0], &zones[13]);
        assert!(second.contains(oldest.as_str()) && !first.contains(oldest.as_str()));
        assert!(first.contains(newest.as_str()) && !second.contains(newest.as_str()));
        let newer = link(&second, "Newer").expect("a newer page");
        let (_, back) = get(&c, page_url(&app, &newer), &cookie).await;
        assert!(back.contains(newest.as_str()), "{back}");
        assert!(link(&back, "Newer").is_none(), "back on the newest page");

        let (_, creates) = get(
            &c,
            page_url(&app, "/console/audit?action.type=login"),
            &cookie,
        )
        .await;
        assert!(creates.contains("login") && !creates.contains(newest.as_str()));
        assert!(
            !creates.contains("About "),
            "no estimate for a filtered view"
        );
        let (_, mine) = get(
            &c,
            page_url(
                &app,
                &format!("/console/audit?actor.email={}", email.to_uppercase()),
            ),
            &cookie,
        )
        .await;
        assert!(
            mine.contains("login") && !mine.contains(newest.as_str()),
            "{mine}"
        );
        let (status, _) = get(&c, page_url(&app, "/console/audit?cursor=o.x.1"), &cookie).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_in_and_sign_out_land_in_the_audit_log_as_console() {
    for engine in engines() {
        let app = TestApp::spawn(engine).await;
        let c = client(&app).await;
        let (_, cookie) = sign_in(&app, &c, &app.token).await;
        let token = csrf(&app, &c, &cookie).await;
        let out = sign_out(&app, &c, &cookie, &token).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let entries = audit_log(&app, 100).await;
        let token_id = entries
            .iter()
            .find(|e| e["action"]["type"] == "login")
            .expect("a login entry")["actor"]["id"]
            .clone();
        for action in ["login", "logout"] {
            let e = entries
                .iter()
                .find(|e| e["action"]["type"] == action)
                .unwrap_or_else(|| panic!("no {action} entry"));
            assert_eq!(e["interface"], "console", "{e}");
            assert_eq!(e["resource"]["type"], "token", "{e}");
            assert_eq!(e["resource"]["id"], token_id, "{e}");
            assert_eq!(e["actor"]["ip"], "127.0.0.1", "{e}");
        }
        // Signing out again with the dead cookie writes nothing more.
        let again = sign_out(&app, &c, &cookie, &token).await;
        assert_ne!(again.status(), StatusCode::OK);
        let logouts = audit_log(&app, 100)
            .await
            .iter()
            .filter(|e| e["action"]["type"] == "logout")
            .count();
        assert_eq!(logouts, 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn the_token_form_offers_every_permission_group_and_scopes_token_groups_to_the_account() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let c = client(&app).await;
    let now = mtls_ca::clock::now();
    let (_, cookie) = sign_in_user(&app, &c, "tokens").await;
    let (_, html) = get(&c, page_url(&app, "/console/tokens"), &cookie).await;
    for group in mtls_ca::model::policy::PermissionGroup::ALL {
        assert!(
            html.contains(&format!("value=\"{}\"> {}", group.id(), group.name())),
            "{} not offered: {html}",
            group.name()
        );
    }
    let token = csrf(&app, &c, &cookie).await;
    let ids = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| {
                mtls_ca::model::policy::PermissionGroup::by_name(n)
                    .expect("group")
                    .id()
                    .to_owned()
            })
            .collect()
    };
    let groups = ids(&["SSL and Certificates Read", "API Tokens Read"]);
    let res = c
        .post(page_url(&app, "/console/tokens"))
        .header(header::COOKIE, &cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("name", "from-the-form"),
            ("group", groups[0].as_str()),
            ("group", groups[1].as_str()),
            ("scope", app.zone.as_str()),
        ])
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("html").contains("shown only once"));
    let tokens = app
        .services
        .list_tokens(&app.cli(), now)
        .await
        .expect("tokens");
    let made = tokens
        .iter()
        .find(|t| t["name"] == "from-the-form")
        .expect("the new token");
    let policies = made["policies"].as_array().expect("policies");
    assert_eq!(policies.len(), 2, "{made}");
    let zone_key = format!("com.cloudflare.api.account.zone.{}", app.zone);
    let account_key = format!("com.cloudflare.api.account.{}", app.services.account_id);
    assert_eq!(
        policies[0]["permission_groups"][0]["name"],
        "SSL and Certificates Read"
    );
    assert!(policies[0]["resources"].get(&zone_key).is_some(), "{made}");
    assert_eq!(
        policies[1]["permission_groups"][0]["name"],
        "API Tokens Read"
    );
    assert!(
        policies[1]["resources"].get(&account_key).is_some(),
        "{made}"
    );
    app.stop().await;
}
