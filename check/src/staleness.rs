//! Staleness metrics (not verdicts): for every successful read, how many
//! versions behind it was (k-staleness) and how long since the newest write
//! that had completed before the read began (t-visibility).
