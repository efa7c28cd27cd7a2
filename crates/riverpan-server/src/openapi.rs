//! `GET /api/v1/openapi.json`: an OpenAPI 3.1 description of every route riverpan serves —
//! the mirror, cpanmetadb, the JSON API, the upload endpoints and CPAN Testers.
//!
//! Kept by hand next to the handlers; the `openapi_paths_exist` test of the `api` test suite
//! requests every documented path and fails when the router does not know one.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::ServerState;

/// The routes of this module.
pub(crate) fn routes() -> Router<ServerState> {
    Router::new().route("/api/v1/openapi.json", get(openapi_json))
}

async fn openapi_json(axum::extract::State(state): axum::extract::State<ServerState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document(state.version()).to_string(),
    )
        .into_response()
}

/// `{"description": text, "content": {media type: {"schema": schema}}}`.
fn body(description: &str, media_type: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { media_type: { "schema": schema } } })
}

/// A JSON answer referring to a schema of `components`.
fn json_ref(description: &str, schema: &str) -> Value {
    body(
        description,
        "application/json",
        json!({ "$ref": format!("#/components/schemas/{schema}") }),
    )
}

/// The `{"error": …}` answer.
fn error(description: &str) -> Value {
    json_ref(description, "Error")
}

/// A path parameter.
fn path_parameter(name: &str, description: &str, example: &str) -> Value {
    json!({
        "name": name, "in": "path", "required": true, "description": description,
        "schema": { "type": "string" }, "example": example,
    })
}

