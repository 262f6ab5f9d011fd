// Server: The HTTP front door (SwiftNIO's HTTP/1 pipeline): endpoints, authentication, limits, `/healthz`,
// `/metrics`.
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `HooklineServer`, `ConnectionPipeline`, `ServerSettings`, `EndpointSettings`, and
// `UsableCores`/`DescriptorLimit` for the settings' defaults.
// Why: the HTTP fuzz target feeds bytes to a connection's pipeline as the server builds it (FuzzTargets/http); those
// are packages of their own and see only `public`. A public type's members stay `package` unless such a package uses
// them. `tools/access-pass.py` redoes this after a merge.
