//! The facts of `/api/v1/status` (also shown on the `/status` page, `web::dashboard`).

use serde::Serialize;

use crate::ServerState;

/// The note shown while riverpan serves no mirror yet.
const MIRROR_NOT_PUBLISHED: &str =
    "The CPAN mirror is not published yet: no index files exist (nothing was uploaded).";
const MIRROR_PUBLISHED: &str =
    "The CPAN mirror is published: point cpanm, cpm, Carton or CPAN.pm at this server's root URL.";

/// What `GET /api/v1/status` answers (field order is the JSON key order).
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Always `riverpan`.
    pub name: &'static str,
    /// The riverpan version.
    pub version: String,
    /// The data directory (`--data`).
    pub data_dir: String,
    /// The embedded store.
    pub store: StoreStatus,
    /// Whole seconds since the server started.
    pub uptime_seconds: u64,
    /// Whether a CPAN mirror is being served.
    pub mirror: MirrorStatus,
}

/// The store part of [`Status`].
#[derive(Debug, Clone, Serialize)]
pub struct StoreStatus {
    /// The SQLite file.
    pub path: String,
    /// Its schema version.
    pub schema_version: u32,
    /// When it was created (UTC, RFC 3339), if recorded.
    pub created_at: Option<String>,
}

/// The mirror part of [`Status`].
#[derive(Debug, Clone, Serialize)]
pub struct MirrorStatus {
    /// Whether `modules/02packages.details.txt.gz` exists (clients can install).
    pub published: bool,
    /// A sentence for humans.
    pub note: &'static str,
}

impl Status {
    /// Reads the current status; blocks on the store.
    pub(crate) fn collect(state: &ServerState) -> Result<Status, riverpan_store::StoreError> {
        let store_status = {
            let store = state.store();
            StoreStatus {
                path: store.path().display().to_string(),
                schema_version: store.schema_version()?,
                created_at: store.setting(riverpan_store::keys::CREATED_AT)?,
            }
        };
        Ok(Status {
            name: "riverpan",
            version: state.version().to_owned(),
            data_dir: state.data_dir().display().to_string(),
            store: store_status,
            uptime_seconds: state.uptime().as_secs(),
            mirror: {
                let published = state
                    .data_dir()
                    .join("cpan/modules/02packages.details.txt.gz")
                    .exists();
                MirrorStatus {
                    published,
                    note: if published {
                        MIRROR_PUBLISHED
                    } else {
                        MIRROR_NOT_PUBLISHED
                    },
                }
            },
        })
    }
}
