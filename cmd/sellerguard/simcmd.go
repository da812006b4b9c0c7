package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sellerguard/sellerguard/event"
	"github.com/sellerguard/sellerguard/ingest"
	"github.com/sellerguard/sellerguard/rules"
	"github.com/sellerguard/sellerguard/sim"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("sim", "sellerguard sim [flags]\n\nProduces simulated, labelled shop traffic: honest buyers and every detected pattern.\nWith --out, writes one JSON Lines file per topic plus labels.jsonl; otherwise\nproduces to Kafka (--brokers) and writes the labels to --labels.", stderr)
	brokers := fs.String("brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, comma-separated")
	out := fs.String("out", "", "write files to this directory instead of Kafka")
	labels := fs.String("labels", "labels.jsonl", "labels file when producing to Kafka")
	seed := fs.Uint64("seed", 1, "seed: the same seed gives the same world")
	rate := fs.Float64("rate", 0, "events per second (0: as fast as possible)")
	scenes := fs.Int("scenes", 1000, "number of stories to tell (0: until interrupted)")
	configPath := fs.String("config", "", "config file, for the topic names")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *rate < 0 || *scenes < 0 {
		fmt.Fprintln(stderr, "sellerguard sim: --rate and --scenes must not be negative")
		return exitUsage
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard sim: --config: %v\n", err)
		return exitUsage
	}
	var sink simSink
	if *out != "" {
		sink, err = newFileSink(*out)
	} else {
		sink, err = newKafkaSink(splitList(*brokers), cfg.Topics, *labels)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sellerguard sim: %v\n", err)
		return exitFailed
	}
	n, err := simulate(ctx, sim.New(sim.Config{Seed: *seed}), sink, *rate, *scenes)
	if cerr := sink.Close(); err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "sellerguard sim: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%d events written\n", n)
	return 0
}

// simSink takes simulated events and labels.
type simSink interface {
	Event(ctx context.Context, e sim.Produced) error
	Label(l sim.Label) error
	Close() error
}

// simulate feeds scenes to a sink at a rate; it returns the events written.
func simulate(ctx context.Context, s *sim.Sim, sink simSink, rate float64, scenes int) (int, error) {
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		tick = t.C
	}
	n := 0
	for i := 0; scenes == 0 || i < scenes; i++ {
		sc := s.Scene()
		for _, e := range sc.Events {
			if tick != nil {
				select {
				case <-ctx.Done():
					return n, ctx.Err()
				case <-tick:
				}
			} else if err := ctx.Err(); err != nil {
				return n, err
			}
			if err := sink.Event(ctx, e); err != nil {
				return n, err
			}
			n++
		}
		for _, l := range sc.Labels {
			if err := sink.Label(l); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// simShops configures the simulated shops as a shop owner would: their return
// warehouses and the couriers they accept.
func simShops(s *sim.Sim, base rules.Config, shops ...string) map[string]rules.Config {
	out := map[string]rules.Config{}
	for _, shop := range shops {
		cfg := base
		cfg.Warehouses = []event.Address{s.Warehouse(shop)}
		cfg.AcceptedCarriers = sim.AcceptedCarriers()
		out[shop] = cfg
	}
	return out
}

type fileSink struct {
	files  map[event.Kind]*os.File
	labels *json.Encoder
	lf     *os.File
}

func newFileSink(dir string) (*fileSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f := &fileSink{files: map[event.Kind]*os.File{}}
	for kind, name := range map[event.Kind]string{event.KindOrder: "orders", event.KindRefund: "refunds",
		event.KindReturn: "returns", event.KindMessage: "messages"} {
		file, err := os.Create(filepath.Join(dir, name+".jsonl"))
		if err != nil {
			return nil, err
		}
		f.files[kind] = file
	}
	lf, err := os.Create(filepath.Join(dir, "labels.jsonl"))
	if err != nil {
		return nil, err
	}
	f.lf, f.labels = lf, json.NewEncoder(lf)
	return f, nil
}

func (f *fileSink) Event(_ context.Context, e sim.Produced) error {
	_, err := f.files[e.Kind].Write(append(e.Value, '\n'))
	return err
}

func (f *fileSink) Label(l sim.Label) error { return f.labels.Encode(l) }

func (f *fileSink) Close() error {
	var errs []error
	for _, file := range f.files {
		errs = append(errs, file.Close())
	}
	return errors.Join(append(errs, f.lf.Close())...)
}

type kafkaSink struct {
	writers map[event.Kind]*ingest.Writer
	labels  *json.Encoder
	lf      *os.File
}

func newKafkaSink(brokers []string, t topics, labelsPath string) (*kafkaSink, error) {
	lf, err := os.Create(labelsPath)
	if err != nil {
		return nil, fmt.Errorf("--labels: %w", err)
	}
	k := &kafkaSink{writers: map[event.Kind]*ingest.Writer{}, lf: lf, labels: json.NewEncoder(lf)}
	for topic, kind := range t.inputs() {
		k.writers[kind] = ingest.NewWriter(brokers, topic)
	}
	return k, nil
}

func (k *kafkaSink) Event(ctx context.Context, e sim.Produced) error {
	return k.writers[e.Kind].Publish(ctx, []event.Raw{{Key: []byte(e.Key), Value: e.Value}})
}

func (k *kafkaSink) Label(l sim.Label) error { return k.labels.Encode(l) }

func (k *kafkaSink) Close() error {
	var errs []error
	for _, w := range k.writers {
		errs = append(errs, w.Close())
	}
	return errors.Join(append(errs, k.lf.Close())...)
}
