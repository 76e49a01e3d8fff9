// The test projects. vitest 4 no longer reads this file itself: vitest.config.ts imports it.
// apps/worker has three: its Worker inside workerd (over Neon's driver, and over Hyperdrive),
// and its Node deployment end to end.
export default ['packages/*', 'apps/worker/vitest.config.ts', 'apps/worker/vitest.hyperdrive.config.ts', 'apps/worker/vitest.node.config.ts']