/// A GET of a mirror file (the same headers and answers on every tree).
fn mirror_get(summary: &str, description: &str, example: &str) -> Value {
    let file_headers = json!({
        "ETag": { "schema": { "type": "string" }, "description": "Strong validator." },
        "Last-Modified": { "schema": { "type": "string" } },
        "Cache-Control": {
            "schema": { "type": "string" },
            "description": "`no-cache` for indexes and CHECKSUMS, `public, max-age=86400` for release archives."
        },
        "Accept-Ranges": { "schema": { "type": "string", "const": "bytes" } },
    });
    json!({
        "get": {
            "tags": ["mirror"],
            "summary": summary,
            "description": description,
            "parameters": [
                path_parameter("path", "The file's path in the tree (several segments).", example),
                { "name": "If-None-Match", "in": "header", "schema": { "type": "string" } },
                { "name": "If-Modified-Since", "in": "header", "schema": { "type": "string" },
                  "description": "304 only when it equals Last-Modified exactly, so that a rolled-back index is fetched again." },
                { "name": "Range", "in": "header", "schema": { "type": "string" },
                  "description": "One byte range (`bytes=0-99`, `bytes=100-`, `bytes=-100`); several ranges get the whole file." },
                { "name": "If-Range", "in": "header", "schema": { "type": "string" } },
            ],
            "responses": {
                "200": { "description": "The file, as stored (never Content-Encoding: gzip).", "headers": file_headers,
                         "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                "206": { "description": "The requested byte range (Content-Range)." },
                "304": { "description": "Not modified." },
                "400": { "description": "A path with `.` or `..` segments, encoded separators or NUL." },
                "404": { "description": "No such file (directories are not listed)." },
                "416": { "description": "The range starts past the end (Content-Range: bytes */LENGTH)." },
            },
        }
    })
}

/// A GET answering JSON, with a 404.
fn api_get(summary: &str, parameter: Value, schema: &str, not_found: &str) -> Value {
    json!({
        "get": {
            "tags": ["api"],
            "summary": summary,
            "parameters": [parameter],
            "responses": {
                "200": json_ref("Found.", schema),
                "404": error(not_found),
            },
        }
    })
}

/// The OpenAPI document; `version` is the riverpan version.
pub(crate) fn document(version: &str) -> Value {
    let mut paths = Map::new();
    paths.insert(
        "/authors/{path}".into(),
        mirror_get(
            "A file of the CPAN tree below authors/",
            "Release archives, CHECKSUMS, 01mailrc.txt.gz.",
            "id/N/NE/NEILB/Foo-Bar-1.23.tar.gz",
        ),
    );
    paths.insert(
        "/modules/{path}".into(),
        mirror_get(
            "An index file below modules/",
            "02packages.details.txt(.gz), 06perms.txt(.gz), 03modlist.data.gz.",
            "02packages.details.txt.gz",
        ),
    );
    paths.insert(
        "/backpan/authors/{path}".into(),
        mirror_get(
            "BackPAN: deleted files, then the live tree",
            "Every file ever uploaded and not overwritten, deleted ones included.",
            "id/N/NE/NEILB/Foo-Bar-1.22.tar.gz",
        ),
    );
    let module = path_parameter("module", "A package name, exact case.", "Foo::Bar");
    paths.insert(
        "/v1.0/package/{module}".into(),
        json!({ "get": {
            "tags": ["cpanmetadb"],
            "summary": "cpanmetadb: the distribution file that provides a package",
            "description": "YAML as cpanmetadb.plackperl.org writes it (YAML.pm layout, keys sorted).",
            "parameters": [module],
            "responses": {
                "200": body("Found.", "text/yaml", json!({ "type": "string",
                    "example": "---\ndistfile: N/NE/NEILB/Foo-Bar-1.23.tar.gz\nprovides:\n  Foo::Bar: 1.23\nversion: 1.23\n" })),
                "404": body("Not indexed.", "text/plain", json!({ "type": "string", "const": "Not found\n" })),
            },
        }}),
    );
    paths.insert(
        "/v1.0/history/{module}".into(),
        json!({ "get": {
            "tags": ["cpanmetadb"],
            "summary": "cpanmetadb: every index entry the package had, oldest first",
            "description": "02packages lines (`%-30s %8s  %s`); cpanm uses it for `==`, `<` and `!=` requirements.",
            "parameters": [path_parameter("module", "A package name, exact case.", "Foo::Bar")],
            "responses": {
                "200": body("Found.", "text/plain", json!({ "type": "string",
                    "example": "Foo::Bar                          1.22  N/NE/NEILB/Foo-Bar-1.22.tar.gz\n" })),
                "404": body("Never indexed.", "text/plain", json!({ "type": "string", "const": "Not found\n" })),
            },
        }}),
    );
    paths.insert(
        "/api/v1/packages/{name}".into(),
        api_get(
            "A package: version, distribution file, permissions, history",
            path_parameter("name", "A package name, exact case.", "Foo::Bar"),
            "Package",
            "Not indexed.",
        ),
    );
    paths.insert(
        "/api/v1/distributions/{name}".into(),
        api_get(
            "A distribution and its releases, newest first",
            path_parameter("name", "A distribution name.", "Foo-Bar"),
            "Distribution",
            "No release of that name.",
        ),
    );
    paths.insert(
        "/api/v1/authors/{id}".into(),
        api_get(
            "An author, their distributions and permissions",
            path_parameter("id", "A PAUSE id (any case).", "NEILB"),
            "Author",
            "No such author.",
        ),
    );
    paths.insert(
        "/api/v1/permissions/{package}".into(),
        api_get(
            "Who may upload a package (06perms rows, matched case-insensitively)",
            path_parameter("package", "A package name.", "Foo::Bar"),
            "Permissions",
            "Nobody has permissions on it.",
        ),
    );
    let upload_id = path_parameter("id", "The upload id an upload answer gave.", "42");
    let mut upload_path = api_get(
        "An upload: its state in the indexing queue and its report",
        upload_id.clone(),
        "Upload",
        "No such upload.",
    );
    if let Some(responses) = upload_path.pointer_mut("/get/responses") {
        responses["400"] = error("Not a number.");
    }
    paths.insert("/api/v1/uploads/{id}".into(), upload_path);
    river_paths(&mut paths);
    permission_paths(&mut paths);
    paths.insert(
        "/api/v1/reports/{id}".into(),
        json!({ "get": {
            "tags": ["api"],
            "summary": "The indexing report of an upload",
            "description": "JSON, or the text PAUSE would mail with `Accept: text/plain`.",
            "parameters": [upload_id],
            "responses": {
                "200": {
                    "description": "Found.",
                    "content": {
                        "application/json": { "schema": { "$ref": "#/components/schemas/Report" } },
                        "text/plain": { "schema": { "type": "string" } },
                    },
                },
                "400": error("Not a number."),
                "404": error("No such upload, or not indexed yet."),
            },
        }}),
    );
    paths.insert(
        "/pause/authenquery".into(),
        json!({ "post": {
            "tags": ["upload"],
            "summary": "Upload as CPAN::Uploader (cpan-upload) does",
            "description": "PAUSE's legacy form (`pause.md` §1.1): multipart/form-data, parts in any order, HTTP Basic \
                authentication (password, or an API token as the password). Answers at once; indexing runs in the \
                durable queue (see /api/v1/uploads/{id}).",
            "security": [{ "basic": [] }],
            "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": {
                "type": "object",
                "required": ["pause99_add_uri_httpupload"],
                "properties": {
                    "HIDDENNAME": { "type": "string", "description": "The PAUSE id uploaded as." },
                    "CAN_MULTIPART": { "type": "string" },
                    "pause99_add_uri_httpupload": { "type": "string", "format": "binary" },
                    "pause99_add_uri_subdirtext": { "type": "string" },
                    "pause99_add_uri_upload": { "type": "string" },
                    "pause99_add_uri_uri": { "type": "string" },
                    "SUBMIT_pause99_add_uri_httpupload": { "type": "string" },
                },
            } } } },
            "responses": {
                "200": body("Accepted (an HTML page, as PAUSE answers).", "text/html", json!({ "type": "string" })),
                "401": { "description": "No or wrong credentials (WWW-Authenticate: Basic realm=\"PAUSE\")." },
                "403": { "description": "Not allowed to upload as HIDDENNAME, or out of the token's scope." },
                "409": { "description": "A file of that name was uploaded before." },
                "413": { "description": "Larger than the upload size limit." },
                "429": { "description": "Too many failed logins." },
            },
        }}),
    );
    paths.insert(
        "/api/upload".into(),
        json!({ "post": {
            "tags": ["upload"],
            "summary": "Upload with an API token (PAUSE's 2026 token API)",
            "description": "`Authorization: Bearer PAUSEID:TOKENID:SECRET`; multipart field `file`, optional `subdir` \
                (`pause.md` §1.2). JSON answers.",
            "security": [{ "bearer": [] }],
            "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": { "type": "string", "format": "binary" },
                    "subdir": { "type": "string" },
                },
            } } } },
            "responses": {
                "200": body("Accepted and queued for indexing.", "application/json", json!({ "type": "object",
                    "properties": { "result": { "type": "string" }, "upload_id": { "type": "integer" },
                                    "path": { "type": "string" }, "status_url": { "type": "string" } } })),
                "400": error("Empty file, bad file name, or no usable token."),
                "401": error("Invalid or expired token."),
                "403": error("The token's scope does not allow this upload."),
                "409": error("Duplicated: a file of that name was uploaded before."),
                "413": error("Larger than the upload size limit."),
                "429": error("Too many failed logins."),
            },
        }}),
    );
    deletion_paths(&mut paths);
    lifecycle_paths(&mut paths);
    server_paths(&mut paths);
    testers_paths(&mut paths);

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "riverpan",
            "version": version,
            "description": "A self-hostable CPAN: a mirror every CPAN client installs from, cpanmetadb, \
                PAUSE-compatible uploads and a JSON API.",
        },
        "tags": [
            { "name": "mirror", "description": "The CPAN tree, as cpanm, cpm, Carton, CPAN.pm and minicpan read it." },
            { "name": "cpanmetadb", "description": "The lookups cpanm and cpm make (cpanmetadb.plackperl.org's API)." },
            { "name": "api", "description": "The JSON API." },
            { "name": "upload", "description": "PAUSE-compatible uploads and deletions." },
            { "name": "accounts", "description": "The author life-cycle: id requests, account states, deleting ids, inactive ids, the cleanup opt-out." },
            { "name": "permissions", "description": "Permission management (PAUSE's permission pages): co-maintainers, \
                ownership transfers (offers the recipient accepts), giving up, HANDOFF/NEEDHELP markers, the record of every \
                change, adoption requests. Writes need the password (Basic) or a token with scope `perms`." },
            { "name": "server", "description": "Status, health and metrics." },
            { "name": "testers", "description": "CPAN Testers: report submission (v3 and the legacy Metabase protocol), \
                the v3 read API, the legacy feeds the Matrix reads, riverpan's own summaries and Blead Breaks CPAN. \
                Every answer carries `Access-Control-Allow-Origin: *`; `OPTIONS` preflights are answered." },
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "basic": { "type": "http", "scheme": "basic" },
                "bearer": { "type": "http", "scheme": "bearer" },
            },
            "schemas": schemas(),
        },
    })
}

/// Scheduled deletions (`pause.md` §1.4): the file moves to BackPAN and its packages leave the
/// index after the configured delay, unless undeleted first.
fn deletion_paths(paths: &mut Map<String, Value>) {
    let auth = json!([{ "basic": [] }, { "bearer": [] }]);
    let id = path_parameter("id", "The deletion id the scheduling answer gave.", "1");
    paths.insert(
        "/api/v1/deletions".into(),
        json!({ "post": {
            "tags": ["upload"],
            "summary": "Schedule the deletion of one of your files",
            "security": auth,
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["path"],
                "properties": { "path": { "type": "string",
                    "description": "A file of your directory: `Foo-1.0.tar.gz`, `X/XX/ID/Foo-1.0.tar.gz` or `authors/id/X/XX/ID/Foo-1.0.tar.gz`." } },
            } } } },
            "responses": {
                "202": json_ref("Scheduled.", "Deletion"),
                "400": error("Not JSON, or not a file of yours."),
                "401": error("No or wrong credentials."),
                "403": error("Someone else's file, or out of the token's scope."),
                "404": error("No such file."),
            },
        }}),
    );
    paths.insert(
        "/api/v1/deletions/{id}".into(),
        json!({
            "get": {
                "tags": ["upload"],
                "summary": "A deletion and its state",
                "parameters": [id.clone()],
                "responses": { "200": json_ref("Found.", "Deletion"), "404": error("No such deletion.") },
            },
            "delete": {
                "tags": ["upload"],
                "summary": "Undelete: cancel a deletion that has not run yet",
                "security": auth,
                "parameters": [id],
                "responses": {
                    "200": json_ref("Cancelled.", "Deletion"),
                    "401": error("No or wrong credentials."),
                    "403": error("Someone else's file."),
                    "404": error("No such deletion."),
                    "409": error("It already ran."),
                },
            },
        }),
    );
}

