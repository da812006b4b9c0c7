// Package dashboards builds SellerGuard's Grafana dashboards as code with the
// Grafana Foundation SDK. The JSON committed beside this file is generated
// from it (go generate, or go run ./gen from this folder) and provisioned into
// Grafana by deploy/grafana/provisioning; the tests in this module check it
// against Prometheus' own parser, the daemon's /metrics and a real Prometheus.
package dashboards

//go:generate go run ./gen

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// DatasourceUID is the uid of the Prometheus datasource provisioned by
// deploy/grafana/provisioning/datasources/prometheus.yaml. The boards select
// their datasource through the variable DatasourceVar, which defaults to it.
const DatasourceUID = "prometheus"

// DatasourceVar is the name of the dashboards' datasource variable.
const DatasourceVar = "datasource"

// Board is one generated dashboard.
type Board struct {
	File      string // file name in this folder
	UID       string
	Dashboard dashboard.Dashboard
}

// JSON renders the board as it is committed: indented, with a final newline.
func (b Board) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(b.Dashboard, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// All builds every board.
func All() ([]Board, error) {
	var boards []Board
	for _, f := range []func() (Board, error){operations, fraud, review} {
		b, err := f()
		if err != nil {
			return nil, err
		}
		boards = append(boards, b)
	}
	return boards, nil
}

// rate windows: Grafana's $__rate_interval adapts to the scrape interval and
// the zoom level. Tests replace it with a fixed window.
const ri = "$__rate_interval"

func operations() (Board, error) {
	b := newBoard("sellerguard-operations", "SellerGuard · Operations",
		"Throughput, consumer lag, latency, errors, dead letters, webhook deliveries and configuration reloads of the SellerGuard pipeline. Alerts: deploy/prometheus/alerts.yml; runbook: docs/operations.md.")

	b.row("Throughput")
	b.timeseries("Messages consumed / s by topic", "Messages fetched from the input topics (sellerguard_ingest_messages_total).", units.OpsPerSecond, 8,
		q(`sum by (topic) (rate(sellerguard_ingest_messages_total[`+ri+`]))`, "{{topic}}"))
	b.timeseries("Bytes consumed / s by topic", "Key and value bytes fetched (sellerguard_ingest_bytes_total).", units.BytesPerSecondSI, 8,
		q(`sum by (topic) (rate(sellerguard_ingest_bytes_total[`+ri+`]))`, "{{topic}}"))
	b.timeseries("Events stored / s by kind", "Valid events whose facts were stored (sellerguard_events_processed_total).", units.OpsPerSecond, 8,
		q(`sum by (kind) (rate(sellerguard_events_processed_total[`+ri+`]))`, "{{kind}}"))
	b.timeseries("Batch size", "Messages per batch handed to the detector (at most 500). Small batches at high rates mean the consumer waits on Kafka.", units.Short, 8,
		q(`sum(rate(sellerguard_ingest_batch_size_sum[`+ri+`])) / sum(rate(sellerguard_ingest_batch_size_count[`+ri+`]))`, "mean"),
		q(`histogram_quantile(0.99, sum by (le) (rate(sellerguard_ingest_batch_size_bucket[`+ri+`])))`, "p99"))
	b.timeseries("Assessments / s", "Refund assessments computed (first and repeated), and those discarded because newer facts arrived meanwhile (another instance re-assesses them).", units.OpsPerSecond, 8,
		q(`sum(rate(sellerguard_assessments_total[`+ri+`]))`, "assessed"),
		q(`sum(rate(sellerguard_assessments_stale_total[`+ri+`]))`, "stale"))
	b.timeseries("Fan-out capped / s", "Events that touched more refunds than the fan-out cap; the refunds beyond it were not re-assessed.", units.OpsPerSecond, 8,
		q(`sum(rate(sellerguard_fanout_capped_total[`+ri+`]))`, "capped"))

	b.row("Consumer lag")
	b.timeseries("Consumer lag by topic", "Messages behind each partition's high watermark as of the last fetch from it, summed per topic. It is refreshed by fetches: a consumer that stopped fetching keeps its last value (see the stalled alert).", units.Short, 12,
		q(`sum by (topic) (sellerguard_ingest_consumer_lag)`, "{{topic}}"))
	b.stat("Largest partition lag", "The most messages any one partition is behind.", units.Short, 4, 1000, 10000,
		q(`max(sellerguard_ingest_consumer_lag)`, "lag"))
	b.stat("Since last commit", "Time since the last successful offset commit. Grows while idle too: read it with the lag beside it.", units.Seconds, 4, 60, 300,
		q(`time() - max(sellerguard_ingest_last_commit_timestamp_seconds)`, "age"))
	b.stat("Instances up", "SellerGuard instances Prometheus scrapes successfully.", units.Short, 4, 0, 0,
		q(`sum(up{job="sellerguard"})`, "up"))

	b.row("Latency")
	b.timeseries("Processing latency (arrival → effects stored and published)", "From an event's arrival on its topic to its batch's effects being stored in Redis and its decision changes published.", units.Seconds, 12,
		q(`histogram_quantile(0.5, sum by (le) (rate(sellerguard_processing_latency_seconds_bucket[`+ri+`])))`, "p50"),
		q(`histogram_quantile(0.9, sum by (le) (rate(sellerguard_processing_latency_seconds_bucket[`+ri+`])))`, "p90"),
		q(`histogram_quantile(0.99, sum by (le) (rate(sellerguard_processing_latency_seconds_bucket[`+ri+`])))`, "p99"))
	b.timeseries("Event age when stored (occurred_at → stored)", "From the time an event says it happened to its facts being stored: includes the producers' own delay.", units.Seconds, 12,
		q(`histogram_quantile(0.5, sum by (le) (rate(sellerguard_event_age_seconds_bucket[`+ri+`])))`, "p50"),
		q(`histogram_quantile(0.99, sum by (le) (rate(sellerguard_event_age_seconds_bucket[`+ri+`])))`, "p99"))
	b.timeseries("Redis round trip p99 by operation", "One pipelined round trip of the apply, load, save, published and lookup steps.", units.Seconds, 8,
		q(`histogram_quantile(0.99, sum by (op, le) (rate(sellerguard_store_pipeline_duration_seconds_bucket[`+ri+`])))`, "{{op}}"))
	b.timeseries("Offset commit duration", "Synchronous offset commits after each batch.", units.Seconds, 8,
		q(`histogram_quantile(0.5, sum by (le) (rate(sellerguard_ingest_commit_duration_seconds_bucket[`+ri+`])))`, "p50"),
		q(`histogram_quantile(0.99, sum by (le) (rate(sellerguard_ingest_commit_duration_seconds_bucket[`+ri+`])))`, "p99"))
	b.timeseries("API latency p99 by route", "Lookup API, health and readiness.", units.Seconds, 8,
		q(`histogram_quantile(0.99, sum by (route, le) (rate(sellerguard_http_request_duration_seconds_bucket[`+ri+`])))`, "{{route}}"))

	b.row("Errors")
	b.timeseries("Pipeline errors / s", "Failed batches (retried whole, never skipped), failed offset commits (retried) and failed fetches.", units.OpsPerSecond, 8,
		q(`sum(rate(sellerguard_ingest_process_errors_total[`+ri+`]))`, "batch failed"),
		q(`sum(rate(sellerguard_ingest_commit_errors_total[`+ri+`]))`, "commit failed"),
		q(`sum(rate(sellerguard_ingest_fetch_errors_total[`+ri+`]))`, "fetch failed"))
	b.timeseries("Redis errors / s by operation", "Failed Redis round trips; the batch is retried.", units.OpsPerSecond, 8,
		q(`sum by (op) (rate(sellerguard_store_errors_total[`+ri+`]))`, "{{op}}"))
	// A code's series exists only once a response with it was sent: without
	// "or vector(0)" the share of 5xx would read "no data" instead of 0.
	b.timeseries("API responses / s by code", "Responses of the lookup API, health and readiness, by status code; and the share that were 5xx.", units.RequestsPerSecond, 8,
		q(`sum by (code) (rate(sellerguard_http_requests_total[`+ri+`]))`, "{{code}}"),
		q(`(sum(rate(sellerguard_http_requests_total{code=~"5.."}[`+ri+`])) or vector(0)) / sum(rate(sellerguard_http_requests_total[`+ri+`]))`, "5xx share"))

	// sellerguard_events_invalid_total counts an invalid event when its batch
	// is decoded, sellerguard_dead_letters_total once sellerguard.dlq has
	// acknowledged it: the first runs ahead while dead-letter writes fail.
	// The dead-letter alert uses the first, as does the share beside them.
	b.row("Dead letters")
	b.timeseries("Dead-lettered events / s by reason", "Invalid events acknowledged by sellerguard.dlq, with their original bytes (sellerguard_dead_letters_total); they never stop the consumer.", units.OpsPerSecond, 8,
		q(`sum by (reason) (rate(sellerguard_dead_letters_total[`+ri+`]))`, "{{reason}}"))
	b.timeseries("Invalid events seen / s by reason", "Invalid events as decoded, before sellerguard.dlq acknowledges them (sellerguard_events_invalid_total; what SellerGuardDeadLetterRate uses). Above the dead-lettered rate while writes to sellerguard.dlq fail: their batch is retried whole.", units.OpsPerSecond, 8,
		q(`sum by (reason) (rate(sellerguard_events_invalid_total[`+ri+`]))`, "{{reason}}"))
	b.stat("Dead-letter share of input", "Invalid events as a share of the messages consumed over the dashboard's time range.", units.PercentUnit, 4, 0.001, 0.01,
		q(`sum(increase(sellerguard_events_invalid_total[$__range])) / sum(increase(sellerguard_ingest_messages_total[$__range]))`, "share"))
	b.stat("Dead-lettered in range", "Invalid events acknowledged by sellerguard.dlq over the dashboard's time range.", units.Short, 4, 0, 0,
		q(`sum(increase(sellerguard_dead_letters_total[$__range]))`, "events"))

	b.row("Webhooks and configuration")
	// sellerguard_webhook_deliveries_total exists only when webhooks are
	// configured (one series per hook and result from the start): without
	// any, "or on() …" shows one zero line saying so instead of "no data".
	b.timeseries("Webhook deliveries / s by hook and result", "Delivery attempts of decision changes to each configured webhook (sellerguard_webhook_deliveries_total): delivered; failed (retried with backoff from the outbox); parked (given up after the last attempt, kept for an operator to replay). A single zero line means no webhook is configured.", units.OpsPerSecond, 12,
		q(`sum by (hook, result) (rate(sellerguard_webhook_deliveries_total[`+ri+`])) or on() label_replace(vector(0), "hook", "no webhook configured", "", "")`, "{{hook}} {{result}}"))
	// See above: no webhook configured, nothing parked.
	b.stat("Webhook deliveries parked in range", "Deliveries given up after their last attempt over the dashboard's time range: the receiver has not got these decision changes. Replay them once it is fixed.", units.Short, 6, 0, 1,
		q(`sum(increase(sellerguard_webhook_deliveries_total{result="parked"}[$__range])) or vector(0)`, "parked"))
	b.stat("Config reloads in range", "Reloads of the --config file (rules, weights, thresholds, guardrails) over the dashboard's time range, by result. A failed reload keeps the previous configuration in force; the log says why.", units.Short, 6, 0, 0,
		q(`sum by (result) (increase(sellerguard_config_reloads_total[$__range]))`, "{{result}}"))
	return b.build()
}

func fraud() (Board, error) {
	b := newBoard("sellerguard-fraud", "SellerGuard · Fraud",
		"What SellerGuard decides and why: decision changes by outcome, the refund amounts held by blocks, scores, rule findings, guardrails and the allowlist. Counts are decision changes published to refund-decisions, so one refund can count more than once as its evidence grows.")

	b.row("Decisions")
	b.timeseries("Decision changes / min by outcome", "Decision changes published (sellerguard_decisions_total): a refund's first decision, and each later change.", units.OpsPerMinute, 12,
		q(`60 * sum by (decision) (rate(sellerguard_decisions_total[`+ri+`]))`, "{{decision}}"))
	b.stat("Blocked share", "Share of decision changes in the time range that were blocks.", units.PercentUnit, 4, 0, 0,
		q(`sum(increase(sellerguard_decisions_total{decision="block"}[$__range])) / sum(increase(sellerguard_decisions_total[$__range]))`, "block"))
	b.stat("Sent to review share", "Share of decision changes in the time range that were reviews.", units.PercentUnit, 4, 0, 0,
		q(`sum(increase(sellerguard_decisions_total{decision="review"}[$__range])) / sum(increase(sellerguard_decisions_total[$__range]))`, "review"))
	b.stat("Decision changes in range", "By outcome, over the dashboard's time range.", units.Short, 4, 0, 0,
		q(`sum by (decision) (increase(sellerguard_decisions_total[$__range]))`, "{{decision}}"))

	// Amounts are counted in minor units (fen): / 100 is yuan. The counters
	// restart at zero with an instance; increase() spans the restarts.
	b.row("Blocked amount")
	b.timeseries("Refund amounts entering and leaving block / h", "Refund amounts (yuan) whose decision became block (entered) or stopped being block (left: a later decision released it), per hour (sellerguard_blocked_amount_minor_total).", yuan, 12,
		q(`3600 * sum by (transition) (rate(sellerguard_blocked_amount_minor_total[`+ri+`])) / 100`, "{{transition}}"))
	b.stat("Held in range (net)", "Refund amounts (yuan) that entered block minus those that left it over the dashboard's time range: what blocks newly held. Blocks from before the range that are still held are not in it.", yuan, 6, 0, 0,
		q(`(sum(increase(sellerguard_blocked_amount_minor_total{transition="entered"}[$__range])) - sum(increase(sellerguard_blocked_amount_minor_total{transition="left"}[$__range]))) / 100`, "held"))
	b.stat("Held this week (net)", "Refund amounts (yuan) that entered block minus those that left it over the last 7 days.", yuan, 6, 0, 0,
		q(`(sum(increase(sellerguard_blocked_amount_minor_total{transition="entered"}[1w])) - sum(increase(sellerguard_blocked_amount_minor_total{transition="left"}[1w]))) / 100`, "held"))

	b.row("Scores")
	b.heatmap("Assessment scores", "Published assessments per minute by score band (sellerguard_assessment_score): the review and block thresholds are band edges, so a band moving across them shows a rule or weight change.", 12,
		q(`60 * sum by (le) (rate(sellerguard_assessment_score_bucket[`+ri+`]))`, "{{le}}").Format(prometheus.PromQueryFormatHeatmap))
	b.timeseries("First decisions and re-assessments / min", "Decision changes published for a refund's first assessment, and those replacing an earlier one as new evidence arrived (sellerguard_reassessments_total).", units.OpsPerMinute, 12,
		q(`60 * (sum(rate(sellerguard_decisions_total[`+ri+`])) - sum(rate(sellerguard_reassessments_total[`+ri+`])))`, "first decision"),
		q(`60 * sum(rate(sellerguard_reassessments_total[`+ri+`]))`, "re-assessed"))

	b.row("Rules")
	b.timeseries("Rule hits / min by rule", "Rule findings in published decision changes (sellerguard_rule_hits_total), by rule code.", units.OpsPerMinute, 12,
		q(`60 * sum by (rule) (rate(sellerguard_rule_hits_total[`+ri+`]))`, "{{rule}}"))
	b.bargauge("Top rules this week", "Rule findings over the last 7 days, most frequent first.", units.Short, 12,
		q(`sort_desc(topk(10, sum by (rule) (increase(sellerguard_rule_hits_total[1w]))))`, "{{rule}}"))
	b.bargauge("Rule hits per decision change (range)", "Findings of each rule per decision change published over the time range: how much each rule contributes to what staff see.", units.Short, 12,
		q(`sum by (rule) (increase(sellerguard_rule_hits_total[$__range])) / scalar(sum(increase(sellerguard_decisions_total[$__range])))`, "{{rule}}"))
	b.timeseries("Blocks and reviews / h", "Decision changes to block or review per hour: the after-sales workload SellerGuard creates.", units.Short, 12,
		q(`3600 * sum by (decision) (rate(sellerguard_decisions_total{decision=~"block|review"}[`+ri+`]))`, "{{decision}}"))

	// A rule's guardrail series appears with its first trip; "shop" exists
	// from the start, so the panel reads 0 rather than "no data".
	b.row("Guardrails and allowlist")
	b.timeseries("Guardrail trips / h by scope", "Automatic holds turned into reviews because one rule (scope: its code) or one shop (scope: shop) reached its hourly cap (sellerguard_guardrail_trips_total). See SellerGuardGuardrailTripped.", units.Short, 8,
		q(`3600 * sum by (scope) (rate(sellerguard_guardrail_trips_total[`+ri+`]))`, "{{scope}}"))
	b.timeseries("Allowlist suppressions / h by rule", "Rule findings held back by an allowance (allowlisted or snoozed account, phone, address or sender) in published decision changes (sellerguard_allowlist_suppressed_total).", units.Short, 8,
		q(`3600 * sum by (rule) (rate(sellerguard_allowlist_suppressed_total[`+ri+`]))`, "{{rule}}"))
	b.stat("Allowances recorded in range", "Allowlist entries and snoozes recorded through /v1/allowances over the dashboard's time range, by identifier kind (sellerguard_allowances_total).", units.Short, 8, 0, 0,
		q(`sum by (kind) (increase(sellerguard_allowances_total[$__range]))`, "{{kind}}"))
	return b.build()
}

// yuan: amounts are shown in yuan (Grafana has no CNY unit; ¥ alone is
// also the yen's sign, so the panels say yuan in their descriptions).
const yuan = "prefix:¥"

// The review workflow's gauges (queue, oldest case, overdue) are computed
// from Redis by every instance alike, so they are read with max per shop
// bucket, never summed over instances. Its counters (verdicts) count on
// the instance that recorded the verdict, so they are summed.
func review() (Board, error) {
	b := newBoard("sellerguard-review", "SellerGuard · Review",
		"The after-sales review workload: open cases by shop bucket and decision, the oldest case, cases past their deadline (the SLA), verdicts, time to verdict and each rule's precision as reviewers judge it.")

	b.row("Queue")
	b.stat("Open cases", "Cases in the review queues without a verdict, by the decision that put them there (sellerguard_review_queue_cases, refreshed every 30 s).", units.Short, 6, 0, 0,
		q(`sum by (decision) (max by (shop_bucket, decision) (sellerguard_review_queue_cases))`, "{{decision}}"))
	b.stat("Oldest open case", "How long the oldest open case has waited since it entered review (sellerguard_review_oldest_case_age_seconds).", units.Seconds, 6, 0, 0,
		q(`max(sellerguard_review_oldest_case_age_seconds)`, "oldest"))
	b.stat("Overdue cases (SLA)", "Open cases past their deadline: the end of the working day they entered review (18:00 China time, Monday to Friday) unless a reviewer moved it. SellerGuardReviewSLABreached fires when a shop bucket has one for 15 minutes.", units.Short, 6, 0, 1,
		q(`sum(max by (shop_bucket) (sellerguard_review_overdue_cases))`, "overdue"))
	b.stat("Entered review this week", "Decision changes to review or block over the last 7 days.", units.Short, 6, 0, 0,
		q(`sum(increase(sellerguard_decisions_total{decision=~"review|block"}[1w]))`, "cases"))
	b.timeseries("Open cases by shop bucket and decision", "Queue depth per shop bucket (fnv32(shop) % 16; the case list in the API or web UI names the shops) and decision.", units.Short, 12,
		q(`max by (shop_bucket, decision) (sellerguard_review_queue_cases)`, "bucket {{shop_bucket}} {{decision}}"))
	b.timeseries("Oldest open case by shop bucket", "Age of each shop bucket's oldest open case.", units.Seconds, 12,
		q(`max by (shop_bucket) (sellerguard_review_oldest_case_age_seconds)`, "bucket {{shop_bucket}}"))
	b.timeseries("Overdue cases by shop bucket (SLA)", "Open cases past their deadline per shop bucket: what SellerGuardReviewSLABreached watches.", units.Short, 12,
		q(`max by (shop_bucket) (sellerguard_review_overdue_cases)`, "bucket {{shop_bucket}}"))
	b.timeseries("Cases entering the review queue / h", "Decision changes to review or block: each puts (or keeps) the refund in its shop's review queue.", units.Short, 12,
		q(`3600 * sum by (decision) (rate(sellerguard_decisions_total{decision=~"review|block"}[`+ri+`]))`, "{{decision}}"))

	b.row("Verdicts")
	b.timeseries("Verdicts / h by outcome", "Review verdicts given (sellerguard_review_verdicts_total): fraud confirms the case's identifiers as known offenders; legit approves the refund.", units.Short, 8,
		q(`3600 * sum by (verdict) (rate(sellerguard_review_verdicts_total[`+ri+`]))`, "{{verdict}}"))
	// Verdicts are rare next to scrapes: the quantiles use the previous hour,
	// and read "no verdicts" (not 0) in an hour without one.
	b.add(b.newTimeseries("Time to verdict (previous hour)", "From a case entering review to its verdict, over the verdicts of the previous hour (sellerguard_review_verdict_duration_seconds).", units.Seconds, 8,
		q(`histogram_quantile(0.5, sum by (le) (rate(sellerguard_review_verdict_duration_seconds_bucket[1h])))`, "p50"),
		q(`histogram_quantile(0.9, sum by (le) (rate(sellerguard_review_verdict_duration_seconds_bucket[1h])))`, "p90")).
		NoValue("no verdicts"))
	b.stat("Verdicts in range", "By outcome, over the dashboard's time range.", units.Short, 4, 0, 0,
		q(`sum by (verdict) (increase(sellerguard_review_verdicts_total[$__range]))`, "{{verdict}}"))
	b.stat("Staff lookups / min", "Refund lookups through the API (after-sales staff, the check command and refund workflows).", units.RequestsPerMinute, 4, 0, 0,
		q(`60 * sum(rate(sellerguard_http_requests_total{route="/v1/refunds/{refund_id}"}[`+ri+`]))`, "lookups"))

	b.row("Precision per rule")
	// Precision is fraud / (fraud + legit) of the verdicts on cases a rule
	// flagged. increase() over the window spans counter restarts; a rule
	// without verdicts in the window has no precision and no bar (> 0).
	const precisionNote = " Rules without verdicts in the window have no bar. The window needs Prometheus to keep that much history (the compose stack keeps 15 days); /v1/rules gives each rule's precision over every verdict."
	b.add(b.newBargauge("Precision per rule, last 7 days", "Share of the verdicts on cases a rule flagged that were fraud (sellerguard_review_rule_verdicts_total), over the last 7 days."+precisionNote, units.PercentUnit, 12,
		q(`sort_desc(sum by (rule) (increase(sellerguard_review_rule_verdicts_total{verdict="fraud"}[1w])) / (sum by (rule) (increase(sellerguard_review_rule_verdicts_total[1w])) > 0))`, "{{rule}}")).
		Max(1).NoValue("no verdicts in 7 days"))
	b.add(b.newBargauge("Precision per rule, last 30 days", "Share of the verdicts on cases a rule flagged that were fraud, over the last 30 days."+precisionNote, units.PercentUnit, 12,
		q(`sort_desc(sum by (rule) (increase(sellerguard_review_rule_verdicts_total{verdict="fraud"}[30d])) / (sum by (rule) (increase(sellerguard_review_rule_verdicts_total[30d])) > 0))`, "{{rule}}")).
		Max(1).NoValue("no verdicts in 30 days"))
	b.add(b.newBargauge("Verdicts per rule, last 30 days", "How many verdicts each rule's precision rests on: verdicts on cases the rule flagged, over the last 30 days.", units.Short, 12,
		q(`sort_desc(sum by (rule) (increase(sellerguard_review_rule_verdicts_total[30d])) > 0)`, "{{rule}}")).
		NoValue("no verdicts in 30 days"))
	b.bargauge("Findings by rule this week", "What reviewers are asked to judge: rule findings over the last 7 days.", units.Short, 12,
		q(`sort_desc(sum by (rule) (increase(sellerguard_rule_hits_total[1w])))`, "{{rule}}"))
	return b.build()
}

// board numbers its panels itself: ids are stable across regenerations and
// unique in the board, and each query's refId is set (A, B, …).
type board struct {
	uid string
	d   *dashboard.DashboardBuilder
	id  uint32
}

func newBoard(uid, title, description string) *board {
	d := dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(description).
		Tags([]string{"sellerguard"}).
		Editable().
		Refresh("10s").
		Time("now-1h", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder(DatasourceVar).
			Label("Prometheus").
			Type("prometheus").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr("Prometheus")},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(DatasourceUID)},
			})).
		Link(dashboard.NewDashboardLinkBuilder("SellerGuard").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"sellerguard"}).
			AsDropdown(false).
			IncludeVars(true).
			KeepTime(true))
	return &board{uid: uid, d: d}
}

