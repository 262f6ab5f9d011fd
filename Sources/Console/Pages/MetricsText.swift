/// This process's counters, read back from the Prometheus text that `/metrics` serves: sums by one label.
struct MetricsText: Sendable {
    struct Sample: Sendable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let samples: [Sample]

    init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)...].dropLast().split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    func total(_ name: String) -> Int { Int(samples.filter { $0.name == name }.map(\.value).reduce(0, +)) }

    /// Sums of `name` by the values of `labels`, joined with " / ", largest first.
    func totals(_ name: String, by labels: [String]) -> [(key: String, count: Int)] {
        var sums: [String: Double] = [:]
        for sample in samples where sample.name == name {
            sums[labels.map { sample.labels[$0] ?? "" }.joined(separator: " / "), default: 0] += sample.value
        }
        return sums.map { ($0.key, Int($0.value)) }.filter { $0.count > 0 }.sorted { $0.count > $1.count }
    }
}
