// Package review holds the records of the staff workflow: the store keeps
// them and the API serves them, and neither may import the other.
package review

import "time"

// State is a case's workflow state. Status "" means the workflow has not
// opened the case yet.
type State struct {
	Status    string
	OpenedAt  time.Time
	Deadline  time.Time
	Owner     string
	ClaimedAt time.Time
	Verdict   string
	Note      string
	DecidedBy string
	DecidedAt time.Time
	// Decision is the assessment's decision when the verdict was given.
	Decision string
	Rules    []string // the rules the verdict was counted for
	Reopened int
	Pending  bool // the verdict's effects are not done yet
}

// Row is one refund as the workflow reads it.
type Row struct {
	RefundID   string
	Queued     bool    // in the review queue (decision review or block)
	QueueScore float64 // the queue's order: 1000+score when blocked, else score
	Assessment []byte  // the stored assessment JSON; nil when none
	Refund     []byte  // the refund's newest state (event JSON); nil when unknown
	State      State
}

// Open opens one case: when it entered review, its deadline, and the rules
// it was flagged by (each counts one hit on the opening day).
type Open struct {
	RefundID string
	OpenedAt time.Time
	Deadline time.Time
	Rules    []string
}

// Step is the outcome of one workflow step and the state after it. Outcome
// is "ok" or a refusal (see each store method); Detail names the owner of a
// case taken by someone else, or the verdict a reopen withdrew.
type Step struct {
	Outcome string
	Detail  string
	State   State
}
