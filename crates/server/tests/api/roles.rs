//! Every built-in workspace role against every mutation, with the expected outcome written
//! out by hand (not derived from the role data under test).

use crate::helpers::*;
use serde_json::{json, Value};
use tessera_core::ids::{OrgId, UserId, WorkspaceId};
use tessera_core::service::{NewPerson, NewWorkspace};

/// (mutation, fixture element to create first, GraphQL document).
const MUTATIONS: [(&str, Option<&str>, &str); 30] = [
    ("createText", None, "mutation($ws:String!){ r: createText(workspaceId:$ws, input:{text:\"t\"}) { id } }"),
    ("updateText", Some("text"), "mutation($ws:String!,$id:String!){ r: updateText(workspaceId:$ws, id:$id, input:{text:\"u\"}) { id } }"),
    ("createShape", None, "mutation($ws:String!){ r: createShape(workspaceId:$ws, input:{style:{regularShape:{kind:Rectangle}}}) { id } }"),
    ("updateShape", Some("shape"), "mutation($ws:String!,$id:String!){ r: updateShape(workspaceId:$ws, id:$id, input:{style:{regularShape:{kind:Star5}}}) { id } }"),
    ("createCanvas", None, "mutation($ws:String!){ r: createCanvas(workspaceId:$ws, input:{name:\"c\", style:{width:10,height:10}}) { id } }"),
    ("updateCanvas", Some("canvas"), "mutation($ws:String!,$id:String!){ r: updateCanvas(workspaceId:$ws, id:$id, input:{name:\"d\"}) { id } }"),
    ("createStroke", None, "mutation($ws:String!){ r: createStroke(workspaceId:$ws, input:{points:[0,0,1,1]}) { id } }"),
    ("createLine", None, "mutation($ws:String!){ r: createLine(workspaceId:$ws, input:{start:{absolute:{x:0,y:0}}, end:{absolute:{x:5,y:5}}}) { id } }"),
    ("updateLine", Some("line"), "mutation($ws:String!,$id:String!){ r: updateLine(workspaceId:$ws, id:$id, input:{end:{absolute:{x:9,y:9}}}) { id } }"),
    ("createImage", None, "mutation($ws:String!){ r: createImage(workspaceId:$ws, input:{filename:\"a.png\", imageFormat:png, width:1, height:1}) { image { id } } }"),
    ("updateTraits", Some("shape"), "mutation($ws:String!,$id:String!){ r: updateTraits(workspaceId:$ws, id:$id, input:{content:{a:1}}) }"),
    ("createDocument", None, "mutation($ws:String!){ r: createDocument(workspaceId:$ws, input:{documentFormat:pdf, title:\"d\"}) { document { id } } }"),
    ("updateDocument", Some("document"), "mutation($ws:String!,$id:String!){ r: updateDocument(workspaceId:$ws, id:$id, input:{transform:{x:5}}) { id } }"),
    ("createVideo", None, "mutation($ws:String!){ r: createVideo(workspaceId:$ws, input:{videoFormat:mp4, filename:\"v.mp4\"}) { video { id } } }"),
    ("updateVideo", Some("video"), "mutation($ws:String!,$id:String!){ r: updateVideo(workspaceId:$ws, id:$id, input:{transform:{scale:2}}) { id } }"),
    ("createBrowser", None, "mutation($ws:String!){ r: createBrowser(workspaceId:$ws, input:{url:\"https://example.com\"}) { id } }"),
    ("updateBrowser", Some("browser"), "mutation($ws:String!,$id:String!){ r: updateBrowser(workspaceId:$ws, id:$id, input:{url:\"https://example.org\"}) { id } }"),
    ("createGrid", None, "mutation($ws:String!){ r: createGrid(workspaceId:$ws, input:{cells:[]}) { id } }"),
    ("updateGrid", Some("grid"), "mutation($ws:String!,$id:String!){ r: updateGrid(workspaceId:$ws, id:$id, input:{rowCount:3}) { id } }"),
    ("createIcon", None, "mutation($ws:String!){ r: createIcon(workspaceId:$ws, input:{assetPath:\"/icons/i.svg\"}) { id } }"),
    ("updateIcon", Some("icon"), "mutation($ws:String!,$id:String!){ r: updateIcon(workspaceId:$ws, id:$id, input:{style:{color:{r:9}}}) { id } }"),
    ("createWindow", None, "mutation($ws:String!){ r: createWindow(workspaceId:$ws, input:{style:{width:10, height:10}}) { id } }"),
    ("updateWindow", Some("window"), "mutation($ws:String!,$id:String!){ r: updateWindow(workspaceId:$ws, id:$id, input:{pinned:true}) { id } }"),
    ("delete", Some("text"), "mutation($ws:String!,$id:String!){ r: delete(workspaceId:$ws, id:$id) }"),
    ("createComment", Some("text"), "mutation($ws:String!,$id:String!){ r: createComment(workspaceId:$ws, id:$id, input:{blocks:[{content:[{text:\"hi\"}]}]}) { id } }"),
    ("addWorkspaceCollaborator", None, "mutation($ws:String!,$user:String!){ r: addWorkspaceCollaborator(workspaceId:$ws, input:{id:$user, workspaceRoleId:\"viewer\"}) { workspaceRole { id } } }"),
    ("deleteWorkspaceCollaborator", None, "mutation($ws:String!,$victim:String!){ r: deleteWorkspaceCollaborator(workspaceId:$ws, collaboratorId:$victim) }"),
    ("updateWorkspace", None, "mutation($ws:String!){ r: updateWorkspace(workspaceId:$ws, input:{name:\"renamed\"}) { id } }"),
    ("updateWorkspaceStyle", None, "mutation($ws:String!){ r: updateWorkspaceStyle(workspaceId:$ws, input:{backgroundTheme:light}) { workspaceId } }"),
    ("deleteWorkspace", None, "mutation($ws:ID!){ r: deleteWorkspace(workspaceId:$ws, isPermanentDelete:false) }"),
];

