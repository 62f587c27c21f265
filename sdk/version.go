package sdk

// Version is the SDK's version, reported by plugins in Describe.
const Version = "0.1.0"