/// The author life-cycle: id requests, account states, deleting an id, inactive ids, the
/// cleanup opt-out (`crate::lifecycle_api`).
fn lifecycle_paths(paths: &mut Map<String, Value>) {
    let auth = json!([{ "basic": [] }, { "bearer": [] }]);
    let request_id = || path_parameter("id", "The id request's number.", "1");
    let userid = || path_parameter("userid", "PAUSE id.", "NEILB");
    let object = json!({ "type": "object" });
    let refusals = |extra: &[(&str, &str)]| {
        let mut responses = json!({
            "401": error("No or wrong credentials (or the account is nologin)."),
            "403": error("Not allowed (not an administrator, someone else's id, or a token limited to packages)."),
        });
        for (code, text) in extra {
            responses[*code] = error(text);
        }
        responses
    };
    let with_ok = |mut responses: Value, description: &str| {
        responses["200"] = body(description, "application/json", object.clone());
        responses
    };
    paths.insert(
        "/api/v1/id-requests".into(),
        json!({ "get": {
            "tags": ["accounts"],
            "summary": "The requests for a PAUSE id (administrators)",
            "security": auth,
            "parameters": [{ "name": "state", "in": "query", "required": false,
                "schema": { "type": "string", "enum": ["pending", "approved", "rejected"] } }],
            "responses": with_ok(refusals(&[]), "`{\"requests\": [...]}`."),
        }}),
    );
    paths.insert(
        "/api/v1/id-requests/{id}/approve".into(),
        json!({ "post": {
            "tags": ["accounts"],
            "summary": "Approve a request: the author and its account are created, the requester is mailed a one-time password (administrators)",
            "security": auth,
            "parameters": [request_id()],
            "responses": with_ok(refusals(&[("404", "No such request."), ("409", "Decided already, or the id was registered meanwhile.")]),
                "`{\"request\", \"mailed\"}`, and `password` when no mail carried it."),
        }}),
    );
    paths.insert(
        "/api/v1/id-requests/{id}/reject".into(),
        json!({ "post": {
            "tags": ["accounts"],
            "summary": "Reject a request; the requester is mailed the note (administrators)",
            "security": auth,
            "parameters": [request_id()],
            "requestBody": { "required": false, "content": { "application/json": { "schema": {
                "type": "object", "properties": { "note": { "type": "string" } } } } } },
            "responses": with_ok(refusals(&[("404", "No such request."), ("409", "Decided already.")]),
                "`{\"request\", \"mailed\"}`."),
        }}),
    );
    paths.insert(
        "/api/v1/accounts/{userid}/state".into(),
        json!({ "put": {
            "tags": ["accounts"],
            "summary": "Set an account's state: `nologin` refuses sign-in and uploads with password or token (administrators)",
            "security": auth,
            "parameters": [userid()],
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["state"],
                "properties": { "state": { "type": "string", "enum": ["active", "nologin"] } } } } } },
            "responses": with_ok(refusals(&[("400", "Not a state."), ("404", "No such account.")]),
                "`{\"userid\", \"state\", \"previous\"}`."),
        }}),
    );
    paths.insert(
        "/api/v1/accounts/{userid}".into(),
        json!({ "delete": {
            "tags": ["accounts"],
            "summary": "Delete an id that never uploaded and holds no permission (the id itself with its password, or an administrator)",
            "security": auth,
            "parameters": [userid()],
            "responses": with_ok(refusals(&[("404", "No such id."), ("409", "It uploaded (its files stay on BackPAN under it), holds permissions, or is an administrator.")]),
                "`{\"deleted\"}`."),
        }}),
    );
    paths.insert(
        "/api/v1/ids/inactive".into(),
        json!({ "get": {
            "tags": ["accounts"],
            "summary": "Inactive unused ids: never uploaded, no permission, no sign-in for a long time (administrators)",
            "security": auth,
            "responses": with_ok(refusals(&[]),
                "`{\"inactive_for_seconds\", \"grace_seconds\", \"ids\": [{\"userid\", \"created_at\", \"last_activity_at\", \"email\", \"warned_at\", \"reclaimable_from\"}]}`."),
        }}),
    );
    paths.insert(
        "/api/v1/authors/{userid}/cleanup".into(),
        json!({ "put": {
            "tags": ["accounts"],
            "summary": "Opt out of (or back into) the automatic cleanup of old releases (the author or an administrator)",
            "security": auth,
            "parameters": [userid()],
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["opt_out"],
                "properties": { "opt_out": { "type": "boolean" } } } } } },
            "responses": with_ok(refusals(&[("400", "Not `{\"opt_out\": bool}`."), ("404", "No such author.")]),
                "`{\"userid\", \"opt_out\"}`."),
        }}),
    );
}