/// Which mutations each role may perform.
fn allowed(role: &str, mutation: &str) -> bool {
    let settings = mutation.ends_with("Workspace") || mutation == "updateWorkspaceStyle";
    let element = !mutation.contains("Collaborator") && !settings;
    match role {
        "owner" => true,
        "editor-plus" => !settings,
        "editor" => element,
        "commenter" => mutation == "createComment",
        "viewer" => false,
        other => panic!("unknown role {other}"),
    }
}

const FIXTURES: [(&str, &str); 10] = [
    ("text", "mutation($ws:String!){ r: createText(workspaceId:$ws, input:{text:\"f\"}) { id } }"),
    ("shape", "mutation($ws:String!){ r: createShape(workspaceId:$ws, input:{style:{regularShape:{kind:Ellipse}}}) { id } }"),
    (
        "canvas",
        "mutation($ws:String!){ r: createCanvas(workspaceId:$ws, input:{name:\"f\", style:{width:1,height:1}}) { id } }",
    ),
    ("line", "mutation($ws:String!){ r: createLine(workspaceId:$ws, input:{start:{absolute:{x:0,y:0}}, end:{absolute:{x:1,y:1}}}) { id } }"),
    ("document", "mutation($ws:String!){ c: createDocument(workspaceId:$ws, input:{documentFormat:docx}) { r: document { id } } }"),
    ("video", "mutation($ws:String!){ c: createVideo(workspaceId:$ws, input:{videoFormat:webm}) { r: video { id } } }"),
    ("browser", "mutation($ws:String!){ r: createBrowser(workspaceId:$ws, input:{}) { id } }"),
    ("grid", "mutation($ws:String!){ r: createGrid(workspaceId:$ws, input:{cells:[]}) { id } }"),
    ("icon", "mutation($ws:String!){ r: createIcon(workspaceId:$ws, input:{assetPath:\"/icons/f.svg\"}) { id } }"),
    ("window", "mutation($ws:String!){ r: createWindow(workspaceId:$ws, input:{}) { id } }"),
];

