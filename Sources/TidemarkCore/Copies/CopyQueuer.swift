/// Queues the datasets that match a selection for copying to one host and directory, as IPP's
/// `add.minidvodb.copy` does: whole datasets, at most one copy per dataset and host (the
/// store's unique key), and only while the destination stays at most `maxUsed` used with room
/// for each dataset plus a margin. What is not queued comes back with its reason.
public struct CopyQueuer {
    /// Which datasets go where.
    public struct Selection: Sendable, Hashable {
        /// The datasets' context.
        public var context: String
        /// Their categories (at least one).
        public var categories: [String]
        /// Only this stream's (the stream of a dataset's first file), when given.
        public var stream: String?
        /// Only datasets in this state, when given.
        public var state: String?
        /// The destination host.
        public var host: String
        /// The destination directory on it (absolute).
        public var path: PathBytes

        /// A selection as given.
        public init(context: String, categories: [String], stream: String? = nil, state: String? = nil, host: String, path: PathBytes) {
            self.context = context; self.categories = categories; self.stream = stream; self.state = state; self.host = host; self.path = path
        }
    }

    /// The limits on the destination.
    public struct Limits: Sendable, Hashable {
        /// At most this fraction used (0.97).
        public var maxUsed: Double
        /// Bytes kept free beyond each dataset.
        public var margin: Int64

        /// Limits as given.
        public init(maxUsed: Double = 0.97, margin: Int64 = 16 << 20) { self.maxUsed = maxUsed; self.margin = margin }
    }

    /// A dataset and what became of it.
    public struct Decision: Sendable, Hashable {
        /// The dataset.
        public var dataset: DatasetRecord
        /// The new copy's id; nil when it was not queued.
        public var copy: Int64?
        /// Why it was not queued.
        public var reason: String?
    }

    public let store: any CopyStore & DatasetStore & HostStore

    /// A queuer on `store`.
    public init(store: any CopyStore & DatasetStore & HostStore) { self.store = store }

    /// Queues `selection` at `at`. `machine` gives the datasets' states (nil: their category
    /// declares none); `space` measures the destination once (a failure refuses them all).
    public func queue(_ selection: Selection, limits: Limits, machine: (String) -> DatasetStateMachine?,
                      space: (HostRecord) throws(CopyFailure) -> DestinationSpace, at: Instant) throws -> [Decision] {
        guard let host = try store.hosts().first(where: { $0.host.name == selection.host }) else {
            throw CatalogError.noSuchHost(selection.host, path: "")
        }
        let datasets = try store.datasets(DatasetFilter(context: selection.context, categories: selection.categories)).filter { d in
            (selection.stream == nil || d.stream == selection.stream)
                && (selection.state == nil || DatasetStates.state(of: d, machine: machine(d.category)) == selection.state)
        }
        guard !datasets.isEmpty else { return [] }
        let existing = Dictionary(try store.copies(CopyFilter(hosts: [host.host.name], datasets: datasets.map(\.id))).map { ($0.dataset, $0) },
                                  uniquingKeysWith: { a, _ in a })
        var decisions: [Decision] = []
        var wanted: [DatasetRecord] = []
        for d in datasets {
            if let c = existing[d.id] {
                decisions.append(Decision(dataset: d, copy: nil, reason: "already queued for \(host.host.name) (copy \(c.id), \(c.state.rawValue))"))
            } else if d.files == 0 {
                decisions.append(Decision(dataset: d, copy: nil, reason: "it has no live files"))
            } else {
                wanted.append(d)
            }
        }
        if !wanted.isEmpty {
            var room: Result<DestinationSpace, CopyFailure>
            if host.state != .up || !host.enabled {
                room = .failure(CopyFailure(.configuration, "host \(host.host.name) is \(host.state.rawValue)\(host.enabled ? "" : ", copies off"): no new copies go to it"))
            } else {
                do { room = .success(try space(host)) } catch { room = .failure(error) }
            }
            var fits: [DatasetRecord] = []
            for d in wanted {
                switch room {
                case .failure(let f): decisions.append(Decision(dataset: d, copy: nil, reason: f.message))
                case .success(let s):
                    if let why = s.refusal(adding: d.bytes, margin: limits.margin, maxUsed: limits.maxUsed) {
                        decisions.append(Decision(dataset: d, copy: nil, reason: why))
                    } else {
                        // Each queued dataset takes its room from what the next may have.
                        room = .success(s.adding(d.bytes))
                        fits.append(d)
                    }
                }
            }
            let ids = try store.queueCopies(fits.map { CopyRequest(dataset: $0.id, host: host.host.name, path: selection.path) }, at: at)
            for (d, id) in zip(fits, ids) {
                // A concurrent queuer won the unique key: say so.
                decisions.append(Decision(dataset: d, copy: id, reason: id == nil ? "already queued for \(host.host.name)" : nil))
            }
        }
        let order = Dictionary(uniqueKeysWithValues: datasets.enumerated().map { ($1.id, $0) })
        return decisions.sorted { order[$0.dataset.id]! < order[$1.dataset.id]! }
    }
}
