//! Measures what journaling costs: durable steps per second (intent and result records, each
//! flushed to disk) and events per second, in a fresh journal under a temporary directory.
//!
//! `cargo run --release -p meshagents-engine --example journal_cost [STEPS]`

use std::time::Instant;

use meshagents_engine::{Event, Journal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(2_000);
    let dir = std::env::temp_dir().join(format!("journal-cost-{}", std::process::id()));
    let journal = Journal::open(&dir.join("journal"))?;
    // A result the size of a typical step summary (a few hundred bytes of JSON).
    let payload: Vec<f64> = (0..40).map(|i| i as f64 * 0.125).collect();

    // The same steps twice: the first pass journals them, the second replays them.
    let all_steps = || -> Result<f64, Box<dyn std::error::Error>> {
        let started = Instant::now();
        for i in 0..steps {
            journal.step(&format!("bench/{i}"), &i, || {
                Ok::<_, String>(payload.clone())
            })?;
        }
        Ok(started.elapsed().as_secs_f64())
    };
    let step_seconds = all_steps()?;

    let started = Instant::now();
    for i in 0..steps {
        journal.event("bench/event", &Event::retry(1, "bench", &i.to_string(), 0))?;
    }
    let event_seconds = started.elapsed().as_secs_f64();

    let replay_seconds = all_steps()?;

    println!("steps journaled (2 records, 2 flushes each): {steps} in {step_seconds:.3} s = {:.0} steps/s, {:.3} ms per step", steps as f64 / step_seconds, 1e3 * step_seconds / steps as f64);
    println!("events journaled (1 record, 1 flush each):   {steps} in {event_seconds:.3} s = {:.0} events/s", steps as f64 / event_seconds);
    println!("steps replayed from the journal:              {steps} in {replay_seconds:.3} s = {:.0} steps/s", steps as f64 / replay_seconds);
    drop(journal);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
