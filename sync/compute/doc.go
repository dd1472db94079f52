// Package compute is the rules engine that turns synced records into computed records (issue 5):
// the monthly assessments (R1–R5), month closing (R5), grade reviews (R6–R7) and year-end
// bonuses (R8–R10), under the versioned policy (Policies). The rules themselves are domain
// functions (domain.MissedWeeklyReports, ScoreMonth, DowngradeReview, YearEndBonus); this
// package decides when to run them and on which records, and writes their results through the
// one write path of computed records, sync.Engine.WriteAsServer, acting as ServerPrincipal.
//
// Worker.RunOnce is one pass; Worker.Run repeats it every few seconds on every instance. A pass:
//
//  1. R1: judges every weekly-report deadline passed since the last one judged (a checkpoint in
//     the database; weeks the server was down for are caught up) and writes each missing
//     report's −2 incident insert-if-absent under its deterministic id.
//  2. Finishes any close that a crash left half-written.
//  3. Reads the incident changes since the checkpoint (sequence numbers, as a pull does) and
//     rescores the open months of every technician they touch.
//  4. Runs the further rules plugged in as Steps, each with the changes of its collections.
//
// Several instances: a pass, a close and a bonus run each hold the one lease in the database,
// so two instances never score from different snapshots at once; every write is idempotent, so a
// rerun writes nothing new. docs/rules.md maps every rule to where it is computed.
package compute