#[tokio::test]
async fn every_workspace_role_against_every_mutation() {
    let app = spawn_app().await;
    let core = &app.core;
    let org = core.admin_create_org("Roles").await.expect("org").id;
    let owner = core
        .admin_create_user(NewPerson {
            email: "owner@roles.test".into(),
            password: "password-1".into(),
            org: Some((org.clone(), "owner".into())),
            ..Default::default()
        })
        .await
        .expect("owner");
    let mut failures = Vec::new();
    let mut checked = 0;
    for role in ["owner", "editor-plus", "editor", "commenter", "viewer"] {
        for (name, fixture, doc) in MUTATIONS {
            let ws = new_workspace(&app, &org, &owner.id).await;
            let (_, fixture_token) = bot_in(&app, &org, &ws, "editor").await;
            let (_, token) = bot_in(&app, &org, &ws, role).await;
            let (victim, _) = bot_in(&app, &org, &ws, "viewer").await;
            let (newcomer, _) = core.admin_create_bot(&org, "newcomer").await.expect("bot");
            let mut vars = json!({"ws": ws.0, "victim": victim.0, "user": newcomer.id.0});
            if let Some(kind) = fixture {
                let (_, fdoc) = FIXTURES.iter().find(|(k, _)| *k == kind).expect("fixture");
                let made = app.gql(&fixture_token, fdoc, json!({"ws": ws.0})).await;
                let data = made["data"].get("c").unwrap_or(&made["data"]);
                vars["id"] = data["r"]["id"].clone();
                assert!(vars["id"].is_string(), "fixture {kind}: {made}");
            }
            let events_before = app.events(&ws.0).await.len();
            let elements_before = app.element_count(&ws.0).await;
            let body: Value = app.gql(&token, doc, vars).await;
            let events_after = app.events(&ws.0).await.len();
            checked += 1;
            let expect = allowed(role, name);
            let ok = if expect {
                body["errors"].is_null() && !body["data"]["r"].is_null() && events_after == events_before + 1
            } else {
                error_code(&body) == Some("FORBIDDEN")
                    && events_after == events_before
                    && app.element_count(&ws.0).await == elements_before
            };
            if !ok {
                failures.push(format!(
                    "{role} {name}: expected {}, got {body}",
                    if expect { "success" } else { "FORBIDDEN" }
                ));
            }
        }
    }
    assert_eq!(checked, 150);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn new_workspace(app: &TestApp, org: &OrgId, owner: &UserId) -> WorkspaceId {
    let input = NewWorkspace { org_id: org.clone(), name: "W".into(), description: None, is_public: false };
    app.core.admin_create_workspace(input, owner).await.expect("workspace").id
}

async fn bot_in(app: &TestApp, org: &OrgId, ws: &WorkspaceId, role: &str) -> (UserId, String) {
    let (bot, token) = app.core.admin_create_bot(org, role).await.expect("bot");
    app.core.admin_add_collaborator(ws, &bot.id, role).await.expect("add");
    (bot.id, token)
}

/// Nobody gives a role above their own, and only owners make, change or remove owners.
#[tokio::test]
async fn role_changes_never_rise_above_the_one_who_makes_them() {
    let app = spawn_app().await;
    let core = &app.core;
    let org = core.admin_create_org("Roles").await.expect("org").id;
    let (first_owner, _) = core.admin_create_bot(&org, "first owner").await.expect("bot");
    let ws = new_workspace(&app, &org, &first_owner.id).await;
    let (manager, manager_token) = bot_in(&app, &org, &ws, "editor-plus").await;
    let (second_owner, owner_token) = bot_in(&app, &org, &ws, "owner").await;
    let (peer, _) = bot_in(&app, &org, &ws, "editor-plus").await;
    let (newcomer, _) = core.admin_create_bot(&org, "newcomer").await.expect("bot");
    let set = "mutation($ws:String!,$u:String!,$r:String!){ r: addWorkspaceCollaborator(workspaceId:$ws, input:{id:$u, workspaceRoleId:$r}) { workspaceRole { id } } }";
    let remove =
        "mutation($ws:String!,$u:String!){ r: deleteWorkspaceCollaborator(workspaceId:$ws, collaboratorId:$u) }";
    let role_of = |user: &UserId| {
        let (core, ws, user) = (core.clone(), ws.clone(), user.clone());
        async move { core.store().access_facts(&ws, &user).await.expect("facts").and_then(|f| f.workspace_role) }
    };
    let attempt = |token: &str, doc: &'static str, vars: Value| {
        let (app, token) = (&app, token.to_string());
        async move { app.gql(&token, doc, vars).await }
    };
    let vars = |u: &UserId, r: &str| json!({"ws": ws.0, "u": u.0, "r": r});

    // An editor-plus cannot make itself or anyone else an owner, nor demote or remove an owner.
    for (who, role) in [(&manager, "owner"), (&newcomer.id, "owner"), (&second_owner, "viewer")] {
        let body = attempt(&manager_token, set, vars(who, role)).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "editor-plus gives {role}: {body}");
    }
    let body = attempt(&manager_token, remove, json!({"ws": ws.0, "u": second_owner.0})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "editor-plus removes an owner: {body}");
    assert_eq!(role_of(&manager).await.as_deref(), Some("editor-plus"));
    assert_eq!(role_of(&second_owner).await.as_deref(), Some("owner"));
    assert_eq!(role_of(&newcomer.id).await, None);
    // Up to its own role it may: a newcomer as editor-plus, a peer down to editor.
    assert!(attempt(&manager_token, set, vars(&newcomer.id, "editor-plus")).await["errors"].is_null());
    assert!(attempt(&manager_token, set, vars(&peer, "editor")).await["errors"].is_null());
    assert_eq!(role_of(&peer).await.as_deref(), Some("editor"));
    // An owner may make and unmake owners.
    assert!(attempt(&owner_token, set, vars(&newcomer.id, "owner")).await["errors"].is_null());
    assert!(attempt(&owner_token, set, vars(&newcomer.id, "viewer")).await["errors"].is_null());
    assert_eq!(role_of(&newcomer.id).await.as_deref(), Some("viewer"));
}
