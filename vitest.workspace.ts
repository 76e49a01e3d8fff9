// The test projects. vitest 4 no longer reads this file itself: vitest.config.ts imports it.
// apps/worker has two: its Worker inside workerd, and its Node deployment end to end.
export default ['packages/*', 'apps/worker/vitest.config.ts', 'apps/worker/vitest.node.config.ts']
