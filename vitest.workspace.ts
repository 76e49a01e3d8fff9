// The test projects. vitest 4 no longer reads this file itself: vitest.config.ts imports it.
export default ['packages/*']
