// Console: The web console (`/console` on its own port): login, sessions, CSRF, and the pages, rendered on the
// server.
//
// Access: everything here is `package`. Its users are the product's other modules, its tests and the `hookline`
// command, which are one package; the packages beside it (Benchmarks/, FuzzTargets/) do not use this module.
