/// Where a policy run stands; stored by its name.
public enum PolicyRunStatus: String, Sendable, CaseIterable {
    /// Executing, or killed while it was (settling tells which).
    case running
    /// Every action done or found gone.
    case done
    /// Some action skipped for safety or failed.
    case faults
    /// Killed part-way; its journal was settled by a later run.
    case interrupted
}

/// Where a scan stands; stored by its name.
public enum ScanStatus: String, Sendable, CaseIterable {
    /// Walking, or killed while it was (the next scan of its context tells which).
    case running
    /// Walked every root to the end.
    case complete
    /// Killed part-way.
    case interrupted
    /// Stopped by an error.
    case failed
}
