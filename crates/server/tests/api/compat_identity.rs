//! The platform's identity and workspace surface (issue 16), executed against the real server:
//! paged lists with `pagination`, `filtering` and `ordering`, members and collaborators as the
//! platform shapes them, roles, and the workspace and collaborator mutations. Documents written
//! here, in the platform's shapes.

use crate::browser::*;
use crate::helpers::*;
use serde_json::{json, Value};

/// A person (role `user` in the "People" organization, owner of workspaces Alpha and Beta), their
/// v2legacy token, and a bot of the same organization: (app, token, org id, bot id, [ws ids]).
async fn fixture() -> (TestApp, String, String, String, [String; 2]) {
    let app = spawn_app().await;
    let (org, user, email, [a, b]) = person_with_workspaces(&app).await;
    let (cid, secret) = confidential_app(&app, &user).await;
    let mut browser = Browser::new();
    let q = authorize(&app, &mut browser, &email, &params(&cid, "v2legacy")).await;
    let (s, t) = redeem(&app, (&cid, &secret), &q["code"]).await;
    assert_eq!(s, 200, "{t}");
    let token = t["access_token"].as_str().expect("token").to_string();
    let (bot, _) = app.core.admin_create_bot(&org, "Helper").await.expect("bot");
    (app, token, org.0, bot.id.0, [a.0, b.0])
}

fn ok(body: &Value) -> &Value {
    assert!(body["errors"].is_null(), "{body}");
    &body["data"]
}

fn names(list: &Value) -> Vec<&str> {
    list["results"].as_array().expect("results").iter().filter_map(|w| w["name"].as_str()).collect()
}

