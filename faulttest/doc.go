// Package faulttest holds SellerGuard's fault suite: the daemon binary as
// `sellerguard run` builds it, in subprocesses, against real Apache Kafka
// (kafkatest, scripts/kafka.sh) and real redis-server (redistest), while the
// tests kill, stop, slow down and cut what it depends on. Each test ends by
// checking that every input event's effect is there exactly once and that
// the assessments equal those of a clean run of the same events. The package
// has only tests; docs/reliability.md says what each one proves.
package faulttest