func (b *board) next() uint32 { b.id++; return b.id }

func (b *board) build() (Board, error) {
	d, err := b.d.Build()
	if err != nil {
		return Board{}, fmt.Errorf("dashboard %s: %w", b.uid, err)
	}
	// The SDK places links in the controls menu; show them above the panels.
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	return Board{File: b.uid + ".json", UID: b.uid, Dashboard: d}, nil
}

var datasource = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + DatasourceVar + "}")}

// q is one Prometheus query of a panel; its refId is set by the panel.
func q(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Expr(expr).LegendFormat(legend).Datasource(datasource)
}

func targets(qs []*prometheus.DataqueryBuilder, instant bool) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(qs))
	for i, query := range qs {
		query.RefId(string(rune('A' + i)))
		if instant {
			query.Instant()
		} else {
			query.Range()
		}
		out[i] = query
	}
	return out
}

func (b *board) row(title string) {
	b.d.WithRow(dashboard.NewRowBuilder(title).Id(b.next()))
}

// add places a panel; the new* helpers return builders to adjust first.
func (b *board) add(p cog.Builder[dashboard.Panel]) { b.d.WithPanel(p) }

func (b *board) timeseries(title, description, unit string, width uint32, qs ...*prometheus.DataqueryBuilder) {
	b.add(b.newTimeseries(title, description, unit, width, qs...))
}

