extension Duration {
    /// The duration as a number of seconds.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    public var milliseconds: Double { seconds * 1000 }
}
