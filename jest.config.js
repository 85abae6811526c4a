const project = (displayName, roots) => ({
  displayName,
  roots,
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
});

export default {
  projects: [
    project('unit', ['<rootDir>/test/unit']),
    { ...project('integration', ['<rootDir>/test/integration', '<rootDir>/test/e2e']), testTimeout: 120000 },
  ],
};