func (b *board) newTimeseries(title, description, unit string, width uint32, qs ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Id(b.next()).
		Title(title).
		Description(description).
		Datasource(datasource).
		Targets(targets(qs, false)).
		Unit(unit).
		Min(0).
		Span(width).
		Height(8).
		FillOpacity(10).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending)).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom))
}

// heatmap shows a Prometheus histogram's buckets over time: its query
// returns per-le rates with format heatmap, which Grafana turns into bands.
func (b *board) heatmap(title, description string, width uint32, qs ...*prometheus.DataqueryBuilder) {
	b.add(heatmap.NewPanelBuilder().
		Id(b.next()).
		Title(title).
		Description(description).
		Datasource(datasource).
		Targets(targets(qs, false)).
		Span(width).
		Height(8).
		Calculate(false).
		RowsFrame(heatmap.NewRowsHeatmapOptionsBuilder().Layout(common.HeatmapCellLayoutLe)).
		Color(heatmap.NewHeatmapColorOptionsBuilder().
			Mode(heatmap.HeatmapColorModeScheme).
			Scheme("Oranges").
			Scale(heatmap.HeatmapColorScaleExponential).
			Exponent(0.5).
			Steps(64)).
		CellValues(heatmap.NewCellValuesBuilder().Unit(units.OpsPerMinute)).
		Tooltip(heatmap.NewHeatmapTooltipBuilder().
			Mode(common.TooltipDisplayModeSingle).
			YHistogram(true)).
		ShowLegend())
}

