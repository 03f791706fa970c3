//! secure-api started as `main` starts it: the configuration read from the
//! environment (a config file, `REDIS_URL`, `DATABASE_URL`,
//! `RAMPART_AUDIT_LOG`), the app assembled, served over TCP by
//! [`secure_api::serve::serve`] on an ephemeral port; and stopped as `main`
//! stops it, the audit trail drained and sealed.

use super::run::Run;
use rampart_test_support::Relay;
use secure_api::app;
use secure_api::config::AppConfig;
use secure_api::serve::{self, ServeLimits};
use secure_api::state::AppState;
use serde_json::Value;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the app keeps its state.
pub enum Stores {
    /// The defaults: everything in memory, the audit trail in a file.
    Memory,
    /// Redis for tokens, limits and MFA (reached through a relay the walk
    /// can cut, to stage an outage), and the audit trail also in PostgreSQL.
    Services {
        /// `REDIS_URL`.
        redis: String,
        /// `DATABASE_URL`.
        database: String,
    },
}

/// A running app.
pub struct Served {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shared state, to look behind the HTTP answers (stored ciphertexts).
    pub state: AppState,
    /// The relay in front of Redis, with [`Stores::Services`].
    pub relay: Option<Relay>,
    /// `DATABASE_URL` and the audit table, with [`Stores::Services`].
    pub table: Option<(String, String)>,
    /// The JSONL audit trail.
    pub audit_path: PathBuf,
    dir: PathBuf,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl Served {
    /// Writes the run's config file and starts the app on `127.0.0.1:0`.
    pub async fn start(stores: &Stores, run: &Run) -> Self {
        let dir = std::env::temp_dir().join(format!("secure-api-e2e-{}", run.id));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (relay, table) = match stores {
            Stores::Memory => (None, None),
            Stores::Services { redis, database } => {
                drop_table(database, &run.table());
                (
                    Some(Relay::start(redis).await),
                    Some((database.clone(), run.table())),
                )
            }
        };
        let config_path = dir.join("secure-api.toml");
        let table_name = table.as_ref().map(|(_, name)| name.as_str());
        std::fs::write(&config_path, run.config(table_name)).unwrap();
        let audit_path = dir.join("audit.jsonl");

        let mut env = HashMap::from([
            ("RAMPART_ADDR", "127.0.0.1:0".to_owned()),
            ("RAMPART_CONFIG", config_path.display().to_string()),
            ("RAMPART_AUDIT_LOG", audit_path.display().to_string()),
        ]);
        if let (Some(relay), Some((database, _))) = (&relay, &table) {
            env.insert("REDIS_URL", relay.url.clone());
            env.insert("DATABASE_URL", database.clone());
        }
        let config = AppConfig::from_env(|name| env.get(name).cloned()).unwrap();
        let built = app::assemble(&config).await.unwrap();
        let fact = |name: &str| {
            built
                .facts
                .lines
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_else(|| panic!("no start-up line {name}: {:?}", built.facts.lines))
        };
        match &table {
            Some((_, name)) => {
                assert!(fact("token store").starts_with("Redis"));
                assert!(fact("audit").contains(name.as_str()), "{}", fact("audit"));
            }
            None => assert!(fact("token store").starts_with("in memory")),
        }

        let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve::serve(
            listener,
            built.router,
            ServeLimits::from(&config.server),
            async {
                let _ = stopped.await;
            },
        ));
        Self {
            addr,
            state: built.state,
            relay,
            table,
            audit_path,
            dir,
            stop,
            server,
        }
    }

    /// Stops accepting, lets open requests finish, then drains the audit
    /// queue and seals the trail, as `main` does on Ctrl-C. Answers the
    /// events of the trail.
    pub async fn shut_down(self) -> Vec<Value> {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(20), self.server)
            .await
            .expect("the server did not stop")
            .unwrap()
            .unwrap();
        let trail = self.state.audit.clone().expect("the app audits");
        tokio::task::spawn_blocking(move || trail.log().shutdown())
            .await
            .unwrap()
            .unwrap();
        let events = std::fs::read_to_string(&self.audit_path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["event"].clone())
            .filter(|event| !event.is_null())
            .collect();
        if let Some((database, table)) = &self.table {
            drop_table(database, table);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        events
    }
}

/// Drops the run's audit table, if an earlier attempt left one.
fn drop_table(database: &str, table: &str) {
    let (database, statement) = (database.to_owned(), format!("DROP TABLE IF EXISTS {table}"));
    // The blocking client runs a runtime of its own: not on this one's thread.
    std::thread::spawn(move || {
        let mut db = database
            .parse::<postgres::Config>()
            .unwrap()
            .connect(postgres::NoTls)
            .unwrap();
        db.batch_execute(&statement).unwrap();
    })
    .join()
    .unwrap();
}
