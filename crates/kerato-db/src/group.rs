//! Shared commits for the writes a read must make durable.
//!
//! A read of protected health information is not finished until its audit
//! event is on disk, but the read itself needs no writer. A read
//! transaction therefore only collects the writes it owes
//! ([`Tx::defer`](crate::Tx::defer)); when it commits, it hands them to the
//! store's combiner and waits. Whoever holds the combiner's token runs every
//! queued write in one write transaction and commits once, so concurrent
//! reads share one `fsync` (SQLite) or one round of WAL flushing
//! (PostgreSQL) instead of paying one each. A write that fails fails its
//! whole batch and none of it is kept; every reader of the batch gets the
//! error, so no response leaves without its record.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use tokio::sync::oneshot;

use crate::backend::Tx;
use crate::error::StoreError;

/// A write a read transaction owes, run later inside a shared write
/// transaction.
pub type DeferredWrite = Box<
    dyn for<'a> FnOnce(
            &'a mut Tx,
        ) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>
        + Send,
>;

/// The most units of work committed together; later ones wait for the
/// next batch, so one batch never holds the writer for long.
const MAX_BATCH: usize = 512;

type Reply = oneshot::Sender<Result<(), String>>;

struct Job {
    writes: Vec<DeferredWrite>,
    reply: Reply,
}

/// The queue of deferred writes waiting for the writer, and the token that
/// lets one waiter commit everybody's.
#[derive(Default)]
pub(crate) struct Combiner {
    queue: Mutex<Vec<Job>>,
    token: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Combiner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Combiner").finish_non_exhaustive()
    }
}

impl Combiner {
    /// Runs `writes` in a shared commit and returns once it is durable.
    pub(crate) async fn submit(
        &self,
        store: &crate::Store,
        writes: Vec<DeferredWrite>,
    ) -> Result<(), StoreError> {
        let (reply, mut answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Job { writes, reply });
        loop {
            let token = self.token.lock().await;
            // A batch that ran while this one waited may have taken it.
            if let Ok(done) = answer.try_recv() {
                return done.map_err(StoreError::SharedCommit);
            }
            let jobs: Vec<Job> = {
                let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            run_batch(store, jobs).await;
            drop(token);
            if let Ok(done) = answer.try_recv() {
                return done.map_err(StoreError::SharedCommit);
            }
        }
    }
}

async fn run_batch(store: &crate::Store, mut jobs: Vec<Job>) {
    let result = async {
        let mut tx = store.write().await?;
        for job in &mut jobs {
            for write in std::mem::take(&mut job.writes) {
                write(&mut tx).await?;
            }
        }
        // A write transaction owes nothing deferred: committing its
        // connection is the whole commit.
        tx.conn.commit().await
    }
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "a shared commit failed");
        e.to_string()
    });
    for job in jobs {
        let _ = job.reply.send(result.clone());
    }
}