/// Permission management (`perms.md` §1, §2): per package and per distribution.
fn permission_paths(paths: &mut Map<String, Value>) {
    let auth = json!([{ "basic": [] }, { "bearer": [] }]);
    let package = path_parameter(
        "package",
        "A package name (matched case-insensitively).",
        "Foo::Bar",
    );
    let dist = path_parameter("name", "A distribution name.", "Foo-Bar");
    let userid = path_parameter("userid", "A PAUSE id.", "OTHER");
    let common = json!({
        "reason": { "type": "string", "description": "Why (recorded in the log and mailed)." },
        "as": { "type": "string", "description": "Administrators: act for this PAUSE id (recorded as the administrator's act on their behalf)." },
    });
    let with = |extra: Value, required: &[&str]| {
        let mut properties = common.clone();
        if let (Some(target), Some(source)) = (properties.as_object_mut(), extra.as_object()) {
            for (key, value) in source {
                target.insert(key.clone(), value.clone());
            }
        }
        json!({ "required": !required.is_empty(), "content": { "application/json": { "schema": {
            "type": "object", "required": required, "properties": properties } } } })
    };
    let refusals = |ok: Value| {
        let mut responses = json!({
            "400": error("Not JSON, or a field is missing."),
            "401": error("No or wrong credentials."),
            "403": json_ref("Not allowed (not the owner, a co-maintainer transferring, an upload token), or every package of the distribution is held by someone else (listed in `skipped`).", "PermissionRefusal"),
            "404": error("No such package or distribution."),
            "409": json_ref("The state does not allow it (already a co-maintainer, not one, already marked); nothing changed.", "PermissionRefusal"),
            "422": json_ref("The target id is unknown or cannot log in (nologin).", "PermissionRefusal"),
        });
        if let (Some(target), Some(source)) = (responses.as_object_mut(), ok.as_object()) {
            for (key, value) in source {
                target.insert(key.clone(), value.clone());
            }
        }
        responses
    };
    let done = json!({ "200": json_ref("Done: the recorded operation, its changes and the packages left alone.", "PermissionOutcome") });
    for (prefix, subject, what) in [
        ("/api/v1/permissions/{package}", package.clone(), "the package"),
        (
            "/api/v1/distributions/{name}/permissions",
            dist.clone(),
            "every package of the distribution (the indexed ones, the package the dist-name rule requires, those of its latest upload not indexed); packages held by someone else are listed in `skipped`",
        ),
    ] {
        let operation = |summary: &str, body: Value, responses: Value| {
            json!({ "post": { "tags": ["permissions"], "summary": format!("{summary}: {what}"),
                "security": auth, "parameters": [subject.clone()], "requestBody": body,
                "responses": responses } })
        };
        paths.insert(
            format!("{prefix}/comaints"),
            operation(
                "Add a co-maintainer (the owner)",
                with(json!({ "userid": { "type": "string" } }), &["userid"]),
                refusals(done.clone()),
            ),
        );
        paths.insert(
            format!("{prefix}/comaints/{{userid}}"),
            json!({ "delete": { "tags": ["permissions"],
                "summary": format!("Remove a co-maintainer (the owner), or give up one's own co-maintenance: {what}"),
                "security": auth, "parameters": [subject.clone(), userid.clone()],
                "requestBody": with(json!({}), &[]), "responses": refusals(done.clone()) } }),
        );
        paths.insert(
            format!("{prefix}/transfer"),
            operation(
                "Transfer ownership: an offer the recipient accepts within 30 days; immediate when an administrator does it",
                with(json!({ "to": { "type": "string" } }), &["to"]),
                refusals(json!({
                    "200": json_ref("An administrator's transfer, done.", "PermissionOutcome"),
                    "201": json_ref("The offer (`offer`), waiting for its recipient.", "PermissionOutcome"),
                })),
            ),
        );
        paths.insert(
            format!("{prefix}/give-up"),
            operation(
                "Give up: the owner's ownership goes to ADOPTME (the owner stays co-maintainer); a co-maintainer's co-maintenance ends",
                with(json!({}), &[]),
                refusals(done.clone()),
            ),
        );
        paths.insert(
            format!("{prefix}/markers"),
            operation(
                "Mark HANDOFF or NEEDHELP (stored as co-maintainer rows of those ids, as PAUSE does; remove with DELETE …/comaints/HANDOFF)",
                with(json!({ "marker": { "enum": ["HANDOFF", "NEEDHELP"] } }), &["marker"]),
                refusals(done.clone()),
            ),
        );
    }
    paths.insert(
        "/api/v1/permissions/{package}/log".into(),
        json!({ "get": { "tags": ["permissions"], "summary": "Who holds the package, and every recorded change, newest first",
            "parameters": [package], "responses": {
                "200": json_ref("Found.", "PermissionLog"), "404": error("Unknown package.") } } }),
    );
    paths.insert(
        "/api/v1/distributions/{name}/permissions".into(),
        json!({ "get": { "tags": ["permissions"], "summary": "Who holds each package of the distribution (and whether it has several owners)",
            "parameters": [dist.clone()], "responses": {
                "200": { "description": "`{distribution, packages: [{package, dist, owner, comaints, markers}], owners, incomplete_ownership}`" },
                "404": error("Unknown distribution.") } } }),
    );
    paths.insert(
        "/api/v1/distributions/{name}/permissions/log".into(),
        json!({ "get": { "tags": ["permissions"], "summary": "Every recorded change of the distribution's packages, newest first",
            "parameters": [dist.clone()], "responses": { "200": json_ref("The log (possibly empty).", "PermissionLog") } } }),
    );
    let id = path_parameter("id", "The id an answer gave.", "1");
    paths.insert(
        "/api/v1/transfers/{id}".into(),
        json!({ "get": { "tags": ["permissions"], "summary": "An ownership offer and its state (pending, accepted, expired, withdrawn)",
            "parameters": [id.clone()], "responses": {
                "200": json_ref("Found.", "Offer"), "404": error("No such offer.") } } }),
    );
    paths.insert(
        "/api/v1/transfers/{id}/accept".into(),
        json!({ "post": { "tags": ["permissions"], "summary": "Accept an ownership offer (its recipient, or an administrator)",
            "security": auth, "parameters": [id.clone()], "responses": {
                "200": json_ref("Ownership moved; packages the offering owner no longer holds are in `skipped`.", "PermissionOutcome"),
                "401": error("No or wrong credentials."),
                "403": json_ref("The offer is for someone else.", "PermissionRefusal"),
                "404": error("No such offer."),
                "409": json_ref("Expired (after 30 days), accepted or withdrawn already.", "PermissionRefusal"),
                "422": json_ref("The recipient can no longer log in.", "PermissionRefusal") } } }),
    );
    paths.insert(
        "/api/v1/distributions/{name}/adoption".into(),
        json!({ "post": { "tags": ["permissions"],
            "summary": "Ask to adopt a distribution given up (ADOPTME) or marked HANDOFF/NEEDHELP",
            "description": "With no downriver dependents (river position total 0) and the rule `first-come` (the default; `riverpan perms adoption-rule`), granted at once (Berlin consensus); otherwise filed for an administrator. HANDOFF and ADOPTME give ownership; NEEDHELP gives co-maintenance.",
            "security": auth, "parameters": [dist.clone()],
            "requestBody": with(json!({}), &[]),
            "responses": {
                "200": json_ref("Granted at once (`adoption.state` granted, with the changes).", "PermissionOutcome"),
                "202": json_ref("Filed: an administrator decides (`adoption.state` pending, with the river position).", "PermissionOutcome"),
                "401": error("No or wrong credentials."),
                "404": error("Unknown distribution."),
                "409": json_ref("Not up for adoption, or asked already.", "PermissionRefusal"),
                "422": json_ref("The requester cannot log in.", "PermissionRefusal") } } }),
    );
    paths.insert(
        "/api/v1/distributions/{name}/adoptions".into(),
        json!({ "get": { "tags": ["permissions"], "summary": "The distribution's adoption requests and the published decisions",
            "parameters": [dist], "responses": { "200": { "description": "`{distribution, adoptions: [Adoption]}`" } } } }),
    );
    paths.insert(
        "/api/v1/adoptions".into(),
        json!({ "get": { "tags": ["permissions"], "summary": "Administrators: the pending adoption requests",
            "security": auth, "responses": {
                "200": { "description": "`{adoptions: [Adoption]}`" },
                "401": error("No or wrong credentials."), "403": error("Not an administrator.") } } }),
    );
    paths.insert(
        "/api/v1/adoptions/{id}/decision".into(),
        json!({ "post": { "tags": ["permissions"], "summary": "Administrators: grant or refuse an adoption request, with the rationale published on the distribution's page",
            "security": auth, "parameters": [id],
            "requestBody": { "required": true, "content": { "application/json": { "schema": {
                "type": "object", "required": ["grant", "rationale"],
                "properties": { "grant": { "type": "boolean" }, "rationale": { "type": "string" } } } } } },
            "responses": {
                "200": json_ref("Decided.", "PermissionOutcome"),
                "401": error("No or wrong credentials."),
                "403": json_ref("Not an administrator.", "PermissionRefusal"),
                "404": error("No such request."),
                "409": json_ref("Decided already, or no longer up for adoption.", "PermissionRefusal"),
                "422": json_ref("No rationale.", "PermissionRefusal") } } }),
    );
}

