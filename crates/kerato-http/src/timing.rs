//! Answers that take no less than a fixed time, so how long one took does
//! not tell a caller which path the server went down (an unknown address or
//! a known one, a message queued or not).

use std::time::{Duration, Instant};

/// Waits until `floor` has passed since `started` (at once if it has).
pub async fn pad_to(started: Instant, floor: Duration) {
    tokio::time::sleep(floor.saturating_sub(started.elapsed())).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_waits_for_the_floor_and_no_longer() {
        let started = Instant::now();
        pad_to(started, Duration::from_millis(50)).await;
        assert!(started.elapsed() >= Duration::from_millis(50));
        // Past the floor already: no further wait.
        let late = Instant::now();
        pad_to(started, Duration::from_millis(50)).await;
        assert!(late.elapsed() < Duration::from_millis(50));
    }
}
