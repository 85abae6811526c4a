// Writes the config validator as ajv standalone code beside the built config module,
// so a run loads a small precompiled function instead of ajv and a schema compile.
import { writeFileSync } from 'node:fs';

const { standaloneValidatorSource } = await import('../dist/src/config/validate.js');
writeFileSync(
  new URL('../dist/src/config/schema-validator.cjs', import.meta.url),
  standaloneValidatorSource(),
);
