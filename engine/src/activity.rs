//! Activities: effects that can fail transiently (an LLM call over the network), run under a
//! retry and timeout policy, journaled like any step.
//!
//! An activity is journaled as one step: its intent before the first attempt, its result after
//! the attempt that succeeded. Attempts in between leave `Event` records (why it was retried,
//! how long the engine waited), so the transcript shows what happened without a failed attempt
//! ever being replayed as a result. A process killed mid-attempt leaves an intent without a
//! result: the next run performs the activity again under the same policy.

use std::future::Future;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::journal::{Journal, StepOutcome};
use crate::EngineError;

/// How an activity kind is retried and timed out (the names follow Temporal's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Wait before the first retry.
    #[serde(with = "millis")]
    pub initial_interval: Duration,
    /// Each further wait is the previous one times this.
    pub backoff_coefficient: f64,
    /// No wait is longer than this (a server's `Retry-After` is still honoured above it).
    #[serde(with = "millis")]
    pub maximum_interval: Duration,
    /// Attempts in all, the first included.
    pub maximum_attempts: u32,
    /// Failure classes that are never retried (e.g. "unauthorized", "invalid_request").
    pub non_retryable: Vec<String>,
    /// Limit on one attempt.
    #[serde(with = "millis_opt")]
    pub start_to_close: Option<Duration>,
    /// Limit on all attempts and waits together.
    #[serde(with = "millis_opt")]
    pub schedule_to_close: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_interval: Duration::from_secs(1),
            backoff_coefficient: 2.0,
            maximum_interval: Duration::from_secs(60),
            maximum_attempts: 5,
            non_retryable: vec![],
            start_to_close: Some(Duration::from_secs(120)),
            schedule_to_close: Some(Duration::from_secs(900)),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based), before any `Retry-After`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = self
            .backoff_coefficient
            .max(1.0)
            .powi(retry.saturating_sub(1) as i32);
        let wait = self.initial_interval.as_secs_f64() * factor;
        Duration::from_secs_f64(wait.min(self.maximum_interval.as_secs_f64()))
    }
}

/// Why one attempt failed, as the activity classifies it.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptError {
    /// A short machine name (e.g. "rate_limited", "server", "timeout", "invalid_reply",
    /// "unauthorized") matched against the policy's non-retryable classes.
    pub class: String,
    pub message: String,
    /// False for errors that no retry can fix, whatever the policy says.
    pub retryable: bool,
    /// The server's `Retry-After`, if it sent one.
    pub retry_after: Option<Duration>,
}

impl AttemptError {
    pub fn retryable(class: &str, message: impl Into<String>) -> Self {
        AttemptError {
            class: class.into(),
            message: message.into(),
            retryable: true,
            retry_after: None,
        }
    }

    pub fn fatal(class: &str, message: impl Into<String>) -> Self {
        AttemptError {
            class: class.into(),
            message: message.into(),
            retryable: false,
            retry_after: None,
        }
    }
}

/// Performs one activity under `policy`: replayed from the journal if it completed before.
/// `attempt` is called with the attempt number (1-based) and may be called again after a
/// retryable failure.
pub async fn run_activity<Req, T, F, Fut>(
    journal: &Journal,
    key: &str,
    request: &Req,
    policy: &RetryPolicy,
    attempt: F,
) -> Result<StepOutcome<T>, EngineError>
where
    Req: Serialize,
    T: Serialize + DeserializeOwned,
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, AttemptError>>,
{
    if let Some(value) = journal.replay(key, request)? {
        return Ok(StepOutcome {
            value,
            replayed: true,
        });
    }
    let intent = journal.begin(key, request)?;
    match attempts(journal, key, policy, attempt).await {
        Ok(value) => {
            journal.complete(&intent, &value)?;
            Ok(StepOutcome {
                value,
                replayed: false,
            })
        }
        Err(message) => Err(journal.fail(&intent, &message)?),
    }
}