/// Status, health, metrics and this document.
fn server_paths(paths: &mut Map<String, Value>) {
    let text = |description: &str, media_type: &str| {
        json!({ "get": { "tags": ["server"], "summary": description, "responses": {
            "200": body("OK.", media_type, json!({ "type": "string" })) } } })
    };
    paths.insert("/".into(), text("HTML status page", "text/html"));
    paths.insert(
        "/api/v1/status".into(),
        text("The status page's facts as JSON", "application/json"),
    );
    paths.insert(
        "/healthz".into(),
        text("`ok`, for load balancers", "text/plain"),
    );
    paths.insert(
        "/metrics".into(),
        text(
            "Prometheus metrics: requests and latency per route, index age, upload queue depth",
            "text/plain",
        ),
    );
    paths.insert(
        "/api/v1/openapi.json".into(),
        text("This document", "application/json"),
    );
}

/// A query parameter.
fn query_parameter(name: &str, description: &str, schema: Value) -> Value {
    json!({ "name": name, "in": "query", "description": description, "schema": schema })
}

/// A v3 error answer `{"errors":[{"message","path"}]}`.
fn v3_error(description: &str) -> Value {
    json_ref(description, "TestersErrors")
}

/// A GET of the testers API.
fn testers_get(summary: &str, parameters: Vec<Value>, responses: Value) -> Value {
    json!({ "get": { "tags": ["testers"], "summary": summary, "parameters": parameters,
                     "responses": responses } })
}

/// The CPAN river (issue 7): positions and reverse dependencies.
fn river_paths(paths: &mut Map<String, Value>) {
    let position = json!({ "type": "object", "properties": {
        "dist": { "type": "string" }, "immediate": { "type": "integer" },
        "total": { "type": "integer" }, "bucket": { "type": "integer", "minimum": 0, "maximum": 5 },
        "band": { "enum": ["way downriver", "in the middle", "way upriver"] } } });
    paths.insert("/api/v1/river".into(), json!({ "get": {
        "tags": ["river"],
        "summary": "Every distribution's direct (`immediate`) and distinct transitive (`total`) dependents and MetaCPAN's bucket, keyed by name (metacpan-river's river.json); with `top=N` the N most upriver as a list with bands",
        "parameters": [query_parameter("top", "Only the N most upriver distributions.", json!({ "type": "integer", "minimum": 0 }))],
        "responses": { "200": body("The river.", "application/json", json!({ "oneOf": [
            { "type": "object", "additionalProperties": { "type": "object", "properties": {
                "immediate": { "type": "integer" }, "total": { "type": "integer" }, "bucket": { "type": "integer" } } } },
            { "type": "array", "items": position.clone() } ] })) } } }));
    let mut one = position.clone();
    one["properties"]["dependencies"] = json!({ "type": "array", "items": { "type": "string" } });
    paths.insert("/api/v1/river/{dist}".into(), json!({ "get": {
        "tags": ["river"],
        "summary": "One distribution's place in the river, with the Berlin consensus band and the distributions it requires",
        "parameters": [path_parameter("dist", "Distribution name.", "Try-Tiny")],
        "responses": { "200": body("Found.", "application/json", one), "404": error("Not in the river.") } } }));
    paths.insert("/api/v1/river-unresolved".into(), json!({ "get": {
        "tags": ["river"],
        "summary": "Modules some release requires that no distribution in the index provides, with the distributions requiring each",
        "responses": { "200": body("Found.", "application/json", json!({ "type": "object",
            "additionalProperties": { "type": "array", "items": { "type": "string" } } })) } } }));
    paths.insert("/api/v1/rdeps/{name}".into(), json!({ "get": {
        "tags": ["river"],
        "summary": "Reverse dependencies of a distribution (`Foo-Bar`) or a module (`Foo::Bar`): direct, or every transitive one with `deep=1`; paginated without a cap on the page number",
        "parameters": [
            path_parameter("name", "Distribution or module name.", "Try-Tiny"),
            query_parameter("deep", "`1`: every transitive dependent.", json!({ "type": "string" })),
            query_parameter("page", "Page, from 1.", json!({ "type": "integer", "minimum": 1 })),
            query_parameter("per_page", "Rows per page (default 100, at most 5000).", json!({ "type": "integer", "minimum": 1, "maximum": 5000 })),
            query_parameter("kind", "`dist` or `module`, for a one-word name.", json!({ "enum": ["dist", "module"] })),
        ],
        "responses": {
            "200": body("Found.", "application/json", json!({ "type": "object", "properties": {
                "name": { "type": "string" }, "kind": { "enum": ["dist", "module"] }, "deep": { "type": "boolean" },
                "count": { "type": "integer" }, "page": { "type": "integer" }, "per_page": { "type": "integer" },
                "pages": { "type": "integer" }, "provided_by": { "type": ["string", "null"] },
                "dependents": { "type": "array", "items": position } } })),
            "400": error("Bad paging or kind."),
            "404": error("Unknown distribution or module."),
        } } }));
}