// stat shows one number per series; warn and crit (orange, red) colour it,
// or nothing when both are zero.
func (b *board) stat(title, description, unit string, width uint32, warn, crit float64, qs ...*prometheus.DataqueryBuilder) {
	colour := common.BigValueColorModeNone
	if warn != 0 || crit != 0 {
		colour = common.BigValueColorModeValue
	}
	b.d.WithPanel(stat.NewPanelBuilder().
		Id(b.next()).
		Title(title).
		Description(description).
		Datasource(datasource).
		Targets(targets(qs, true)).
		Unit(unit).
		Span(width).
		Height(8).
		GraphMode(common.BigValueGraphModeNone).
		ColorMode(colour).
		Orientation(common.VizOrientationAuto).
		Thresholds(dashboard.NewThresholdsConfigBuilder().
			Mode(dashboard.ThresholdsModeAbsolute).
			Steps(steps(warn, crit))).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})))
}

func (b *board) bargauge(title, description, unit string, width uint32, qs ...*prometheus.DataqueryBuilder) {
	b.add(b.newBargauge(title, description, unit, width, qs...))
}

func (b *board) newBargauge(title, description, unit string, width uint32, qs ...*prometheus.DataqueryBuilder) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().
		Id(b.next()).
		Title(title).
		Description(description).
		Datasource(datasource).
		Targets(targets(qs, true)).
		Unit(unit).
		Min(0).
		Span(width).
		Height(8).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeGradient).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

func steps(warn, crit float64) []dashboard.Threshold {
	out := []dashboard.Threshold{{Value: nil, Color: "green"}}
	if warn != 0 {
		out = append(out, dashboard.Threshold{Value: cog.ToPtr(warn), Color: "orange"})
	}
	if crit != 0 {
		out = append(out, dashboard.Threshold{Value: cog.ToPtr(crit), Color: "red"})
	}
	return out
}
