package etcdstore

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	revision      prometheus.Gauge
	appliedAt     prometheus.Gauge
	up            prometheus.Gauge
	source        *prometheus.GaugeVec
	refused       prometheus.Counter
	watchRestarts prometheus.Counter
	resyncs       *prometheus.CounterVec
	all           []prometheus.Collector
}

func newMetrics() *metrics {
	m := &metrics{
		revision: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crossgate_config_applied_revision",
			Help: "The etcd revision of the config the node serves.",
		}),
		appliedAt: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crossgate_config_applied_timestamp_seconds",
			Help: "When the node last applied a config, in seconds since the epoch.",
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "crossgate_config_source_up",
			Help: "1 while etcd answers the node, 0 while it does not.",
		}),
		source: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "crossgate_config_source",
			Help: "1 for where the served config came from: etcd, file (the snapshot file, etcd being unreachable at start) or none.",
		}, []string{"source"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crossgate_config_refused_total",
			Help: "Snapshots read from etcd and refused as invalid.",
		}),
		watchRestarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "crossgate_config_watch_restarts_total",
			Help: "Times the etcd watch ended and was started again.",
		}),
		resyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossgate_config_resyncs_total",
			Help: "Full reads of the config from etcd, by reason: start, compacted, watch-lost.",
		}, []string{"reason"}),
	}
	m.setSource(SourceNone)
	for _, r := range []string{resyncStart, resyncCompacted, resyncLost} {
		m.resyncs.WithLabelValues(r)
	}
	m.all = []prometheus.Collector{m.revision, m.appliedAt, m.up, m.source, m.refused, m.watchRestarts, m.resyncs}
	return m
}

func (m *metrics) applied(rev int64, src Source) {
	m.revision.Set(float64(rev))
	m.appliedAt.Set(float64(time.Now().UnixNano()) / 1e9)
	m.setSource(src)
}

func (m *metrics) setSource(src Source) {
	for _, s := range []Source{SourceNone, SourceEtcd, SourceCache} {
		v := 0.0
		if s == src {
			v = 1
		}
		m.source.WithLabelValues(string(s)).Set(v)
	}
}

// Describe and Collect make a Store a prometheus.Collector of its metrics.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range s.metrics.all {
		c.Describe(ch)
	}
}

// Collect collects the store's metrics.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	for _, c := range s.metrics.all {
		c.Collect(ch)
	}
}
