package detector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/rules"
)

type metrics struct {
	events       *prometheus.CounterVec
	invalid      *prometheus.CounterVec
	ruleHits     *prometheus.CounterVec
	decisions    *prometheus.CounterVec
	latency      prometheus.Histogram
	eventAge     prometheus.Histogram
	assessments  prometheus.Counter
	stale        prometheus.Counter
	fanoutCapped prometheus.Counter
	deadLetters  *prometheus.CounterVec
	scores       prometheus.Histogram
	reassessed   prometheus.Counter
	blocked      *prometheus.CounterVec
	// guardrailTrips is labelled by rule code or "shop": bounded.
	guardrailTrips *prometheus.CounterVec
	suppressed     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_events_processed_total", Help: "Valid input events whose facts were stored, by kind.",
		}, []string{"kind"}),
		invalid: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_events_invalid_total", Help: "Input events sent to the dead-letter topic, by reason.",
		}, []string{"reason"}),
		ruleHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_rule_hits_total", Help: "Rule findings in published decision changes, by rule code.",
		}, []string{"rule"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sellerguard_decisions_total", Help: "Decision changes published, by decision.",
		}, []string{"decision"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sellerguard_processing_latency_seconds",
			Help:    "Time from an event's arrival on its topic to its batch's effects being stored and published.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		eventAge: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sellerguard_event_age_seconds",
			Help:    "Time from an event's occurred_at to its effects being stored.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 12),
		}),
		assessments: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sellerguard_assessments_total", Help: "Refund assessments computed (first and repeated).",
		}),
		stale: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sellerguard_assessments_stale_total", Help: "Assessments not stored because newer facts arrived meanwhile.",
		}),
		fanoutCapped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sellerguard_fanout_capped_total", Help: "Events whose touched refunds exceeded the fan-out cap.",
		}),
	}
	m.deadLetters = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sellerguard_dead_letters_total", Help: "Invalid input events acknowledged by the dead-letter topic, by reason.",
	}, []string{"reason"})
	m.scores = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "sellerguard_assessment_score", Help: "Scores of published assessments; review and block thresholds are bucket edges.",
		Buckets: []float64{10, 20, 30, 40, 50, 60, 70, 85, 90, 95, 99, 100},
	})
	m.reassessed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sellerguard_reassessments_total", Help: "Published assessments that replaced an earlier one: a refund judged again on new evidence.",
	})
	m.blocked = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sellerguard_blocked_amount_minor_total",
		Help: "Refund amounts (minor units) entering or leaving the block decision; entered minus left is what is held.",
	}, []string{"transition"})
	m.guardrailTrips = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sellerguard_guardrail_trips_total", Help: "Automatic holds turned into reviews by a guardrail cap, by scope (rule code or shop).",
	}, []string{"scope"})
	m.guardrailTrips.WithLabelValues("shop")
	m.suppressed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sellerguard_allowlist_suppressed_total", Help: "Rule findings held back by an allowance in published decisions, by rule code.",
	}, []string{"rule"})
	m.blocked.WithLabelValues("entered")
	m.blocked.WithLabelValues("left")
	for _, k := range event.Kinds {
		m.events.WithLabelValues(string(k))
	}
	for _, r := range event.Reasons {
		m.invalid.WithLabelValues(r)
		m.deadLetters.WithLabelValues(r)
	}
	for _, c := range rules.Codes {
		m.ruleHits.WithLabelValues(c)
		m.suppressed.WithLabelValues(c)
	}
	for _, d := range []rules.Decision{rules.Approve, rules.Review, rules.Block} {
		m.decisions.WithLabelValues(string(d))
	}
	reg.MustRegister(m.events, m.invalid, m.ruleHits, m.decisions, m.latency, m.eventAge, m.assessments, m.stale, m.fanoutCapped,
		m.deadLetters, m.scores, m.reassessed, m.blocked, m.guardrailTrips, m.suppressed)
	return m
}