#[tokio::test]
async fn my_workspaces_and_organizations_are_paged_filtered_and_ordered() {
    let (app, token, org, _bot, _) = fixture().await;
    let create = "mutation($org:String!,$name:String!,$public:Boolean!){ createWorkspace(input:{
        organizationId:$org, name:$name, isPublic:$public }) { id name isPublic organization { id } owner { email } createdAt } }";
    for (name, public) in [("Gamma", false), ("delta", true), ("Epsilon", false)] {
        let made = app.gql(&token, create, json!({"org": org, "name": name, "public": public})).await;
        let w = &ok(&made)["createWorkspace"];
        assert_eq!(
            (w["name"].as_str(), w["isPublic"].as_bool(), w["organization"]["id"].as_str()),
            (Some(name), Some(public), Some(org.as_str()))
        );
        assert!(w["owner"]["email"].as_str().is_some_and(|e| e.ends_with("@people.test")), "{w}");
    }
    let list = "query($size:Int!,$cursor:String,$filter:UserWorkspaceFilters,$order:[WorkspaceOrdering!]){ me { workspaces(
        pagination:{pageSize:$size}, cursor:$cursor, filtering:$filter, ordering:$order) { totalItems next prev results { name } } } }";
    let page = |size: i64, cursor: Value, filter: Value, order: Value| {
        let (app, token) = (&app, &token);
        async move {
            let body =
                app.gql(token, list, json!({"size": size, "cursor": cursor, "filter": filter, "order": order})).await;
            ok(&body)["me"]["workspaces"].clone()
        }
    };
    let by_name_desc = json!([{"field": "name", "order": "Desc"}]);
    let first = page(2, Value::Null, Value::Null, by_name_desc.clone()).await;
    assert_eq!((first["totalItems"].as_i64(), names(&first)), (Some(5), vec!["Gamma", "Epsilon"]), "{first}");
    assert_eq!(first["prev"], Value::Null);
    let second = page(2, first["next"].clone(), Value::Null, by_name_desc.clone()).await;
    assert_eq!(names(&second), ["delta", "Beta"]);
    let third = page(2, second["next"].clone(), Value::Null, by_name_desc).await;
    assert_eq!((names(&third), &third["next"]), (vec!["Alpha"], &Value::Null));
    assert_eq!(third["prev"], "2", "back to the second page");
    let ordered = page(10, Value::Null, Value::Null, json!([{"orderedField": {"name": "Asc"}}])).await;
    assert_eq!(names(&ordered), ["Alpha", "Beta", "delta", "Epsilon", "Gamma"]);
    for (filter, expected) in [
        (json!({"isPublic": {"eq": true}}), vec!["delta"]),
        (json!({"name": {"startsWith": "ga"}}), vec!["Gamma"]),
        (json!({"or": [{"name": {"eq": "Alpha"}}, {"name": {"eq": "Beta"}}]}), vec!["Alpha", "Beta"]),
        (json!({"not": [{"name": {"contains": "a"}}]}), vec!["Epsilon"]),
        (json!({"ownedBy": {"eq": "others"}}), vec![]),
        (
            json!({"organizationId": {"eq": org}, "and": [{"isPublic": {"ne": true}}, {"name": {"contains": "l"}}]}),
            vec!["Alpha", "Epsilon"],
        ),
    ] {
        let got = page(10, Value::Null, filter.clone(), json!([{"field": "name"}])).await;
        assert_eq!(names(&got), expected, "{filter}");
    }
    // The platform's profile and organizations.
    let me = app
        .gql(
            &token,
            "{ me { profile { firstName applicationRole { name type resourceType } }
                organizations(filtering:{name:{eq:\"People\"}}) { totalItems results { id name createdAt owner { id } } } } }",
            json!({}),
        )
        .await;
    let me = &ok(&me)["me"];
    assert_eq!(
        me["profile"]["applicationRole"],
        json!({"name": "User", "type": "User", "resourceType": "Application"})
    );
    assert_eq!(me["organizations"]["totalItems"], 1);
    assert_eq!(me["organizations"]["results"][0]["id"], org.as_str());
    assert_eq!(me["organizations"]["results"][0]["owner"], Value::Null, "the person is a member, not the owner");
    let none = app
        .gql(&token, "{ organizations(filtering:{name:{eq:\"Nope\"}}) { totalItems results { id } } }", json!({}))
        .await;
    assert_eq!(ok(&none)["organizations"], json!({"totalItems": 0, "results": []}));
    // Bad paging is refused clearly.
    for (size, cursor) in [(0, Value::Null), (501, Value::Null), (5, json!("not a cursor"))] {
        let body = app.gql(&token, list, json!({"size": size, "cursor": cursor})).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
    }
}

#[tokio::test]
async fn members_collaborators_and_roles_in_the_platforms_shapes() {
    let (app, token, org, bot, [ws, _]) = fixture().await;
    let members = app
        .gql(
            &token,
            "query($org:String!,$bot:String!){ organization(organizationId:$org) { id
                members(filtering:{user:{id:{eq:$bot}}}) { totalItems results {
                    member { __typename ... on User { id firstName } } organizationRole { id type resourceType } } }
                all: members(ordering:[{field: email, order: Desc}]) { totalItems results { member { ... on User { email } } } } } }",
            json!({"org": org, "bot": bot}),
        )
        .await;
    let o = &ok(&members)["organization"];
    assert_eq!(o["members"]["totalItems"], 1);
    assert_eq!(o["members"]["results"][0]["member"], json!({"__typename": "User", "id": bot, "firstName": "Helper"}));
    assert_eq!(
        o["members"]["results"][0]["organizationRole"],
        json!({"id": "user", "type": "User", "resourceType": "Organization"})
    );
    let emails: Vec<Value> =
        o["all"]["results"].as_array().expect("all").iter().map(|m| m["member"]["email"].clone()).collect();
    assert_eq!(o["all"]["totalItems"], 2);
    assert!(emails[0].is_string() && emails[1].is_null(), "email order, descending (a bot has none): {emails:?}");

    // Collaborators: add, list with filters, change the role, remove.
    let add = app
        .gql(
            &token,
            "mutation($ws:String!,$bot:String!){ addWorkspaceCollaborator(workspaceId:$ws, input:{id:$bot, workspaceRoleId:\"editor\"}) {
                collaborator { ... on User { id } } workspaceRole { id name type resourceType isCustom } } }",
            json!({"ws": ws, "bot": bot}),
        )
        .await;
    let added = &ok(&add)["addWorkspaceCollaborator"];
    assert_eq!(added["collaborator"]["id"], bot.as_str());
    assert_eq!(
        added["workspaceRole"],
        json!({"id": "editor", "name": "Editor", "type": "User", "resourceType": "Workspace", "isCustom": false})
    );
    let collaborators = "query($ws:String!,$f:CollaboratorFilters){ workspace(workspaceId:$ws) {
        collaborators(filtering:$f, ordering:[{field: name}]) { totalItems results { collaborator { ... on User { id } } workspaceRole { id } } } } }";
    let listed = |f: Value| {
        let (app, token, ws) = (&app, &token, &ws);
        async move {
            ok(&app.gql(token, collaborators, json!({"ws": ws, "f": f})).await)["workspace"]["collaborators"].clone()
        }
    };
    assert_eq!(listed(Value::Null).await["totalItems"], 2);
    let editors = listed(json!({"workspaceRole": {"id": {"eq": "editor"}}})).await;
    assert_eq!(editors["results"], json!([{"collaborator": {"id": bot}, "workspaceRole": {"id": "editor"}}]));
    assert_eq!(listed(json!({"group": {"name": {"eq": "x"}}})).await["totalItems"], 0, "tessera has no groups");
    let change = "mutation($ws:String!,$u:String!,$r:String!){ updateCollaboratorRole(workspaceId:$ws, userId:$u, defaultRoleId:$r) { id name } }";
    let changed = app.gql(&token, change, json!({"ws": ws, "u": bot, "r": "viewer"})).await;
    assert_eq!(ok(&changed)["updateCollaboratorRole"], json!({"id": "viewer", "name": "Viewer"}));
    let outsider =
        app.core.admin_create_bot(&tessera_core::ids::OrgId(org.clone()), "Outsider").await.expect("bot").0.id;
    let refused = app.gql(&token, change, json!({"ws": ws, "u": outsider.0, "r": "viewer"})).await;
    assert_eq!(error_code(&refused), Some("NOT_FOUND"), "only collaborators have a role to change: {refused}");
    let removed = app
        .gql(
            &token,
            "mutation($ws:String!,$u:String!){ deleteWorkspaceCollaborator(workspaceId:$ws, collaboratorId:$u) }",
            json!({"ws": ws, "u": bot}),
        )
        .await;
    assert_eq!(ok(&removed)["deleteWorkspaceCollaborator"], true);
    assert_eq!(listed(Value::Null).await["totalItems"], 1);

    // Roles, filtered and ordered.
    let roles = app
        .gql(&token, "{ roles(filtering:{resourceType:{eq: Organization}}, ordering:[{field: name}]) { totalItems results { id name type } } }", json!({}))
        .await;
    let ids: Vec<&str> =
        ok(&roles)["roles"]["results"].as_array().expect("roles").iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids, ["admin", "guest", "owner", "user"]);
    let owners = app.gql(&token, "{ roles(filtering:{type:{eq: Owner}}) { totalItems } }", json!({})).await;
    assert_eq!(ok(&owners)["roles"]["totalItems"], 2, "the workspace owner and the organization owner");
}

