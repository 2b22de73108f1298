//! Uploads: images of about 1 MiB added the platform's way (createImage → POST the file with the
//! returned form → processAsset), by concurrent clients; then the wait until every one is
//! processed (its size read, its preview made).

#![allow(clippy::expect_used)]

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Uploads {
    pub count: usize,
    pub bytes: usize,
    /// From the first create to the last `processAsset` answer.
    pub accepted_secs: f64,
    /// From the first create until every image was processed.
    pub processed_secs: f64,
}

/// A PNG of noise (so it does not compress) of about `bytes`.
pub fn noise_png(bytes: usize) -> Vec<u8> {
    let side = ((bytes / 3) as f64).sqrt() as u32;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let img = image::RgbImage::from_fn(side, side, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).expect("png");
    out
}

async fn gql(http: &reqwest::Client, url: &str, token: &str, query: &str, variables: Value) -> Value {
    let v: Value = http
        .post(url)
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(v["errors"].is_null(), "{v}");
    v["data"].clone()
}

/// `n` uploads of `file` into `ws` by `workers` clients.
pub async fn run(
    http: &reqwest::Client,
    graphql: &str,
    token: &str,
    ws: &str,
    file: Vec<u8>,
    n: usize,
    workers: usize,
) -> Uploads {
    let file = Arc::new(file);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (http, url, token, ws, next, file) =
            (http.clone(), graphql.to_string(), token.to_string(), ws.to_string(), next.clone(), file.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let made = gql(&http, &url, &token, "mutation($ws:String!){ createImage(workspaceId:$ws, input:{imageFormat: png}) { image { id } content { uploadId url fields } } }", json!({"ws": ws})).await;
                let content = &made["createImage"]["content"];
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in content["fields"].as_object().expect("fields") {
                    form = form.text(k.clone(), v.as_str().expect("field").to_string());
                }
                form = form.part("file", reqwest::multipart::Part::bytes(file.to_vec()).file_name("noise.png"));
                let res = http.post(content["url"].as_str().expect("url")).multipart(form).send().await.expect("upload");
                assert!(res.status().is_success(), "upload: {}", res.status());
                gql(&http, &url, &token, "mutation($ws:String!, $id:String!){ processAsset(workspaceId:$ws, id:$id, input:{}) }", json!({"ws": ws, "id": content["uploadId"]})).await;
                ids.push(made["createImage"]["image"]["id"].as_str().expect("id").to_string());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.expect("upload worker"));
    }
    let accepted_secs = started.elapsed().as_secs_f64();
    let states = json!({"query": "query($ws:String!){ elements(workspaceId:$ws, type:[Image]) { ... on Image { ingestionState } } }", "variables": {"ws": ws}});
    loop {
        let v: Value = http
            .post(graphql)
            .bearer_auth(token)
            .json(&states)
            .send()
            .await
            .expect("states")
            .json()
            .await
            .expect("json");
        let list = v["data"]["elements"].as_array().cloned().unwrap_or_default();
        let done = list.iter().filter(|e| e["ingestionState"] == "complete_success").count();
        assert!(list.iter().all(|e| e["ingestionState"] != "complete_failure"), "an upload failed: {v}");
        if done >= ids.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Uploads { count: ids.len(), bytes: file.len(), accepted_secs, processed_secs: started.elapsed().as_secs_f64() }
}
