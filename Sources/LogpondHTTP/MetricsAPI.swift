import CoreMetrics
import Foundation
import Hummingbird
import LogpondEngine
import Prometheus

/// `GET /_prometheus/metrics`: swift-metrics' counters and timers (recorded where things
/// happen: documents and bytes ingested per index, translog bytes and fsync time, merges,
/// cache hits and misses, bulk and search latency, rejections by reason) and gauges read at
/// scrape time (per-index documents, segments and bytes, disk, open scrolls, process memory
/// and CPU), in Prometheus's text format through swift-prometheus.
public enum LogpondMetrics {
    /// The registry every metric of the process lands in.
    public static let registry = PrometheusCollectorRegistry()

    /// Routes swift-metrics into the registry; call once, before the store opens (metrics
    /// made earlier stay no-ops, as swift-metrics has it).
    public static func bootstrap() {
        var f = PrometheusMetricsFactory(registry: registry)
        f.defaultDurationHistogramBuckets = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                             .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                             .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30)]
        MetricsSystem.bootstrap(f)
    }

    static let bulkTimer = CoreMetrics.Timer(label: "logpond_bulk_duration_seconds")
    static let searchTimer = CoreMetrics.Timer(label: "logpond_search_duration_seconds")
    static let lock = NSLock()
    /// Per-index gauges made at earlier scrapes, so a deleted index's are taken away.
    nonisolated(unsafe) static var indexGauges: [String: [Prometheus.Gauge]] = [:]
    nonisolated(unsafe) static var cpuCounter: Prometheus.Counter?
    nonisolated(unsafe) static var cpuSeen = 0.0

    /// Records a finished request: its latency by kind, a rejection by reason.
    static func request(_ segments: [String], started: UInt64, status: Int, type: String?) {
        let nanos = Int64(clamping: Clock.elapsed(from: started))
        switch segments.last {
        case "_bulk": bulkTimer.recordNanoseconds(nanos)
        case "_search", "_msearch", "_count": searchTimer.recordNanoseconds(nanos)
        default: break
        }
        if status == 429 || status == 413 || status == 503, let type {
            CoreMetrics.Counter(label: "logpond_rejected_requests_total", dimensions: [("reason", type)]).increment()
        }
    }
}

extension API {
    func prometheusMetrics() -> Response {
        let r = LogpondMetrics.registry
        LogpondMetrics.lock.withLock {
            var seen: Set<String> = []
            for i in store.allIndices {
                seen.insert(i.name)
                let st = i.stats
                let labels = [("index", i.name)]
                let gauges = [r.makeGauge(name: "logpond_index_docs", labels: labels, help: "Live documents in the index"),
                              r.makeGauge(name: "logpond_index_segments", labels: labels, help: "Searchable segments of the index"),
                              r.makeGauge(name: "logpond_index_store_bytes", labels: labels, help: "Bytes of the index's flushed segment files")]
                gauges[0].set(Double(st.docs)); gauges[1].set(Double(st.segments)); gauges[2].set(Double(st.storeBytes))
                LogpondMetrics.indexGauges[i.name] = gauges
            }
            for (name, gauges) in LogpondMetrics.indexGauges where !seen.contains(name) {
                for g in gauges { r.unregisterGauge(g) }
                LogpondMetrics.indexGauges[name] = nil
            }
            if let d = store.disk.usage {
                r.makeGauge(name: "logpond_disk_free_bytes", help: "Bytes available on the data folder's device").set(Double(d.available))
                r.makeGauge(name: "logpond_disk_total_bytes", help: "Size of the data folder's device").set(Double(d.total))
            }
            r.makeGauge(name: "logpond_open_scrolls", help: "Scroll contexts open now").set(Double(scrolls.openCount))
            r.makeGauge(name: "logpond_search_decoded_bytes", help: "Bytes of decoded segment structures held for searches").set(Double(DecodedBytes.total))
            r.makeGauge(name: "process_resident_memory_bytes", help: "Resident memory size in bytes").set(Double(Self.residentBytes()))
            let cpu = Self.cpuSeconds()
            let c = LogpondMetrics.cpuCounter ?? r.makeCounter(name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds")
            LogpondMetrics.cpuCounter = c
            if cpu > LogpondMetrics.cpuSeen { c.increment(by: cpu - LogpondMetrics.cpuSeen); LogpondMetrics.cpuSeen = cpu }
        }
        var h = HTTPFields()
        h[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(bytes: r.emitToBuffer())))
    }

    /// User plus system CPU of this process, from getrusage.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }
}
