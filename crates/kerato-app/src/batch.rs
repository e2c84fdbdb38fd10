//! Group commit for bookings on SQLite.
//!
//! SQLite has one writer, so concurrent bookings queue for it anyway; each
//! in its own transaction would pay for its own `BEGIN`, `COMMIT` and
//! `fsync`. Here a booking puts itself in a queue and waits for the writer
//! token; whoever holds the token books everything queued, one after the
//! other in one transaction, commits once, and answers everyone. Every
//! booking still sees the ones before it, so the conflict rules hold
//! exactly as they do one at a time. A refused booking needs no savepoint
//! to undo it: on SQLite a booking's checks only read, and it writes (its
//! audit event, the appointment, its resources) only once every check has
//! passed. A write that fails part-way, or a failed commit, fails every
//! booking of the batch and writes none. PostgreSQL keeps one transaction per booking: its row
//! locks let bookings of different providers run in parallel.

use std::sync::{Mutex, PoisonError};

use kerato_domain::scheduling::{Appointment, BookingInput};
use tokio::sync::oneshot;

use crate::authz::Caller;
use crate::{App, AppError};

/// The most bookings committed together; later ones wait for the next batch.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<Appointment, AppError>>;

struct Job {
    caller: Caller,
    input: BookingInput,
    reply: Reply,
}

/// The queue of bookings waiting for the writer, and the writer token.
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

fn batch_failed() -> AppError {
    AppError::NotReady("the database could not save the booking; try again".into())
}

/// Answers every booking of a batch that could not run.
fn fail_all(jobs: Vec<Job>) {
    for job in jobs {
        let _ = job.reply.send(Err(batch_failed()));
    }
}

impl App {
    /// Books through the group commit (SQLite only): see the module comment.
    pub(crate) async fn book_batched(
        &self,
        caller: &Caller,
        input: &BookingInput,
    ) -> Result<Appointment, AppError> {
        let (reply, mut answer) = oneshot::channel();
        self.bookings
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Job {
                caller: caller.clone(),
                input: input.clone(),
                reply,
            });
        loop {
            let token = self.bookings.token.lock().await;
            // A batch that ran while this one waited may have taken it.
            if let Ok(done) = answer.try_recv() {
                return done;
            }
            let jobs: Vec<Job> = {
                let mut queue = self
                    .bookings
                    .queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let n = queue.len().min(MAX_BATCH);
                queue.drain(..n).collect()
            };
            self.run_batch(jobs).await;
            drop(token);
            if let Ok(done) = answer.try_recv() {
                return done;
            }
        }
    }

    async fn run_batch(&self, jobs: Vec<Job>) {
        let mut tx = match self.store.write().await {
            Ok(tx) => tx,
            Err(e) => {
                tracing::error!(error = %e, "a booking batch could not start");
                return fail_all(jobs);
            }
        };
        // Nothing but these bookings writes while the batch holds the
        // writer, so the set-up's version is read once for all of them.
        let refs = match self.reference.at(&mut tx).await {
            Ok(refs) => refs,
            Err(e) => {
                tracing::error!(error = %e, "a booking batch could not read the set-up version");
                return fail_all(jobs);
            }
        };
        let mut done: Vec<(Reply, Result<Appointment, AppError>)> = Vec::new();
        let mut denials = Vec::new();
        let mut broken = false;
        for job in jobs {
            if broken {
                let _ = job.reply.send(Err(batch_failed()));
                continue;
            }
            match self
                .book_step(&mut tx, &refs, &job.caller, &job.input)
                .await
            {
                Ok(Step::Booked(row)) => done.push((job.reply, Ok(row))),
                Ok(Step::Refused(e)) => done.push((job.reply, Err(e))),
                Ok(Step::Denied(act, why)) => denials.push((job.caller, act, why, job.reply)),
                Err(e) => {
                    // Part of this booking may be written: nothing of the
                    // batch may be committed now.
                    tracing::error!(error = %e, "a booking batch failed while writing");
                    broken = true;
                    let _ = job.reply.send(Err(batch_failed()));
                }
            }
        }
        let committed = !broken && tx.commit().await.is_ok();
        for (reply, result) in done {
            let result = match result {
                Ok(row) if committed => Ok(row),
                Ok(_) => Err(batch_failed()),
                Err(e) => Err(e),
            };
            let _ = reply.send(result);
        }
        for (caller, act, why, reply) in denials {
            let answer = match self.record_denial(&caller, &act, why).await {
                Ok(denied) => denied,
                Err(e) => e,
            };
            let _ = reply.send(Err(answer));
        }
    }
}

/// What one booking of a batch came to.
pub(crate) enum Step {
    Booked(Appointment),
    /// A rule refused it; nothing of it was written.
    Refused(AppError),
    Denied(crate::authz::Act, kerato_domain::identity::Denial),
}
