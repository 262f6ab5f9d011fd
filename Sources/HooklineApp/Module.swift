// HooklineApp: Assembly: settings (flags, environment, config file), logs, and the service group that starts and
// stops the journal, the dispatcher, the server and the console together.
//
// Access: `package` by default: the product's modules, tests and the `hookline` command are one package.
// Public API: `Settings` with its reading of arguments and config files (its dynamic member lookup names `Setting`
// and `SettingDeclarations`), `parseDuration` and `parseBytes`; and the type names `Hookline` and `LogSink`, without
// public members, because the test support target's public `TestServer` names them.
// Why: FuzzTargets/config reads arguments and config files as `hookline serve` does; it is a package of its own and
// sees only `public`. `tools/access-pass.py` redoes this after a merge.
