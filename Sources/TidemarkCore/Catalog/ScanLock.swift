import Foundation

/// A scan's hold on its context (the store's `RunLock`): no second scan of it and no policy run
/// on it until the scan ends. Taking it also settles what killed scans left: while it is
/// held no other scan of the context can be alive, so one still marked `running` was
/// killed, and becomes `interrupted`.
final class ScanLock: Sendable {
    private let lock: any RunLock

    init(catalog: any ScanStore, context: String) throws(ScanError) {
        do { lock = try catalog.lock(.context(context), holder: "scan") } catch {
            switch error {
            case .held(let conflict): throw .busy(conflict)
            case .unavailable(let e): throw .lockUnavailable(e)
            case .catalog(let e): throw .catalog(e)
            }
        }
        do { try catalog.interruptKilledScans(context: context) } catch { throw .catalog(error) }
    }
}