/// CPAN Testers (testers.md §1, §2): ingestion, the v3 read API, legacy feeds, riverpan's own.
fn testers_paths(paths: &mut Map<String, Value>) {
    let dist = || path_parameter("dist", "Distribution name.", "Foo-Bar");
    let version = || path_parameter("version", "Distribution version (dots allowed).", "1.23");
    let author = || path_parameter("author", "PAUSE id.", "NEILB");
    let since = || {
        query_parameter(
            "since",
            "Date-time; compared as CPAN Testers does: its first 12 digits (YYYYMMDDHHMM, time zone ignored) \
             against the report's creation time to the minute (uploads: the upload time).",
            json!({ "type": "string", "format": "date-time" }),
        )
    };
    let summary_parameters = || {
        vec![
            since(),
            query_parameter("grade", "One grade.", json!({ "enum": ["pass", "fail", "na", "unknown"] })),
            query_parameter("perl", "Repeatable; exact match on riverpan's canonical perl (`5.42.0 RC1`, `5.10.0 patch`) or on the perl string the tester sent.",
                json!({ "type": "array", "items": { "type": "string" } })),
            query_parameter("osname", "Repeatable; exact `$^O`.", json!({ "type": "array", "items": { "type": "string" } })),
            query_parameter("perl_maturity", "`stable`: stable unpatched perls; `dev`: development perls, release candidates and patched perls.",
                json!({ "enum": ["stable", "dev"] })),
        ]
    };
    let release_parameters = || {
        vec![
            since(),
            query_parameter(
                "limit",
                "At most this many rows (>= 1).",
                json!({ "type": "integer", "minimum": 1 }),
            ),
            query_parameter(
                "maturity",
                "`dev`: developer releases (`_` or `TRIAL` in the version); `stable`: the others.",
                json!({ "enum": ["stable", "dev"] }),
            ),
        ]
    };
    let list = |schema: &str| {
        body(
            "Found (streamed).",
            "application/json",
            json!({ "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } }),
        )
    };
    let with_dist = |mut v: Vec<Value>, extra: Vec<Value>| {
        let mut out = extra;
        out.append(&mut v);
        out
    };
    let summary_responses = || {
        json!({
            "200": list("ReportSummary"),
            "400": v3_error("A parameter is invalid (or, for all dists, neither `perl` nor `osname` is given)."),
            "404": v3_error("No results found."),
        })
    };
    paths.insert(
        "/v3/summary".into(),
        testers_get(
            "Report summaries of every dist (needs `perl` or `osname`)",
            summary_parameters(),
            summary_responses(),
        ),
    );
    paths.insert(
        "/v3/summary/{dist}".into(),
        testers_get(
            "Report summaries of a dist (all versions)",
            with_dist(summary_parameters(), vec![dist()]),
            summary_responses(),
        ),
    );
    paths.insert(
        "/v3/summary/{dist}/{version}".into(),
        testers_get(
            "Report summaries of a release",
            with_dist(summary_parameters(), vec![dist(), version()]),
            summary_responses(),
        ),
    );
    let release_responses = || {
        json!({
            "200": list("TestersRelease"),
            "400": v3_error("`limit` < 1, a bad `maturity` or `since`."),
            "404": v3_error("No results found."),
        })
    };
    paths.insert(
        "/v3/release".into(),
        testers_get(
            "Legacy grade counts of every release with reports (`since` not allowed)",
            release_parameters()[1..].to_vec(),
            release_responses(),
        ),
    );
    paths.insert(
        "/v3/release/dist/{dist}".into(),
        testers_get(
            "Legacy grade counts of a dist's releases, newest first",
            with_dist(release_parameters(), vec![dist()]),
            release_responses(),
        ),
    );
    paths.insert(
        "/v3/release/author/{author}".into(),
        testers_get(
            "Legacy grade counts of an author's releases",
            with_dist(release_parameters(), vec![author()]),
            release_responses(),
        ),
    );
    paths.insert(
        "/v3/release/dist/{dist}/{version}".into(),
        testers_get(
            "Legacy grade counts of one release (the sum over all reports)",
            with_dist(release_parameters(), vec![dist(), version()]),
            json!({
                "200": json_ref("Found.", "TestersRelease"),
                "400": v3_error("A bad parameter."),
                "404": v3_error("No results found."),
            }),
        ),
    );
    let upload_responses = |missing: &str| {
        json!({
            "200": list("TestersUpload"),
            "400": v3_error("A bad `since`."),
            "404": v3_error(missing),
        })
    };
    paths.insert("/v3/upload".into(), testers_get("Uploads (riverpan's own, plus provisional rows for releases with reports it does not host), by release time",
        vec![since()], upload_responses("No results found.")));
    paths.insert(
        "/v3/upload/dist/{dist}".into(),
        testers_get(
            "Uploads of a dist",
            vec![dist(), since()],
            upload_responses("Distribution \"<dist>\" not found."),
        ),
    );
    paths.insert(
        "/v3/upload/author/{author}".into(),
        testers_get(
            "Uploads by an author",
            vec![author(), since()],
            upload_responses("Author \"<author>\" not found."),
        ),
    );
    paths.insert("/v3/report".into(), json!({ "post": {
        "tags": ["testers"], "summary": "Submit a report (v3 `NewReport`)",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
        "responses": {
            "201": body("Stored; `Location: /v3/report/{id}`.", "application/json",
                        json!({ "type": "object", "properties": { "id": { "type": "string" } } })),
            "303": body("A report with this id exists already.", "application/json", json!({ "type": "object" })),
            "400": v3_error("Not JSON, or not a valid `NewReport`."),
        },
    } }));
    paths.insert(
        "/v3/report/{id}".into(),
        testers_get(
            "One stored report (v3 `Report`)",
            vec![path_parameter(
                "id",
                "Report id (UUID).",
                "2f5e8a36-6e0c-4e47-9a3b-1d2f3c4b5a69",
            )],
            json!({ "200": body("Found.", "application/json", json!({ "type": "object" })),
                "404": v3_error("Report ID not found.") }),
        ),
    );
    paths.insert("/show/{dist}.json".into(), testers_get("Every report of a dist as legacy records (what the CPAN Testers Matrix reads); `[]` when none",
        vec![dist()], json!({ "200": list("LegacyRecord") })));
    paths.insert("/tail/log.txt".into(), testers_get("The last 1000 reports, newest first, one `[..] [..] ...` line each (fast-matrix's input)",
        vec![], json!({ "200": body("The log.", "text/plain", json!({ "type": "string" })) })));
    paths.insert("/api/v1/testers/perls".into(), testers_get("Perls with reports: kind, patched, report count; the latest stable, development and release-candidate perls",
        vec![], json!({ "200": body("Found.", "application/json", json!({ "type": "object", "properties": {
            "perls": { "type": "array", "items": { "type": "object", "properties": {
                "perl": { "type": "string" }, "kind": { "enum": ["stable", "development", "release-candidate"] },
                "patched": { "type": "boolean" }, "reports": { "type": "integer" } } } },
            "latest": { "type": "object", "properties": {
                "stable": { "type": ["string", "null"] }, "development": { "type": ["string", "null"] },
                "release_candidate": { "type": ["string", "null"] } } } } })) })));
    paths.insert("/api/v1/testers/matrix/{dist}/{version}".into(), testers_get("The perl × OS matrix of a release: counts per grade (prerequisite failures apart) per cell, per perl, per OS, and totals",
        vec![dist(), version()], json!({ "200": body("Found.", "application/json", json!({ "type": "object" })),
                                          "404": error("No reports for this release.") })));
    paths.insert(
        "/api/v1/testers/summary/{dist}".into(),
        testers_get(
            "riverpan's counts of a dist: prerequisite failures apart, plus the legacy four grades",
            vec![dist()],
            json!({ "200": json_ref("Found.", "TestersSummary"), "404": error("No reports.") }),
        ),
    );
    paths.insert(
        "/api/v1/testers/summary/{dist}/{version}".into(),
        testers_get(
            "riverpan's counts of a release",
            vec![dist(), version()],
            json!({ "200": json_ref("Found.", "TestersSummary"), "404": error("No reports.") }),
        ),
    );
    paths.insert(
        "/api/v1/bbc".into(),
        testers_get(
            "Blead Breaks CPAN: each dist's latest release whose results differ between `old` and `new`, with its `verdict` (`breaks`, `fixed`, `mixed`); breaks first",
            vec![
                query_parameter(
                    "old",
                    "Old perl (default: the latest stable perl with reports).",
                    json!({ "type": "string" }),
                ),
                query_parameter(
                    "new",
                    "New perl (default: the latest development perl with reports).",
                    json!({ "type": "string" }),
                ),
            ],
            json!({ "200": json_ref("Candidates.", "Bbc"),
                "400": error("A perl that does not parse."),
                "404": error("No perl of the default kind has reports.") }),
        ),
    );
    paths.insert("/api/v1/register".into(), json!({ "post": {
        "tags": ["testers"], "summary": "Metabase: register a profile (`[Metabase-User-Profile, Metabase-User-Secret]`)",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "array" } } } },
        "responses": { "200": body("Accepted.", "application/json", json!({ "type": "object" })),
                       "400": error("Not a profile and secret.") },
    } }));
    paths.insert("/api/v1/submit/CPAN-Testers-Report".into(), json!({ "post": {
        "tags": ["testers"], "summary": "Metabase: submit a `CPAN-Testers-Report` fact (HTTP Basic `guid:secret`)",
        "security": [{ "basic": [] }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
        "responses": { "201": body("Stored; `Location: /api/v1/guid/{guid}`.", "application/json",
                                   json!({ "type": "object", "properties": { "guid": { "type": "string" } } })),
                       "400": error("Not a fact."), "401": error("Unknown profile or wrong secret.") },
    } }));
    paths.insert(
        "/api/v1/guid/{guid}".into(),
        testers_get(
            "Metabase: whether a profile or report guid exists",
            vec![path_parameter(
                "guid",
                "A profile or report guid.",
                "2f5e8a36-6e0c-4e47-9a3b-1d2f3c4b5a69",
            )],
            json!({ "200": body("Exists.", "application/json", json!({ "type": "object" })),
                "404": error("Unknown guid.") }),
        ),
    );
}