/// How often [`run_activities_until`] asks whether to stop: a pause should not wait for a
/// model call that may take minutes, and an atomic load ten times a second costs nothing.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Performs independent activities concurrently, at most `limit` at a time.
///
/// The journal stays in a deterministic order whatever order the attempts finish in: all
/// intents are recorded first in the order given, then all results in the order given. The
/// results come back in the order given. If any activity fails, the others' results are still
/// journaled (they are not paid for twice) and the first failure in order is returned.
///
/// It gives up on the activities still in flight once `stop` says so (`&|| false` never
/// stops): those that finished are journaled (in the order given), the abandoned ones keep an intent
/// without a result, exactly as after a kill, so a later run performs them again; the error is
/// [`EngineError::Stopped`]. Nothing is begun when `stop` already holds.
pub async fn run_activities_until<Req, T, F, Fut>(
    journal: &Journal,
    items: &[(String, Req)],
    limit: usize,
    policy: &RetryPolicy,
    attempt: F,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Vec<StepOutcome<T>>, EngineError>
where
    Req: Serialize,
    T: Serialize + DeserializeOwned,
    F: Fn(usize, u32) -> Fut,
    Fut: Future<Output = Result<T, AttemptError>>,
{
    let mut done: Vec<Option<StepOutcome<T>>> = Vec::with_capacity(items.len());
    let mut to_run = Vec::new();
    for (index, (key, request)) in items.iter().enumerate() {
        match journal.replay(key, request)? {
            Some(value) => done.push(Some(StepOutcome {
                value,
                replayed: true,
            })),
            None => {
                done.push(None);
                to_run.push(index);
            }
        }
    }
    if !to_run.is_empty() && stop() {
        return Err(EngineError::Stopped {
            steps: to_run.iter().map(|&i| items[i].0.clone()).collect(),
        });
    }
    let mut pending = Vec::with_capacity(to_run.len());
    for index in to_run {
        let (key, request) = &items[index];
        pending.push((index, journal.begin(key, request)?));
    }
    let attempt = &attempt;
    // The futures are built before they reach the stream: a closure over borrowed items
    // inside the stream would not be `Send` for every lifetime, which async traits require.
    let work: Vec<_> = pending
        .iter()
        .map(|(index, intent)| {
            let (index, key) = (*index, intent.key.clone());
            async move {
                let result = attempts(journal, &key, policy, |n| attempt(index, n)).await;
                (index, result)
            }
        })
        .collect();
    let mut running = stream::iter(work).buffer_unordered(limit.max(1));
    // Each answer is journaled the moment it arrives, not when the whole batch is done: a
    // study killed while one call is slow (or waits out a Retry-After) keeps the answers it
    // already has, and its resume does not pay for them again. Replay is by key, so the
    // order of the records does not matter; the error reported is still the first in the
    // order given.
    let mut finished: Vec<usize> = Vec::with_capacity(pending.len());
    let mut errors: Vec<(usize, EngineError)> = Vec::new();
    let mut record = |index: usize, result: Result<T, String>| -> Result<(), EngineError> {
        finished.push(index);
        let Some((_, intent)) = pending.iter().find(|(i, _)| *i == index) else {
            return Ok(());
        };
        match result {
            Ok(value) => {
                journal.complete(intent, &value)?;
                done[index] = Some(StepOutcome {
                    value,
                    replayed: false,
                });
            }
            Err(message) => errors.push((index, journal.fail(intent, &message)?)),
        }
        Ok(())
    };
    let mut ticker = tokio::time::interval(STOP_POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopped = false;
    loop {
        tokio::select! {
            next = running.next() => match next {
                Some((index, result)) => record(index, result)?,
                None => break,
            },
            _ = ticker.tick() => {
                if stop() {
                    stopped = true;
                    break;
                }
            }
        }
    }
    // Dropping the stream cancels the attempts still in flight (their HTTP requests too).
    drop(running);
    let first_error = errors
        .into_iter()
        .min_by_key(|(index, _)| *index)
        .map(|(_, e)| e);
    if stopped {
        let abandoned: Vec<String> = pending
            .iter()
            .filter(|(index, _)| !finished.contains(index))
            .map(|(_, intent)| intent.key.clone())
            .collect();
        if !abandoned.is_empty() {
            return Err(EngineError::Stopped { steps: abandoned });
        }
    }
    if let Some(error) = first_error {
        return Err(error);
    }
    Ok(done.into_iter().flatten().collect())
}

/// The attempt loop: timeouts, backoff, `Retry-After`, and an event per retry.
async fn attempts<T, F, Fut>(
    journal: &Journal,
    key: &str,
    policy: &RetryPolicy,
    mut attempt: F,
) -> Result<T, String>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, AttemptError>>,
{
    let scheduled = Instant::now();
    let mut number = 1;
    loop {
        let outcome = match policy.start_to_close {
            Some(limit) => match tokio::time::timeout(limit, attempt(number)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(AttemptError::retryable(
                    "timeout",
                    format!("no answer within {} s", limit.as_secs_f64()),
                )),
            },
            None => attempt(number).await,
        };
        let error = match outcome {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let give_up = |why: &str| {
            format!(
                "{} ({}) after {} attempt{}: {}",
                error.message,
                error.class,
                number,
                if number == 1 { "" } else { "s" },
                why
            )
        };
        if !error.retryable || policy.non_retryable.contains(&error.class) {
            return Err(give_up("not retryable"));
        }
        if number >= policy.maximum_attempts {
            return Err(give_up("retry limit reached"));
        }
        let wait = error
            .retry_after
            .map(|after| after.max(policy.backoff(number)))
            .unwrap_or_else(|| policy.backoff(number));
        if let Some(limit) = policy.schedule_to_close {
            if scheduled.elapsed() + wait >= limit {
                return Err(give_up("the schedule-to-close timeout would pass"));
            }
        }
        let _ = journal.event(
            key,
            &Event::retry(
                number,
                &error.class,
                &error.message,
                wait.as_millis() as u64,
            ),
        );
        tracing::warn!(step = key, attempt = number, class = %error.class, wait_ms = wait.as_millis() as u64, "{}; retrying", error.message);
        tokio::time::sleep(wait).await;
        number += 1;
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

mod millis_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> RetryPolicy {
        RetryPolicy {
            initial_interval: Duration::from_millis(1),
            maximum_interval: Duration::from_millis(5),
            maximum_attempts: 3,
            ..RetryPolicy::default()
        }
    }

    #[tokio::test]
    async fn retries_transient_failures_then_replays_without_performing() {
        let dir = tempfile::tempdir().unwrap();
        let calls = AtomicU32::new(0);
        {
            let journal = Journal::open(&dir.path().join("j")).unwrap();
            let out: StepOutcome<u32> = run_activity(&journal, "llm/1", &"ask", &quick(), |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 3 {
                        Err(AttemptError::retryable("server", "HTTP 500"))
                    } else {
                        Ok(7)
                    }
                }
            })
            .await
            .unwrap();
            assert_eq!((out.value, out.replayed), (7, false));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        let journal = Journal::open(&dir.path().join("j")).unwrap();
        let out: StepOutcome<u32> = run_activity(&journal, "llm/1", &"ask", &quick(), |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(0) }
        })
        .await
        .unwrap();
        assert_eq!((out.value, out.replayed), (7, true));
        assert_eq!(calls.load(Ordering::SeqCst), 3, "a replay performs nothing");
        let retries = journal
            .records()
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == crate::RecordKind::Event && r.step == "llm/1")
            .count();
        assert_eq!(retries, 2);
    }

    /// The error `run_activity` ends with for an activity that fails as `attempt` says,
    /// counting the attempts in `calls`.
    async fn error_of<Fut>(
        journal: &Journal,
        key: &str,
        policy: &RetryPolicy,
        calls: &AtomicU32,
        attempt: impl Fn() -> Fut,
    ) -> EngineError
    where
        Fut: Future<Output = Result<u32, AttemptError>>,
    {
        calls.store(0, Ordering::SeqCst);
        run_activity::<_, u32, _, _>(journal, key, &1, policy, |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            attempt()
        })
        .await
        .unwrap_err()
    }

    #[tokio::test]
    async fn gives_up_on_fatal_errors_and_at_the_attempt_limit() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("j")).unwrap();
        let calls = AtomicU32::new(0);
        let err = error_of(&journal, "a", &quick(), &calls, || async {
            Err(AttemptError::fatal("unauthorized", "HTTP 401"))
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(err.to_string().contains("not retryable"), "{err}");

        let mut policy = quick();
        policy.non_retryable = vec!["invalid_reply".into()];
        let err = error_of(&journal, "b", &policy, &calls, || async {
            Err(AttemptError::retryable("invalid_reply", "not JSON"))
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(err.to_string().contains("not retryable"), "{err}");

        let err = error_of(&journal, "c", &quick(), &calls, || async {
            Err(AttemptError::retryable("server", "HTTP 503"))
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert!(err.to_string().contains("retry limit"), "{err}");
    }

    #[tokio::test]
    async fn honours_retry_after_and_start_to_close() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("j")).unwrap();
        let started = Instant::now();
        let out: StepOutcome<u32> = run_activity(&journal, "r", &1, &quick(), |n| async move {
            if n == 1 {
                Err(AttemptError {
                    retry_after: Some(Duration::from_millis(300)),
                    ..AttemptError::retryable("rate_limited", "HTTP 429")
                })
            } else {
                Ok(1)
            }
        })
        .await
        .unwrap();
        assert_eq!(out.value, 1);
        // The policy's own backoff is at most 5 ms; only Retry-After explains the wait.
        assert!(started.elapsed() >= Duration::from_millis(300));

        let mut policy = quick();
        policy.start_to_close = Some(Duration::from_millis(20));
        policy.maximum_attempts = 2;
        let err = run_activity::<_, u32, _, _>(&journal, "t", &1, &policy, |_| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(1)
        })
        .await
        .unwrap_err();
        assert!(err.to_string().contains("timeout"), "{err}");
    }

    #[tokio::test]
    async fn a_stop_abandons_calls_in_flight_and_journals_those_that_finished() {
        use std::sync::atomic::AtomicBool;
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("j")).unwrap();
        let items: Vec<(String, u64)> = (0..4).map(|i| (format!("call{i}"), i)).collect();
        let stop = AtomicBool::new(false);
        let finished = AtomicU32::new(0);
        // Calls 0 and 1 answer at once; 2 and 3 would take an hour. The stop is asked for once
        // both quick ones are back, so no timing guess decides the outcome.
        let err = run_activities_until::<_, u64, _, _>(
            &journal,
            &items,
            4,
            &quick(),
            |index, _| {
                let (stop, finished) = (&stop, &finished);
                async move {
                    if index >= 2 {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                    } else if finished.fetch_add(1, Ordering::SeqCst) == 1 {
                        stop.store(true, Ordering::SeqCst);
                    }
                    Ok(index as u64)
                }
            },
            &|| stop.load(Ordering::SeqCst),
        )
        .await
        .unwrap_err();
        match err {
            EngineError::Stopped { steps } => assert_eq!(steps, vec!["call2", "call3"]),
            other => panic!("not a stop: {other}"),
        }
        for (key, done) in [
            ("call0", true),
            ("call1", true),
            ("call2", false),
            ("call3", false),
        ] {
            assert_eq!(journal.is_completed(key).unwrap(), done, "{key}");
        }
        assert!(!journal
            .records()
            .unwrap()
            .iter()
            .any(|r| r.kind == crate::RecordKind::StepFailed));
        // Resumed: only the abandoned calls are performed.
        let performed = AtomicU32::new(0);
        let out: Vec<StepOutcome<u64>> = run_activities_until(
            &journal,
            &items,
            4,
            &quick(),
            |index, _| {
                performed.fetch_add(1, Ordering::SeqCst);
                async move { Ok(index as u64) }
            },
            &|| false,
        )
        .await
        .unwrap();
        assert_eq!(performed.load(Ordering::SeqCst), 2);
        assert_eq!(out.iter().filter(|o| o.replayed).count(), 2);
        // A stop asked for before anything ran begins nothing.
        let more: Vec<(String, u64)> = vec![("call4".into(), 4)];
        let err = run_activities_until::<_, u64, _, _>(
            &journal,
            &more,
            1,
            &quick(),
            |_, _| async { Ok(0) },
            &|| true,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, EngineError::Stopped { .. }), "{err}");
        assert!(!journal.records().unwrap().iter().any(|r| r.step == "call4"));
    }

    #[tokio::test]
    async fn each_answer_is_journaled_while_the_others_are_still_running() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("j")).unwrap();
        let items: Vec<(String, u64)> = (0..4).map(|i| (format!("round1/agent{i}"), i)).collect();
        let journal_ref = &journal;
        let out: Vec<StepOutcome<u64>> = run_activities_until(
            &journal,
            &items,
            4,
            &quick(),
            |index, _| async move {
                // The first call answers only once the journal holds every other answer: it
                // is the slow call of the turn, and a kill now would keep the other three.
                if index == 0 {
                    let until = Instant::now() + Duration::from_secs(10);
                    while !(1..4).all(|k| {
                        journal_ref
                            .is_completed(&format!("round1/agent{k}"))
                            .unwrap()
                    }) {
                        assert!(
                            Instant::now() < until,
                            "the other answers were not journaled"
                        );
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
                Ok(index as u64 * 10)
            },
            &|| false,
        )
        .await
        .unwrap();
        // The results still come back in the order given.
        assert_eq!(
            out.iter().map(|o| o.value).collect::<Vec<_>>(),
            vec![0, 10, 20, 30]
        );
        let completed: Vec<String> = journal
            .records()
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == crate::RecordKind::StepCompleted)
            .map(|r| r.step)
            .collect();
        assert_eq!(completed.last().map(String::as_str), Some("round1/agent0"));
        assert_eq!(completed.len(), 4);
    }
}