#[tokio::test]
async fn create_workspace_refuses_what_tessera_does_not_do_and_creates_nothing() {
    let (app, token, org, bot, _) = fixture().await;
    let create = "mutation($input:CreateWorkspaceInput!){ createWorkspace(input:$input) { id } }";
    let before = app.gql(&token, "{ me { workspaces { totalItems } } }", json!({})).await;
    for extra in [
        json!({"ownerId": bot}),
        json!({"copyFrom": "x"}),
        json!({"defaultRoleId": "editor"}),
        json!({"classification": "secret"}),
    ] {
        let mut input = json!({"organizationId": org, "name": "Refused", "isPublic": false});
        input.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        let body = app.gql(&token, create, json!({"input": input})).await;
        assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{extra}: {body}");
    }
    let after = app.gql(&token, "{ me { workspaces { totalItems } } }", json!({})).await;
    assert_eq!(before, after, "nothing was created");
    // isPublic is required, as in the platform's schema.
    let body = app.gql(&token, create, json!({"input": {"organizationId": org, "name": "No flag"}})).await;
    assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{body}");
}

#[tokio::test]
async fn users_are_the_people_of_my_organizations_and_no_one_else() {
    let (app, token, org, bot, _) = fixture().await;
    // Someone in another organization only.
    let other = app.core.admin_create_org("Elsewhere").await.expect("org").id;
    let (stranger, _) = app.core.admin_create_bot(&other, "Stranger").await.expect("bot");
    let me = ok(&app.gql(&token, "{ me { profile { id email } } }", json!({})).await)["me"]["profile"].clone();
    let list = "query($f:UserFilters, $o:[UserOrdering!]){ users(filtering:$f, ordering:$o, pagination:{pageSize:10}) {
        totalItems results { id firstName email } } }";
    let all = ok(&app.gql(&token, list, json!({})).await)["users"].clone();
    let ids: Vec<&str> = all["results"].as_array().expect("results").iter().filter_map(|u| u["id"].as_str()).collect();
    assert_eq!(all["totalItems"], 2, "{all}");
    assert_eq!(ids, vec![me["id"].as_str().expect("id"), bot.as_str()], "its organization's members, oldest first");
    let helpers =
        ok(&app.gql(&token, list, json!({"f": {"firstName": {"eq": "Helper"}}})).await)["users"]["results"].clone();
    assert_eq!(helpers, json!([{"id": bot, "firstName": "Helper", "email": null}]));
    let never = json!({"lastLoggedInAt": {"gt": "2020-01-01T00:00:00Z"}});
    assert_eq!(ok(&app.gql(&token, list, json!({"f": never})).await)["users"]["totalItems"], 0);
    let by_first_desc = json!([{"field": "firstName", "order": "Desc"}]);
    let ordered = ok(&app.gql(&token, list, json!({"o": by_first_desc})).await)["users"]["results"][0]["id"].clone();
    assert_eq!(ordered, json!(bot), "Helper after the person's first name, descending: {ordered}");

    let one = "query($id:String, $email:String){ user(userId:$id, email:$email) { id } }";
    let by_email = ok(&app
        .gql(&token, one, json!({"email": me["email"].as_str().expect("email").to_uppercase()}))
        .await)["user"]["id"]
        .clone();
    assert_eq!(by_email, me["id"]);
    for (vars, code) in [
        (json!({"id": stranger.id.0}), "NOT_FOUND"),
        (json!({"email": "nobody@nowhere.test"}), "NOT_FOUND"),
        (json!({}), "BAD_USER_INPUT"),
        (json!({"id": bot, "email": "x@y.test"}), "BAD_USER_INPUT"),
    ] {
        let body = app.gql(&token, one, vars.clone()).await;
        assert_eq!(error_code(&body), Some(code), "{vars}: {body}");
    }
    let _ = org;
}