/// The JSON shapes of the API's answers.
fn schemas() -> Value {
    let string = json!({ "type": "string" });
    let nullable_string = json!({ "type": ["string", "null"] });
    let package_version = json!({ "type": "object", "properties": {
        "package": string, "version": string } });
    let release = json!({ "type": "object", "properties": {
        "upload_id": { "type": "integer" },
        "distfile": { "type": "string", "description": "Path below authors/id/." },
        "download_url": string,
        "distribution": nullable_string,
        "version": nullable_string,
        "maturity": nullable_string,
        "author": string,
        "size": { "type": "integer" },
        "sha256": string,
        "uploaded_at": { "type": "string", "format": "date-time" },
        "state": { "type": "string", "description": "`queued` (waiting for the indexer) or `indexed`." },
        "packages": { "type": "array", "items": package_version,
                      "description": "The packages the index points to this file." },
    } });
    let integer = json!({ "type": "integer" });
    let counts = json!({ "type": "object", "description": "Grade counts; prerequisite failures are not fails.",
        "properties": { "pass": integer, "fail": integer, "na": integer, "unknown": integer,
                        "prerequisite_failure": integer } });
    json!({
        "Bbc": { "type": "object", "required": ["old", "new", "candidates"], "properties": {
            "old": { "type": "string", "description": "The old perl." },
            "new": { "type": "string", "description": "The new perl." },
            "candidates": { "type": "array", "items": { "$ref": "#/components/schemas/BbcCandidate" },
                "description": "Breaks, then fixed, then mixed; within each, strong first, then the most upriver (river total), then the most fails on `new`, then by name." } } },
        "BbcVerdict": { "type": "string", "enum": ["breaks", "fixed", "mixed"],
            "description": "With passes and fails (prerequisite failures excluded) on old (`ps`, `fs`) and new (`pd`, `fd`): `breaks` when ps > 0, fd > 0 and (fs = 0 or pd = 0): passes on old, fails on new; `fixed` when fs > 0, pd > 0 and (ps = 0 or fd = 0): the mirror image, fixed by the new perl; `mixed` for any other candidate (mixed results on one perl, nothing to compare on the other)." },
        "BbcCandidate": { "type": "object", "required": ["dist", "version", "verdict", "strong"], "properties": {
            "dist": string, "version": string, "author": nullable_string,
            "old": counts, "new": counts,
            "verdict": { "$ref": "#/components/schemas/BbcVerdict" },
            "strong": { "type": "boolean", "description": "The evidence has no mixed results: a break with only passes on old and only fails on new, or a fix the other way round; never for `mixed`." },
            "first_failing_dev_perl": { "type": ["string", "null"], "description": "The first development perl (up to `new`) of the trailing run of failing ones." },
            "last_passing_dev_perl": { "type": ["string", "null"], "description": "The last development perl that passed before that run." },
            "sample_fail_reports": { "type": "array", "items": string, "description": "Up to three failing report ids on `new`." },
            "sample_pass_report": { "type": ["string", "null"], "description": "A passing report id on `old`." },
            "os": { "type": "object", "description": "Counts per OS name on both perls.",
                    "additionalProperties": { "type": "object", "properties": { "old": counts, "new": counts } } },
            "river": { "oneOf": [{ "type": "null" }, { "type": "object", "properties": {
                "immediate": integer, "total": integer, "bucket": integer } }],
                "description": "Downriver dependents here, when this repository hosts the dist." } } },
        "Error": { "type": "object", "required": ["error"], "properties": { "error": string } },
        "TestersErrors": { "type": "object", "required": ["errors"], "properties": { "errors": {
            "type": "array", "items": { "type": "object", "properties": { "message": string, "path": string } } } } },
        "ReportSummary": { "type": "object", "properties": {
            "guid": string, "date": { "type": "string", "description": "YYYY-MM-DDTHH:MM:00Z" },
            "grade": { "enum": ["pass", "fail", "na", "unknown"] },
            "reporter": { "type": "string", "description": "`\"Name\" <email>`, non-ASCII as `&#NNN;`." },
            "dist": string, "version": string, "platform": string, "perl": string, "osname": string, "osvers": string } },
        "TestersRelease": { "type": "object", "properties": {
            "dist": string, "version": string, "pass": { "type": "integer" }, "fail": { "type": "integer" },
            "na": { "type": "integer" }, "unknown": { "type": "integer" }, "total": { "type": "integer" } } },
        "TestersUpload": { "type": "object", "properties": {
            "dist": string, "version": string, "author": string, "filename": string,
            "released": { "type": "string", "format": "date-time" } } },
        "LegacyRecord": { "type": "object", "properties": {
            "status": string, "state": string, "grade": string, "guid": string, "dist": string,
            "distribution": string, "version": string, "distversion": string, "type": { "type": "integer" },
            "osname": string, "osvers": string, "ostext": string, "perl": string, "lang_version": string,
            "platform": string, "uploadid": { "type": "integer" }, "tester": string, "id": { "type": "integer" },
            "postdate": string, "fulldate": string, "csspatch": { "enum": ["pat", "unp"] },
            "cssperl": { "enum": ["dev", "rel"] }, "datetime": string } },
        "TestersSummary": { "type": "object", "properties": {
            "dist": string, "version": string, "pass": { "type": "integer" }, "fail": { "type": "integer" },
            "na": { "type": "integer" }, "unknown": { "type": "integer" },
            "prerequisite_failure": { "type": "integer" }, "total": { "type": "integer" },
            "legacy": { "type": "object", "properties": { "pass": { "type": "integer" }, "fail": { "type": "integer" },
                "na": { "type": "integer" }, "unknown": { "type": "integer" } } },
            "versions": { "type": "object", "additionalProperties": { "type": "integer" } } } },
        "Deletion": { "type": "object", "properties": {
            "deletion_id": { "type": "integer" }, "upload_id": { "type": "integer" },
            "path": string,
            "state": { "enum": ["scheduled", "cancelled", "done", "failed"] },
            "requested_by": string,
            "requested_at": { "type": "integer", "description": "Unix time." },
            "due_at": { "type": "integer", "description": "Unix time." },
            "finished_at": { "type": ["integer", "null"] },
            "error": nullable_string,
            "status_url": string,
        } },
        "Package": { "type": "object", "properties": {
            "package": string, "version": string, "distfile": string, "download_url": string,
            "distribution": nullable_string, "author": nullable_string, "file": nullable_string,
            "permissions": { "type": "array", "items": { "type": "object", "properties": {
                "userid": string, "permission": { "enum": ["f", "c"] } } } },
            "history": { "type": "array", "items": { "type": "object", "properties": {
                "version": string, "distfile": string } } },
        } },
        "Release": release,
        "Distribution": { "type": "object", "properties": {
            "distribution": string,
            "latest": { "$ref": "#/components/schemas/Release" },
            "releases": { "type": "array", "items": { "$ref": "#/components/schemas/Release" } },
        } },
        "Author": { "type": "object", "properties": {
            "userid": string, "fullname": string, "email": nullable_string,
            "distributions": { "type": "array", "items": { "type": "object", "properties": {
                "distribution": string, "releases": { "type": "integer" },
                "latest_version": nullable_string, "latest_distfile": string } } },
            "permissions": { "type": "array", "items": { "type": "object", "properties": {
                "package": string, "permission": { "enum": ["f", "c"] } } } },
        } },
        "PermissionRefusal": { "type": "object", "properties": {
            "error": string,
            "skipped": { "type": "array", "items": { "type": "object", "properties": { "package": string, "reason": string } } },
        } },
        "PermissionOperation": { "type": "object", "properties": {
            "id": { "type": "integer" }, "at": string, "actor": string,
            "on_behalf_of": { "type": ["string", "null"] },
            "interface": { "enum": ["web", "api", "cli"] },
            "operation": { "enum": ["add-comaint", "remove-comaint", "give-up-comaint", "transfer-offer", "transfer", "give-up", "marker", "adoption-request", "adoption", "adoption-refused"] },
            "scope": { "enum": ["package", "distribution"] }, "subject": string,
            "argument": { "type": ["string", "null"] }, "reason": { "type": ["string", "null"] },
            "skipped": { "type": "array" },
        } },
        "PermissionChange": { "type": "object", "properties": {
            "package": string, "distribution": { "type": ["string", "null"] },
            "role": { "enum": ["owner", "co-maintainer"] },
            "before": { "type": ["string", "null"] }, "after": { "type": ["string", "null"] },
        } },
        "PermissionOutcome": { "type": "object", "properties": {
            "operation": { "$ref": "#/components/schemas/PermissionOperation" },
            "changes": { "type": "array", "items": { "$ref": "#/components/schemas/PermissionChange" } },
            "skipped": { "type": "array", "items": { "type": "object", "properties": { "package": string, "reason": string } } },
            "offer": { "oneOf": [{ "$ref": "#/components/schemas/Offer" }, { "type": "null" }] },
            "adoption": { "oneOf": [{ "$ref": "#/components/schemas/Adoption" }, { "type": "null" }] },
            "mail_error": { "type": ["string", "null"] },
        } },
        "PermissionLog": { "type": "object", "properties": {
            "log": { "type": "array", "items": { "allOf": [
                { "$ref": "#/components/schemas/PermissionOperation" },
                { "type": "object", "properties": { "changes": { "type": "array", "items": { "$ref": "#/components/schemas/PermissionChange" } } } },
            ] } },
        } },
        "Offer": { "type": "object", "properties": {
            "id": { "type": "integer" }, "scope": string, "subject": string, "from": string, "to": string,
            "packages": { "type": "array", "items": string }, "offered_by": string,
            "created_at": string, "expires_at": string,
            "state": { "enum": ["pending", "accepted", "expired", "withdrawn"] },
            "decided_at": { "type": ["string", "null"] }, "accept_url": string,
        } },
        "Adoption": { "type": "object", "properties": {
            "id": { "type": "integer" }, "distribution": string, "userid": string, "reason": string,
            "held_by": { "enum": ["ADOPTME", "HANDOFF", "NEEDHELP"] },
            "river": { "type": "object", "properties": { "immediate": { "type": "integer" }, "total": { "type": "integer" },
                       "bucket": { "type": "integer" }, "band": string } },
            "created_at": string, "state": { "enum": ["pending", "granted", "refused"] },
            "decided_by": { "type": ["string", "null"] }, "decided_at": { "type": ["string", "null"] },
            "rationale": { "type": ["string", "null"] },
        } },
        "Permissions": { "type": "object", "properties": {
            "package": string,
            "permissions": { "type": "array", "items": { "type": "object", "properties": {
                "package": string, "userid": string, "permission": { "enum": ["f", "c"] } } } },
        } },
        "Report": { "type": "object", "properties": {
            "upload_id": { "type": "integer" }, "policy": string, "status": string,
            "subject": string, "text": string,
            "json": { "description": "The indexer's structured report." },
        } },
        "Upload": { "allOf": [
            { "$ref": "#/components/schemas/Release" },
            { "type": "object", "properties": {
                "id": { "type": "integer" },
                "queue_position": { "type": ["integer", "null"],
                                    "description": "Uploads ahead of this one in the indexing queue." },
                "report": { "oneOf": [{ "$ref": "#/components/schemas/Report" }, { "type": "null" }] },
            } },
        ] },
    })
}
